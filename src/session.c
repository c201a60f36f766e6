/*
 * session.c: a session's life: the first byte picks the protocol, the
 * protocol code negotiates and acts, and the end is one log line.
 */
#include "config.h"

#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "netio.h"
#include "relay.h"
#include "scoreboard.h"
#include "session.h"

void
session_init(struct session *s, const struct sockd_conf *conf, int cfd,
    const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
    uint64_t id)
{
	uint8_t	*buf = s->s_buf, *buf2 = s->s_buf2;
	size_t	 size = s->s_bufsize;
	int	(*on_signal)(void) = s->s_on_signal;
	socklen_t sl;

	memset(s, 0, sizeof(*s));
	s->s_buf = buf;
	s->s_buf2 = buf2;
	s->s_bufsize = size;
	s->s_on_signal = on_signal;
	s->s_id = id;
	s->s_conf = conf;
	s->s_cfd = cfd;
	s->s_tfd = -1;
	s->s_rep = -1;
	s->s_cmd = -1;
	s->s_start = now_ms();
	s->s_deadline = s->s_start + conf->c_negotiate_timeout * 1000LL;
	s->s_client = *peer;
	addr_unmap(&s->s_client);
	sl = sizeof(s->s_local);
	if (local != NULL)
		s->s_local = *local;
	else
		getsockname(cfd, (struct sockaddr *)&s->s_local, &sl);
	sb_session_begin(id, &s->s_client);
}

void
session_why(struct session *s, const char *fmt, ...)
{
	va_list	 ap;

	if (s->s_why[0] != '\0')
		return;		/* the first reason is the real one */
	va_start(ap, fmt);
	vsnprintf(s->s_why, sizeof(s->s_why), fmt, ap);
	va_end(ap);
}

