/*
 * explain.c: `sockd -n` lists the rules as parsed; `sockd -n -q QUERY`
 * walks them for one question and prints which rule decides and why,
 * resolving a destination name only when the answer depends on it.
 */
#include "config.h"

#include <sys/socket.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "connect.h"
#include "explain.h"
#include "proto.h"
#include "rules.h"

#define EXPLAIN_MAXADDRS	16
#define WHYLEN			4096

static void
list_set(FILE *fp, enum rule_set set, const struct rule *rules, int n)
{
	char	 buf[WHYLEN];
	int	 i;

	fprintf(fp, "%s rules:\n", rule_set_name(set));
	if (n == 0)
		fprintf(fp, "  (none: every %s is blocked)\n",
		    set == RULESET_CLIENT ? "client" : "request");
	for (i = 0; i < n; i++)
		fprintf(fp, "  #%d %s:%d  %s\n", rules[i].r_number,
		    rules[i].r_file, rules[i].r_line, rule_format(&rules[i],
		    buf, sizeof(buf)));
}

void
explain_rules(const struct sockd_conf *c, FILE *fp)
{
	list_set(fp, RULESET_CLIENT, c->c_client_rules, c->c_nclient_rules);
	list_set(fp, RULESET_SOCKS, c->c_socks_rules, c->c_nsocks_rules);
}

/*
 * Walk the rules for q, printing each one looked at: the index of the
 * rule that decides, or -1 (none matched).  *maybe: it depends on the
 * address of the name.
 */
static int
walk(FILE *fp, const char *indent, const struct rule *rules, int n,
    const struct rule_query *q, int *maybe)
{
	static const char *const said[] = { "no match", "match", "depends" };
	char	 why[WHYLEN];
	int	 i, m;

	*maybe = 0;
	for (i = 0; i < n; i++) {
		m = rule_eval(&rules[i], q, why, sizeof(why));
		fprintf(fp, "%s#%d %s:%d  %s: %s\n", indent, rules[i].r_number,
		    rules[i].r_file, rules[i].r_line, said[m], why);
		if (m == RULE_NOMATCH)
			continue;
		*maybe = m == RULE_MAYBE;
		return i;
	}
	return -1;
}

/* The verdict line; 1 when the rule (or no rule) passes. */
static int
verdict(FILE *fp, const char *indent, enum rule_set set, const struct rule *r)
{
	if (r == NULL) {
		fprintf(fp, "%s=> block: no %s rule matched\n", indent,
		    rule_set_name(set));
		return 0;
	}
	fprintf(fp, "%s=> %s by %s rule #%d (%s:%d)\n", indent,
	    rule_action_name(r->r_action), rule_set_name(set), r->r_number,
	    r->r_file, r->r_line);
	return r->r_action == RULE_PASS;
}

static int
query_client(const struct sockd_conf *c, const struct rule_query *q, FILE *fp)
{
	int	 i, maybe;

	fprintf(fp, "client rules:\n");
	i = walk(fp, "  ", c->c_client_rules, c->c_nclient_rules, q, &maybe);
	return verdict(fp, "  ", RULESET_CLIENT, i < 0 ? NULL :
	    &c->c_client_rules[i]);
}

/* A CONNECT to one of this proxy's listeners (cmd_connect.c)? */
static int
self_listener(const struct sockd_conf *c, const struct rule_query *q)
{
	struct sockaddr_storage	 dst;

	if (q->q_cmd != S5_CMD_CONNECT || q->q_port == 0)
		return 0;
	memcpy(&dst, &q->q_addr, sizeof(dst));
	addr_set_port((struct sockaddr *)&dst, q->q_port);
	return connect_is_self(c, (struct sockaddr *)&dst, NULL);
}

/* Refused whatever the rules say (cmd_connect.c, cmd_udp.c): 1 if so. */
static int
nowhere(const struct sockd_conf *c, const struct rule_query *q, FILE *fp,
    const char *indent)
{
	if (q->q_cmd == S5_CMD_BIND || q->q_addr.ss_family == AF_UNSPEC)
		return 0;
	if (addr_is_nowhere((const struct sockaddr *)&q->q_addr)) {
		fprintf(fp, "%s=> block: 0.0.0.0/8 and :: are refused as "
		    "destinations (0.0.0.0 and :: reach this host on Linux, "
		    "and RFC 1122 bars the rest)\n", indent);
		return 1;
	}
	if (self_listener(c, q)) {
		fprintf(fp, "%s=> block: the destination is this proxy's own "
		    "listener (REP 0x02 whatever the rules say)\n", indent);
		return 1;
	}
	return 0;
}

