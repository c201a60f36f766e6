/*
 * policy.c: the session's questions to the rule sets (may this client
 * come in, may this request go ahead, may this resolved address be
 * connected to, may this traffic come back in), and the log lines the
 * answers and the rules ask for.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "proto.h"
#include "rules.h"
#include "session.h"

#define RULE_REFLEN	(64 + 4096)
#define BLOCKS_LOGGED	5	/* per session: datagrams come in floods */

/*
 * "socks rule #3 (/etc/sockd.conf:42)", or "default (no socks rule
 * matched)": what comes after "blocked by".
 */
static char *
rule_ref(enum rule_set set, const struct rule *r, char *buf, size_t len)
{
	if (r == NULL)
		snprintf(buf, len, "default (no %s rule matched)",
		    rule_set_name(set));
	else
		snprintf(buf, len, "%s rule #%d (%s:%d)", rule_set_name(set),
		    r->r_number, r->r_file, r->r_line);
	return buf;
}

/* The question a session asks of the socks rules. */
static void
session_query(const struct session *s, struct rule_query *q)
{
	memset(q, 0, sizeof(*q));
	q->q_client = s->s_udp_src.ss_family != AF_UNSPEC ? s->s_udp_src :
	    s->s_client;
	q->q_listen = s->s_local;
	addr_unmap(&q->q_listen);
	q->q_port = s->s_dst.sa_port;
	q->q_cmd = s->s_cmd;
	q->q_method = s->s_version == SOCKS5_VERSION ? s->s_method :
	    S5_METHOD_NONE;
	/* only a user who proved a password; never a SOCKS4 USERID */
	if (q->q_method == S5_METHOD_PASSWORD)
		snprintf(q->q_user, sizeof(q->q_user), "%s", s->s_user);
	if (s->s_dst.sa_atyp != S5_ATYP_NAME) {
		q->q_addr = s->s_dst.sa_addr;
		addr_unmap(&q->q_addr);
	} else if (rule_query_set_dst(q, s->s_dst.sa_name) == -1)
		snprintf(q->q_name, sizeof(q->q_name), "%s", s->s_dst.sa_name);
}

/* The question about one address (traffic in, or a datagram out). */
static void
addr_query(const struct session *s, int cmd, const struct sockaddr *sa,
    struct rule_query *q)
{
	session_query(s, q);
	q->q_cmd = cmd;
	q->q_name[0] = '\0';
	memset(&q->q_addr, 0, sizeof(q->q_addr));
	memcpy(&q->q_addr, sa, addr_len(sa));
	addr_unmap(&q->q_addr);
	q->q_port = addr_port(sa);
}

static void
session_strs(const struct session *s, char *client, size_t clen, char *dst,
    size_t dlen, char *user, size_t ulen)
{
	addr_ntop((const struct sockaddr *)&s->s_client, client, clen);
	socks_addr_str(&s->s_dst, dst, dlen);
	log_printable(user, ulen, s->s_user, strlen(s->s_user));
	if (user[0] == '\0')
		snprintf(user, ulen, "-");
}

/*
 * One line per block, naming the rule, or saying none matched; after
 * BLOCKS_LOGGED in one session, one line to say the rest are not.
 */
static void
log_block(struct session *s, int cmd, const struct rule *r, const char *what)
{
	char	 client[ADDR_STRLEN], dst[4 * 256 + 8], user[4 * 256 + 1];
	char	 ref[RULE_REFLEN];

	if (++s->s_blocks > BLOCKS_LOGGED + 1)
		return;
	if (s->s_blocks > BLOCKS_LOGGED) {
		log_notice("session %016llx: more blocks, not logged",
		    (unsigned long long)s->s_id);
		return;
	}
	session_strs(s, client, sizeof(client), dst, sizeof(dst), user,
	    sizeof(user));
	log_notice("session %016llx: blocked client=%s user=%s cmd=%s "
	    "target=%s%s by %s", (unsigned long long)s->s_id, client, user,
	    rule_cmd_name(cmd), dst, what, rule_ref(RULESET_SOCKS, r, ref,
	    sizeof(ref)));
}

/*
 * A block that ends the session: its one line says so, at level notice
 * (a session's line is at info otherwise).
 */
static void
session_blocked(struct session *s, const char *what, const struct rule *r,
    const char *detail)
{
	char	 ref[RULE_REFLEN];

	session_why(s, "%sblocked by %s%s", what, rule_ref(RULESET_SOCKS, r,
	    ref, sizeof(ref)), detail);
	s->s_notice = 1;
}

/* The first socks rule that decides q for s, or NULL. */
static const struct rule *
socks_rule(const struct session *s, const struct rule_query *q, int *maybe)
{
	const struct sockd_conf	*c = s->s_conf;
	int			 i;

	i = rule_first(c->c_socks_rules, c->c_nsocks_rules, q, maybe);
	return i >= 0 ? &c->c_socks_rules[i] : NULL;
}

