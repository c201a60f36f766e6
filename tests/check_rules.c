/*
 * check_rules.c: access rules.  Configurations in sockd.conf syntax are
 * loaded with conf_load, then questions in `sockd -n -q` syntax are put
 * to them; each table row says which rule must decide (0: none, so the
 * default block).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_text.h"
#include "log.h"
#include "proto.h"
#include "rules.h"
#include "session.h"

static struct sockd_conf *
load(const char *text)
{
	char			 path[] = "/tmp/check_rules.XXXXXX";
	struct sockd_conf	*c;
	FILE			*fp;
	int			 fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		ck_abort_msg("mkstemp");
	fputs(text, fp);
	fclose(fp);
	c = conf_load(path);
	unlink(path);
	return c;
}

/* Which rule (1-based, 0: none) of the set decides q; *maybe as well. */
static int
decide(const struct sockd_conf *c, enum rule_set set, const char *query,
    int *maybe)
{
	struct rule_query	 q;
	char			 err[128];
	int			 i;

	ck_assert_msg(rule_query_parse(query, &q, err, sizeof(err)) != -1,
	    "query '%s': %s", query, err);
	if (set == RULESET_CLIENT) {
		if (q.q_listen.ss_family == AF_UNSPEC)
			q.q_listen = c->c_listen[0].la_addr;
		i = rule_first(c->c_client_rules, c->c_nclient_rules, &q,
		    maybe);
	} else
		i = rule_first(c->c_socks_rules, c->c_nsocks_rules, &q, maybe);
	return i + 1;
}

struct qcase {
	const char	*q;
	int		 rule;		/* 0: no rule matches: blocked */
	int		 maybe;		/* depends on the name's address */
};

static const char socks_conf[] =
    "socks block { to = { \"127.0.0.0/8\", \"::1\", \"10.0.0.0/8\" } }\n"
    "socks block { to = \".internal.example.com\" }\n"
    "socks pass { from = \"192.168.1.0/24\" to = \"intranet.example.com\" "
    "port = \"80,443\" }\n"
    "socks pass { from = \"10.0.0.0/8\" to = \"0/0\" "
    "port = \"80,443,8000-8999,>50000\" command = { \"connect\", "
    "\"udpassociate\" } method = \"password\" user = { \"alice\", "
    "\"bob\" } }\n"
    "socks pass { from = \"2001:db8::/32\" to = \"2001:db8:1::/48\" "
    "port = \"<1024\" }\n"
    "socks pass { from = \"0/0\" to = \".example.org\" command = "
    "\"bind\" }\n"
    "socks pass { from = \"172.16.0.0/12\" to = { \"192.0.2.0/24\", "
    "\"www.example.net\" } port = \">=22\" }\n"
    "socks pass { from = \"198.51.100.7\" to = \"0/0\" command = "
    "{ \"bindreply\", \"udpreply\" } }\n";

