/*
 * burst.c: "sockbench client --mode burst": many clients that arrive at
 * once.  A burst starts --conc sessions paced evenly over --spread
 * seconds; each does the handshake and one echo, holds the session for
 * --hold seconds and closes, so the live sessions build up to --conc.
 * --bursts of them run --pause apart; the first --warm-bursts (the ones
 * that let a pool grow) are not counted.  The main thread announces each
 * burst and waits until every thread has finished it; the threads pace
 * the starts (burst_refill).  Time-to-reply is from just before connect()
 * to the complete CONNECT reply, as in the sessions mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define BURST_POLL_MS	10
#define BURST_LEAD_NS	100000000LL	/* announced this long before */
#define BURST_SLACK_S	2		/* beyond what a burst can take */

/* What the main thread learns of one burst. */
struct burst_sum {
	struct bench_stats	 bs_lat;	/* its time-to-reply samples */
	uint64_t		 bs_failed;
	uint64_t		 bs_dropped;
	uint64_t		 bs_closed;
	int			 bs_live_max;	/* sessions held at once */
};

/*
 * Thread side, from scen_refill: start every slot of the announced burst
 * at its time.  Slot j of thread i is client j * threads + i of the
 * burst, which starts i/conc of the spread after the burst does.
 */
int
burst_refill(struct worker *w, int64_t now)
{
	const struct bench_opts	*o = w->w_opts;
	int64_t			 t0, at;
	int			 b, started = 0;

	b = __atomic_load_n(&w->w_pub_burst, __ATOMIC_ACQUIRE);
	if (b < 0)
		return 0;
	t0 = __atomic_load_n(&w->w_pub_t0, __ATOMIC_ACQUIRE);
	if (b != w->w_burst) {		/* a new burst: every slot again */
		w->w_burst = b;
		w->w_started = 0;
	}
	while (w->w_started < w->w_max) {
		at = t0 + (int64_t)(o->o_spread * 1e9 *
		    (w->w_started * o->o_threads + w->w_id) / o->o_conc);
		if (at > now) {
			w->w_wake = at;
			return started;
		}
		conn_start(w, &w->w_conns[w->w_started++]);
		started++;
	}
	w->w_wake = 0;
	/* The release makes w_st readable to the main thread. */
	if (w->w_nconns == 0 &&
	    __atomic_load_n(&w->w_pub_bdone, __ATOMIC_ACQUIRE) != b)
		__atomic_store_n(&w->w_pub_bdone, b, __ATOMIC_RELEASE);
	return started;
}

/* Sessions held now, over every thread (as published at each tick). */
static int
live_now(struct worker *ws, int n)
{
	int64_t	 live = 0;
	int	 i;

	for (i = 0; i < n; i++)
		live += (int64_t)(__atomic_load_n(&ws[i].w_pub_opened,
		    __ATOMIC_ACQUIRE) - __atomic_load_n(&ws[i].w_pub_closed,
		    __ATOMIC_ACQUIRE) - __atomic_load_n(&ws[i].w_pub_dropped,
		    __ATOMIC_ACQUIRE));
	return live < 0 ? 0 : (int)live;
}

static int
all_done(struct worker *ws, int n, int b)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (__atomic_load_n(&ws[i].w_pub_bdone, __ATOMIC_ACQUIRE) != b)
			return 0;
	return 1;
}

static uint64_t
failures(const struct bench_stats *st)
{
	return st->st_err_connect + st->st_err_socks + st->st_err_io +
	    st->st_err_timeout;
}

/*
 * The threads have finished burst b and start nothing before the next
 * one is announced: their counters and samples can be read.  Take what
 * is new since the last burst (the counters are cumulative).
 */
static void
collect(struct worker *ws, int n, struct burst_sum *sum, size_t *taken,
    struct burst_sum *before)
{
	const struct bench_stats *st;
	int			 i;

	for (i = 0; i < n; i++) {
		st = &ws[i].w_st;
		stats_add_us(&sum->bs_lat, st->st_lat + taken[i],
		    st->st_nlat - taken[i]);
		taken[i] = st->st_nlat;
		sum->bs_failed += failures(st);
		sum->bs_dropped += st->st_dropped;
		sum->bs_closed += st->st_sessions;
	}
	sum->bs_failed -= before->bs_failed;
	sum->bs_dropped -= before->bs_dropped;
	sum->bs_closed -= before->bs_closed;
	before->bs_failed += sum->bs_failed;
	before->bs_dropped += sum->bs_dropped;
	before->bs_closed += sum->bs_closed;
}

/* Announce burst b, wait for its end; -1 when it overran its deadline. */
static int
one_burst(const struct bench_opts *o, struct worker *ws, int n, int b,
    struct burst_sum *sum)
{
	int64_t	 t0 = mono_ns() + BURST_LEAD_NS, limit;
	int	 i, live;

	limit = t0 + (int64_t)((o->o_spread + 2 * o->o_timeout + o->o_hold +
	    BURST_SLACK_S) * 1e9);
	for (i = 0; i < n; i++) {
		__atomic_store_n(&ws[i].w_pub_t0, t0, __ATOMIC_RELEASE);
		__atomic_store_n(&ws[i].w_pub_burst, b, __ATOMIC_RELEASE);
	}
	while (!all_done(ws, n, b)) {
		if (mono_ns() > limit)
			return -1;
		if ((live = live_now(ws, n)) > sum->bs_live_max)
			sum->bs_live_max = live;
		usleep(BURST_POLL_MS * 1000);
	}
	return 0;
}

