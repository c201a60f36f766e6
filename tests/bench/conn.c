/*
 * conn.c: one client connection from connect() to the CONNECT reply:
 * TCP connect, method negotiation, RFC 1929 when asked, the request.
 * Each state has one handler; after the reply, scenario.c takes over.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void	on_connecting(struct conn *, uint32_t);
static void	on_method(struct conn *, uint32_t);
static void	on_auth(struct conn *, uint32_t);
static void	on_request(struct conn *, uint32_t);

static void (*const handlers[CS_NSTATES])(struct conn *, uint32_t) = {
	[CS_CONNECTING] = on_connecting,
	[CS_METHOD] = on_method,
	[CS_AUTH] = on_auth,
	[CS_REQUEST] = on_request,
	[CS_ECHO] = scen_event,
	[CS_HOLD] = scen_event,
	[CS_STREAM] = scen_event,
};

static const char *const state_names[CS_NSTATES] = {
	"free", "connecting", "method", "auth", "request", "echo", "hold",
	"stream"
};

static int
direct(const struct bench_opts *o)
{
	return o->o_proxy.sin_port == 0;
}

void
conn_watch(struct conn *c, uint32_t events)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	epoll_ctl(c->c_w->w_epfd, EPOLL_CTL_MOD, c->c_fd, &ev);
}

void
conn_close(struct conn *c)
{
	if (c->c_state == CS_FREE)
		return;
	if (c->c_state < CS_ECHO)
		c->c_w->w_inflight--;
	close(c->c_fd);
	c->c_fd = -1;
	c->c_state = CS_FREE;
	c->c_inlen = c->c_outlen = c->c_outoff = 0;
	c->c_w->w_nconns--;
}

/* Count the failure, say why (a few times per thread), close. */
void
conn_fail(struct conn *c, uint64_t *counter, const char *why)
{
	struct worker	*w = c->c_w;

	(*counter)++;
	if (w->w_errmsgs++ < BENCH_MAXERRMSG)
		fprintf(stderr, "sockbench: thread %d: %s (in %s)\n",
		    w->w_id, why, state_names[c->c_state]);
	conn_close(c);
}

/* Write all of buf or keep the rest for EPOLLOUT; -1 on error. */
int
conn_send(struct conn *c, const void *buf, size_t len)
{
	ssize_t	 n;

	if (len > sizeof(c->c_out))
		return -1;
	n = send(c->c_fd, buf, len, MSG_NOSIGNAL);
	if (n == -1 && errno != EAGAIN)
		return -1;
	if (n == -1)
		n = 0;
	if ((size_t)n == len) {
		conn_watch(c, EPOLLIN);
		return 0;
	}
	memcpy(c->c_out, (const uint8_t *)buf + n, len - n);
	c->c_outoff = 0;
	c->c_outlen = len - n;
	conn_watch(c, EPOLLIN | EPOLLOUT);
	return 0;
}

/* Flush what conn_send kept; -1 on error. */
int
conn_flush(struct conn *c)
{
	ssize_t	 n;

	if (c->c_outlen == 0)
		return 0;
	n = send(c->c_fd, c->c_out + c->c_outoff, c->c_outlen, MSG_NOSIGNAL);
	if (n == -1)
		return errno == EAGAIN ? 0 : -1;
	c->c_outoff += n;
	c->c_outlen -= n;
	if (c->c_outlen == 0)
		conn_watch(c, EPOLLIN);
	return 0;
}

/* Append what the socket has to c_in; -1 on error or EOF. */
static int
fill_in(struct conn *c)
{
	ssize_t	 n;

	if (c->c_inlen == sizeof(c->c_in))
		return -1;
	n = recv(c->c_fd, c->c_in + c->c_inlen, sizeof(c->c_in) - c->c_inlen,
	    0);
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	c->c_inlen += n;
	return 0;
}

static void
consume_in(struct conn *c, size_t n)
{
	memmove(c->c_in, c->c_in + n, c->c_inlen - n);
	c->c_inlen -= n;
}

/* Common part of every handshake handler: flush, read; 0 to go on. */
static int
pump(struct conn *c, uint32_t events)
{
	if ((events & EPOLLOUT) && conn_flush(c) == -1) {
		conn_fail(c, &c->c_w->w_st.st_err_io, "send failed");
		return -1;
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && fill_in(c) == -1) {
		conn_fail(c, &c->c_w->w_st.st_err_io,
		    "connection closed during the handshake");
		return -1;
	}
	return 0;
}

static void
established(struct conn *c)
{
	c->c_ttr = mono_ns() - c->c_t0;
	c->c_w->w_inflight--;
	scen_established(c);
}

static void
send_request(struct conn *c)
{
	const struct bench_opts *o = c->c_w->w_opts;
	uint8_t	 msg[7 + 255];
	size_t	 len;

	if (o->o_name != NULL)
		len = s5_connect_name(msg, sizeof(msg), o->o_name,
		    o->o_target.sin_port);
	else
		len = s5_connect(msg, sizeof(msg), &o->o_target);
	c->c_state = CS_REQUEST;
	if (conn_send(c, msg, len) == -1)
		conn_fail(c, &c->c_w->w_st.st_err_io, "send failed");
}