static const struct qcase socks_cases[] = {
	/* address destinations, IPv4 */
	{ "from 10.1.2.3 to 127.0.0.1 port 80 user alice", 1, 0 },
	{ "from 10.1.2.3 to 10.9.9.9 port 80 user alice", 1, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 443 user alice", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 443 user bob", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 443 user carol", 0, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 443 method none", 0, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 443 method none user alice", -1, 0 },
	/* port forms: list, range, comparison */
	{ "from 10.1.2.3 to 8.8.8.8 port 80 user alice", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 8000 user alice", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 8999 user alice", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 9000 user alice", 0, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 50000 user alice", 0, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 50001 user alice", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 65535 user alice", 4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 22 user alice", 0, 0 },
	{ "from 172.16.5.5 to 192.0.2.9 port 22", 7, 0 },
	{ "from 172.16.5.5 to 192.0.2.9 port 21", 0, 0 },
	/* commands */
	{ "from 10.1.2.3 to 8.8.8.8 port 443 command udpassociate user bob",
	    4, 0 },
	{ "from 10.1.2.3 to 8.8.8.8 port 443 command bind user bob", 0, 0 },
	{ "from 198.51.100.7 to 2001:db8::1 port 5 command bindreply", 8, 0 },
	{ "from 198.51.100.7 to 192.0.2.1 port 5 command udpreply", 8, 0 },
	{ "from 198.51.100.7 to 192.0.2.1 port 5 command connect", 0, 0 },
	/* IPv6, and IPv4-mapped clients as IPv4 */
	{ "from 2001:db8::5 to 2001:db8:1::80 port 443", 5, 0 },
	{ "from 2001:db8::5 to 2001:db8:2::80 port 443", 0, 0 },
	{ "from 2001:db8::5 to 2001:db8:1::80 port 1024", 0, 0 },
	{ "from 2001:db8::5 to ::1 port 80", 1, 0 },
	{ "from ::ffff:10.1.2.3 to 8.8.8.8 port 443 user alice", 4, 0 },
	{ "from [::ffff:10.1.2.3] to ::ffff:127.0.0.1 port 443", 1, 0 },
	/* names: exact, suffix (the domain itself too), case, dot */
	{ "from 192.168.1.5 to intranet.example.com port 443", 1, 1 },
	{ "from 192.168.1.5 to a.intranet.example.com port 443", 1, 1 },
	{ "from 192.168.1.5 to x.internal.example.com port 443", 1, 1 },
	{ "from 192.168.1.5 to 8.8.8.8 port 443 command bind", 0, 0 },
	{ "from 192.168.1.5 to www.example.org port 1 command bind", 1, 1 },
	{ "from 172.16.0.1 to www.example.net port 22", 1, 1 },
	/* an address literal given as a name is an address */
	{ "from 10.1.2.3 to 127.0.0.1 port 443 user alice", 1, 0 },
	/* default block */
	{ "from 203.0.113.9 to 8.8.8.8 port 80", 0, 0 },
};

/* The same questions once the name resolved to an address. */
static const struct qcase resolved_cases[] = {
	{ "intranet.example.com 8.8.8.8 from 192.168.1.5 port 443", 3, 0 },
	{ "INTRANET.Example.COM. 8.8.8.8 from 192.168.1.5 port 443", 3, 0 },
	{ "intranet.example.com 8.8.8.8 from 192.168.1.5 port 22", 0, 0 },
	{ "x.internal.example.com 8.8.8.8 from 192.168.1.5 port 443", 2, 0 },
	{ "a.intranet.example.com 127.0.0.1 from 192.168.1.5 port 443", 1, 0 },
	{ "a.intranet.example.com 8.8.8.8 from 192.168.1.5 port 443", 0, 0 },
	{ "www.example.org 8.8.8.8 from 192.168.1.5 port 1 command bind", 6,
	    0 },
	{ "www.example.org 10.0.0.1 from 192.168.1.5 port 1 command bind", 1,
	    0 },
	{ "www.example.net 8.8.8.8 from 172.16.0.1 port 22", 7, 0 },
	{ "localhost ::1 from 10.1.2.3 port 443 user alice", 1, 0 },
	{ "localhost 127.0.0.1 from 10.1.2.3 port 443 user alice", 1, 0 },
};

START_TEST(test_socks_table)
{
	const struct qcase	*t = &socks_cases[_i];
	struct sockd_conf	*c = load(socks_conf);
	struct rule_query	 q;
	char			 err[128];
	int			 maybe, got;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nsocks_rules, 8);
	if (t->rule == -1) {	/* a user needs a password */
		ck_assert_int_eq(rule_query_parse(t->q, &q, err, sizeof(err)),
		    -1);
		conf_free(c);
		return;
	}
	got = decide(c, RULESET_SOCKS, t->q, &maybe);
	ck_assert_msg(got == t->rule && maybe == t->maybe,
	    "'%s': rule %d maybe %d, want %d maybe %d", t->q, got, maybe,
	    t->rule, t->maybe);
	conf_free(c);
}
END_TEST

START_TEST(test_resolved_table)
{
	const struct qcase	*t = &resolved_cases[_i];
	struct sockd_conf	*c = load(socks_conf);
	struct rule_query	 q, a;
	char			 name[64], addr[64], err[128];
	int			 n, maybe, got;

	ck_assert_int_eq(sscanf(t->q, "%63s %63s %n", name, addr, &n), 2);
	ck_assert_int_ne(rule_query_parse(t->q + n, &q, err, sizeof(err)), -1);
	ck_assert_int_eq(rule_query_set_dst(&q, name), 0);
	ck_assert_int_eq(rule_query_set_dst(&a, addr), 0);
	q.q_addr = a.q_addr;
	got = rule_first(c->c_socks_rules, c->c_nsocks_rules, &q, &maybe) + 1;
	ck_assert_msg(got == t->rule && maybe == 0, "'%s': rule %d, want %d",
	    t->q, got, t->rule);
	conf_free(c);
}
END_TEST

static const char client_conf[] =
    "listen = { \"127.0.0.1:1080\", \"[::1]:1081\", \"127.0.0.2:1082\" }\n"
    "client block { from = \"127.0.0.9\" }\n"
    "client pass { from = { \"127.0.0.0/8\", \"::1\" } listen = "
    "\"127.0.0.1:1080\" }\n"
    "client pass { from = \"0/0\" listen = { \"[::1]:1081\", \"*:1082\" } }\n";

static const struct qcase client_cases[] = {
	{ "from 127.0.0.9", 1, 0 },
	{ "from 127.0.0.9 listen 127.0.0.2:1082", 1, 0 },
	{ "from 127.0.0.1", 2, 0 },
	{ "from ::1", 2, 0 },
	{ "from ::ffff:127.0.0.5", 2, 0 },
	{ "from 192.0.2.1", 0, 0 },
	{ "from 192.0.2.1 listen [::1]:1081", 3, 0 },
	{ "from 192.0.2.1 listen 127.0.0.2:1082", 3, 0 },
	{ "from 192.0.2.1 listen 127.0.0.2:1080", 0, 0 },
	{ "from 2001:db8::1 listen [::1]:1081", 3, 0 },
};

START_TEST(test_client_table)
{
	const struct qcase	*t = &client_cases[_i];
	struct sockd_conf	*c = load(client_conf);
	int			 maybe, got;

	ck_assert_ptr_nonnull(c);
	got = decide(c, RULESET_CLIENT, t->q, &maybe);
	ck_assert_msg(got == t->rule, "'%s': rule %d, want %d", t->q, got,
	    t->rule);
	conf_free(c);
}
END_TEST

/* A UDP association, before any datagram: only rules without to/port. */
START_TEST(test_udp_association)
{
	struct sockd_conf	*c = load(
	    "socks block { from = \"10.9.0.0/16\" }\n"
	    "socks pass { from = \"10.0.0.0/8\" to = \"192.0.2.53\" port = "
	    "\"53\" command = \"udpassociate\" }\n"
	    "socks block { from = \"10.1.0.0/16\" to = \"0/0\" }\n"
	    "socks pass { from = \"0/0\" to = \"0/0\" command = "
	    "\"udpassociate\" }\n");
	struct rule_query	 q;
	char			 err[128];
	int			 maybe;

	ck_assert_ptr_nonnull(c);
	rule_query_parse("from 10.9.1.1 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_first(c->c_socks_rules, 4, &q, &maybe), 0);
	ck_assert_int_eq(maybe, 0);
	rule_query_parse("from 10.1.1.1 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_first(c->c_socks_rules, 4, &q, &maybe), 1);
	ck_assert_int_eq(maybe, 1);
	rule_query_parse("from 192.0.2.1 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_first(c->c_socks_rules, 4, &q, &maybe), 3);
	ck_assert_int_eq(maybe, 0);
	/* then each datagram */
	ck_assert_int_eq(decide(c, RULESET_SOCKS, "from 10.1.1.1 to "
	    "192.0.2.53 port 53 command udpassociate", &maybe), 2);
	ck_assert_int_eq(decide(c, RULESET_SOCKS, "from 10.1.1.1 to "
	    "192.0.2.53 port 54 command udpassociate", &maybe), 3);
	conf_free(c);
}
END_TEST

/* A UDP association: can any destination pass, past rules that wait? */
START_TEST(test_udp_any_pass)
{
	struct sockd_conf	*c = load(
	    "socks block { to = \".blocked.example\" }\n"
	    "socks block { to = \"127.0.0.3\" }\n"
	    "socks pass { to = \"0/0\" command = \"connect\" }\n"
	    "socks block { from = \"10.1.0.0/16\" }\n"
	    "socks pass { from = \"10.0.0.0/8\" to = \"192.0.2.0/24\" }\n"
	    "socks block { from = \"10.0.0.0/8\" }\n");
	struct rule_query	 q;
	char			 err[128];
	int			 blocker;

	ck_assert_ptr_nonnull(c);
	/* only destination blocks, then connect: no datagram can pass */
	rule_query_parse("from 127.0.0.1 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_any_pass(c->c_socks_rules, 6, &q, &blocker), 0);
	ck_assert_int_eq(blocker, -1);
	/* a block for every destination decides */
	rule_query_parse("from 10.1.2.3 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_any_pass(c->c_socks_rules, 6, &q, &blocker), 0);
	ck_assert_int_eq(blocker, 3);
	/* a pass for some destinations before it: the association is made */
	rule_query_parse("from 10.2.2.3 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_any_pass(c->c_socks_rules, 6, &q, &blocker), 1);
	conf_free(c);

	/* every address in two blocks, every port in two ranges: all */
	c = load("socks block { from = \"10.0.0.0/8\" to = { \"0.0.0.0/0\", "
	    "\"::/0\" } }\n"
	    "socks block { to = \"0/0\" port = \"1000-65535,1-999\" }\n"
	    "socks pass { }\n");
	ck_assert_ptr_nonnull(c);
	rule_query_parse("from 10.2.2.3 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_any_pass(c->c_socks_rules, 3, &q, &blocker), 0);
	ck_assert_int_eq(blocker, 0);
	rule_query_parse("from 192.0.2.1 command udpassociate", &q, err,
	    sizeof(err));
	q.q_anydst = 1;
	ck_assert_int_eq(rule_any_pass(c->c_socks_rules, 3, &q, &blocker), 0);
	ck_assert_int_eq(blocker, 1);
	conf_free(c);

	/* a gap in the ports, or one family only: some destinations pass */
	c = load("socks block { to = \"0/0\" port = \"1-52,54-65535\" }\n"
	    "socks block { to = \"0.0.0.0/0\" }\n"
	    "socks pass { }\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rule_any_pass(c->c_socks_rules, 3, &q, &blocker), 1);
	conf_free(c);
}
END_TEST

/* No rules: nothing passes; an empty pass rule passes everything. */
START_TEST(test_default_block)
{
	struct sockd_conf	*c = load("workers = 1\n");
	int			 maybe;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(decide(c, RULESET_CLIENT, "from 127.0.0.1", &maybe),
	    0);
	ck_assert_int_eq(decide(c, RULESET_SOCKS, "from 127.0.0.1 to "
	    "127.0.0.1 port 80", &maybe), 0);
	conf_free(c);
	c = load("client pass {}\nsocks pass {}\n");
	ck_assert_int_eq(decide(c, RULESET_CLIENT, "from 2001:db8::1",
	    &maybe), 1);
	ck_assert_int_eq(decide(c, RULESET_SOCKS, "from 192.0.2.1 to "
	    "anything.example port 0 command udpreply", &maybe), 1);
	conf_free(c);
}
END_TEST

/* Sections with the same title stay apart, in order, with their lines. */
START_TEST(test_order_and_lines)
{
	struct sockd_conf	*c = load(
	    "# a comment\n"
	    "// another\n"
	    "/* and a\n   block comment */\n"
	    "socks pass { from = \"10.0.0.0/8\" }  # 5\n"
	    "socks block { from = \"10.1.0.0/16\" }\n"
	    "socks pass {\n"
	    "  from = \"10.2.0.0/16\"  # '\n"
	    "  user = \"a#b\"\n"
	    "}\n"
	    "client pass { from = \"::1\" }\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nsocks_rules, 3);
	ck_assert_int_eq(c->c_nclient_rules, 1);
	ck_assert_int_eq(c->c_socks_rules[0].r_line, 5);
	ck_assert_int_eq(c->c_socks_rules[1].r_line, 6);
	ck_assert_int_eq(c->c_socks_rules[2].r_line, 7);	/* its name */
	ck_assert_int_eq(c->c_client_rules[0].r_line, 11);
	ck_assert_int_eq(c->c_socks_rules[0].r_action, RULE_PASS);
	ck_assert_int_eq(c->c_socks_rules[1].r_action, RULE_BLOCK);
	ck_assert_int_eq(c->c_socks_rules[2].r_number, 3);
	ck_assert_int_eq(c->c_socks_rules[0].r_nfrom, 1);
	ck_assert_int_eq(c->c_socks_rules[2].r_nfrom, 1);
	ck_assert_str_eq(c->c_socks_rules[2].r_users[0], "a#b");
	conf_free(c);
}
END_TEST

START_TEST(test_format)
{
	struct sockd_conf	*c = load(
	    "socks pass { from = { \"10.0.0.0/8\", \"::1\" } to = { \"0/0\", "
	    "\".Example.COM.\", \"host.example\" } port = \"80, 443,8000-8999,"
	    ">1024,<=10,=7\" command = { \"connect\", \"udpreply\" } method = "
	    "\"username\" user = \"alice\" log = { \"error\", \"connect\" } }\n"
	    "client block { listen = { \"*:1080\", \"[::]:1081\", "
	    "\"0.0.0.0:1082\", \"[::1]:1083\" } }\n");
	char			 buf[512];

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(rule_format(&c->c_socks_rules[0], buf, sizeof(buf)),
	    "socks pass from 10.0.0.0/8,::1/128 to 0/0,.example.com,"
	    "host.example port 80,443,8000-8999,1025-65535,0-10,7 command "
	    "connect,udpreply method password user alice log connect,error");
	ck_assert_str_eq(rule_format(&c->c_client_rules[0], buf, sizeof(buf)),
	    "client block from 0/0 listen *:1080,*:1081,*:1082,[::1]:1083");
	/* truncation is safe */
	rule_format(&c->c_socks_rules[0], buf, 10);
	ck_assert_str_eq(buf, "socks pas");
	conf_free(c);
}
END_TEST

/* Each bad configuration is refused (conf_load logs file:line). */
static const char *const bad_confs[] = {
	"client allow { from = \"10.0.0.0/8\" }\n",
	"client { from = \"10.0.0.0/8\" }\n",
	"client pass { from = \"10.0.0.0/33\" }\n",
	"client pass { from = \"10.0.0.300\" }\n",
	"client pass { from = \"example.com\" }\n",
	"client pass { to = \"0/0\" }\n",
	"client pass { listen = \"127.0.0.1\" }\n",
	"socks pass { to = \"10.0.0.0/8x\" }\n",
	"socks pass { to = \"bad name\" }\n",
	"socks pass { to = \"..example.com\" }\n",
	"socks pass { to = \"1.2.3\" }\n",
	"socks pass { port = \"90-80\" }\n",
	"socks pass { port = \">65535\" }\n",
	"socks pass { port = \"<0\" }\n",
	"socks pass { port = \"65536\" }\n",
	"socks pass { port = \"http\" }\n",
	"socks pass { port = \"80,,443\" }\n",
	"socks pass { port = \"\" }\n",
	"socks pass { command = \"connnect\" }\n",
	"socks pass { method = \"gssapi\" }\n",
	"socks pass { user = \"\" }\n",
	"socks pass { log = \"everything\" }\n",
	"socks pass { frm = \"10.0.0.0/8\" }\n",
};

START_TEST(test_bad_conf)
{
	struct sockd_conf	*c = load(bad_confs[_i]);

	ck_assert_msg(c == NULL, "accepted: %s", bad_confs[_i]);
}
END_TEST

/* ports that match and ports that do not, each list ended by -1 */
struct port_case {
	const char	*spec;
	int		 in[4];
	int		 out[4];
};

static const struct port_case port_cases[] = {
	{ "80", { 80, -1 }, { 79, 81, 0, -1 } },
	{ "=22", { 22, -1 }, { 21, 23, -1 } },
	{ "80,443", { 80, 443, -1 }, { 81, 442, 444, -1 } },
	{ " 1000 - 2000 ", { 1000, 1500, 2000, -1 }, { 999, 2001, -1 } },
	{ "<1024", { 0, 1, 1023, -1 }, { 1024, 65535, -1 } },
	{ "<=1024", { 0, 1024, -1 }, { 1025, -1 } },
	{ ">1024", { 1025, 65535, -1 }, { 1024, 0, -1 } },
	{ ">=1024", { 1024, 65535, -1 }, { 1023, -1 } },
	{ "0-65535", { 0, 1, 65535, -1 }, { -1 } },
	/* Dante's operators */
	{ "eq 80", { 80, -1 }, { 79, 81, -1 } },
	{ "gt 1023", { 1024, 65535, -1 }, { 1023, 0, -1 } },
	{ "ge 1024", { 1024, -1 }, { 1023, -1 } },
	{ "lt 1024", { 0, 1023, -1 }, { 1024, -1 } },
	{ "le 1024", { 1024, -1 }, { 1025, -1 } },
	{ "neq 25", { 0, 24, 26, -1 }, { 25, -1 } },
	{ "!= 25,eq 80", { 24, 26, 80, -1 }, { 25, -1 } },
};

START_TEST(test_ports)
{
	const struct port_case	*t = &port_cases[_i];
	struct rule		 r;
	struct rule_query	 q;
	int			 i;

	memset(&q, 0, sizeof(q));
	rule_init(&r, RULESET_SOCKS, RULE_PASS);
	ck_assert_int_eq(rule_add_ports(&r, t->spec), 0);
	ck_assert_int_eq(rule_query_set_dst(&q, "192.0.2.1"), 0);
	q.q_client = q.q_addr;
	q.q_cmd = S5_CMD_CONNECT;
	for (i = 0; t->in[i] != -1; i++) {
		q.q_port = (uint16_t)t->in[i];
		ck_assert_msg(rule_eval(&r, &q, NULL, 0) == RULE_MATCH,
		    "%s: %d should match", t->spec, t->in[i]);
	}
	for (i = 0; t->out[i] != -1; i++) {
		q.q_port = (uint16_t)t->out[i];
		ck_assert_msg(rule_eval(&r, &q, NULL, 0) == RULE_NOMATCH,
		    "%s: %d should not match", t->spec, t->out[i]);
	}
	rule_clear(&r);
}
END_TEST

/* Not ports, Dante's operators included: refused. */
START_TEST(test_ports_bad)
{
	static const char *const bad[] = {
		"gt", "eq80x", "equal 80", "gt 65535", "lt 0", "90-80", "http",
		"80,", "neq",
	};
	struct rule	 r;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rule_init(&r, RULESET_SOCKS, RULE_PASS);
		ck_assert_msg(rule_add_ports(&r, bad[i]) == -1, "%s", bad[i]);
		rule_clear(&r);
	}
}
END_TEST

START_TEST(test_explain_text)
{
	struct sockd_conf	*c = load(socks_conf);
	struct rule_query	 q;
	char			 err[128], why[512];

	ck_assert_int_ne(rule_query_parse("from 10.1.2.3 to 8.8.8.8 port 22 "
	    "user alice", &q, err, sizeof(err)), -1);
	ck_assert_int_eq(rule_eval(&c->c_socks_rules[3], &q, why,
	    sizeof(why)), RULE_NOMATCH);
	ck_assert_msg(strstr(why, "port 22 is not in port 80,443,8000-8999,"
	    "50001-65535") != NULL, "%s", why);
	ck_assert_int_eq(rule_eval(&c->c_socks_rules[0], &q, why,
	    sizeof(why)), RULE_NOMATCH);
	ck_assert_msg(strstr(why, "8.8.8.8 is not in to 127.0.0.0/8,::1/128,"
	    "10.0.0.0/8") != NULL, "%s", why);
	q.q_port = 443;
	ck_assert_int_eq(rule_eval(&c->c_socks_rules[3], &q, why,
	    sizeof(why)), RULE_MATCH);
	ck_assert_msg(strstr(why, "from 10.0.0.0/8 matches 10.1.2.3") !=
	    NULL && strstr(why, "user alice matches") != NULL, "%s", why);
	conf_free(c);
}
END_TEST

static const char *const bad_queries[] = {
	"to 8.8.8.8 port 80",		/* no from */
	"from 10.0.0.1 to 8.8.8.8",	/* to without port */
	"from 10.0.0.1 port 99999",
	"from 10.0.0.1 command jump",
	"from 10.0.0.1 method gssapi",
	"from 10.0.0.1 user",
	"from example.com",
	"from 10.0.0.1 frm 1",
	"from 10.0.0.1 method none user alice",
};

START_TEST(test_bad_queries)
{
	struct rule_query	 q;
	char			 err[128];

	ck_assert_int_eq(rule_query_parse(bad_queries[_i], &q, err,
	    sizeof(err)), -1);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(test_blank_comments)
{
	char	 a[] = "a = 1 # x\n/* y\n z */b = \"#\" // w\nc = '/*' #\n";

	conf_blank_comments(a, strlen(a));
	ck_assert_str_eq(a, "a = 1    \n    \n     b = \"#\"     \nc = '/*'  \n");
}
END_TEST

/* Where sections start and end; lists and strings are not sections. */
START_TEST(test_sections)
{
	static const char text[] =
	    "listen = { \"127.0.0.1:1\",\n \"[::1]:1\" }\n"	/* 1-2 */
	    "socks pass { to = \"0/0\" } client block { }\n"	/* 3 */
	    "socks\n \"block\"\n{\n user = \"a}{b\"\n}\n"	/* 4-8 */
	    "listener \"x\" {\n  methods = { \"none\" }\n}\n"	/* 9-11 */
	    "client pass\n{ from = { \"::1\" }\n\n}\n";		/* 12-15 */
	struct conf_span	 sp[8];
	int			 n;

	n = conf_sections(text, strlen(text), sp, 8);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(sp[0].cs_name, "socks");
	ck_assert_int_eq(sp[0].cs_open, 3);
	ck_assert_int_eq(sp[0].cs_close, 3);
	ck_assert_str_eq(sp[1].cs_name, "client");
	ck_assert_int_eq(sp[1].cs_close, 3);
	ck_assert_str_eq(sp[2].cs_name, "socks");
	ck_assert_int_eq(sp[2].cs_open, 4);
	ck_assert_int_eq(sp[2].cs_close, 8);
	ck_assert_str_eq(sp[3].cs_name, "listener");
	ck_assert_int_eq(sp[3].cs_open, 9);
	ck_assert_int_eq(sp[3].cs_close, 11);
	ck_assert_str_eq(sp[4].cs_name, "client");
	ck_assert_int_eq(sp[4].cs_open, 12);
	ck_assert_int_eq(sp[4].cs_close, 15);
	ck_assert_int_eq(conf_sections(text, strlen(text), sp, 2), 2);
}
END_TEST

/* Rules carry the line of their name, even when several share a line. */
START_TEST(test_rule_lines)
{
	struct sockd_conf	*c = load(
	    "# 1\n"
	    "socks pass { from = \"10.0.0.0/8\" } socks pass { }\n"
	    "socks\n  block\n{\n  user = \"}{\"\n}\n"
	    "client pass {\n}\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nsocks_rules, 3);
	ck_assert_int_eq(c->c_socks_rules[0].r_line, 2);
	ck_assert_int_eq(c->c_socks_rules[0].r_nfrom, 1);
	ck_assert_int_eq(c->c_socks_rules[1].r_line, 2);
	ck_assert_int_eq(c->c_socks_rules[1].r_nfrom, 0);
	ck_assert_int_eq(c->c_socks_rules[2].r_line, 3);
	ck_assert_int_eq(c->c_client_rules[0].r_line, 8);
	conf_free(c);
}
END_TEST

/*
 * The line a rule is listed with (`sockd -n`) is that of its section's
 * name, wherever its braces and values are and whatever comes before.
 */
struct line_case {
	const char	*text;
	int		 lines[4];	/* the socks rules', in order; 0 ends */
};

static const struct line_case line_cases[] = {
	{ "socks pass {\n to = \"0/0\"\n}\n", { 1 } },
	{ "\n\nsocks pass { }\n", { 3 } },
	{ "socks\n  pass\n\n{\n}\n", { 1 } },
	{ "socks \"pass\"\n{ }\n", { 1 } },
	/* comments, one or many lines, before and inside */
	{ "# a\n// b\n/* c\n d\n */\nsocks pass { }\n", { 6 } },
	{ "socks pass { # }\n}\n/* } */ socks block {\n}\n", { 1, 3 } },
	/* values over several lines */
	{ "socks pass {\n to = {\n \"10.0.0.0/8\",\n \"::1\"\n }\n}\n"
	    "socks block { }\n", { 1, 7 } },
	/* a quoted string ends on its line; an escaped quote does not end it */
	{ "socks pass { user = \"a\\\"b\" }\n\nsocks block { }\n", { 1, 3 } },
	/* several on a line, the same name closing on the same line */
	{ "socks pass { } socks block { } socks pass { }\n", { 1, 1, 1 } },
	{ "socks pass {\n} socks pass {\n}\n", { 1, 2 } },
	/* other sections around them */
	{ "listener \"127.0.0.1:1080\" {\n}\nclient pass { }\n"
	    "socks pass\n{ }\n", { 4 } },
	/* braces in strings */
	{ "socks pass { user = \"}\" }\n\nsocks block { user = '{' }\n",
	    { 1, 3 } },
};

START_TEST(test_line_table)
{
	const struct line_case	*t = &line_cases[_i];
	struct sockd_conf	*c = load(t->text);
	int			 i;

	ck_assert_msg(c != NULL, "refused: %s", t->text);
	for (i = 0; t->lines[i] != 0; i++) {
		ck_assert_msg(i < c->c_nsocks_rules, "%s: only %d rules",
		    t->text, c->c_nsocks_rules);
		ck_assert_msg(c->c_socks_rules[i].r_line == t->lines[i],
		    "%s: rule %d at line %d, not %d", t->text, i + 1,
		    c->c_socks_rules[i].r_line, t->lines[i]);
	}
	ck_assert_int_eq(c->c_nsocks_rules, i);
	conf_free(c);
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite	*s = suite_create("rules");
	TCase	*tc = tcase_create("match");

	tcase_add_loop_test(tc, test_socks_table, 0,
	    sizeof(socks_cases) / sizeof(socks_cases[0]));
	tcase_add_loop_test(tc, test_resolved_table, 0,
	    sizeof(resolved_cases) / sizeof(resolved_cases[0]));
	tcase_add_loop_test(tc, test_client_table, 0,
	    sizeof(client_cases) / sizeof(client_cases[0]));
	tcase_add_loop_test(tc, test_ports, 0,
	    sizeof(port_cases) / sizeof(port_cases[0]));
	tcase_add_test(tc, test_ports_bad);
	tcase_add_test(tc, test_default_block);
	tcase_add_test(tc, test_udp_association);
	tcase_add_test(tc, test_udp_any_pass);
	tcase_add_test(tc, test_explain_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_test(tc, test_order_and_lines);
	tcase_add_test(tc, test_format);
	tcase_add_loop_test(tc, test_bad_conf, 0,
	    sizeof(bad_confs) / sizeof(bad_confs[0]));
	tcase_add_loop_test(tc, test_bad_queries, 0,
	    sizeof(bad_queries) / sizeof(bad_queries[0]));
	tcase_add_test(tc, test_blank_comments);
	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_rule_lines);
	tcase_add_loop_test(tc, test_line_table, 0,
	    sizeof(line_cases) / sizeof(line_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(rules_suite());
	int	 failed;

	log_init("check_rules", 1, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
