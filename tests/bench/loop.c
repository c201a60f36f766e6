/*
 * loop.c: the client's threads.  Each owns an epoll set and a share of the
 * connections, and runs until its window closes or it is told to stop.
 */
#include <sys/epoll.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int	 stopping;

void
loop_stop(void)
{
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
}

static int
loop_stopping(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
}

/* Let the main thread see how an idle or burst run is going. */
static void
publish(struct worker *w)
{
	const struct bench_stats *st = &w->w_st;
	uint64_t	 failed;

	failed = st->st_err_connect + st->st_err_socks + st->st_err_io +
	    st->st_err_timeout;
	__atomic_store_n(&w->w_pub_opened, st->st_opened, __ATOMIC_RELEASE);
	__atomic_store_n(&w->w_pub_dropped, st->st_dropped, __ATOMIC_RELEASE);
	__atomic_store_n(&w->w_pub_closed, st->st_sessions, __ATOMIC_RELEASE);
	__atomic_store_n(&w->w_pub_done, st->st_opened + failed,
	    __ATOMIC_RELEASE);
}

/* Sleep no longer than a tick, the end, or the next start due. */
static int
wait_ms(const struct worker *w, int64_t now)
{
	int64_t	 left = (w->w_end - now) / 1000000 + 1, due;

	if (w->w_wake != 0) {
		due = (w->w_wake - now + 999999) / 1000000;
		if (due < left)
			left = due < 0 ? 0 : due;
	}
	return left < BENCH_TICK_MS ? (int)left : BENCH_TICK_MS;
}

/*
 * At the end, a stream still in its handshake, or one that moved nothing
 * while the window was open, has failed: count it.  Sessions caught
 * mid-way have not; they were just late.
 */
static void
close_all(struct worker *w)
{
	struct conn	*c;
	int		 i, streams;

	streams = w->w_opts->o_mode == MODE_UP || w->w_opts->o_mode == MODE_DOWN;
	for (i = 0; i < w->w_max; i++) {
		c = &w->w_conns[i];
		if (streams && c->c_state != CS_FREE && c->c_state < CS_STREAM)
			conn_fail(c, &w->w_st.st_err_timeout,
			    "stream not established by the end");
		else if (streams && c->c_state == CS_STREAM && c->c_wbytes == 0)
			conn_fail(c, &w->w_st.st_err_timeout,
			    "stream stalled: no bytes in the window");
		conn_close(c);
	}
}

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct epoll_event	 evs[BENCH_MAXEVENTS];
	int64_t			 now, last_tick = 0;
	int			 i, n;

	scen_refill(w, mono_ns());
	while (!loop_stopping() && (now = mono_ns()) < w->w_end) {
		n = epoll_wait(w->w_epfd, evs, BENCH_MAXEVENTS, wait_ms(w, now));
		for (i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
		now = mono_ns();
		if (now - last_tick >= BENCH_TICK_MS * 1000000LL) {
			conn_sweep(w, now);
			publish(w);
			last_tick = now;
		}
		scen_refill(w, now);
	}
	close_all(w);
	publish(w);
	return NULL;
}

static int
worker_init(const struct bench_opts *o, struct worker *w, int id)
{
	w->w_id = id;
	w->w_opts = o;
	if ((w->w_epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	w->w_conns = calloc(w->w_max, sizeof(*w->w_conns));
	w->w_buf = calloc(1, BENCH_CHUNK);
	if (w->w_conns == NULL || w->w_buf == NULL) {
		free(w->w_conns);
		free(w->w_buf);
		close(w->w_epfd);
		return -1;
	}
	return 0;
}

/* Start n threads; their windows open warmup after start and close later. */
int
loop_start(const struct bench_opts *o, struct worker *ws, int n, int64_t end)
{
	int64_t	 start = mono_ns();
	int	 i;

	scen_init();
	for (i = 0; i < n; i++) {
		if (worker_init(o, &ws[i], i) == -1) {
			perror("sockbench: worker");
			return -1;
		}
		ws[i].w_start = start;
		ws[i].w_measure = start + (int64_t)(o->o_warmup * 1e9);
		ws[i].w_end = start + end;
	}
	for (i = 0; i < n; i++)
		if (pthread_create(&ws[i].w_thread, NULL, worker_main,
		    &ws[i]) != 0) {
			fprintf(stderr, "sockbench: cannot start thread %d\n",
			    i);
			loop_stop();
			while (--i >= 0)
				pthread_join(ws[i].w_thread, NULL);
			return -1;
		}
	return 0;
}

/* Wait for every thread and sum its counters into total. */
void
loop_join(struct worker *ws, int n, struct bench_stats *total)
{
	int	 i;

	for (i = 0; i < n; i++) {
		pthread_join(ws[i].w_thread, NULL);
		stats_merge(total, &ws[i].w_st);
		stats_free(&ws[i].w_st);
		close(ws[i].w_epfd);
		free(ws[i].w_conns);
		free(ws[i].w_buf);
	}
}
