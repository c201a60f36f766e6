/* addr.c: socket address helpers and CIDR matching (pure, no I/O). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

socklen_t
addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

uint16_t
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return 0;
}

void
addr_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	else if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
}

/* Parse a numeric IPv4 or IPv6 address (no port) into ss, port 0. */
int
addr_parse_ip(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "1.2.3.4:80", "[::1]:80" or "*:80" (any IPv4 address). */
int
addr_parse_hostport(const char *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*colon, *hs = s;
	size_t		 hl;
	uint16_t	 port;

	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		hs = s + 1;
		hl = colon - hs;
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = colon - s;
	}
	if (hl == 0 || hl >= sizeof(host) || parse_port(colon + 1, &port) == -1)
		return -1;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	if (addr_parse_ip(host, ss, len) == -1)
		return -1;
	if (*s != '[' && ss->ss_family == AF_INET6)
		return -1;	/* IPv6 needs brackets */
	addr_set_port((struct sockaddr *)ss, port);
	return 0;
}

char *
addr_ntop_host(const struct sockaddr *sa, char *buf, size_t len)
{
	const void	*a;

	if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else {
		snprintf(buf, len, "-");
		return buf;
	}
	if (inet_ntop(sa->sa_family, a, buf, len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* "1.2.3.4:80" or "[::1]:80" */
char *
addr_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		snprintf(buf, len, "-");
		return buf;
	}
	addr_ntop_host(sa, host, sizeof(host));
	snprintf(buf, len, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    host, addr_port(sa));
	return buf;
}

/* Turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into plain IPv4. */
void
addr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	 sin;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

/* 0.0.0.0, :: or no address at all: "any host" in a SOCKS request. */
int
addr_is_unspecified(const struct sockaddr *sa)
{
	static const uint8_t	 zero[16];

	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == 0;
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
		    zero, 16) == 0;
	return 1;
}

/*
 * A destination that is no one host, refused as one: ADDR_THISHOST for
 * 0.0.0.0, :: or ::ffff:0.0.0.0, which a connect() or sendto() on Linux
 * takes to this host, past every rule written for 127.0.0.0/8 and ::1;
 * ADDR_THISNET for the rest of 0.0.0.0/8, "this network", which RFC 1122
 * (3.2.1.3) says must not be sent to (Linux sends it to the default
 * route).  0: a host.
 */
int
addr_is_nowhere(const struct sockaddr *sa)
{
	struct sockaddr_storage	 ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return ADDR_THISHOST;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, addr_len(sa));
	addr_unmap(&ss);
	if (addr_is_unspecified((struct sockaddr *)&ss))
		return ADDR_THISHOST;
	if (ss.ss_family == AF_INET && (ntohl(sin->sin_addr.s_addr) >> 24) == 0)
		return ADDR_THISNET;
	return 0;
}

static const uint8_t *
addr_bytes(const struct sockaddr *sa, int *family)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (sa->sa_family != AF_INET6)
		return NULL;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		*family = AF_INET;
		return &sin6->sin6_addr.s6_addr[12];
	}
	return sin6->sin6_addr.s6_addr;
}

int
addr_equal_host(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t	*pa, *pb;
	int		 fa, fb;

	pa = addr_bytes(a, &fa);
	pb = addr_bytes(b, &fb);
	if (pa == NULL || pb == NULL || fa != fb)
		return 0;
	return memcmp(pa, pb, fa == AF_INET ? 4 : 16) == 0;
}

/* 127.0.0.0/8, ::ffff:127.0.0.0/104 or ::1. */
int
addr_is_loopback(const struct sockaddr *sa)
{
	const uint8_t	*p;
	int		 f;

	if ((p = addr_bytes(sa, &f)) == NULL)
		return 0;
	if (f == AF_INET)
		return p[0] == 127;
	return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)p);
}

/*
 * Does a connection to peer, which left from src, reach the listening
 * address la?  A wildcard la is reached at any address of this host:
 * a loopback one, or the very address the connection left from (a host
 * talks to its own address from that address).  src NULL: not connected
 * yet, so only the first.
 */
int
addr_reaches(const struct sockaddr *peer, const struct sockaddr *src,
    const struct sockaddr *la)
{
	if (!addr_is_unspecified(la))
		return addr_port(peer) == addr_port(la) &&
		    addr_equal_host(peer, la);
	if (!addr_on_wild_port(peer, la))
		return 0;
	return addr_is_loopback(peer) ||
	    (src != NULL && addr_equal_host(peer, src));
}

/*
 * Is la a wildcard listener that peer, of its family and port, would
 * reach if peer were one of this host's addresses?  (Listeners are
 * IPV6_V6ONLY: [::] is not reached over IPv4.)
 */
int
addr_on_wild_port(const struct sockaddr *peer, const struct sockaddr *la)
{
	int	 fp, fl;

	return addr_is_unspecified(la) && addr_port(peer) == addr_port(la) &&
	    addr_bytes(peer, &fp) != NULL && addr_bytes(la, &fl) != NULL &&
	    fp == fl;
}

/*
 * "10.0.0.0/8", "2001:db8::/32", a plain address (a host route), or
 * "0/0" / "any": every address of both families.  "0.0.0.0/0" is every
 * IPv4 address and "::/0" every IPv6 one, as in Dante.  An IPv4-mapped
 * block, "::ffff:10.0.0.0/104", is taken as the IPv4 one it maps.
 */
