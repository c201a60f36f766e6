/*
 * check_conf.c: sockd.conf parsing: good files become the right struct,
 * and each kind of error is reported with its file and line.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "capture.h"
#include "conf.h"
#include "conf_text.h"
#include "listen.h"
#include "log.h"
#include "proto.h"
#include "rules.h"

static char	 conf_path[] = "/tmp/check_conf.XXXXXX";

/* Write len bytes to a temp file, load it, and keep stderr. */
static struct sockd_conf *
load_bytes(const char *text, size_t len)
{
	struct sockd_conf	*c;
	FILE			*f;
	int			 fd;

	strcpy(conf_path, "/tmp/check_conf.XXXXXX");
	fd = mkstemp(conf_path);
	ck_assert_int_ne(fd, -1);
	f = fdopen(fd, "w");
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	capture_start();
	c = conf_load(conf_path);
	unlink(conf_path);
	return c;
}

/* Write text to a temp file, load it, and keep stderr for inspection. */
static struct sockd_conf *
load(const char *text)
{
	return load_bytes(text, strlen(text));
}

/* The errors printed by the last load(). */
static char *
errors(void)
{
	return capture_end();
}

/* libconfuse would end the string at a NUL and read on after it */
START_TEST(test_nul_byte)
{
	static const char text[] = "workers = 2\n"
	    "socks block { to = \"10.0.0.1/32\0junk\" }\n";
	struct sockd_conf *c = load_bytes(text, sizeof(text) - 1);
	char	*err = errors();

	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, ":2: a NUL byte: not a text file") != NULL,
	    "got: %s", err);
}
END_TEST

START_TEST(test_defaults)
{
	struct sockd_conf *c = load("");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nlisten, 1);
	ck_assert_str_eq(c->c_listen[0].la_str, "127.0.0.1:1080");
	ck_assert_int_eq(c->c_workers, 8);
	ck_assert_int_eq(c->c_max_workers, 1024);
	ck_assert_int_eq(c->c_negotiate_timeout, 10);
	ck_assert_int_eq(c->c_nmethods, 1);
	ck_assert_int_eq(c->c_methods[0], S5_METHOD_NONE);
	ck_assert_int_eq(c->c_socks4, 1);
	ck_assert_int_eq(c->c_log_stderr, 0);
	conf_free(c);
	errors();
}
END_TEST