/* A second cause of the same end, after the first: "first; second". */
void
session_why_also(struct session *s, const char *fmt, ...)
{
	size_t	 n = strlen(s->s_why);
	va_list	 ap;

	if (n > 0 && n + 2 < sizeof(s->s_why)) {
		memcpy(s->s_why + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(s->s_why + n, sizeof(s->s_why) - n, fmt, ap);
	va_end(ap);
}

int
session_send(struct session *s, const void *buf, size_t len)
{
	int64_t	 deadline = now_ms() + s->s_conf->c_negotiate_timeout * 1000LL;
	int	 rc;

	if ((rc = write_deadline(s->s_cfd, buf, len, deadline)) == 0) {
		s->s_answered = 1;
		return 0;
	}
	if (rc == NETIO_TIMEOUT)
		session_why(s, "timeout writing to client");
	else if (errno == ECANCELED)
		session_why(s, "ended by shutdown");
	else
		session_why(s, "client write error: %s", strerror(errno));
	return -1;
}

/* Send a reply in the session's protocol version; rep is S5_REP_*. */
int
session_reply(struct session *s, uint8_t rep, const struct sockaddr *bnd)
{
	uint8_t	 buf[S5_REPLY_MAX];
	size_t	 len;

	s->s_rep = rep;
	if (s->s_version == SOCKS4_VERSION)
		len = s4_build_reply(buf, sizeof(buf),
		    rep == S5_REP_OK ? S4_REP_OK : S4_REP_FAIL, bnd);
	else
		len = s5_build_reply(buf, sizeof(buf), rep, bnd);
	return session_send(s, buf, len);
}

/*
 * Over a per-client limit (climit.c): answer the request with a general
 * failure instead of acting on it.  0 when the session may go on.
 */
int
session_limited(struct session *s)
{
	if (s->s_limit[0] == '\0')
		return 0;
	session_reply(s, S5_REP_FAIL, NULL);
	return -1;
}

/*
 * The scoreboard learns who relays where; with a TCP relay r, its byte
 * counters follow.
 */
void
session_publish(struct session *s, struct relay *r)
{
	char	 user[64], dst[160];

	log_printable(user, sizeof(user), s->s_user, strlen(s->s_user));
	socks_addr_str(&s->s_dst, dst, sizeof(dst));
	sb_session_relay(user[0] ? user : "-", dst);
	if (r == NULL)
		return;
	r->r_dir[0].rd_pub = sb_bytes(0);
	r->r_dir[1].rd_pub = sb_bytes(1);
}

/* Relay until the end, with what the client pipelined sent first. */
void
session_relay(struct session *s)
{
	struct relay	 r;

	s->s_state = SS_RELAY;
	relay_init(&r, s->s_cfd, s->s_tfd, s->s_buf, s->s_buf2, s->s_bufsize);
	session_publish(s, &r);
	r.r_dir[0].rd_off = s->s_off;
	r.r_dir[0].rd_len = s->s_len - s->s_off;
	r.r_idle_ms = s->s_conf->c_idle_timeout * 1000;
	r.r_on_signal = s->s_on_signal;
	relay_run(&r);
	s->s_bytes_out = r.r_dir[0].rd_bytes;
	s->s_bytes_in = r.r_dir[1].rd_bytes;
	session_why(s, "%s", r.r_why);
}

/* Read more of what the client sends: 0, or SR_CLIENT after logging why. */
static int
session_fill(struct session *s)
{
	ssize_t	 n;

	if (s->s_len == s->s_bufsize) {
		session_why(s, "negotiation too long");
		return SR_CLIENT;
	}
	/* the client has just been answered: its next message is not here */
	n = s->s_answered ? wait_readable(s->s_cfd, s->s_deadline) : 0;
	s->s_answered = 0;
	if (n == 0)
		n = read_deadline(s->s_cfd, s->s_buf + s->s_len,
		    s->s_bufsize - s->s_len, s->s_deadline);
	if (n > 0) {
		s->s_len += n;
		return 0;
	}
	if (n == 0)
		session_why(s, "client closed during negotiation");
	else if (n == NETIO_TIMEOUT)
		session_why(s, "negotiation timeout");
	else if (errno == ECANCELED)
		session_why(s, "ended by shutdown");
	else
		session_why(s, "client read error: %s", strerror(errno));
	return SR_CLIENT;
}

/*
 * Read from the client until parse() accepts a whole message: >0 the
 * bytes it took, a P_* code, or SR_CLIENT when the client failed us.
 */
ssize_t
session_read_msg(struct session *s, msg_parser parse, void *out)
{
	ssize_t	 n;

	for (;;) {
		n = parse(s->s_buf + s->s_off, s->s_len - s->s_off, out);
		if (n > 0)
			s->s_off += n;
		if (n != P_MORE)
			return n;
		if (session_fill(s) != 0)
			return SR_CLIENT;
	}
}

/* The UDP ASSOCIATE fields of the log line, "" for other commands. */
static void
session_log_udp(struct session *s, char *buf, size_t len)
{
	char	 relay[ADDR_STRLEN];

	buf[0] = '\0';
	if (s->s_cmd != S5_CMD_UDP || s->s_version != SOCKS5_VERSION)
		return;
	addr_ntop((struct sockaddr *)&s->s_relay, relay, sizeof(relay));
	snprintf(buf, len, " relay=%s dgrams_out=%llu dgrams_in=%llu "
	    "dropped=%llu", relay, (unsigned long long)s->s_dgrams_out,
	    (unsigned long long)s->s_dgrams_in,
	    (unsigned long long)s->s_dropped);
}

/* The reply as it went out: SOCKS4 90 or 91, or the SOCKS5 code. */
void
session_rep_str(const struct session *s, char *buf, size_t len)
{
	if (s->s_rep < 0)
		snprintf(buf, len, "-");
	else if (s->s_version == SOCKS4_VERSION)
		snprintf(buf, len, "%d(%s)", s->s_rep == S5_REP_OK ?
		    S4_REP_OK : S4_REP_FAIL, s->s_rep == S5_REP_OK ?
		    "request granted" : "request rejected or failed");
	else
		snprintf(buf, len, "0x%02x(%s)", s->s_rep,
		    s5_rep_str(s->s_rep));
}

/* The command in the protocol's own words; "-" before a request. */
static const char *
session_cmd_str(const struct session *s)
{
	if (s->s_cmd < 0)
		return "-";
	if (s->s_version == SOCKS4_VERSION)
		return s4_cmd_str(s->s_cmd);
	return s5_cmd_str(s->s_cmd);
}

/* The session's one line: at info, or at notice when a rule blocked it. */
static void
session_log(struct session *s)
{
	char	 client[ADDR_STRLEN], peer[ADDR_STRLEN], dst[4 * 256 + 8];
	char	 user[4 * 256 + 1], version[4];
	int64_t	 ms = now_ms() - s->s_start;
	char	 rep[48], udp[192];
	void	 (*logf)(const char *, ...) __attribute__((format(printf, 1,
	    2))) = s->s_notice ? log_notice : log_info;

	if (log_getlevel() < (s->s_notice ? LOG_NOTICE : LOG_INFO))
		return;		/* not a byte of it would be written */
	session_log_udp(s, udp, sizeof(udp));
	session_rep_str(s, rep, sizeof(rep));
	addr_ntop((struct sockaddr *)&s->s_client, client, sizeof(client));
	addr_ntop((struct sockaddr *)&s->s_peer, peer, sizeof(peer));
	socks_addr_str(&s->s_dst, dst, sizeof(dst));
	log_printable(user, sizeof(user), s->s_user, strlen(s->s_user));
	if (s->s_version == 0)
		snprintf(version, sizeof(version), "-");
	else
		snprintf(version, sizeof(version), "%d", s->s_version);
	logf("session %016llx: client=%s version=%s user=%s cmd=%s "
	    "target=%s remote=%s reply=%s bytes_out=%llu bytes_in=%llu%s "
	    "duration=%lld.%03llds end=\"%s\"", (unsigned long long)s->s_id,
	    client, version, user[0] ? user : "-", session_cmd_str(s), dst,
	    peer, rep, (unsigned long long)s->s_bytes_out,
	    (unsigned long long)s->s_bytes_in, udp, (long long)(ms / 1000),
	    (long long)(ms % 1000), s->s_why[0] ? s->s_why : "-");
}

static void
session_end(struct session *s)
{
	s->s_state = SS_DONE;
	session_log(s);
	session_rules_end(s);
	sb_session_end(s->s_bytes_out, s->s_bytes_in);
	if (s->s_tfd != -1)
		close(s->s_tfd);
	close(s->s_cfd);
	s->s_tfd = s->s_cfd = -1;
}

/* The first byte picks the protocol. */
static void
session_dispatch(struct session *s)
{
	int	 v = s->s_buf[0];

	if (v == SOCKS5_VERSION || v == SOCKS4_VERSION)
		s->s_version = v;	/* else none: version=- */
	if (v == SOCKS5_VERSION)
		socks5_serve(s);
	else if (v == SOCKS4_VERSION && s->s_conf->c_socks4)
		socks4_serve(s);
	else if (v == SOCKS4_VERSION)
		session_why(s, "SOCKS4 is disabled");
	else
		session_why(s, "not SOCKS: first byte 0x%02x", v);
}

void
session_run(struct session *s)
{
	if (session_client_allowed(s) == -1) {
		close(s->s_cfd);	/* not a byte read, not a byte sent */
		s->s_cfd = -1;
		return;
	}
#ifndef __linux__
	set_relay_opts(s->s_cfd);	/* Linux: from the listener */
#endif
	if (session_fill(s) == 0) {
		if (sb_is_outgoing((struct sockaddr *)&s->s_client,
		    (struct sockaddr *)&s->s_local))
			session_why(s, "client is a CONNECT of this proxy's "
			    "own: a loop through an address of this host");
		else
			session_dispatch(s);
	}
	session_end(s);
}

const struct command *
command_find(const struct command *table, uint8_t cmd)
{
	for (; table->handler != NULL; table++)
		if (table->cmd == cmd)
			return table;
	return NULL;
}