/* name's addresses, as the daemon asks; NULL, said why (fails), if none. */
static struct addrinfo *
query_resolve(const char *name, int socktype, const char *fails, FILE *fp)
{
	struct addrinfo	 hints, *res;
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		fprintf(fp, "  cannot resolve %s (%s): %s\n", name,
		    gai_strerror(rc), fails);
		return NULL;
	}
	return res;
}

/* The name's addresses, each checked as the daemon checks it. */
static int
query_addresses(const struct sockd_conf *c, struct rule_query *q, FILE *fp)
{
	struct addrinfo	*res, *ai;
	char		 a[INET6_ADDRSTRLEN];
	int		 i, n = 0, maybe, passes = 0;

	if ((res = query_resolve(q->q_name, SOCK_STREAM, "the daemon would "
	    "fail the request", fp)) == NULL)
		return 0;
	for (ai = res; ai != NULL && n < EXPLAIN_MAXADDRS; ai = ai->ai_next,
	    n++) {
		memcpy(&q->q_addr, ai->ai_addr, ai->ai_addrlen);
		addr_unmap(&q->q_addr);
		fprintf(fp, "  %s resolves to %s:\n", q->q_name, addr_ntop_host(
		    (struct sockaddr *)&q->q_addr, a, sizeof(a)));
		if (nowhere(c, q, fp, "    "))
			continue;
		i = walk(fp, "    ", c->c_socks_rules, c->c_nsocks_rules, q,
		    &maybe);
		passes += verdict(fp, "    ", RULESET_SOCKS, i < 0 ? NULL :
		    &c->c_socks_rules[i]);
	}
	freeaddrinfo(res);
	memset(&q->q_addr, 0, sizeof(q->q_addr));
	fprintf(fp, "  => %s: %d of %d addresses may be connected to\n",
	    passes ? "pass" : "block", passes, n);
	return passes > 0;
}

/*
 * A UDP datagram to a name whose rule needs its address: the relay
 * resolves it and decides on the first address, where it would go.
 */