static void
send_greeting(struct conn *c)
{
	uint8_t	 msg[4];
	size_t	 len;

	len = s5_greeting(msg, sizeof(msg), c->c_w->w_opts->o_user != NULL);
	c->c_state = CS_METHOD;
	if (conn_send(c, msg, len) == -1)
		conn_fail(c, &c->c_w->w_st.st_err_io, "send failed");
}

static void
on_connecting(struct conn *c, uint32_t events)
{
	int		 err = 0;
	socklen_t	 len = sizeof(err);

	if (getsockopt(c->c_fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		conn_fail(c, &c->c_w->w_st.st_err_connect, strerror(err));
		return;
	}
	if (direct(c->c_w->w_opts))
		established(c);
	else
		send_greeting(c);
}

static void
on_method(struct conn *c, uint32_t events)
{
	const struct bench_opts	*o = c->c_w->w_opts;
	uint8_t			 msg[520];
	int			 n, method;
	size_t			 len;

	if (pump(c, events) == -1 ||
	    (n = s5_method_reply(c->c_in, c->c_inlen, &method)) == 0)
		return;
	if (n == -1 || method != (o->o_user != NULL ? 0x02 : 0x00)) {
		conn_fail(c, &c->c_w->w_st.st_err_socks, "method refused");
		return;
	}
	consume_in(c, n);
	if (o->o_user == NULL) {
		send_request(c);
		return;
	}
	len = s5_auth(msg, sizeof(msg), o->o_user, o->o_pass);
	c->c_state = CS_AUTH;
	if (conn_send(c, msg, len) == -1)
		conn_fail(c, &c->c_w->w_st.st_err_io, "send failed");
}

static void
on_auth(struct conn *c, uint32_t events)
{
	int	 n, status;

	if (pump(c, events) == -1 ||
	    (n = s5_auth_reply(c->c_in, c->c_inlen, &status)) == 0)
		return;
	if (n == -1 || status != 0) {
		conn_fail(c, &c->c_w->w_st.st_err_socks, "password refused");
		return;
	}
	consume_in(c, n);
	send_request(c);
}

static void
on_request(struct conn *c, uint32_t events)
{
	char	 why[64];
	int	 n, rep;

	if (pump(c, events) == -1 ||
	    (n = s5_connect_reply(c->c_in, c->c_inlen, &rep)) == 0)
		return;
	if (n == -1 || rep != 0) {
		snprintf(why, sizeof(why), "CONNECT refused, reply %d",
		    n == -1 ? -1 : rep);
		conn_fail(c, &c->c_w->w_st.st_err_socks, why);
		return;
	}
	consume_in(c, n);
	established(c);
}

/*
 * With --sources N, take the source address round robin from 127.0.0.1 to
 * 127.0.0.N, the port still chosen at connect(): N times the ephemeral
 * ports, so fast session loops do not run out of them.
 */
static int
bind_source(struct worker *w, int fd)
{
	struct sockaddr_in	 sin;
	int			 one = 1;

	if (w->w_opts->o_sources <= 1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001 +
	    w->w_nextsrc++ % (unsigned int)w->w_opts->o_sources);
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one)) == -1)
		return -1;
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static int
open_socket(struct worker *w, struct conn *c)
{
	struct epoll_event	 ev;
	int			 one = 1;

	c->c_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->c_fd == -1)
		return -1;
	if (bind_source(w, c->c_fd) == -1) {
		close(c->c_fd);
		return -1;
	}
	setsockopt(c->c_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(w->w_epfd, EPOLL_CTL_ADD, c->c_fd, &ev) == -1) {
		close(c->c_fd);
		return -1;
	}
	return 0;
}

/* Start a connection in a free slot; -1 (counted) when it failed. */
int
conn_start(struct worker *w, struct conn *c)
{
	const struct bench_opts	*o = w->w_opts;
	const struct sockaddr_in *to;

	to = direct(o) ? &o->o_target : &o->o_proxy;
	memset(c, 0, sizeof(*c));
	c->c_w = w;
	c->c_t0 = mono_ns();
	c->c_deadline = c->c_t0 + (int64_t)(o->o_timeout * 1e9);
	if (open_socket(w, c) == -1) {
		w->w_st.st_err_connect++;
		c->c_state = CS_FREE;
		return -1;
	}
	c->c_state = CS_CONNECTING;
	w->w_nconns++;
	w->w_inflight++;
	if (connect(c->c_fd, (const struct sockaddr *)to, sizeof(*to)) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail(c, &w->w_st.st_err_connect, strerror(errno));
		return -1;
	}
	return 0;
}

void
conn_event(struct conn *c, uint32_t events)
{
	if (c->c_state > CS_FREE && c->c_state < CS_NSTATES)
		handlers[c->c_state](c, events);
}

/*
 * Fail every handshake or echo that has passed its deadline; end the
 * burst sessions held long enough.
 */
void
conn_sweep(struct worker *w, int64_t now)
{
	struct conn	*c;
	int		 i, burst = w->w_opts->o_mode == MODE_BURST;

	for (i = 0; i < w->w_max; i++) {
		c = &w->w_conns[i];
		if (c->c_state == CS_HOLD && burst && now >= c->c_deadline)
			scen_hold_over(c);
		if (c->c_state == CS_FREE || c->c_state == CS_HOLD ||
		    c->c_state == CS_STREAM || now < c->c_deadline)
			continue;
		conn_fail(c, &w->w_st.st_err_timeout, "timed out");
	}
}
