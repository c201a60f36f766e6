/*
 * check_climit.c: the per-client rate table (climit.c): a fixed window
 * per client address, counted across processes, with eviction that can
 * only forget a count, never refuse a stranger.
 */
#include "config.h"

#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "climit.h"
#include "log.h"

static struct sockaddr_storage
ip(const char *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	return ss;
}

#define HIT(t, a, now)	ratetab_hit((t), (struct sockaddr *)&(a), (now), 3, 1000)

/* rate 3 per 1000 ms: the window opens at the first session */
START_TEST(test_window)
{
	struct ratetab		*t = ratetab_new();
	struct sockaddr_storage	 a = ip("192.0.2.1");

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(HIT(t, a, 10000), 0);
	ck_assert_int_eq(HIT(t, a, 10100), 0);
	ck_assert_int_eq(HIT(t, a, 10999), 0);
	ck_assert_int_eq(HIT(t, a, 10999), -1);	/* the 4th in the window */
	ck_assert_int_eq(HIT(t, a, 10999), -1);	/* refusals do not count... */
	ck_assert_int_eq(HIT(t, a, 11000), 0);	/* ...a new window opens */
	ck_assert_int_eq(HIT(t, a, 11001), 0);
	ck_assert_int_eq(HIT(t, a, 11002), 0);
	ck_assert_int_eq(HIT(t, a, 11003), -1);
}
END_TEST

/* Addresses are counted apart; the port never matters. */
START_TEST(test_clients_apart)
{
	struct ratetab		*t = ratetab_new();
	struct sockaddr_storage	 a = ip("192.0.2.1"), b = ip("192.0.2.2");
	struct sockaddr_storage	 v6 = ip("2001:db8::1");
	int			 i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(HIT(t, a, 5000 + i), 0);
	((struct sockaddr_in *)&a)->sin_port = htons(4242);
	ck_assert_int_eq(HIT(t, a, 5010), -1);
	ck_assert_int_eq(HIT(t, b, 5010), 0);
	ck_assert_int_eq(HIT(t, v6, 5010), 0);
}
END_TEST

/* More clients than slots: old counts are dropped, nobody new refused. */
START_TEST(test_flood)
{
	struct ratetab		*t = ratetab_new();
	struct sockaddr_storage	 a;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a;
	uint32_t		 i;

	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	for (i = 0; i < 20000; i++) {
		sin->sin_addr.s_addr = htonl(0x0a000000 + i);
		ck_assert_int_eq(HIT(t, a, 7000), 0);
	}
}
END_TEST

/* Forked processes share the table: 4 children x 10 tries, 3 pass. */
START_TEST(test_shared)
{
	struct ratetab		*t = ratetab_new();
	struct sockaddr_storage	 a = ip("198.51.100.7");
	int			 i, j, status, passed = 0;
	int			 p[2];
	char			 c;

	ck_assert_int_eq(pipe(p), 0);
	for (i = 0; i < 4; i++) {
		if (fork() != 0)
			continue;
		for (j = 0; j < 10; j++)
			if (HIT(t, a, 9000) == 0)
				write(p[1], "x", 1);
		_exit(0);
	}
	close(p[1]);
	for (i = 0; i < 4; i++)
		wait(&status);
	while (read(p[0], &c, 1) == 1)
		passed++;
	ck_assert_int_eq(passed, 3);
}
END_TEST

static Suite *
climit_suite(void)
{
	Suite	*s = suite_create("climit");
	TCase	*tc = tcase_create("ratetab");

	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_clients_apart);
	tcase_add_test(tc, test_flood);
	tcase_add_test(tc, test_shared);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(climit_suite());
	int	 failed;

	log_init("check_climit", 1, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
