/*
 * check_spare.c: how much the pool grows at one look (spare_want()):
 * spares short, clients that waited less the sessions that ended, and
 * held sessions counted at once on a second look in a row.  And what
 * the master makes of a scoreboard slot a worker filled with garbage.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "pool.h"
#include "scoreboard.h"

/* One look: what the master sees, and what spare_want() must answer. */
struct step {
	const char	*what;
	int		 was_held, idle, queued, waited, ended, room;
	int		 want, held;
};

/* min-spare-workers is 4 in every step. */
static const struct step steps[] = {
	{ "spares short", 0, 1, 0, 0, 0, 1000, 3, 0 },
	{ "spares enough", 0, 10, 0, 0, 0, 1000, 0, 0 },
	/* 256 closed-loop clients of short sessions: the queue drains */
	{ "short sessions", 0, 0, 248, 248, 450, 1000, 0, 0 },
	{ "slower turnover", 0, 0, 100, 80, 30, 1000, 4 + 80 - 30, 0 },
	/* a burst of held sessions: the waited ones, then the whole queue */
	{ "held, first look", 0, 0, 90, 0, 0, 1000, 4, 1 },
	{ "held, second look", 1, 0, 110, 90, 0, 1000, 4 + 110, 1 },
	/* the workers just forked are starting: idle, not counted twice */
	{ "held, forks starting", 1, 114, 130, 110, 0, 1000, 20, 1 },
	/* a session ended within the short look: only the spares count */
	{ "short look, one ended", 1, 0, 200, 200, 3, 1000, 4, 0 },
	{ "whole tick again", 0, 0, 200, 200, 450, 1000, 0, 0 },
	/* at max-workers there is nothing to fork: no short looks */
	{ "pool full", 1, 0, 50, 50, 0, 0, 4, 0 },
};

START_TEST(test_step)
{
	const struct step	*t = &steps[_i];
	struct spare_look	 k;
	int			 held = t->was_held;

	k.min = 4;
	k.idle = t->idle;
	k.queued = t->queued;
	k.waited = t->waited;
	k.ended = t->ended;
	k.room = t->room;
	ck_assert_msg(spare_want(&k, &held) == t->want, "%s: want", t->what);
	ck_assert_msg(held == t->held, "%s: held", t->what);
}
END_TEST

/*
 * A worker gone wrong writes a state no worker has and unterminated text
 * with a newline in it: the master's SIGUSR1 dump neither indexes with
 * the state nor prints past the fields or a forged line.
 */
START_TEST(test_dump_garbage)
{
	struct scoreboard	 sb;
	const char		*forged = "x\nsockd[1] master: FORGED", *out;

	ck_assert_int_eq(sb_init(&sb, 3), 0);
	sb_slot_reset(&sb, 0, 1);
	sb.sb_slots[0].sl_state = -1000000000;
	sb_slot_reset(&sb, 1, 1);
	sb.sb_slots[1].sl_state = SB_RELAY;
	memset(sb.sb_slots[1].sl_user, 'U', sizeof(sb.sb_slots[1].sl_user));
	memset(sb.sb_slots[1].sl_target, 'T',
	    sizeof(sb.sb_slots[1].sl_target));
	memcpy(sb.sb_slots[1].sl_target, forged, strlen(forged));
	sb_slot_reset(&sb, 2, 1);
	sb.sb_slots[2].sl_state = 1 << 30;
	capture_start();
	sb_dump(&sb, 1, 0);
	out = capture_end();
	ck_assert_msg(strstr(out, "workers=3 ") != NULL &&
	    strstr(out, "relaying=1 ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\nsockd[1] master: FORGED") == NULL &&
	    strstr(out, "target=x?sockd[1]") != NULL, "%s", out);
	/* 63 of the 64 bytes, then the next field */
	ck_assert_msg(strstr(out, "UUU target=") != NULL, "%s", out);
}
END_TEST

static Suite *
spare_suite(void)
{
	Suite	*s = suite_create("spare");
	TCase	*tc = tcase_create("want");

	tcase_add_loop_test(tc, test_step, 0,
	    (int)(sizeof(steps) / sizeof(steps[0])));
	tcase_add_test(tc, test_dump_garbage);
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
