/*
 * socks5.c: RFC 1928 and RFC 1929 messages, parsed from and built into
 * caller buffers.  Pure: no I/O, no allocation, no logging, no globals.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "proto.h"

/*
 * +----+----------+----------+
 * |VER | NMETHODS | METHODS  |
 * +----+----------+----------+
 * | 1  |    1     | 1 to 255 |
 */
ssize_t
s5_parse_greeting(const uint8_t *buf, size_t len, struct s5_greeting *g)
{
	if (len < 1)
		return P_MORE;
	if (buf[0] != SOCKS5_VERSION)
		return P_BADVER;
	if (len < 2)
		return P_MORE;
	if (buf[1] == 0)
		return P_BAD;
	if (len < 2 + (size_t)buf[1])
		return P_MORE;
	g->g_nmethods = buf[1];
	memcpy(g->g_methods, buf + 2, buf[1]);
	return 2 + buf[1];
}

int
s5_greeting_has(const struct s5_greeting *g, uint8_t method)
{
	return memchr(g->g_methods, method, g->g_nmethods) != NULL;
}

/*
 * The method to answer a greeting with: the first of ours, in our order
 * of preference, that the client offers; S5_METHOD_NOACCEPT when none.
 */
uint8_t
s5_choose_method(const uint8_t *ours, size_t n, const struct s5_greeting *g)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s5_greeting_has(g, ours[i]))
			return ours[i];
	return S5_METHOD_NOACCEPT;
}

/*
 * ATYP, then DST.ADDR and DST.PORT, shared by requests and UDP headers.
 * Returns the bytes used, P_MORE, P_BADATYP or P_BAD.
 */
static ssize_t
parse_addr(const uint8_t *buf, size_t len, struct socks_addr *a)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->sa_addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a->sa_addr;
	size_t			 alen;

	if (len < 1)
		return P_MORE;
	memset(a, 0, sizeof(*a));
	a->sa_atyp = buf[0];
	switch (buf[0]) {
	case S5_ATYP_IPV4:
		alen = 4;
		break;
	case S5_ATYP_IPV6:
		alen = 16;
		break;
	case S5_ATYP_NAME:
		if (len < 2)
			return P_MORE;
		if (buf[1] == 0)
			return P_BAD;
		alen = 1 + buf[1];
		break;
	default:
		return P_BADATYP;
	}
	if (len < 1 + alen + 2)
		return P_MORE;
	a->sa_port = (uint16_t)(buf[1 + alen] << 8 | buf[2 + alen]);
	if (buf[0] == S5_ATYP_IPV4) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, buf + 1, 4);
		sin->sin_port = htons(a->sa_port);
	} else if (buf[0] == S5_ATYP_IPV6) {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, buf + 1, 16);
		sin6->sin6_port = htons(a->sa_port);
	} else {
		if (memchr(buf + 2, '\0', buf[1]) != NULL)
			return P_BAD;
		memcpy(a->sa_name, buf + 2, buf[1]);
		a->sa_name[buf[1]] = '\0';
		addr_unbracket(a->sa_name);
	}
	return 1 + alen + 2;
}

/*
 * +----+-----+-------+------+----------+----------+
 * |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
 * +----+-----+-------+------+----------+----------+
 * | 1  |  1  | X'00' |  1   | Variable |    2     |
 */
ssize_t
s5_parse_request(const uint8_t *buf, size_t len, struct s5_request *r)
{
	ssize_t	 n;

	if (len < 1)
		return P_MORE;
	if (buf[0] != SOCKS5_VERSION)
		return P_BADVER;
	if (len < 3)
		return P_MORE;
	r->r_cmd = buf[1];
	if ((n = parse_addr(buf + 3, len - 3, &r->r_dst)) <= 0)
		return n;
	return 3 + n;
}

/*
 * +----+------+----------+------+----------+
 * |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
 * +----+------+----------+------+----------+
 * | 1  |  1   | 1 to 255 |  1   | 1 to 255 |
 * An empty UNAME or PASSWD is P_BAD, with u_user (maybe "") filled for
 * the log and u_pass empty.
 */
ssize_t
s5_parse_userpass(const uint8_t *buf, size_t len, struct s5_userpass *u)
{
	size_t	 ulen, plen;

	if (len < 1)
		return P_MORE;
	if (buf[0] != SOCKS5_AUTH_VERSION)
		return P_BADVER;
	if (len < 2)
		return P_MORE;
	ulen = buf[1];
	if (len < 2 + ulen + 1)
		return P_MORE;
	plen = buf[2 + ulen];
	if (len < 3 + ulen + plen)
		return P_MORE;
	u->u_ulen = (uint8_t)ulen;
	memcpy(u->u_user, buf + 2, ulen);
	u->u_user[ulen] = '\0';
	if (ulen == 0 || plen == 0) {
		u->u_plen = 0;
		u->u_pass[0] = '\0';
		return P_BAD;
	}
	u->u_plen = (uint8_t)plen;
	memcpy(u->u_pass, buf + 3 + ulen, plen);
	u->u_pass[plen] = '\0';
	return 3 + ulen + plen;
}

