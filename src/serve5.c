/*
 * serve5.c: a SOCKS5 session (RFC 1928): greeting and method choice,
 * then the request, handed to the command's handler.
 */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "proto.h"
#include "session.h"

static const struct command commands[] = {
	{ S5_CMD_CONNECT,	cmd_connect },
	{ S5_CMD_BIND,		cmd_bind },
	{ S5_CMD_UDP,		cmd_udp },
	{ 0,			NULL }
};

static ssize_t
parse_greeting(const uint8_t *buf, size_t len, void *out)
{
	return s5_parse_greeting(buf, len, out);
}

static ssize_t
parse_request(const uint8_t *buf, size_t len, void *out)
{
	return s5_parse_request(buf, len, out);
}

static int
negotiate(struct session *s)
{
	struct s5_greeting	 g;
	uint8_t			 answer[2] = { SOCKS5_VERSION, 0 };
	const uint8_t		*ours;
	int			 nours;
	ssize_t			 n;

	n = session_read_msg(s, parse_greeting, &g);
	if (n == SR_CLIENT)
		return -1;
	if (n == P_BADVER) {
		session_why(s, "bad version in greeting");
		return -1;
	}
	ours = conf_methods(s->s_conf, (struct sockaddr *)&s->s_local, &nours);
	answer[1] = n == P_BAD ? S5_METHOD_NOACCEPT :
	    s5_choose_method(ours, nours, &g);
	if (session_send(s, answer, sizeof(answer)) == -1)
		return -1;
	s->s_method = answer[1];
	if (answer[1] == S5_METHOD_NOACCEPT) {
		session_why(s, n == P_BAD ? "greeting offers no methods" :
		    "no acceptable authentication method");
		return -1;
	}
	if (answer[1] == S5_METHOD_PASSWORD)
		return auth_userpass(s);
	return 0;
}

/*
 * Read the request; on a malformed one, answer it and return -1.  A
 * name no host can have (empty, or with a NUL byte) returns 1: its
 * answer, 0x04, comes after the command's and the client limits'.
 */
static int
read_request(struct session *s, struct s5_request *req)
{
	ssize_t	 n;

	n = session_read_msg(s, parse_request, req);
	if (n > 0) {
		s->s_cmd = req->r_cmd;
		s->s_dst = req->r_dst;
		return 0;
	}
	if (n == P_BAD) {	/* the only malformed field: the name */
		s->s_cmd = req->r_cmd;
		return 1;
	}
	if (n == P_BADVER)
		session_why(s, "bad version in request");
	else if (n == P_BADATYP) {
		s->s_cmd = req->r_cmd;	/* read, and answered */
		session_why(s, "unknown address type");
		session_reply(s, S5_REP_BADATYP, NULL);
	}
	return -1;
}

void
socks5_serve(struct session *s)
{
	const struct command	*c;
	struct s5_request	 req;
	int			 bad_name;

	if (negotiate(s) == -1)
		return;
	s->s_state = SS_REQUEST;
	if ((bad_name = read_request(s, &req)) == -1)
		return;
	if ((c = command_find(commands, req.r_cmd)) == NULL) {
		session_why(s, "unsupported command 0x%02x", req.r_cmd);
		session_reply(s, S5_REP_BADCMD, NULL);
		return;
	}
	if (session_limited(s) == -1)
		return;
	if (bad_name) {
		session_why(s, "bad name: empty or with a NUL byte");
		session_reply(s, S5_REP_HOSTUNREACH, NULL);
		return;
	}
	if (session_allowed(s) == -1)
		return;
	c->handler(s);
}