static int
query_udp_name(const struct sockd_conf *c, struct rule_query *q, FILE *fp)
{
	struct addrinfo	*res, *ai;
	char		 a[INET6_ADDRSTRLEN];
	int		 i, maybe, pass;

	if ((res = query_resolve(q->q_name, SOCK_DGRAM, "the relay would "
	    "drop the datagram", fp)) == NULL)
		return 0;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			break;
	if (ai == NULL) {
		freeaddrinfo(res);
		return 0;
	}
	memcpy(&q->q_addr, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	addr_unmap(&q->q_addr);
	fprintf(fp, "  %s resolves to %s first, where a datagram goes:\n",
	    q->q_name, addr_ntop_host((struct sockaddr *)&q->q_addr, a,
	    sizeof(a)));
	pass = !nowhere(c, q, fp, "    ");
	if (pass) {
		i = walk(fp, "    ", c->c_socks_rules, c->c_nsocks_rules, q,
		    &maybe);
		pass = verdict(fp, "    ", RULESET_SOCKS, i < 0 ? NULL :
		    &c->c_socks_rules[i]);
	}
	memset(&q->q_addr, 0, sizeof(q->q_addr));
	return pass;
}

/* A UDP association whose first rule waits for the destinations. */
static int
query_udp(const struct sockd_conf *c, const struct rule_query *q, FILE *fp)
{
	int	 i;

	if (rule_any_pass(c->c_socks_rules, c->c_nsocks_rules, q, &i)) {
		fprintf(fp, "  => pass: the association is made; the rules "
		    "decide each datagram's destination\n");
		return 1;
	}
	if (i >= 0)
		fprintf(fp, "  => block: rule #%d blocks every destination the "
		    "rules before it do not\n", c->c_socks_rules[i].r_number);
	else
		fprintf(fp, "  => block: no rule passes any destination\n");
	return 0;
}

/*
 * A CONNECT to a name the rules passed by name: the daemon still resolves
 * it and refuses the addresses that are this proxy (or 0.0.0.0, ::).
 * 1, said why, when none is left to connect to.
 */
static int
name_only_self(const struct sockd_conf *c, struct rule_query *q, FILE *fp)
{
	struct addrinfo	 hints, *res, *ai;
	int		 left = 0;

	if (q->q_cmd != S5_CMD_CONNECT || q->q_name[0] == '\0' ||
	    q->q_addr.ss_family != AF_UNSPEC || q->q_port == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if (getaddrinfo(q->q_name, NULL, &hints, &res) != 0)
		return 0;	/* the connect fails: not this question */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		memcpy(&q->q_addr, ai->ai_addr, ai->ai_addrlen);
		addr_unmap(&q->q_addr);
		left += !addr_is_nowhere((struct sockaddr *)&q->q_addr) &&
		    !self_listener(c, q);
	}
	freeaddrinfo(res);
	memset(&q->q_addr, 0, sizeof(q->q_addr));
	if (left > 0)
		return 0;
	fprintf(fp, "  => block: every address of %s is this proxy's own "
	    "listener or unspecified (REP 0x02 whatever the rules say)\n",
	    q->q_name);
	return 1;
}

static int
query_socks(const struct sockd_conf *c, struct rule_query *q, FILE *fp)
{
	int	 i, maybe;

	fprintf(fp, "socks rules:\n");
	if (nowhere(c, q, fp, "  "))
		return 0;
	i = walk(fp, "  ", c->c_socks_rules, c->c_nsocks_rules, q, &maybe);
	if (i >= 0 && maybe && q->q_anydst)
		return query_udp(c, q, fp);
	if (i >= 0 && maybe && q->q_cmd == S5_CMD_UDP)
		return query_udp_name(c, q, fp);
	if (i >= 0 && maybe && q->q_cmd != S5_CMD_CONNECT &&
	    q->q_cmd != S5_CMD_BIND) {
		fprintf(fp, "  => block: rule #%d needs the address of %s, "
		    "and only connect, bind and UDP datagrams resolve a "
		    "name before deciding\n", c->c_socks_rules[i].r_number,
		    q->q_name);
		return 0;
	}
	if (i >= 0 && maybe)
		return query_addresses(c, q, fp);
	return verdict(fp, "  ", RULESET_SOCKS, i < 0 ? NULL :
	    &c->c_socks_rules[i]) && !name_only_self(c, q, fp);
}

/* Would the listener offer the query's method?  Said why when not. */
static int
query_method(const struct sockd_conf *c, const struct rule_query *q,
    FILE *fp)
{
	const uint8_t	*ms;
	int		 n;

	ms = conf_methods(c, (const struct sockaddr *)&q->q_listen, &n);
	if (memchr(ms, q->q_method, n) != NULL)
		return 1;
	fprintf(fp, "methods:\n  => block: the listener does not offer "
	    "method %s (the client gets method 0xFF)\n",
	    q->q_method == S5_METHOD_PASSWORD ? "password" : "none");
	return 0;
}

/* Does any rule look at the listener a client reached? */
static int
rules_name_listeners(const struct sockd_conf *c)
{
	int	 i;

	for (i = 0; i < c->c_nclient_rules; i++)
		if (c->c_client_rules[i].r_nlisten > 0)
			return 1;
	for (i = 0; i < c->c_nsocks_rules; i++)
		if (c->c_socks_rules[i].r_nlisten > 0)
			return 1;
	return 0;
}

/*
 * The query's listener when it names none: the first one.  A wildcard
 * is no address a client reaches, so when rules tell listeners apart
 * the query must say which (-1, said why).
 */
static int
default_listen(const struct sockd_conf *c, struct rule_query *q)
{
	const struct listen_addr *la = &c->c_listen[0];

	if (addr_is_nowhere((const struct sockaddr *)&la->la_addr) &&
	    rules_name_listeners(c)) {
		fprintf(stderr, "query: the first listener, %s, takes any "
		    "address, and rules name listeners: say which address "
		    "the client reached (listen ADDRESS:PORT)\n",
		    la->la_str);
		return -1;
	}
	q->q_listen = la->la_addr;
	return 0;
}

/*
 * Answer a query: 0 when it would pass, 1 when blocked, 2 when the
 * query itself is wrong.
 */
int
explain_query(const struct sockd_conf *c, const char *text, FILE *fp)
{
	struct rule_query	 q;
	char			 err[256];
	int			 given, pass;

	if ((given = rule_query_parse(text, &q, err, sizeof(err))) == -1) {
		fprintf(stderr, "query: %s\n", err);
		return 2;
	}
	if (!(given & RQ_LISTEN) && c->c_nlisten > 0) {
		if (default_listen(c, &q) == -1)
			return 2;
	} else if ((given & RQ_LISTEN) && conf_listener(c,
	    (const struct sockaddr *)&q.q_listen) == NULL) {
		fprintf(stderr, "query: %s has no listener that takes "
		    "connections to that listen address\n", c->c_file);
		return 2;
	}
	pass = query_client(c, &q, fp) && query_method(c, &q, fp);
	/* a UDP association without a destination: the request itself */
	q.q_anydst = !(given & RQ_TO) && q.q_cmd == S5_CMD_UDP;
	if (pass && ((given & RQ_TO) || q.q_anydst))
		pass = query_socks(c, &q, fp);
	fprintf(fp, "decision: %s\n", pass ? "pass" : "block");
	return pass ? 0 : 1;
}
