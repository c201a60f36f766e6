/*
 * conf_lint.c: warnings about rules that work, but not as their author
 * most likely meant: rules that never match (after one that matches
 * everything, or with a listen that names no listener), and an open
 * proxy (a stranger, without a login, may CONNECT anywhere).  sockd -n,
 * a start and a reload say them; none stops the file from loading.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "proto.h"
#include "rules.h"

static void
lint_shadowed(const struct rule *r, int n, const char *set)
{
	int	 i;

	for (i = 0; i + 1 < n; i++)
		if (rule_matches_all(&r[i])) {
			log_warnx("%s:%d: %s rule #%d%s never match%s: rule "
			    "#%d (%s:%d) before it matches every session",
			    r[i + 1].r_file, r[i + 1].r_line, set,
			    r[i + 1].r_number, i + 2 < n ? " and those after "
			    "it" : "", i + 2 < n ? "" : "es", r[i].r_number,
			    r[i].r_file, r[i].r_line);
			return;
		}
}

/*
 * Could a client that came in on listener la be seen at rule address
 * l?  The same port, and the same host, or l any host ("*:P", either
 * family), or la a wildcard of l's family (its clients arrive at this
 * host's addresses).
 */
static int
listen_can_match(const struct sockaddr *l, const struct sockaddr *la)
{
	if (addr_port(l) != addr_port(la))
		return 0;
	if (addr_is_unspecified(l))
		return 1;
	if (addr_is_unspecified(la))
		return l->sa_family == la->sa_family;
	return addr_equal_host(l, la);
}

/* A client rule whose listen names no listener never matches. */
static void
lint_listen(const struct sockd_conf *c, const struct rule *r, int n)
{
	int	 i, j, k, hit;

	for (i = 0; i < n; i++) {
		hit = r[i].r_nlisten == 0;
		for (j = 0; j < r[i].r_nlisten && !hit; j++)
			for (k = 0; k < c->c_nlisten && !hit; k++)
				hit = listen_can_match((const struct sockaddr *)
				    &r[i].r_listen[j].l_addr,
				    (const struct sockaddr *)
				    &c->c_listen[k].la_addr);
		if (!hit)
			log_warnx("%s:%d: client rule #%d: no listener of "
			    "this file matches its listen: it never matches",
			    r[i].r_file, r[i].r_line, r[i].r_number);
	}
}

/* A documentation address (RFC 5737, RFC 3849) of sa's family. */
static void
stranger(struct sockaddr_storage *ss, int family, const char *v4,
    const char *v6, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		inet_pton(AF_INET, v4, &sin->sin_addr);
		sin->sin_port = htons(port);
	} else {
		inet_pton(AF_INET6, v6, &sin6->sin6_addr);
		sin6->sin6_port = htons(port);
	}
}

/*
 * Does la offer the method "none"?  (SOCKS4, which has no login, is
 * served only where it does.)
 */
static int
takes_anyone(const struct sockd_conf *c, const struct listen_addr *la)
{
	const uint8_t	*m;
	int		 i, n;

	m = conf_methods(c, (const struct sockaddr *)&la->la_addr, &n);
	for (i = 0; i < n; i++)
		if (m[i] == S5_METHOD_NONE)
			return 1;
	return 0;
}

/* The pass rule, if one decides q (no "maybe"); else NULL. */
static const struct rule *
passes(const struct rule *r, int n, const struct rule_query *q)
{
	int	 i, maybe;

	if ((i = rule_first(r, n, q, &maybe)) == -1 || maybe ||
	    r[i].r_action != RULE_PASS)
		return NULL;
	return &r[i];
}

/*
 * A stranger (a documentation address) on listener la, without a login,
 * CONNECTs to a host of family af: 1, said, if both rule sets pass it.
 */
static int
open_to(const struct sockd_conf *c, const struct listen_addr *la, int af)
{
	const struct rule	*cr, *sr;
	struct rule_query	 q;
	char			 from[ADDR_STRLEN], to[ADDR_STRLEN];

	memset(&q, 0, sizeof(q));
	stranger(&q.q_client, la->la_addr.ss_family, "192.0.2.1",
	    "2001:db8::1", 40000);
	memcpy(&q.q_listen, &la->la_addr, sizeof(q.q_listen));
	stranger(&q.q_addr, af, "198.51.100.1", "2001:db8::2", 443);
	q.q_port = 443;
	q.q_cmd = S5_CMD_CONNECT;
	q.q_method = S5_METHOD_NONE;
	if ((cr = passes(c->c_client_rules, c->c_nclient_rules, &q)) == NULL ||
	    (sr = passes(c->c_socks_rules, c->c_nsocks_rules, &q)) == NULL)
		return 0;
	log_warnx("%s: an open proxy: a client from anywhere (%s tried) on "
	    "%s may CONNECT anywhere (%s tried) without a login, by client "
	    "rule #%d (%s:%d) and socks rule #%d (%s:%d); narrow their from, "
	    "or offer only \"password\", unless that is meant", c->c_file,
	    addr_ntop_host((struct sockaddr *)&q.q_client, from,
	    sizeof(from)), la->la_str, addr_ntop((struct sockaddr *)&q.q_addr,
	    to, sizeof(to)), cr->r_number, cr->r_file, cr->r_line,
	    sr->r_number, sr->r_file, sr->r_line);
	return 1;
}

/* Each listener others can reach and that takes no login: said once. */
static void
lint_open(const struct sockd_conf *c)
{
	const struct listen_addr *la;
	int			 i;

	for (i = 0; i < c->c_nlisten; i++) {
		la = &c->c_listen[i];
		if (addr_is_loopback((const struct sockaddr *)&la->la_addr) ||
		    !takes_anyone(c, la))
			continue;
		if (open_to(c, la, AF_INET) || open_to(c, la, AF_INET6))
			return;
	}
}

void
conf_lint(const struct sockd_conf *c)
{
	lint_shadowed(c->c_client_rules, c->c_nclient_rules, "client");
	lint_shadowed(c->c_socks_rules, c->c_nsocks_rules, "socks");
	lint_listen(c, c->c_client_rules, c->c_nclient_rules);
	lint_open(c);
}