static void
print_burst(int b, int warm, struct burst_sum *sum)
{
	uint32_t	 p50 = stats_pct(&sum->bs_lat, 0.50);
	uint32_t	 p99 = stats_pct(&sum->bs_lat, 0.99);

	printf("burst n=%d counted=%d opened=%zu closed=%llu failed=%llu "
	    "dropped=%llu live_max=%d p50_us=%u p99_us=%u\n", b + 1, !warm,
	    sum->bs_lat.st_nlat, (unsigned long long)sum->bs_closed,
	    (unsigned long long)sum->bs_failed,
	    (unsigned long long)sum->bs_dropped, sum->bs_live_max, p50, p99);
	fflush(stdout);
}

static void
report(const struct bench_opts *o, struct burst_sum *meas,
    struct burst_sum *warm, struct bench_stats *total, int done,
    double cpu, double wall)
{
	uint32_t	 wp99 = stats_pct(&warm->bs_lat, 0.99);
	uint32_t	 p50 = stats_pct(&meas->bs_lat, 0.50);
	uint32_t	 p99 = stats_pct(&meas->bs_lat, 0.99);

	printf("result mode=burst conc=%d threads=%d bursts=%d counted=%d "
	    "sessions=%llu p50_us=%u p99_us=%u samples=%zu warm_p99_us=%u "
	    "live_max=%d failed_counted=%llu dropped=%llu "
	    "err_connect=%llu err_socks=%llu err_io=%llu err_timeout=%llu "
	    "cpu_s=%.3f wall_s=%.3f cpu_pct=%.1f\n", o->o_conc, o->o_threads,
	    done, done - o->o_warm_bursts < 0 ? 0 : done - o->o_warm_bursts,
	    (unsigned long long)meas->bs_closed, p50, p99,
	    meas->bs_lat.st_nlat, wp99, meas->bs_live_max,
	    (unsigned long long)(meas->bs_failed + meas->bs_dropped),
	    (unsigned long long)total->st_dropped,
	    (unsigned long long)total->st_err_connect,
	    (unsigned long long)total->st_err_socks,
	    (unsigned long long)total->st_err_io,
	    (unsigned long long)total->st_err_timeout, cpu, wall,
	    wall > 0 ? 100 * cpu / wall : 0);
}

/* Fold one burst into the warm-up or the counted summary. */
static void
fold(struct burst_sum *to, struct burst_sum *from)
{
	stats_add_us(&to->bs_lat, from->bs_lat.st_lat, from->bs_lat.st_nlat);
	to->bs_failed += from->bs_failed;
	to->bs_dropped += from->bs_dropped;
	to->bs_closed += from->bs_closed;
	if (from->bs_live_max > to->bs_live_max)
		to->bs_live_max = from->bs_live_max;
	stats_free(&from->bs_lat);
}

/* Run the bursts; each thread holds its share of the --conc slots. */
static int
run_bursts(const struct bench_opts *o, struct worker *ws, int n,
    struct burst_sum *meas, struct burst_sum *warm)
{
	struct burst_sum	 sum, before;
	size_t			 taken[BENCH_MAXTHREADS];
	int			 b;

	memset(taken, 0, sizeof(taken));
	memset(&before, 0, sizeof(before));
	for (b = 0; b < o->o_bursts; b++) {
		if (b > 0)
			usleep((useconds_t)(o->o_pause * 1e6));
		memset(&sum, 0, sizeof(sum));
		if (one_burst(o, ws, n, b, &sum) == -1) {
			fprintf(stderr, "sockbench: burst %d did not end by its "
			    "deadline\n", b + 1);
			return b;
		}
		collect(ws, n, &sum, taken, &before);
		print_burst(b, b < o->o_warm_bursts, &sum);
		fold(b < o->o_warm_bursts ? warm : meas, &sum);
	}
	return b;
}

int
burst_run(const struct bench_opts *o)
{
	struct worker		 ws[BENCH_MAXTHREADS];
	struct burst_sum	 meas, warm;
	struct bench_stats	 total;
	double			 cpu0 = cpu_seconds();
	int64_t			 t0 = mono_ns(), end;
	int			 i, n = o->o_threads, done;

	memset(ws, 0, sizeof(ws));
	memset(&meas, 0, sizeof(meas));
	memset(&warm, 0, sizeof(warm));
	memset(&total, 0, sizeof(total));
	for (i = 0; i < n; i++) {
		ws[i].w_max = o->o_conc / n + (i < o->o_conc % n);
		ws[i].w_burst = ws[i].w_pub_burst = ws[i].w_pub_bdone = -1;
	}
	end = (int64_t)(o->o_bursts * (o->o_spread + 2 * o->o_timeout +
	    o->o_hold + o->o_pause + BURST_SLACK_S + 1) * 1e9);
	if (loop_start(o, ws, n, end) == -1)
		return 1;
	done = run_bursts(o, ws, n, &meas, &warm);
	loop_stop();
	loop_join(ws, n, &total);
	report(o, &meas, &warm, &total, done, cpu_seconds() - cpu0,
	    (mono_ns() - t0) / 1e9);
	stats_free(&meas.bs_lat);
	stats_free(&warm.bs_lat);
	stats_free(&total);
	return done == o->o_bursts ? 0 : 1;
}
