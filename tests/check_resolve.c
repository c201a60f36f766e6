/*
 * check_resolve.c: the bounded lookup (resolve.c): an answer comes back
 * as getaddrinfo() gives it, and a stop signal seen while waiting ends
 * the lookup even when the answer came in the same wait, since the
 * signal is spent and nothing later would see it.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <check.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>

#include "log.h"
#include "netio.h"
#include "resolve.h"

#define TRIES	50

static volatile sig_atomic_t	 stopped;
static sigset_t			 open_mask;

static void
on_stop(int sig)
{
	(void)sig;
	stopped = 1;
}

/* As the worker's hook: -1 (give up) once the stop signal came. */
static int
stop_hook(void)
{
	return stopped ? -1 : 0;
}

static int
lookup(const char *host, struct addrinfo **res)
{
	struct addrinfo	 hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	*res = NULL;
	return resolve_timed(host, "80", &hints, now_ms() + 5000, res);
}

START_TEST(test_answer)
{
	struct addrinfo	*res;

	ck_assert_int_eq(lookup("127.0.0.1", &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(res->ai_family, AF_INET);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port),
	    80);
	freeaddrinfo(res);
}
END_TEST

#ifdef HAVE_GETADDRINFO_A
/*
 * The signal is made pending while blocked, so it is taken as soon as
 * the wait opens the mask, while the lookup thread runs; the lookup of
 * a literal then ends at once, in that same wait.  When the lookup ends
 * before the wait begins, the signal is still pending: that try does
 * not count, and the signal is taken here.
 */
START_TEST(test_stop_with_answer)
{
	struct sigaction sa;
	struct addrinfo	*res;
	sigset_t	 block;
	int		 i, rc, seen = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&open_mask);
	netio_waitmask(&open_mask);
	netio_sighook(stop_hook);
	for (i = 0; i < TRIES && seen < 5; i++) {
		stopped = 0;
		raise(SIGUSR2);
		rc = lookup("127.0.0.1", &res);
		if (!stopped) {
			if (rc == 0)
				freeaddrinfo(res);
			sigprocmask(SIG_UNBLOCK, &block, NULL);
			sigprocmask(SIG_BLOCK, &block, NULL);
			continue;
		}
		seen++;
		ck_assert_int_eq(rc, RESOLVE_CANCELED);
		ck_assert_ptr_null(res);
	}
	ck_assert_int_gt(seen, 0);
	/* the hook quiet again: lookups answer as before */
	stopped = 0;
	ck_assert_int_eq(lookup("127.0.0.1", &res), 0);
	freeaddrinfo(res);
}
END_TEST
#endif

static Suite *
resolve_suite(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("resolve_timed");

	tcase_add_test(tc, test_answer);
#ifdef HAVE_GETADDRINFO_A
	tcase_add_test(tc, test_stop_with_answer);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(resolve_suite());
	int	 failed;

	log_init("check_resolve", 1, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