/* A socks rule passed the session: remember it; log if it asks. */
static void
session_passed(struct session *s, const struct rule *r)
{
	char	 client[ADDR_STRLEN], dst[4 * 256 + 8], user[4 * 256 + 1];
	char	 ref[RULE_REFLEN];

	if (s->s_srule != NULL)
		return;
	s->s_srule = r;
	if (!(r->r_log & RULE_L_CONNECT))
		return;
	session_strs(s, client, sizeof(client), dst, sizeof(dst), user,
	    sizeof(user));
	log_info("session %016llx: connect client=%s user=%s cmd=%s "
	    "target=%s passed by %s", (unsigned long long)s->s_id, client,
	    user, rule_cmd_name(s->s_cmd), dst, rule_ref(RULESET_SOCKS, r,
	    ref, sizeof(ref)));
}

/*
 * The client rule that lets this address in on s's listener; NULL, the
 * block logged, if none does.
 */
static const struct rule *
client_rule(struct session *s, const struct sockaddr_storage *from,
    const char *what)
{
	const struct sockd_conf	*c = s->s_conf;
	const struct rule	*r = NULL;
	struct rule_query	 q;
	char			 client[ADDR_STRLEN], local[ADDR_STRLEN];
	char			 ref[RULE_REFLEN];
	int			 i, maybe;

	memset(&q, 0, sizeof(q));
	q.q_client = *from;
	addr_unmap(&q.q_client);
	q.q_listen = s->s_local;
	addr_unmap(&q.q_listen);
	if ((i = rule_first(c->c_client_rules, c->c_nclient_rules, &q,
	    &maybe)) >= 0)
		r = &c->c_client_rules[i];
	if (r != NULL && r->r_action != RULE_BLOCK)
		return r;
	addr_ntop((struct sockaddr *)&q.q_client, client, sizeof(client));
	addr_ntop((struct sockaddr *)&q.q_listen, local, sizeof(local));
	rule_ref(RULESET_CLIENT, r, ref, sizeof(ref));
	log_notice("session %016llx: blocked %s=%s listener=%s by %s",
	    (unsigned long long)s->s_id, what, client, local, ref);
	return NULL;
}

/*
 * A UDP ASSOCIATE whose DST.ADDR is not the client: that host will send
 * the datagrams, so it must pass the client rules as if it connected.
 */
int
session_source_allowed(struct session *s, const struct sockaddr_storage *src)
{
	return client_rule(s, src, "udp source") != NULL ? 0 : -1;
}

/*
 * Client rules, at accept time, before a byte is read: 0 to serve the
 * client, -1 (after logging why) to close it at once.
 */
int
session_client_allowed(struct session *s)
{
	const struct rule	*r;
	char			 client[ADDR_STRLEN], local[ADDR_STRLEN];
	char			 ref[RULE_REFLEN];
	struct sockaddr_storage	 listen = s->s_local;

	if ((r = client_rule(s, &s->s_client, "client")) == NULL)
		return -1;
	s->s_crule = r;
	if (!(r->r_log & RULE_L_CONNECT))
		return 0;
	addr_unmap(&listen);
	addr_ntop((struct sockaddr *)&s->s_client, client, sizeof(client));
	addr_ntop((struct sockaddr *)&listen, local, sizeof(local));
	rule_ref(RULESET_CLIENT, r, ref, sizeof(ref));
	log_info("session %016llx: accepted client=%s listener=%s by "
	    "%s", (unsigned long long)s->s_id, client, local, ref);
	return 0;
}

/*
 * A UDP association whose first rule waits for each datagram's
 * destination: 0 if some destination can pass; -1 if none can, *r then
 * the rule that blocks them all (NULL: no rule passes any).
 */
static int
udp_none_pass(const struct session *s, const struct rule_query *q,
    const struct rule **r)
{
	const struct sockd_conf	*c = s->s_conf;
	int			 i;

	if (rule_any_pass(c->c_socks_rules, c->c_nsocks_rules, q, &i))
		return 0;
	*r = i >= 0 ? &c->c_socks_rules[i] : NULL;
	return -1;
}

/*
 * Socks rules, after the request and authentication.  Let through here
 * and decided later: a CONNECT or BIND to a name whose answer depends
 * on its addresses (session_addr_filter decides each), and a UDP
 * association whose answer depends on where its datagrams go, if a
 * rule can pass some (session_udp_dst_allowed decides each).  On a
 * block: reply 0x02, -1; the session's reason starts with what.
 */
