/*
 * query.c: parse the question of `sockd -n -q`, e.g. "from 10.1.2.3 to
 * example.com port 443 command connect user alice", into the struct
 * rule_query the daemon builds from a session.  Pure: no I/O.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "rules.h"
#include "session.h"

#define QUERY_MAXWORD	256

struct qkey {
	const char	*k_name;
	int		 k_field;
	int		(*k_set)(struct rule_query *, const char *);
};

static int	set_from(struct rule_query *, const char *);
static int	set_port(struct rule_query *, const char *);
static int	set_command(struct rule_query *, const char *);
static int	set_method(struct rule_query *, const char *);
static int	set_user(struct rule_query *, const char *);
static int	set_listen(struct rule_query *, const char *);

static const struct qkey qkeys[] = {
	{ "from",	RQ_FROM,	set_from },
	{ "to",		RQ_TO,		rule_query_set_dst },
	{ "port",	RQ_PORT,	set_port },
	{ "command",	RQ_COMMAND,	set_command },
	{ "method",	RQ_METHOD,	set_method },
	{ "user",	RQ_USER,	set_user },
	{ "listen",	RQ_LISTEN,	set_listen },
	{ NULL,		0,		NULL }
};

/* An address, with or without brackets for IPv6. */
static int
parse_host(const char *s, struct sockaddr_storage *ss)
{
	char		 buf[QUERY_MAXWORD];
	socklen_t	 len;
	size_t		 n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (addr_parse_ip(s, ss, &len) == -1)
		return -1;
	addr_unmap(ss);
	return 0;
}

static int
set_from(struct rule_query *q, const char *s)
{
	return parse_host(s, &q->q_client);
}

/* The destination: an address, or a name to match by name. */
int
rule_query_set_dst(struct rule_query *q, const char *s)
{
	memset(&q->q_addr, 0, sizeof(q->q_addr));
	q->q_name[0] = '\0';
	if (parse_host(s, &q->q_addr) == 0)
		return 0;
	if (*s == '\0' || strlen(s) > RULE_NAMELEN || strchr(s, ' ') != NULL)
		return -1;
	strcpy(q->q_name, s);
	return 0;
}

static int
set_port(struct rule_query *q, const char *s)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return -1;
	q->q_port = (uint16_t)v;
	return 0;
}

/* A command by its rule name ("connect", ..., "udpreply"). */
static int
set_command(struct rule_query *q, const char *s)
{
	static const int cmds[] = { S5_CMD_CONNECT, S5_CMD_BIND, S5_CMD_UDP,
	    RULE_CMD_BINDREPLY, RULE_CMD_UDPREPLY };
	size_t		 i;
	int		 bit = rule_cmd_byname(s);

	for (i = 0; bit != -1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (rule_cmd_bit(cmds[i]) == (unsigned int)bit) {
			q->q_cmd = cmds[i];
			return 0;
		}
	return -1;
}

static int
set_method(struct rule_query *q, const char *s)
{
	int	 m = rule_method_byname(s);

	if (m == -1)
		return -1;
	q->q_method = m == RULE_M_PASSWORD ? S5_METHOD_PASSWORD :
	    S5_METHOD_NONE;
	return 0;
}

static int
set_user(struct rule_query *q, const char *s)
{
	if (*s == '\0' || strlen(s) >= sizeof(q->q_user))
		return -1;
	strcpy(q->q_user, s);
	return 0;
}

static int
set_listen(struct rule_query *q, const char *s)
{
	socklen_t	 len;

	return addr_parse_hostport(s, &q->q_listen, &len);
}

static void __attribute__((format(printf, 3, 4)))
query_err(char *err, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* The next blank-separated word of *sp into w; 0 at the end. */
static int
next_word(const char **sp, char *w, size_t wlen)
{
	const char	*s = *sp;
	size_t		 n = 0;

	s += strspn(s, " \t\n");
	if (*s == '\0')
		return 0;
	n = strcspn(s, " \t\n");
	if (n >= wlen)
		return -1;
	memcpy(w, s, n);
	w[n] = '\0';
	*sp = s + n;
	return 1;
}

static int
query_check(struct rule_query *q, int given, char *err, size_t len)
{
	if (!(given & RQ_FROM)) {
		query_err(err, len, "the query needs 'from ADDRESS'");
		return -1;
	}
	if ((given & RQ_TO) && !(given & RQ_PORT)) {
		query_err(err, len, "the query needs 'port N' with 'to'");
		return -1;
	}
	if (!(given & RQ_METHOD) && (given & RQ_USER))
		q->q_method = S5_METHOD_PASSWORD;
	if ((given & RQ_USER) && q->q_method != S5_METHOD_PASSWORD) {
		query_err(err, len, "a user is only known with method "
		    "password");
		return -1;
	}
	return given;
}

/*
 * "from ADDRESS [listen ADDRESS:PORT] [to HOST port N] [command C]
 * [method M] [user U]": the fields given (RQ_*), or -1 with err set.
 * Command defaults to connect, method to none (password with a user).
 */
int
rule_query_parse(const char *text, struct rule_query *q, char *err,
    size_t len)
{
	const struct qkey	*k;
	char			 key[QUERY_MAXWORD], val[QUERY_MAXWORD];
	int			 given = 0, rc;

	memset(q, 0, sizeof(*q));
	q->q_cmd = S5_CMD_CONNECT;
	q->q_method = S5_METHOD_NONE;
	while ((rc = next_word(&text, key, sizeof(key))) == 1) {
		for (k = qkeys; k->k_name != NULL; k++)
			if (strcmp(k->k_name, key) == 0)
				break;
		if (k->k_name == NULL) {
			query_err(err, len, "unknown word '%s' (from, to, "
			    "port, command, method, user, listen)", key);
			return -1;
		}
		if (next_word(&text, val, sizeof(val)) != 1 ||
		    k->k_set(q, val) == -1) {
			query_err(err, len, "bad or missing value for '%s'",
			    key);
			return -1;
		}
		given |= k->k_field;
	}
	if (rc == -1) {
		query_err(err, len, "a word is too long");
		return -1;
	}
	return query_check(q, given, err, len);
}