int
cidr_parse(const char *s, struct cidr *c)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 buf[INET6_ADDRSTRLEN + 5], *slash, *end;
	const uint8_t		*p;
	long			 prefix;
	int			 max, fam, mapped;

	memset(c, 0, sizeof(*c));
	if (strcmp(s, "0/0") == 0 || strcmp(s, "any") == 0) {
		c->c_family = AF_UNSPEC;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (addr_parse_ip(buf, &ss, &sl) == -1)
		return -1;
	p = addr_bytes((struct sockaddr *)&ss, &fam);
	mapped = ss.ss_family == AF_INET6 && fam == AF_INET;
	max = fam == AF_INET && !mapped ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		prefix = strtol(slash, &end, 10);
		if (*end != '\0' || prefix > max)
			return -1;
	}
	/* ::ffff:10.0.0.0/104 is 10.0.0.0/8; a shorter one is not IPv4 */
	if (mapped && (prefix -= 96) < 0)
		return -1;
	c->c_family = fam;
	c->c_prefix = (int)prefix;
	memcpy(c->c_addr, p, fam == AF_INET ? 4 : 16);
	return 0;
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	const uint8_t	*p;
	int		 fam, bits, i;

	if (c->c_family == AF_UNSPEC)
		return sa->sa_family == AF_INET || sa->sa_family == AF_INET6;
	if ((p = addr_bytes(sa, &fam)) == NULL || fam != c->c_family)
		return 0;
	bits = c->c_prefix;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (p[i] != c->c_addr[i])
			return 0;
	if (bits > 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));
		if ((p[i] & mask) != (c->c_addr[i] & mask))
			return 0;
	}
	return 1;
}

/*
 * Clear the bits of c's address past its prefix: whether any were set
 * ("10.0.0.1/8" is 10.0.0.0/8, which it matches anyway).
 */
int
cidr_clear_host(struct cidr *c)
{
	int	 i, bits, set = 0, n = c->c_family == AF_INET ? 4 : 16;
	uint8_t	 mask;

	if (c->c_family == AF_UNSPEC)
		return 0;
	for (i = 0; i < n; i++) {
		bits = c->c_prefix - 8 * i;
		mask = bits >= 8 ? 0xff : bits <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - bits));
		set |= (c->c_addr[i] & ~mask) != 0;
		c->c_addr[i] &= mask;
	}
	return set;
}

char *
cidr_ntop(const struct cidr *c, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (c->c_family == AF_UNSPEC) {
		snprintf(buf, len, "0/0");
		return buf;
	}
	inet_ntop(c->c_family, c->c_addr, host, sizeof(host));
	snprintf(buf, len, "%s/%d", host, c->c_prefix);
	return buf;
}

/* Is name "IPv6 literal%zone", with a zone after one '%'? */
static int
scoped_v6(const char *name)
{
	const char	*pct = strchr(name, '%');
	char		 lit[INET6_ADDRSTRLEN];
	struct in6_addr	 in6;
	size_t		 n = pct - name;

	if (pct[1] == '\0' || strchr(pct + 1, '%') != NULL ||
	    n >= sizeof(lit))
		return 0;
	memcpy(lit, name, n);
	lit[n] = '\0';
	return inet_pton(AF_INET6, lit, &in6) == 1;
}

/*
 * Could name be a host name (or an address literal) as it stands?
 * Letters, digits, '-', '_', '.', and ':' for IPv6 literals, and '%'
 * only for a scoped one ("fe80::1%eth0").
 * Anything else a resolver may rewrite (glibc decodes "\o" and "\101"
 * in a name it sends to DNS), so a name that rules saw as
 * "www.bl\ocked.example" would be looked up as www.blocked.example.
 */
int
addr_name_ok(const char *name)
{
	const unsigned char	*p = (const unsigned char *)name;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (!isalnum(*p) && strchr("-_.:%", *p) == NULL)
			return 0;
	return strchr(name, '%') == NULL || scoped_v6(name);
}

/*
 * A name that is an IPv6 literal in brackets ("[::1]", as socat and
 * URL-minded clients send it, "[fe80::1%eth0]" with a zone) loses the
 * brackets in place, so rules and connect() see the address.  Anything
 * else is left alone.
 */
void
addr_unbracket(char *name)
{
	struct in6_addr	 in6;
	size_t		 n = strlen(name);

	if (n < 3 || name[0] != '[' || name[n - 1] != ']')
		return;
	name[n - 1] = '\0';
	if (inet_pton(AF_INET6, name + 1, &in6) != 1 &&
	    (strchr(name + 1, '%') == NULL || !scoped_v6(name + 1))) {
		name[n - 1] = ']';
		return;
	}
	memmove(name, name + 1, n - 1);
}

/*
 * Would binding both a and b fail (EADDRINUSE): the same family and port,
 * and the same address or either one the wildcard?  Listeners of the two
 * families never clash (sockd binds IPv6 ones IPV6_V6ONLY).
 */
int
addr_listen_clash(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family || addr_port(a) != addr_port(b))
		return 0;
	return addr_equal_host(a, b) || addr_is_unspecified(a) ||
	    addr_is_unspecified(b);
}