static int
socks_allowed(struct session *s, const char *what)
{
	const struct rule	*r;
	struct rule_query	 q;
	int			 maybe;

	session_query(s, &q);
	q.q_anydst = s->s_cmd == S5_CMD_UDP;
	r = socks_rule(s, &q, &maybe);
	if (r != NULL && maybe && s->s_cmd == S5_CMD_UDP &&
	    udp_none_pass(s, &q, &r) == -1)
		maybe = 0;	/* r blocks every destination, or none passes */
	if (r != NULL && maybe && (s->s_cmd == S5_CMD_CONNECT ||
	    s->s_cmd == S5_CMD_BIND || s->s_cmd == S5_CMD_UDP))
		return 0;
	if (r != NULL && !maybe && r->r_action == RULE_PASS) {
		session_passed(s, r);
		return 0;
	}
	session_blocked(s, what, r, maybe ? " (its address is not known yet)" :
	    "");
	session_reply(s, S5_REP_NOTALLOWED, NULL);
	return -1;
}

int
session_allowed(struct session *s)
{
	return socks_allowed(s, "");
}

/*
 * A UDP ASSOCIATE whose DST.ADDR is another host (src): that host sends
 * the datagrams, so the socks rules' `from` must pass it as well as the
 * client, as Dante asks them of each datagram's source; from here on it
 * is the client in every question of the association.  On a block:
 * reply 0x02, -1.
 */
int
session_udp_src_allowed(struct session *s, const struct sockaddr_storage *src)
{
	char	 what[ADDR_STRLEN + 16], a[ADDR_STRLEN];

	s->s_udp_src = *src;
	snprintf(what, sizeof(what), "UDP source %s ", addr_ntop_host(
	    (const struct sockaddr *)src, a, sizeof(a)));
	return socks_allowed(s, what);
}

/*
 * Each address a name resolved to, before connecting: the socks rules
 * again, with the address as well as the name.  Non-zero: skip it.  A
 * block is kept for session_addr_blocks() to tell.
 */
int
session_addr_filter(const struct sockaddr *sa, void *arg)
{
	struct session		*s = arg;
	const struct rule	*r;
	struct rule_query	 q;
	int			 maybe;

	if (s->s_dst.sa_atyp != S5_ATYP_NAME)
		return 0;	/* decided on the address already */
	session_query(s, &q);
	memcpy(&q.q_addr, sa, addr_len(sa));
	addr_unmap(&q.q_addr);
	r = socks_rule(s, &q, &maybe);
	if (r != NULL && r->r_action == RULE_PASS) {
		session_passed(s, r);
		return 0;
	}
	if (s->s_addr_blocks++ == 0) {
		s->s_addr_rule = r;
		s->s_addr_blocked = q.q_addr;
	}
	return 1;
}

/*
 * After a name's addresses were filtered and tried (how: AB_*): blocks
 * that ended the session go in its line, at notice, as its reason or as
 * a second one; blocks in a session that goes on get a line of their own.
 */
void
session_addr_blocks(struct session *s, int how)
{
	char	 what[INET6_ADDRSTRLEN + 64], a[INET6_ADDRSTRLEN];
	char	 more[40] = "", ref[RULE_REFLEN];

	if (s->s_addr_blocks == 0)
		return;
	if (s->s_addr_blocks > 1)
		snprintf(more, sizeof(more), " (and %u more)",
		    s->s_addr_blocks - 1);
	snprintf(what, sizeof(what), " resolved=%s%s", addr_ntop_host(
	    (struct sockaddr *)&s->s_addr_blocked, a, sizeof(a)), more);
	if (how == AB_END)
		session_blocked(s, "", s->s_addr_rule, what);
	else if (how == AB_EVENT)
		log_block(s, s->s_cmd, s->s_addr_rule, what);
	else {
		session_why_also(s, "also blocked by %s%s", rule_ref(
		    RULESET_SOCKS, s->s_addr_rule, ref, sizeof(ref)), what);
		s->s_notice = 1;
	}
	s->s_addr_blocks = 0;
}

/*
 * Traffic coming back in: a connection to a BIND socket (cmd is
 * RULE_CMD_BINDREPLY) or a datagram to a UDP association
 * (RULE_CMD_UDPREPLY) from the address from.  The rule's `to` and
 * `port` match from; `from` matches the client.  0: allowed.
 */
int
session_reply_allowed(struct session *s, int cmd, const struct sockaddr *from)
{
	const struct rule	*r;
	struct rule_query	 q;
	char			 what[ADDR_STRLEN + 32], a[ADDR_STRLEN];
	int			 maybe;

	addr_query(s, cmd, from, &q);
	r = socks_rule(s, &q, &maybe);
	if (r != NULL && r->r_action == RULE_PASS)
		return 0;
	addr_ntop(from, a, sizeof(a));
	if (cmd == RULE_CMD_BINDREPLY) {	/* the session ends with it */
		snprintf(what, sizeof(what), "BIND: connection from %s ", a);
		session_blocked(s, what, r, "");
		return -1;
	}
	snprintf(what, sizeof(what), " from=%s", a);
	log_block(s, cmd, r, what);
	return -1;
}

