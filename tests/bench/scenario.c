/*
 * scenario.c: what a connection does once its CONNECT is answered, per
 * mode: echo 64 bytes and close (sessions), echo once and hold (idle; burst
 * for --hold seconds), write to the sink (up) or read from the source
 * (down); and how free slots are refilled.  Only what falls inside the measuring window counts.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "bench.h"

#define IDLE_INFLIGHT	64	/* handshakes at once while opening */
#define STREAM_BURST	16	/* reads or writes per event */

static uint8_t	 pattern[BENCH_PAYLOAD];

static int
in_window(const struct worker *w, int64_t now)
{
	return now >= w->w_measure && now <= w->w_end;
}

/* Called once before any thread starts. */
void
scen_init(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)('a' + i % 26);
}

void
scen_established(struct conn *c)
{
	struct worker	*w = c->c_w;

	if (w->w_opts->o_mode == MODE_UP || w->w_opts->o_mode == MODE_DOWN) {
		if (w->w_opts->o_mode == MODE_DOWN && in_window(w, mono_ns()))
			w->w_st.st_bytes += c->c_inlen;
		c->c_inlen = 0;
		c->c_state = CS_STREAM;
		conn_watch(c, w->w_opts->o_mode == MODE_UP ? EPOLLOUT : EPOLLIN);
		return;
	}
	c->c_state = CS_ECHO;
	c->c_deadline = mono_ns() + (int64_t)(w->w_opts->o_timeout * 1e9);
	if (conn_send(c, pattern, sizeof(pattern)) == -1)
		conn_fail(c, &w->w_st.st_err_io, "send failed");
}

/* A session is done: count it if it ended inside the window, go again. */
void
scen_finished(struct conn *c)
{
	struct worker	*w = c->c_w;
	int64_t		 now = mono_ns();

	w->w_st.st_all_sessions++;
	if (in_window(w, now) && w->w_st.st_sessions < w->w_opts->o_maxsessions) {
		w->w_st.st_sessions++;
		if (c->c_t0 >= w->w_measure)
			stats_add_lat(&w->w_st, c->c_ttr);
	}
	conn_close(c);
	if (now < w->w_end && w->w_st.st_sessions < w->w_opts->o_maxsessions)
		conn_start(w, c);
}

static void
echo_done(struct conn *c)
{
	struct worker	*w = c->c_w;

	if (c->c_inlen != sizeof(pattern) ||
	    memcmp(c->c_in, pattern, sizeof(pattern)) != 0) {
		conn_fail(c, &w->w_st.st_err_io, "echo came back wrong");
		return;
	}
	c->c_inlen = 0;
	if (w->w_opts->o_mode == MODE_SESSIONS) {
		scen_finished(c);
		return;
	}
	w->w_st.st_opened++;
	c->c_state = CS_HOLD;
	if (w->w_opts->o_mode == MODE_BURST) {
		stats_add_lat(&w->w_st, c->c_ttr);
		c->c_deadline = mono_ns() + (int64_t)(w->w_opts->o_hold * 1e9);
	}
	conn_watch(c, EPOLLIN);
}

/* A burst session has been held for --hold seconds: it is done. */
void
scen_hold_over(struct conn *c)
{
	c->c_w->w_st.st_sessions++;
	c->c_w->w_st.st_all_sessions++;
	conn_close(c);
}

static void
echo_event(struct conn *c, uint32_t events)
{
	ssize_t	 n;

	if ((events & EPOLLOUT) && conn_flush(c) == -1) {
		conn_fail(c, &c->c_w->w_st.st_err_io, "send failed");
		return;
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0)
		return;
	n = recv(c->c_fd, c->c_in + c->c_inlen, sizeof(c->c_in) - c->c_inlen,
	    0);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		conn_fail(c, &c->c_w->w_st.st_err_io, "closed before the echo");
		return;
	}
	c->c_inlen += n;
	if (c->c_inlen >= sizeof(pattern))
		echo_done(c);
}

/* An idle session should hear nothing; EOF or reset means dropped. */
static void
hold_event(struct conn *c, uint32_t events)
{
	struct worker	*w = c->c_w;
	ssize_t		 n;

	n = recv(c->c_fd, c->c_in, sizeof(c->c_in), 0);
	if (n == -1 && errno == EAGAIN)
		return;
	w->w_st.st_dropped++;
	conn_close(c);
}

static void
stream_end(struct conn *c, const char *why)
{
	struct worker	*w = c->c_w;

	if (mono_ns() < w->w_end)
		conn_fail(c, &w->w_st.st_err_io, why);
	else
		conn_close(c);
}

static void
up_event(struct conn *c, uint32_t events)
{
	struct worker	*w = c->c_w;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < STREAM_BURST; i++) {
		n = send(c->c_fd, w->w_buf, BENCH_CHUNK, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			stream_end(c, "stream to the sink broke");
			return;
		}
		w->w_st.st_all_bytes += n;
		if (in_window(w, mono_ns())) {
			w->w_st.st_bytes += n;
			c->c_wbytes += n;
		}
	}
}

static void
down_event(struct conn *c, uint32_t events)
{
	struct worker	*w = c->c_w;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < STREAM_BURST; i++) {
		n = recv(c->c_fd, w->w_buf, BENCH_CHUNK, 0);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			stream_end(c, "stream from the source broke");
			return;
		}
		w->w_st.st_all_bytes += n;
		if (in_window(w, mono_ns())) {
			w->w_st.st_bytes += n;
			c->c_wbytes += n;
		}
	}
}

void
scen_event(struct conn *c, uint32_t events)
{
	switch (c->c_state) {
	case CS_ECHO:
		echo_event(c, events);
		break;
	case CS_HOLD:
		hold_event(c, events);
		break;
	case CS_STREAM:
		if (c->c_w->w_opts->o_mode == MODE_UP)
			up_event(c, events);
		else
			down_event(c, events);
		break;
	default:
		break;
	}
}

/*
 * Start connections in free slots.  Idle runs try each slot once, a few
 * handshakes at a time; bursts start each slot once per burst, at its
 * time (burst.c); the others restart any free slot until the end.
 */
int
scen_refill(struct worker *w, int64_t now)
{
	int	 i, target, started = 0;

	if (w->w_opts->o_mode == MODE_BURST)
		return burst_refill(w, now);
	if (w->w_opts->o_mode == MODE_IDLE) {
		target = __atomic_load_n(&w->w_target, __ATOMIC_ACQUIRE);
		while (w->w_started < target && w->w_inflight < IDLE_INFLIGHT) {
			conn_start(w, &w->w_conns[w->w_started++]);
			started++;
		}
		return started;
	}
	if (now >= w->w_end || w->w_st.st_sessions >= w->w_opts->o_maxsessions)
		return 0;
	for (i = 0; i < w->w_target; i++)
		if (w->w_conns[i].c_state == CS_FREE) {
			conn_start(w, &w->w_conns[i]);
			started++;
		}
	return started;
}
