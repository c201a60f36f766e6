/*
 * idle.c: "sockbench client --mode idle": hold many established sessions
 * open while the driver measures the proxy's memory.  Commands come one a
 * line on stdin: "open N" (bring the total to N, then print "ready ...")
 * and "close".  EOF or the --hold limit ends the run as "close" does.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define IDLE_POLL_MS	20

static uint64_t
sum_pub(struct worker *ws, int n, uint64_t *opened, uint64_t *dropped)
{
	uint64_t	 done = 0;
	int		 i;

	*opened = *dropped = 0;
	for (i = 0; i < n; i++) {
		done += __atomic_load_n(&ws[i].w_pub_done, __ATOMIC_ACQUIRE);
		*opened += __atomic_load_n(&ws[i].w_pub_opened,
		    __ATOMIC_ACQUIRE);
		*dropped += __atomic_load_n(&ws[i].w_pub_dropped,
		    __ATOMIC_ACQUIRE);
	}
	return done;
}

/*
 * Raise the threads' targets to total and wait until every new session
 * was tried, the --duration limit passes, or nothing opened for longer
 * than a handshake may take (the proxy holds no more).
 */
static void
open_more(const struct bench_opts *o, struct worker *ws, int n, int total,
    int64_t deadline)
{
	uint64_t	 opened, dropped, done, last = 0;
	int64_t		 t0 = mono_ns(), end, moved = t0;
	int64_t		 stall = (int64_t)((o->o_timeout + 1) * 1e9);
	int		 i;

	if (total > o->o_conc)
		total = o->o_conc;
	for (i = 0; i < n; i++)
		__atomic_store_n(&ws[i].w_target,
		    total / n + (i < total % n), __ATOMIC_RELEASE);
	end = t0 + (int64_t)(o->o_duration * 1e9);
	if (end > deadline)
		end = deadline;
	while ((done = sum_pub(ws, n, &opened, &dropped)) < (uint64_t)total &&
	    mono_ns() < end && mono_ns() - moved < stall) {
		if (opened != last) {
			last = opened;
			moved = mono_ns();
		}
		usleep(IDLE_POLL_MS * 1000);
	}
	if (done < (uint64_t)total)	/* stalled: start no more */
		for (i = 0; i < n; i++)
			__atomic_store_n(&ws[i].w_target, 0, __ATOMIC_RELEASE);
	/* Let the last publish of each thread land. */
	usleep(2 * BENCH_TICK_MS * 1000);
	done = sum_pub(ws, n, &opened, &dropped);
	printf("ready wanted=%d opened=%llu failed=%llu dropped=%llu "
	    "open_s=%.3f\n", total, (unsigned long long)opened,
	    (unsigned long long)(done - opened), (unsigned long long)dropped,
	    (mono_ns() - t0) / 1e9);
	fflush(stdout);
}

/* Next command line, or NULL at EOF, error or the deadline. */
static char *
next_command(char *buf, size_t size, int64_t deadline)
{
	struct pollfd	 pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	while (mono_ns() < deadline) {
		if (poll(&pfd, 1, 100) == 1)
			return fgets(buf, (int)size, stdin);
	}
	return NULL;
}

int
idle_run(const struct bench_opts *o, int n)
{
	struct worker		 ws[BENCH_MAXTHREADS];
	struct bench_stats	 total;
	char			 line[128];
	int64_t			 deadline;
	double			 cpu0 = cpu_seconds();
	int			 i;

	memset(ws, 0, sizeof(ws));
	memset(&total, 0, sizeof(total));
	for (i = 0; i < n; i++)
		ws[i].w_max = o->o_conc / n + (i < o->o_conc % n);
	deadline = mono_ns() + (int64_t)(o->o_hold * 1e9);
	if (loop_start(o, ws, n, (int64_t)(o->o_hold * 1e9)) == -1)
		return 1;
	while (next_command(line, sizeof(line), deadline) != NULL) {
		if (strncmp(line, "open ", 5) == 0)
			open_more(o, ws, n, atoi(line + 5), deadline);
		else if (strncmp(line, "close", 5) == 0)
			break;
	}
	loop_stop();
	loop_join(ws, n, &total);
	printf("result mode=idle opened=%llu dropped=%llu err_connect=%llu "
	    "err_socks=%llu err_io=%llu err_timeout=%llu cpu_s=%.3f\n",
	    (unsigned long long)total.st_opened,
	    (unsigned long long)total.st_dropped,
	    (unsigned long long)total.st_err_connect,
	    (unsigned long long)total.st_err_socks,
	    (unsigned long long)total.st_err_io,
	    (unsigned long long)total.st_err_timeout, cpu_seconds() - cpu0);
	stats_free(&total);
	return 0;
}