/*
 * A UDP association's datagram from the client to dst, the address that
 * req (the destination in its header) resolved to: the socks rules as
 * command udpassociate, by name (when req is one) and address.
 * 0: allowed.
 */
int
session_udp_dst_allowed(struct session *s, const struct socks_addr *req,
    const struct sockaddr *dst)
{
	const struct rule	*r;
	struct rule_query	 q;
	char			 what[4 * 256 + ADDR_STRLEN + 32];
	char			 a[ADDR_STRLEN], name[4 * 256 + 8];
	int			 maybe;

	addr_query(s, S5_CMD_UDP, dst, &q);
	if (req->sa_atyp == S5_ATYP_NAME)
		snprintf(q.q_name, sizeof(q.q_name), "%s", req->sa_name);
	r = socks_rule(s, &q, &maybe);
	if (r != NULL && r->r_action == RULE_PASS) {
		session_passed(s, r);
		return 0;
	}
	snprintf(what, sizeof(what), " datagram to=%s%s%s",
	    req->sa_atyp == S5_ATYP_NAME ? socks_addr_str(req, name,
	    sizeof(name)) : "", req->sa_atyp == S5_ATYP_NAME ? " resolved=" :
	    "", addr_ntop(dst, a, sizeof(a)));
	log_block(s, S5_CMD_UDP, r, what);
	return -1;
}

/*
 * A UDP datagram to a name, before any lookup: -1, logged, when the
 * rules block it on the name alone (as a CONNECT's would be, with no
 * query to the nameservers); 0 when they pass it or need its address.
 */
int
session_udp_name_allowed(struct session *s, const struct socks_addr *req)
{
	const struct rule	*r;
	struct rule_query	 q;
	char			 what[4 * 256 + 32], name[4 * 256 + 8];
	int			 maybe;

	session_query(s, &q);
	q.q_cmd = S5_CMD_UDP;
	q.q_port = req->sa_port;
	memset(&q.q_addr, 0, sizeof(q.q_addr));
	q.q_name[0] = '\0';
	if (rule_query_set_dst(&q, req->sa_name) == -1)
		snprintf(q.q_name, sizeof(q.q_name), "%s", req->sa_name);
	r = socks_rule(s, &q, &maybe);
	if (maybe || (r != NULL && r->r_action == RULE_PASS))
		return 0;
	snprintf(what, sizeof(what), " datagram to=%s",
	    socks_addr_str(req, name, sizeof(name)));
	log_block(s, S5_CMD_UDP, r, what);
	return -1;
}

/* Ends of a session that went as it should (session_why's words). */
static const char *const clean_ends[] = {
	"closed", "control connection closed", "idle timeout", "udp timeout",
	"ended by shutdown", NULL
};

/* Did the session fail: no success reply, or an end not in clean_ends? */
static int
session_failed(const struct session *s)
{
	const char *const	*e;

	if (s->s_rep != S5_REP_OK)
		return 1;
	for (e = clean_ends; *e != NULL; e++)
		if (strcmp(s->s_why, *e) == 0)
			return 0;
	return 1;
}

/* At the end of a session: the disconnect and error lines rules ask for. */
void
session_rules_end(struct session *s)
{
	const struct rule	*r = s->s_srule ? s->s_srule : s->s_crule;
	char			 client[ADDR_STRLEN], dst[4 * 256 + 8];
	char			 user[4 * 256 + 1], ref[RULE_REFLEN], rep[48];
	unsigned int		 flags;
	int			 error;

	flags = (s->s_crule ? s->s_crule->r_log : 0) |
	    (s->s_srule ? s->s_srule->r_log : 0);
	error = session_failed(s);
	if (r == NULL || !(flags & (RULE_L_DISCONNECT | RULE_L_ERROR)))
		return;
	session_strs(s, client, sizeof(client), dst, sizeof(dst), user,
	    sizeof(user));
	rule_ref(r->r_set, r, ref, sizeof(ref));
	if (flags & RULE_L_DISCONNECT)
		log_info("session %016llx: disconnect client=%s user=%s "
		    "target=%s bytes_out=%llu bytes_in=%llu (%s)",
		    (unsigned long long)s->s_id, client, user, dst,
		    (unsigned long long)s->s_bytes_out,
		    (unsigned long long)s->s_bytes_in, ref);
	if ((flags & RULE_L_ERROR) && error) {
		session_rep_str(s, rep, sizeof(rep));
		log_warnx("session %016llx: error client=%s user=%s target=%s "
		    "reply=%s end=\"%s\" (%s)", (unsigned long long)s->s_id,
		    client, user, dst, rep, s->s_why, ref);
	}
}