/*
 * +----+------+------+----------+----------+----------+
 * |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
 * +----+------+------+----------+----------+----------+
 * | 2  |  1   |  1   | Variable |    2     | Variable |
 * A datagram is complete or nothing: a short one is P_BAD.
 */
ssize_t
s5_parse_udphdr(const uint8_t *buf, size_t len, struct s5_udphdr *u)
{
	ssize_t	 n;

	if (len < 4)
		return P_BAD;
	if (buf[0] != 0 || buf[1] != 0)
		return P_BAD;
	u->u_frag = buf[2];
	n = parse_addr(buf + 3, len - 3, &u->u_dst);
	if (n == P_MORE)
		return P_BAD;
	if (n < 0)
		return n;
	return 3 + n;
}

/* ATYP, address and port of sa; an unknown family is 0.0.0.0:0. */
static size_t
build_addr(uint8_t *buf, size_t len, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	if (sa != NULL && sa->sa_family == AF_INET6) {
		if (len < 19)
			return 0;
		buf[0] = S5_ATYP_IPV6;
		memcpy(buf + 1, &sin6->sin6_addr, 16);
		memcpy(buf + 17, &sin6->sin6_port, 2);
		return 19;
	}
	if (len < 7)
		return 0;
	buf[0] = S5_ATYP_IPV4;
	if (sa != NULL && sa->sa_family == AF_INET) {
		memcpy(buf + 1, &sin->sin_addr, 4);
		memcpy(buf + 5, &sin->sin_port, 2);
	} else
		memset(buf + 1, 0, 6);
	return 7;
}

/*
 * +----+-----+-------+------+----------+----------+
 * |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
 * +----+-----+-------+------+----------+----------+
 * Returns the reply's length, 0 when buf is too small.
 */
size_t
s5_build_reply(uint8_t *buf, size_t len, uint8_t rep,
    const struct sockaddr *bnd)
{
	size_t	 n;

	if (len < 3)
		return 0;
	buf[0] = SOCKS5_VERSION;
	buf[1] = rep;
	buf[2] = 0;
	if ((n = build_addr(buf + 3, len - 3, bnd)) == 0)
		return 0;
	return 3 + n;
}

size_t
s5_build_udphdr(uint8_t *buf, size_t len, const struct sockaddr *from)
{
	size_t	 n;

	if (len < 3)
		return 0;
	buf[0] = buf[1] = buf[2] = 0;
	if ((n = build_addr(buf + 3, len - 3, from)) == 0)
		return 0;
	return 3 + n;
}

static const char *const rep_names[] = {
	"succeeded", "general failure", "not allowed by ruleset",
	"network unreachable", "host unreachable", "connection refused",
	"TTL expired", "command not supported", "address type not supported",
};

const char *
s5_rep_str(uint8_t rep)
{
	if (rep < sizeof(rep_names) / sizeof(rep_names[0]))
		return rep_names[rep];
	return "unknown";
}

/* A request's command for the log: any byte but 1-3 is "unknown". */
const char *
s5_cmd_str(uint8_t cmd)
{
	static const char *const names[] = { "unknown", "connect", "bind",
	    "udpassociate" };

	if (cmd < sizeof(names) / sizeof(names[0]))
		return names[cmd];
	return "unknown";
}

/* A destination for the log: printable name or address, then port. */
char *
socks_addr_str(const struct socks_addr *a, char *buf, size_t len)
{
	char	 name[4 * S5_MAXNAME + 1];

	if (a->sa_atyp == S5_ATYP_NAME) {
		log_printable(name, sizeof(name), a->sa_name,
		    strlen(a->sa_name));
		/* a name with a colon (an IPv6 literal) is bracketed */
		snprintf(buf, len, strchr(name, ':') != NULL ? "[%s]:%u" :
		    "%s:%u", name, a->sa_port);
	} else if (a->sa_atyp == S5_ATYP_IPV4 || a->sa_atyp == S5_ATYP_IPV6)
		addr_ntop((const struct sockaddr *)&a->sa_addr, buf, len);
	else
		snprintf(buf, len, "-");
	return buf;
}
