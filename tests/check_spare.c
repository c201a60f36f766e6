/*
 * check_spare.c: how much the pool grows at one look (spare_want()):
 * spares short, clients that waited less the sessions that ended, and
 * held sessions counted at once on a second look in a row.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "pool.h"

static struct spare_look
look(int idle, int queued, int waited, int ended)
{
	struct spare_look k;

	k.min = 4;
	k.idle = idle;
	k.queued = queued;
	k.waited = waited;
	k.ended = ended;
	k.room = 1000;
	return k;
}

START_TEST(test_spares)
{
	struct spare_look k = look(1, 0, 0, 0);
	int	 held = 0;

	ck_assert_int_eq(spare_want(&k, &held), 3);
	ck_assert_int_eq(held, 0);
	k = look(10, 0, 0, 0);
	ck_assert_int_eq(spare_want(&k, &held), 0);
	ck_assert_int_eq(held, 0);
}
END_TEST

/* 256 clients of short sessions: the queue drains on its own. */
START_TEST(test_short_sessions)
{
	struct spare_look k = look(0, 248, 248, 450);
	int	 held = 0;

	ck_assert_int_eq(spare_want(&k, &held), 0);
	ck_assert_int_eq(held, 0);
	/* a slower turnover than the queue: what it leaves waiting */
	k = look(0, 100, 80, 30);
	ck_assert_int_eq(spare_want(&k, &held), 4 + 80 - 30);
}
END_TEST

/* A burst of held sessions: waited ones first, then the whole queue. */
START_TEST(test_held_burst)
{
	struct spare_look k = look(0, 90, 0, 0);
	int	 held = 0;

	ck_assert_int_eq(spare_want(&k, &held), 4);
	ck_assert_int_eq(held, 1);
	k = look(0, 110, 90, 0);
	ck_assert_int_eq(spare_want(&k, &held), 4 + 110);
	ck_assert_int_eq(held, 1);
	/* the forked ones are starting: they count as idle, not twice */
	k = look(114, 130, 110, 0);
	ck_assert_int_eq(spare_want(&k, &held), 20);
	ck_assert_int_eq(held, 1);
}
END_TEST

/* A session ended within the short look: only the spares count. */
START_TEST(test_short_look)
{
	struct spare_look k = look(0, 200, 200, 3);
	int	 held = 1;

	ck_assert_int_eq(spare_want(&k, &held), 4);
	ck_assert_int_eq(held, 0);
	/* the next look is a whole tick again, with the usual rule */
	k = look(0, 200, 200, 450);
	ck_assert_int_eq(spare_want(&k, &held), 0);
	ck_assert_int_eq(held, 0);
}
END_TEST

/* At max-workers there is nothing to fork: no quick looks. */
START_TEST(test_full)
{
	struct spare_look k = look(0, 50, 50, 0);
	int	 held = 1;

	k.room = 0;
	spare_want(&k, &held);
	ck_assert_int_eq(held, 0);
}
END_TEST

static Suite *
spare_suite(void)
{
	Suite	*s = suite_create("spare");
	TCase	*tc = tcase_create("want");

	tcase_add_test(tc, test_spares);
	tcase_add_test(tc, test_short_sessions);
	tcase_add_test(tc, test_held_burst);
	tcase_add_test(tc, test_short_look);
	tcase_add_test(tc, test_full);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(spare_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