START_TEST(test_values)
{
	struct sockd_conf *c = load(
	    "# comment\n"
	    "listen = { \"127.0.0.1:1080\", \"[::1]:1081\", \"*:1082\" }\n"
	    "user = \"nobody\"\n"
	    "workers = 3\n"
	    "negotiate-timeout = 5\n"
	    "idle-timeout = 60\n"
	    "methods = { \"Username\", \"NONE\" }\n"
	    "socks4 = false\n"
	    "log = \"Stderr\"\n"
	    "log-level = \"debug\"\n"
	    "pidfile = \"\"\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nlisten, 3);
	ck_assert_str_eq(c->c_listen[1].la_str, "[::1]:1081");
	ck_assert_str_eq(c->c_listen[2].la_str, "0.0.0.0:1082");
	ck_assert_str_eq(c->c_user, "nobody");
	ck_assert_int_eq(c->c_workers, 3);
	ck_assert_int_eq(c->c_negotiate_timeout, 5);
	ck_assert_int_eq(c->c_idle_timeout, 60);
	ck_assert_int_eq(c->c_nmethods, 2);
	ck_assert_int_eq(c->c_methods[0], S5_METHOD_PASSWORD);
	ck_assert_int_eq(c->c_methods[1], S5_METHOD_NONE);
	ck_assert_int_eq(c->c_socks4, 0);
	ck_assert_int_eq(c->c_log_stderr, 1);
	ck_assert_ptr_null(c->c_pidfile);
	conf_free(c);
	errors();
}
END_TEST

struct bad_case {
	const char	*text;
	const char	*line;		/* ":N:" expected in the message */
	const char	*words;		/* and this */
};

/* 64 rule sections, to put a section past any fixed table of them */
#define R1	"socks pass { to = \"0/0\" }\n"
#define R4	R1 R1 R1 R1
#define R16	R4 R4 R4 R4
#define R64	R16 R16 R16 R16

static const struct bad_case bad[] = {
	{ "workers = 2\nfoo = 1\n", ":2:", "foo" },
	{ "\nlisten = { \"1.2.3.4\" }\n", ":2:", "ADDRESS:PORT" },
	{ "listen = { \"[::1]:70000\" }\n", ":1:", "listen" },
	{ "listen = { \"::1:80\" }\n", ":1:", "listen" },
	{ "\n\n\nworkers = 0\n", ":4:", "workers" },
	{ "negotiate-timeout = -1\n", ":1:", "negotiate-timeout" },
	{ "workers = many\n", ":1:", "workers" },
	{ "methods = { \"gssapi\" }\n", ":1:", "gssapi" },
	{ "methods = { \"none\", \"none\" }\n", ":1:", "twice" },
	{ "log = \"file\"\n", ":1:", "log" },
	{ "log-facility = \"kern0\"\n", ":1:", "facility" },
	{ "log-level = \"loud\"\n", ":1:", "level" },
	{ "socks4 = maybe\n", ":1:", "socks4" },
	{ "workers = 1\nuser = \"x\"\nlisten = {\n", ":", "" },
	{ "max-workers = 10\nworkers = 300\n", ":2:", "max-workers" },
	{ "max-spare-workers = 2\n\nmin-spare-workers = 3\n", ":3:",
	    "min-spare-workers (3) is more than max-spare-workers (2)" },
	{ "listener \"nope\" {}\n", ":1:", "ADDRESS:PORT" },
	{ "\nlistener \"[::1]:80\" { methods = { \"gss\" } }\n", ":2:",
	    "gss" },
	{ "listener \"[::1]:80\" {}\nlistener \"[::1]:80\" {}\n", ":2:",
	    "duplicate" },
	{ "listen = { \"[::1]:80\" }\nlistener \"[::1]:80\" {}\n", "",
	    "twice" },
	/* libconfuse's ${VAR}: the file would mean what the environment says */
	{ "workers = 2\nsocks pass { to = \"${HOME}\" }\n", ":2:",
	    "\"${\": sockd does not take values from the environment" },
	{ "# ${not} in a comment\npidfile = ${X:-/tmp/x}\n", ":2:",
	    "does not take values from the environment" },
	/* += beside listener sections would bring back 127.0.0.1:1080 */
	{ "listener \"[::1]:80\" {}\n\nlisten += { }\n", ":3:",
	    "listen +=: with listener sections there is no default" },
	{ "listen\n+= { \"[::1]:81\" }\nlistener \"[::1]:80\" {}\n", ":1:",
	    "would bring back 127.0.0.1:1080" },
	{ "listen += { \"[::1]:81\" }\n"
	    R64 "listener\n'[::1]:80' {}\n", ":1:",
	    "would bring back 127.0.0.1:1080" },
	/* Dante's client rule has a "to" */
	{ "client pass { from = \"0/0\"\n to = \"0/0\" }\n", ":2:",
	    "no such option 'to' (a client rule has from and listen: "
	    "Dante's client \"to\" is listen here" },
	/* a key twice in a rule: libconfuse would keep the last alone */
	{ "socks block {\n to = \"10.0.0.0/8\"\n to = \"192.168.0.0/16\"\n}\n",
	    ":3:", "to is set twice in this section (first on line 2)" },
	{ "client pass { from = { \"a\", \"b\" } port = \"1\"\n"
	    "\tfrom = \"c\" }\n", ":2:", "from is set twice" },
	{ "listener \"[::1]:80\" { methods = { \"none\" }\n"
	    "methods = { \"password\" } }\n", ":2:", "methods is set twice" },
	/* "=" after "+=" throws the added values away too */
	{ "socks block { to += { \"10.0.0.0/8\" }\n to = \"192.168.0.0/16\" }\n",
	    ":2:", "to is set twice in this section (first on line 1)" },
	/* a quoted key, a key right after a quote: keys all the same */
	{ "socks block { \"to\" = \"10.0.0.0/8\"\n to = \"192.168.0.0/16\" }\n",
	    ":2:", "to is set twice" },
	{ "socks block { from = \"1.2.3.4\"to = \"10.0.0.0/8\" port = \"1\"\n"
	    " to = \"1.1.1.1\" }\n", ":2:", "to is set twice" },
	/* libconfuse fails on an empty name and says nothing */
	{ "workers = 4\n\"\"\n", ":2:", "not understood here (an empty" },
	{ "\nsocks pass { \"\" }\n", ":2:", "not understood here" },
	{ "password-cache-size = 0\n", ":1:", "password-cache-size" },
	{ "password-fail-delay = -5\n", ":1:", "password-fail-delay" },
	/* a truncated file: libconfuse would take its end as every '}' */
	{ "client pass { from = \"0/0\" }\nsocks pass { to = \"0/0\"\n",
	    ":2:", "section not closed ('}' missing)" },
	{ "workers = 2\n/* fix later\nsocks pass { to = \"0/0\" }\n", ":2:",
	    "comment not closed ('*/' missing)" },
	{ "\nlisten = { \"127.0.0.1:1080\",\n", ":2:", "list not closed" },
	/* a quote missing: at its line, not where the quotes pair up again */
	{ "user = \"nobody\ngroup = \"x\"\n", ":1:",
	    "string not closed on its line" },
	/* no client could authenticate: every one would get 0xFF */
	{ "workers = 2\nmethods = { }\n", ":2:",
	    "methods: empty list: no client could authenticate" },
	{ "listener \"[::1]:80\" {\n\n methods = {\n}\n}\n", ":3:",
	    "methods: empty list" },
	/* a rule condition set to { } would match anything */
	{ "socks pass {\n from = { }\n}\n", ":2:",
	    "from: empty list: it would match anything" },
	{ "\nsocks block { to = {} }\n", ":2:", "to: empty list" },
	{ "socks pass { port = { } }\n", ":1:", "port: empty list" },
	{ "socks pass { user = { } }\n", ":1:", "user: empty list" },
	{ "methods = { \"password\" }\npasswd-file = \"\"\n", ":2:",
	    "passwd-file is empty, and the password method is offered" },
	/* Dante's syntax pasted in */
	{ "internal: eth0 port = 1080\n", ":1:",
	    "no such option 'internal:' (Dante's syntax? sockd.conf writes "
	    "key = value" },
	{ "client pass {\n  from: 0.0.0.0/0 to: 0.0.0.0/0\n}\n", ":2:",
	    "no such option 'from:' (Dante's syntax?" },
	/* Dante's keywords: sockd's words for them */
	{ "internal: eth0 port = 1080\n", ":1:", "README; Dante's keyword; "
	    "sockd.conf has listen = " },
	{ "timeout.io = 3600\n", ":1:", "no such option 'timeout.io' "
	    "(Dante's keyword; sockd.conf has idle-timeout for TCP and "
	    "udp-timeout for UDP)" },
	{ "socks pass {\n protocol = \"tcp\"\n}\n", ":2:",
	    "(Dante's keyword; sockd.conf has command = {" },
	{ "socks pass {\n session.max = 5\n}\n", ":2:", "(Dante's keyword; "
	    "sockd.conf has client-max-sessions at the top, the closest: it "
	    "counts per client address)" },
	{ "log = \"syslog/local0\"\n", ":1:", "(Dante's syslog/FACILITY is "
	    "log = \"syslog\" with log-facility = \"FACILITY\")" },
	{ "log = \"/var/log/sockd.log\"\n", ":1:", "(a log file is your "
	    "syslog daemon's rule" },
	/* Dante writes user lists in one string */
	{ "socks pass { user = \"alice bob\" }\n", ":1:",
	    "'alice bob' is not a user name (one name a string" },
	{ "socks pass {\nuser = \"alice,bob\" }\n", ":2:",
	    "'alice,bob' is not a user name" },
	{ "socks pass { user = \"#alice\" }\n", ":1:", "is not a user name" },
	{ "client pass {\n\tlisten = { }\n}\n", ":2:", "listen: empty list" },
	{ "socks block {\n \"to\" = { }\n}\n", ":2:", "to: empty list" },
	/* += { } adds nothing to a condition's empty default */
	{ "socks block {\n to += { }\n}\n", ":2:", "to: empty list" },
	{ "socks pass { port\n+= {} }\n", ":1:", "port: empty list" },
	{ "socks pass { from = \"10.0.0.0/8\" to+={} }\n", ":1:",
	    "to: empty list" },
	/* numbers are decimal: 0600 would be octal 384 to libconfuse */
	{ "\nidle-timeout = 0600\n", ":2:",
	    "'0600' has a leading zero; numbers are decimal only, write 600" },
	{ "workers = 0x10\n", ":1:", "'0x10' is not a decimal number" },
	{ "workers = -08\n", ":1:", "write -8" },
	{ "workers = 09\n", ":1:", "write 9" },
	{ "workers = 4k\n", ":1:", "'4k' is not a decimal number" },
	{ "workers = 0.5\n", ":1:", "'0.5' is not a decimal number" },
	{ "workers = 99999999999999999999999\n", ":1:", "out of range" },
	/* a binary file's bytes come back escaped in the message */
	{ "workers = 2\n\xff\xfe{ }\n", ":2:", "option '\\xff\\xfe'" },
	/* sockd runs in /: a relative path would be looked up there */
	{ "\npidfile = \"run/sockd.pid\"\n", ":2:", "must be an absolute path" },
	{ "passwd-file = \"users\"\n", ":1:", "must be an absolute path" },
	/* a bad section title: at its line, not at the closing brace */
	{ "workers = 2\n\n\nsocks allow {\n\tfrom = \"0/0\"\n\n}\n", ":4:",
	    "'socks allow': a rule is" },
	{ "\nlistener \"nope\" {\n\tmethods = { \"none\" }\n}\n", ":2:",
	    "listener: 'nope' is not ADDRESS:PORT" },
	/* listen addresses that could not all be bound */
	{ "listen = { \"127.0.0.1:0\" }\n", ":1:", "port 0" },
	{ "\nlisten = { \"*:1080\", \"127.0.0.1:1080\" }\n", ":2:",
	    "'*:1080' and '127.0.0.1:1080' cannot both be bound (the same "
	    "port, and one is the wildcard)" },
	{ "listen = { \"127.0.0.1:80\",\n \"127.0.0.1:80\" }\n", ":",
	    "given twice" },
	{ "listen = { \"[::ffff:127.0.0.1]:1080\" }\n", ":1:",
	    "IPv4 address in IPv6 form" },
	{ "listener \"127.0.0.1:0\" {}\n", ":1:", "port 0" },
	{ "listen = { \"[::]:80\" }\nlistener \"[::1]:80\" {}\n", ":1:",
	    "[::]:80 and [::1]:80 cannot both be bound" },
	{ "listen = { \"127.0.0.1:1080\" }\nlistener \"*:82\" {}\n"
	    "listener \"127.0.0.1:82\" {\n}\n", ":3:",
	    "listener: '*:82' and '127.0.0.1:82' cannot both be bound" },
	/* nowhere to listen */
	{ "listen = { }\n", "", "no listen address and no listener" },
};

/* Where methods are set to an empty list; 0: nowhere. */
struct empty_case {
	const char	*text;
	int		 line;
};

static const struct empty_case empty[] = {
	{ "methods = {}\n", 1 },
	{ "\nmethods={ }", 2 },
	{ "methods\n=\n{\n}\n", 1 },
	{ "x \"y\" {\n\tmethods = {\t}\n}\n", 2 },
	{ "user = \"a\nb\"\nx { methods = { } }\n", 3 },
	{ "methods = { \"none\" }\n", 0 },
	{ "methods += { }\n", 0 },	/* adds nothing to the default */
	{ "method = { }\n", 0 },		/* a rule's: empty means any */
	{ "xmethods = { }\n", 0 },
	{ "user = \"methods = { }\"\n", 0 },
	{ "user = 'methods = {}'\n", 0 },
	{ "methods = { '}' }\n", 0 },
	{ "methods = {\"\"}\n", 0 },		/* not empty, but not valid */
	{ "\"methods\" = { }\n", 1 },		/* a quoted key is the key */
	{ "\n'methods'={}\n", 2 },
	{ "\"methods \" = { }\n", 0 },
};

START_TEST(test_empty_list)
{
	const struct empty_case	*t = &empty[_i];

	ck_assert_int_eq(conf_empty_list(t->text, strlen(t->text), "methods", 0),
	    t->line);
}
END_TEST

/*
 * What a truncated file leaves open, by libconfuse's lexical rules:
 * quotes (with backslash escapes), # and // to the end of the line, C
 * comments, braces.  NULL: nothing.
 */
struct unclosed_case {
	const char	*text;
	const char	*what;		/* the start of the message, or NULL */
	int		 line;
};

static const struct unclosed_case unclosed[] = {
	{ "", NULL, 0 },
	{ "socks pass { to = \"0/0\" }\n", NULL, 0 },
	{ "socks pass { to = \"0/0\"\n", "section not closed", 1 },
	{ "a = 1\n\nsocks\n  pass\n{\n", "section not closed", 5 },
	/* the outermost open brace is named, nested ones closed or not */
	{ "x {\n y { }\n", "section not closed", 1 },
	{ "x {\n l = { \"a\",\n", "section not closed", 1 },
	{ "x { }\nl = {\n\"a\"\n", "list not closed", 2 },
	{ "l += {\n", "list not closed", 1 },
	/* braces in strings and comments do not count */
	{ "x { u = \"}\" }\n", NULL, 0 },
	{ "x { u = '}' }\n", NULL, 0 },
	{ "x { u = \"{\" }\n", NULL, 0 },
	{ "x { # }\n}\n", NULL, 0 },
	{ "x { // }\n}\n", NULL, 0 },
	{ "x { /* } */ }\n", NULL, 0 },
	{ "x { # }\n", "section not closed", 1 },
	/* comment markers in strings are text */
	{ "u = \"#\" x { }\n", NULL, 0 },
	{ "u = \"/*\"\n", NULL, 0 },
	{ "u = '/* // #'\n", NULL, 0 },
	/* backslash escapes, in both kinds of quotes */
	{ "u = \"a\\\"}\" x { }\n", NULL, 0 },
	{ "u = 'it\\'s' x { }\n", NULL, 0 },
	{ "u = \"a\\\\\" x { }\n", NULL, 0 },
	{ "u = \"a\\\"\n", "string not closed on its line ('\"'", 1 },
	{ "u = 'a\n\nb\n", "string not closed on its line (\"'\"", 1 },
	{ "u = \"two\nlines\"\nx {\n", "string not closed on its line", 1 },
	{ "a = 1\nu = \"x\" v = \"y\nw = \"z\"\n", "string not closed", 2 },
	{ "u = \"a \\\" b\"\nx { }\n", NULL, 0 },
	/* quotes in comments are text */
	{ "# it's\nx { }\n", NULL, 0 },
	{ "/* \" */ x { }\n", NULL, 0 },
	/* C comments: the opener's star does not close; ** / does */
	{ "/**/ x { }\n", NULL, 0 },
	{ "/*/ x { }\n", "comment not closed", 1 },
	{ "a = 1\n/* one\n two **/\n/* three\n", "comment not closed", 4 },
	{ "a = 1 /* a\n", "comment not closed", 1 },
	/* a comment right after a C comment; // and slash-star in a word */
	{ "p = \"x\" /* a *//* { */\n", NULL, 0 },
	{ "/* a *///{\n", NULL, 0 },
	{ "p = /run//x{ }\n", NULL, 0 },
	/* a line comment may end the file */
	{ "x { }\n# no newline", NULL, 0 },
	/* a stray '}' is libconfuse's to report */
	{ "}\n", NULL, 0 },
};

START_TEST(test_unclosed)
{
	const struct unclosed_case	*t = &unclosed[_i];
	const char			*what;
	int				 line = 0;

	what = conf_unclosed(t->text, strlen(t->text), &line);
	if (t->what == NULL) {
		ck_assert_msg(what == NULL, "'%s': %s", t->text, what);
		return;
	}
	ck_assert_msg(what != NULL, "'%s': nothing open", t->text);
	ck_assert_msg(strncmp(what, t->what, strlen(t->what)) == 0,
	    "'%s': %s", t->text, what);
	ck_assert_int_eq(line, t->line);
}
END_TEST

/* As libconfuse: // inside a bare word is text, at a word's start a comment. */
START_TEST(test_slashes_in_words)
{
	struct sockd_conf *c = load(
	    "pidfile = /run//sockd/x.pid // the pid file\n"
	    "user = nobody# a comment\n"
	    "group = nogroup//x\n"
	    "client pass { from = { 127.0.0.0/8 }//x\n"
	    "}\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->c_pidfile, "/run//sockd/x.pid");
	ck_assert_str_eq(c->c_user, "nobody");
	ck_assert_str_eq(c->c_group, "nogroup//x");
	ck_assert_int_eq(c->c_nclient_rules, 1);
	conf_free(c);
}
END_TEST

/* Valid files with braces, quotes and comment marks in odd places. */
/* Both families' wildcards on one port, and different ports, are fine. */
START_TEST(test_listen_both)
{
	struct sockd_conf *c = load(
	    "listen = { \"*:1080\", \"[::]:1080\", \"127.0.0.1:1081\" }\n"
	    "client pass { from = \"0/0\" }\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nlisten, 3);
	conf_free(c);
	errors();
}
END_TEST

START_TEST(test_tricky_good)
{
	struct sockd_conf *c = load(
	    "user = \"}{\" # a \"quote\n"
	    "group = 'it\\'s # not a comment' // it's a comment\n"
	    "pidfile = \"/run/#/x/*y*/\"\n"
	    "/* \"quoted\" in a comment: { */\n"
	    "client pass { from = { '0/0' } }\n"
	    "socks pass { user = { \"}\", 'a\"b' } }\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->c_user, "}{");
	ck_assert_str_eq(c->c_group, "it's # not a comment");
	ck_assert_str_eq(c->c_pidfile, "/run/#/x/*y*/");
	ck_assert_int_eq(c->c_nsocks_rules, 1);
	ck_assert_int_eq(c->c_socks_rules[0].r_line, 6);
	ck_assert_int_eq(c->c_socks_rules[0].r_nusers, 2);
	ck_assert_str_eq(c->c_socks_rules[0].r_users[1], "a\"b");
	conf_free(c);
	errors();
}
END_TEST

/* listener sections: their own methods, matched by the local address. */
START_TEST(test_listeners)
{
	struct sockd_conf *c = load(
	    "methods = { \"none\" }\n"
	    "listener \"127.0.0.1:1081\" {\n"
	    "    methods = { \"password\" }\n"
	    "}\n"
	    "listener \"0.0.0.0:1082\" {\n"
	    "    methods = { \"password\", \"none\" }\n"
	    "}\n"
	    "listener \"[::1]:1083\" {}\n"
	    "password-fail-delay = 250\n"
	    "password-cache-ttl = 0\n");
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	const uint8_t		*m;
	int			 n;

	ck_assert_ptr_nonnull(c);
	/* only sections: the default listen address is not added */
	ck_assert_int_eq(c->c_nlisten, 3);
	ck_assert_str_eq(c->c_listen[0].la_str, "127.0.0.1:1081");
	ck_assert_int_eq(c->c_listen[0].la_nmethods, 1);
	ck_assert_int_eq(c->c_listen[2].la_nmethods, 0);
	/* each where its title is, for the errors of binding it */
	ck_assert_int_eq(c->c_listen[0].la_line, 2);
	ck_assert_int_eq(c->c_listen[1].la_line, 5);
	ck_assert_int_eq(c->c_listen[2].la_line, 8);
	ck_assert_int_eq(c->c_pw_fail_delay, 250);
	ck_assert_int_eq(c->c_pw_cache_ttl, 0);
	ck_assert_int_eq(conf_uses_method(c, S5_METHOD_PASSWORD), 1);

	addr_parse_hostport("127.0.0.1:1081", &ss, &sl);
	m = conf_methods(c, (struct sockaddr *)&ss, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(m[0], S5_METHOD_PASSWORD);
	addr_parse_hostport("192.0.2.7:1082", &ss, &sl);	/* wildcard */
	m = conf_methods(c, (struct sockaddr *)&ss, &n);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(m[1], S5_METHOD_NONE);
	addr_parse_hostport("[::1]:1083", &ss, &sl);	/* the global ones */
	m = conf_methods(c, (struct sockaddr *)&ss, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(m[0], S5_METHOD_NONE);
	addr_parse_hostport("127.0.0.1:9999", &ss, &sl);
	conf_methods(c, (struct sockaddr *)&ss, &n);
	ck_assert_int_eq(n, 1);
	conf_free(c);
	errors();

	c = load("listen = { \"127.0.0.1:1080\" }\n"
	    "listener \"127.0.0.1:1081\" { methods = { \"none\" } }\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nlisten, 2);
	ck_assert_int_eq(conf_uses_method(c, S5_METHOD_PASSWORD), 0);
	conf_free(c);
	errors();
}
END_TEST

/* The first method a client on local is offered; *n how many. */
static int
method_at(const struct sockd_conf *c, const char *local, int *n)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;

	addr_parse_hostport(local, &ss, &sl);
	return conf_methods(c, (struct sockaddr *)&ss, n)[0];
}

/*
 * Wildcards of both families on one port: a client gets its own
 * family's, whichever comes first (an IPv6 client once got the IPv4
 * wildcard's "none" past its own listener's "password").
 */
START_TEST(test_listener_families)
{
	struct sockd_conf *c = load(
	    "listener \"*:1084\" { methods = { \"none\" } }\n"
	    "listener \"[::]:1084\" { methods = { \"password\" } }\n"
	    "listen = { \"[::]:1085\" }\n"
	    "listener \"*:1085\" { methods = { \"password\" } }\n");
	int	 n;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(method_at(c, "[::1]:1084", &n), S5_METHOD_PASSWORD);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(method_at(c, "127.0.0.1:1084", &n), S5_METHOD_NONE);
	ck_assert_int_eq(n, 1);
	/* [::]:1085 from listen: the global methods */
	ck_assert_int_eq(method_at(c, "[::1]:1085", &n), S5_METHOD_NONE);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(method_at(c, "127.0.0.1:1085", &n),
	    S5_METHOD_PASSWORD);
	conf_free(c);
	errors();
}
END_TEST

/* += adds to the default listen address (sockd.conf(5)'s example). */
START_TEST(test_listen_add)
{
	struct sockd_conf *c = load("listen += { \"[::1]:1080\" }\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_nlisten, 2);
	ck_assert_str_eq(c->c_listen[0].la_str, "127.0.0.1:1080");
	ck_assert_str_eq(c->c_listen[1].la_str, "[::1]:1080");
	conf_free(c);
	errors();
}
END_TEST

START_TEST(test_errors)
{
	const struct bad_case	*b = &bad[_i];
	struct sockd_conf	*c = load(b->text);
	char			*e = errors();

	ck_assert_msg(c == NULL, "accepted: %s", b->text);
	ck_assert_msg(strstr(e, b->line) != NULL, "no '%s' in: %s", b->line, e);
	ck_assert_msg(strstr(e, b->words) != NULL, "no '%s' in: %s", b->words,
	    e);
	ck_assert_msg(strstr(e, "/tmp/check_conf.") != NULL, "no file in %s", e);
}
END_TEST

/* A TCP port of 127.0.0.1 nobody uses right now. */
static int
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/*
 * The listening sockets: one bound to a host keeps its address for the
 * sessions (a wildcard does not), and what they accept has TCP_NODELAY
 * and SO_OOBINLINE without asking, as session.c counts on.
 */
START_TEST(test_listen_sockets)
{
	struct sockd_conf *c;
	struct listeners l;
	struct sockaddr_in sin;
	const struct sockaddr_in *local;
	struct pollfd	 pfd;
	char		 text[256];
	int		 p1 = free_port(), p2 = free_port(), fd, afd, on = 0;
	socklen_t	 sl = sizeof(on);

	snprintf(text, sizeof(text),
	    "listen = { \"127.0.0.1:%d\", \"0.0.0.0:%d\" }\n", p1, p2);
	ck_assert_ptr_nonnull(c = load(text));
	errors();
	ck_assert_int_eq(listeners_open(c, &l), 0);
	ck_assert_int_eq(l.l_n, 2);
	local = (const struct sockaddr_in *)listener_local(&l, 0);
	ck_assert_ptr_nonnull(local);
	ck_assert_int_eq(local->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(local->sin_port), p1);
	ck_assert_uint_eq(ntohl(local->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_ptr_null(listener_local(&l, 1));
	ck_assert_ptr_null(listener_local(&l, 2));

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(p1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	pfd.fd = l.l_fd[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_ne(afd = accept(l.l_fd[0], NULL, NULL), -1);
	ck_assert_int_eq(getsockopt(afd, IPPROTO_TCP, TCP_NODELAY, &on, &sl),
	    0);
	ck_assert_int_ne(on, 0);
	on = 0;
	ck_assert_int_eq(getsockopt(afd, SOL_SOCKET, SO_OOBINLINE, &on, &sl),
	    0);
	ck_assert_int_ne(on, 0);
	close(afd);
	close(fd);
	listeners_close(&l);
	conf_free(c);
}
END_TEST

START_TEST(test_missing_file)
{
	size_t	 len;

	ck_assert_ptr_null(conf_load("/nonexistent/sockd.conf"));
	/* a directory says so, not "Input/output error" */
	ck_assert_ptr_null(conf_read_text("/tmp", &len));
	ck_assert_int_eq(errno, EISDIR);
}
END_TEST

/* A UTF-8 byte order mark (Windows editors) is not part of the first key. */
START_TEST(test_bom)
{
	struct sockd_conf *c = load("\xef\xbb\xbfworkers = 3\n"
	    "client pass { from = \"0/0\" }\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_workers, 3);
	conf_free(c);
	errors();
}
END_TEST

/* A rule for password logins where none is offered: a warning. */
/* Load text, which must load, and return what loading it warned. */
static char *
warnings(const char *text)
{
	struct sockd_conf	*c = load(text);

	ck_assert_ptr_nonnull(c);
	conf_free(c);
	return errors();
}

START_TEST(test_password_rule_warning)
{
	char			*e;

	e = warnings("client pass { from = \"0/0\" }\n"
	    "socks pass {\n user = \"alice\"\n}\n");
	ck_assert_msg(strstr(e, ":2: socks rule #1 matches only password "
	    "logins (user), and methods offers no \"password\"") != NULL,
	    "%s", e);
	e = warnings("methods = { \"none\", \"password\" }\n"
	    "client pass { from = \"0/0\" }\n"
	    "socks pass { method = \"password\" }\n");
	ck_assert_msg(strstr(e, "never matches") == NULL, "%s", e);
}
END_TEST

/* Rules after one that matches everything never match: a warning. */
START_TEST(test_shadowed_warning)
{
	char			*e;

	e = warnings("client pass { from = \"127.0.0.1\" }\n"
	    "socks block { }\n"
	    "socks pass { to = \"0/0\" }\n"
	    "socks pass { to = \"::/0\" }\n");
	ck_assert_msg(strstr(e, ":3: socks rule #2 and those after it never "
	    "match: rule #1 (") != NULL && strstr(e, ":2) before it matches "
	    "every session") != NULL, "%s", e);
	e = warnings("client pass { }\nclient block { from = \"10.0.0.0/8\" }\n"
	    "socks block { command = \"bind\" }\nsocks pass { }\n");
	ck_assert_msg(strstr(e, ":2: client rule #2 never matches: rule #1")
	    != NULL && strstr(e, "socks rule") == NULL, "%s", e);
}
END_TEST

/*
 * A rule whose lists cover everything (0/0, 0.0.0.0/0 with ::/0, every
 * port) matches every session as an empty one does; narrower ones do
 * not.
 */
START_TEST(test_shadowed_catchall)
{
	static const char *const loud[] = {
		"socks pass { from = \"0/0\" to = \"0/0\" }\n",
		"socks pass { to = { \"0.0.0.0/0\", \"::/0\" } }\n",
		"socks pass { from = { \"::/0\", \"0.0.0.0/0\" } "
		    "port = { \"1-1023\", \"1024-65535\" } }\n",
	};
	static const char *const quiet[] = {
		"socks pass { to = \"0.0.0.0/0\" }\n",
		"socks pass { from = \"0.0.0.0/0\" }\n",
		"socks pass { to = \"0/0\" port = \"1-1023\" }\n",
		"socks pass { to = { \"0/0\", \".example.com\" } "
		    "user = \"alice\" }\n",
		"socks pass { to = \"0/0\" command = \"connect\" }\n",
	};
	char	 text[512], *e;
	size_t	 i;

	e = warnings("client pass { from = \"0/0\" }\n"
	    "client block { from = \"10.0.0.0/8\" }\nsocks pass { }\n");
	ck_assert_msg(strstr(e, ":2: client rule #2 never matches: rule #1")
	    != NULL, "%s", e);
	for (i = 0; i < sizeof(loud) / sizeof(loud[0]); i++) {
		snprintf(text, sizeof(text), "client pass { }\n%s"
		    "socks block { to = \"10.0.0.0/8\" }\n", loud[i]);
		e = warnings(text);
		ck_assert_msg(strstr(e, ":3: socks rule #2 never matches: "
		    "rule #1") != NULL, "%zu: %s", i, e);
	}
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		snprintf(text, sizeof(text), "methods = { \"none\", "
		    "\"password\" }\npasswd-file = \"/etc/passwd\"\n"
		    "client pass { }\n%s"
		    "socks block { to = \"10.0.0.0/8\" }\n", quiet[i]);
		e = warnings(text);
		ck_assert_msg(strstr(e, "never match") == NULL, "%zu: %s", i,
		    e);
	}
}
END_TEST

/* A client rule's listen that no listener can be: never matches. */
START_TEST(test_listen_warning)
{
	char			*e;

	e = warnings("listen = { \"127.0.0.1:1080\", \"[::]:1081\" }\n"
	    "client pass { listen = \"127.0.0.1:9999\" }\n"
	    "client pass { listen = { \"10.0.0.1:1080\", \"*:1081\" } }\n"
	    "client pass { listen = \"[::1]:1081\" }\n"
	    "client pass { listen = \"127.0.0.1:1081\" }\n"
	    "socks pass { }\n");
	ck_assert_msg(strstr(e, ":2: client rule #1: no listener of this "
	    "file matches its listen") != NULL, "%s", e);
	ck_assert_msg(strstr(e, ":3: client rule #2") == NULL &&
	    strstr(e, ":4: client rule #3") == NULL, "%s", e);
	ck_assert_msg(strstr(e, ":5: client rule #4: no listener") != NULL,
	    "%s", e);
}
END_TEST

/*
 * An open proxy: a listener others can reach, no login, rules passing a
 * stranger anywhere.  Loopback, a password, or narrow rules: no word.
 */
START_TEST(test_open_proxy_warning)
{
	static const char *const quiet[] = {
		"listen = { \"127.0.0.1:1080\", \"[::1]:1080\" }\n"
		    "client pass { }\nsocks pass { }\n",
		/* SOCKS4 is served only where "none" is offered */
		"listen = { \"*:1080\" }\nmethods = { \"password\" }\n"
		    "passwd-file = \"/etc/passwd\"\n"
		    "client pass { }\nsocks pass { }\n",
		"listen = { \"*:1080\" }\n"
		    "client pass { from = \"10.0.0.0/8\" }\nsocks pass { }\n",
		"listen = { \"*:1080\" }\nclient pass { }\n"
		    "socks pass { to = \".example.com\" }\n",
	};
	char			*e;
	size_t			 i;

	e = warnings("listen = { \"*:1080\" }\nclient pass { from = \"0/0\" }\n"
	    "socks pass { from = \"0/0\" to = \"0/0\" }\n");
	ck_assert_msg(strstr(e, ": an open proxy: a client from anywhere "
	    "(192.0.2.1 tried) on 0.0.0.0:1080 may CONNECT anywhere "
	    "(198.51.100.1:443 tried) without a login, by client rule #1 (")
	    != NULL, "%s", e);
	/* an IPv6 listener passing strangers to all of IPv4 */
	e = warnings("listen = { \"[::]:1080\" }\nclient pass { }\n"
	    "socks pass { to = \"0.0.0.0/0\" }\n");
	ck_assert_msg(strstr(e, "(2001:db8::1 tried) on [::]:1080 may CONNECT "
	    "anywhere (198.51.100.1:443 tried)") != NULL, "%s", e);
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		e = warnings(quiet[i]);
		ck_assert_msg(strstr(e, "open proxy") == NULL, "%zu: %s", i, e);
	}
}
END_TEST

/* Over 1 MiB: the message gives the limit, not "File too large". */
START_TEST(test_too_big)
{
	static char	 text[CONF_MAX_SIZE + 64];
	char		*e;

	memset(text, '#', sizeof(text) - 1);
	ck_assert_ptr_null(load(text));
	e = errors();
	ck_assert_msg(strstr(e, "larger than 1024 KiB, the most sockd reads")
	    != NULL, "%s", e);
}
END_TEST

/* The line where a top-level key is set: the last time, not in a rule. */
START_TEST(test_key_line)
{
	const char	*t = "workers = 2\n"
	    "socks pass { user = { \"bob\" } }\n"
	    "user = \"a\"   # one\n"
	    "\"user\" = 1 usergroup = 2 user_x = 3\n"
	    "group   +=\n"
	    "  \"x\"\n"
	    "user\t= \"b\"\n"
	    "pidfile \"p\"\n";
	struct sockd_conf *c;
	char		 at[64];

	ck_assert_int_eq(conf_key_line(t, strlen(t), "workers"), 1);
	ck_assert_int_eq(conf_key_line(t, strlen(t), "user"), 7);
	ck_assert_int_eq(conf_key_line(t, strlen(t), "group"), 5);
	ck_assert_int_eq(conf_key_line(t, strlen(t), "pidfile"), 0);
	ck_assert_int_eq(conf_key_line(t, strlen(t), "to"), 0);
	t = "workers\n  = 2\nx { workers = 4 }\n";
	ck_assert_int_eq(conf_key_line(t, strlen(t), "workers"), 1);
	t = "workers = 2\n\"workers\"\n += 3\nx { \"workers\" = 4 }\n";
	ck_assert_int_eq(conf_key_line(t, strlen(t), "workers"), 2);
	c = load("\nuser = \"nobody\"\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(conf_where(c, CK_USER, at, sizeof(at)) +
	    strlen(c->c_file), ":2");
	ck_assert_str_eq(conf_where(c, CK_GROUP, at, sizeof(at)), c->c_file);
	conf_free(c);
	errors();
}
END_TEST

/*
 * A key given twice: the last wins, lists too (libconfuse's way, kept
 * and documented); "+=" adds to a list.  Within a rule the same.
 */
START_TEST(test_key_twice)
{
	struct sockd_conf *c = load(
	    "workers = 4\n"
	    "workers = 5\n"
	    "listen = { \"127.0.0.1:1080\" }\n"
	    "listen = { \"127.0.0.1:1081\" }\n"
	    "methods = { \"password\" }\n"
	    "methods += { \"none\" }\n"
	    "socks pass { to = \"10.0.0.0/8\" to += { \"::1\", \"::2\" } }\n"
	    "socks pass { to = \"10.0.0.0/8\" port = \"1\" }\n"
	    "socks pass { to += \"::1\" }\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->c_workers, 5);
	ck_assert_int_eq(c->c_nlisten, 1);
	ck_assert_str_eq(c->c_listen[0].la_str, "127.0.0.1:1081");
	ck_assert_int_eq(c->c_nmethods, 2);
	ck_assert_int_eq(c->c_methods[1], S5_METHOD_NONE);
	/* in a section += adds; "=" twice is an error (bad[]) */
	ck_assert_int_eq(c->c_socks_rules[0].r_nto, 3);
	ck_assert_int_eq(c->c_socks_rules[1].r_nto, 1);
	ck_assert_int_eq(c->c_socks_rules[2].r_nto, 1);
	conf_free(c);
	errors();
}
END_TEST

/*
 * A socks rule at line 1 whose only key has n entries, the i-th
 * "<pfx>A<mid>B<sfx>" (A, B: i's two low bytes); then that many rules
 * "socks pass { }" more.  The text, malloc'd.
 */
static char *
big_conf(const char *key, const char *pfx, const char *mid,
    const char *sfx, int n, int rules)
{
	size_t	 size = 64 + (size_t)n * 40 + (size_t)rules * 16, len;
	char	*t = malloc(size);
	int	 i;

	ck_assert_ptr_nonnull(t);
	len = snprintf(t, size, "socks pass { %s = {\n", key);
	for (i = 0; i < n; i++) {
		len += snprintf(t + len, size - len, "\"%s%d%s%d%s\"", pfx,
		    i % 256, mid, i / 256, sfx);
		len += snprintf(t + len, size - len, i + 1 < n ? ",\n" : "\n");
	}
	len += snprintf(t + len, size - len, "} }\n");
	for (i = 0; i < rules; i++)
		len += snprintf(t + len, size - len, "socks pass { }\n");
	ck_assert_uint_lt(len, size);
	return t;
}

/*
 * RULES_MAX (4096) entries in a list, ports and ranges in a rule, rules
 * in a set: one more is "too many", with the line of the one too many
 * (the list's) or of the end of the section (ports, counted after
 * "80,443" is split), not "is not an address".
 */
START_TEST(test_too_many)
{
	struct sockd_conf	*c;
	char			*t, *e;

	t = big_conf("from", "10.", ".", ".0/24", RULES_MAX, 0);
	ck_assert_ptr_nonnull(c = load(t));
	ck_assert_int_eq(c->c_socks_rules[0].r_nfrom, RULES_MAX);
	conf_free(c);
	errors();
	free(t);

	t = big_conf("from", "10.", ".", ".0/24", RULES_MAX + 1, 0);
	ck_assert_ptr_null(load(t));
	e = errors();
	ck_assert_msg(strstr(e, ":4098: from: too many entries (at most "
	    "4096)") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "is not") == NULL, "%s", e);
	free(t);

	t = big_conf("user", "u", ".", "", RULES_MAX + 1, 0);
	ck_assert_ptr_null(load(t));
	e = errors();
	ck_assert_msg(strstr(e, ":4098: user: too many entries") != NULL,
	    "%s", e);
	free(t);

	t = big_conf("port", "", ",", "", RULES_MAX / 2 + 1, 0);
	ck_assert_ptr_null(load(t));
	e = errors();
	ck_assert_msg(strstr(e, ":2051: port: too many entries (at most "
	    "4096 ports and ranges)") != NULL, "%s", e);
	free(t);

	t = big_conf("to", "10.", ".", ".0/24", 1, RULES_MAX);
	ck_assert_ptr_null(load(t));
	e = errors();
	ck_assert_msg(strstr(e, ":4099: too many socks rules (at most "
	    "4096)") != NULL, "%s", e);
	free(t);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("parse");
	TCase	*big = tcase_create("limits");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_values);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_key_line);
	tcase_add_loop_test(tc, test_unclosed, 0,
	    sizeof(unclosed) / sizeof(unclosed[0]));
	tcase_add_test(tc, test_tricky_good);
	tcase_add_test(tc, test_listen_both);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_password_rule_warning);
	tcase_add_test(tc, test_shadowed_warning);
	tcase_add_test(tc, test_shadowed_catchall);
	tcase_add_test(tc, test_listen_warning);
	tcase_add_test(tc, test_open_proxy_warning);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_slashes_in_words);
	tcase_add_loop_test(tc, test_empty_list, 0,
	    sizeof(empty) / sizeof(empty[0]));
	tcase_add_test(tc, test_key_twice);
	tcase_add_test(tc, test_listeners);
	tcase_add_test(tc, test_listener_families);
	tcase_add_test(tc, test_listen_add);
	tcase_add_test(tc, test_listen_sockets);
	suite_add_tcase(s, tc);
	/* files of 4,097 entries and rules: 0.1 s plain, 8 s under ASan */
	tcase_add_test(big, test_too_many);
	tcase_set_timeout(big, 120);
	suite_add_tcase(s, big);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(conf_suite());
	int	 failed;

	log_init("check_conf", 1, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
