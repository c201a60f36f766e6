/*
 * serve4.c: a SOCKS4 or SOCKS4a session: one request, one reply.  The
 * USERID is logged, never trusted; SOCKS4 has no authentication, so it
 * counts as method none and is refused where none is not offered.
 */
#include "config.h"

#include <stdio.h>

#include "conf.h"
#include "proto.h"
#include "session.h"

/* SOCKS4 has CONNECT and BIND; the same handlers as SOCKS5. */
static const struct command commands[] = {
	{ S5_CMD_CONNECT,	cmd_connect },
	{ S5_CMD_BIND,		cmd_bind },
	{ 0,			NULL }
};

static ssize_t
parse_request(const uint8_t *buf, size_t len, void *out)
{
	return s4_parse_request(buf, len, out);
}

/* A SOCKS4 client is method none: served only where none is offered. */
static int
none_allowed(const struct session *s)
{
	const uint8_t	*m;
	int		 i, n;

	m = conf_methods(s->s_conf, (const struct sockaddr *)&s->s_local, &n);
	for (i = 0; i < n; i++)
		if (m[i] == S5_METHOD_NONE)
			return 1;
	return 0;
}

void
socks4_serve(struct session *s)
{
	const struct command	*c;
	struct s4_request	 req;
	ssize_t			 n;

	s->s_state = SS_REQUEST;
	n = session_read_msg(s, parse_request, &req);
	if (n == SR_CLIENT)
		return;
	if (n <= 0) {
		if (n == P_BAD) {	/* 8 bytes or more: the command too */
			s->s_cmd = req.r_cmd;
			session_why(s, "malformed SOCKS4 request: %s",
			    req.r_bad);
		} else
			session_why(s, "malformed SOCKS4 request");
		session_reply(s, S5_REP_FAIL, NULL);
		return;
	}
	s->s_cmd = req.r_cmd;
	s->s_dst = req.r_dst;
	/* raw, as sent: escaped where it is logged, and only there */
	snprintf(s->s_user, sizeof(s->s_user), "%s", req.r_userid);
	if (!none_allowed(s)) {
		session_why(s, "SOCKS4 has no authentication, and methods "
		    "does not list none");
		session_reply(s, S5_REP_NOTALLOWED, NULL);
		return;
	}
	if ((c = command_find(commands, req.r_cmd)) == NULL) {
		session_why(s, "unsupported SOCKS4 command 0x%02x", req.r_cmd);
		session_reply(s, S5_REP_BADCMD, NULL);
		return;
	}
	if (session_limited(s) == -1)
		return;
	if (session_allowed(s) == -1)
		return;
	c->handler(s);
}
