/*
 * conf.c: read sockd.conf with libconfuse, check every value where it
 * stands (so errors name file and line), and copy it into a plain struct.
 */
#include "config.h"

#include <net/if.h>

#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "addr.h"
#include "auth.h"
#include "conf.h"
#include "conf_rules.h"
#include "conf_text.h"
#include "log.h"
#include "proto.h"
#include "rules.h"

#define DEFAULT_PIDFILE		"/run/sockd/sockd.pid"
#define DEFAULT_PASSWD		SYSCONFDIR "/sockd.passwd"

static int	validate_listen(cfg_t *, cfg_opt_t *);
static int	validate_external(cfg_t *, cfg_opt_t *);
static int	validate_positive(cfg_t *, cfg_opt_t *);
static int	validate_nonneg(cfg_t *, cfg_opt_t *);
static int	validate_methods(cfg_t *, cfg_opt_t *);
static int	validate_log(cfg_t *, cfg_opt_t *);
static int	validate_facility(cfg_t *, cfg_opt_t *);
static int	validate_level(cfg_t *, cfg_opt_t *);

static int	validate_listener(cfg_t *, cfg_opt_t *);
static int	parse_decimal(cfg_t *, cfg_opt_t *, const char *, void *);

/* A number: decimal only (parse_decimal()). */
#define CFG_NUM(name, def)	CFG_INT_CB(name, def, CFGF_NONE, parse_decimal)

/* listener "ADDRESS:PORT" { methods = { ... } }: a listener of its own. */
static cfg_opt_t listener_opts[] = {
	CFG_STR_LIST("methods", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t opts[] = {
	CFG_STR_LIST("listen", "{127.0.0.1:1080}", CFGF_NONE),
	CFG_SEC("listener", listener_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_STR("user", "sockd", CFGF_NONE),
	CFG_STR("group", "", CFGF_NONE),
	CFG_STR("pidfile", DEFAULT_PIDFILE, CFGF_NONE),
	CFG_STR("passwd-file", DEFAULT_PASSWD, CFGF_NONE),
	CFG_STR("external", "", CFGF_NONE),
	CFG_NUM("workers", 8),
	CFG_NUM("min-spare-workers", 4),
	CFG_NUM("max-spawn-rate", 256),
	CFG_NUM("max-spare-workers", 16),
	CFG_NUM("max-workers", 1024),
	CFG_NUM("max-sessions-per-worker", 10000),
	CFG_NUM("negotiate-timeout", 10),
	CFG_NUM("connect-timeout", 10),
	CFG_NUM("idle-timeout", 600),
	CFG_NUM("bind-timeout", 60),
	CFG_NUM("udp-timeout", 300),
	CFG_NUM("shutdown-timeout", 30),
	CFG_NUM("client-max-sessions", 0),
	CFG_NUM("client-rate", 0),
	CFG_NUM("client-rate-interval", 1),
	CFG_STR_LIST("methods", "{none}", CFGF_NONE),
	CFG_NUM("password-fail-delay", 1000),
	CFG_NUM("password-cache-ttl", 300),
	CFG_NUM("password-cache-size", 4096),
	CFG_BOOL("socks4", cfg_true, CFGF_NONE),
	CFG_STR("log", "syslog", CFGF_NONE),
	CFG_STR("log-facility", "daemon", CFGF_NONE),
	CFG_STR("log-level", "info", CFGF_NONE),
	CFG_SEC("client", conf_client_rule_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("socks", conf_socks_rule_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_END()
};

struct validator {
	const char	*name;
	cfg_validate_callback_t fn;
};

static const struct validator validators[] = {
	{ "listen", validate_listen },
	{ "external", validate_external },
	{ "workers", validate_positive },
	{ "min-spare-workers", validate_nonneg },
	{ "max-spawn-rate", validate_positive },
	{ "max-spare-workers", validate_positive },
	{ "max-workers", validate_positive },
	{ "max-sessions-per-worker", validate_positive },
	{ "negotiate-timeout", validate_positive },
	{ "connect-timeout", validate_positive },
	{ "idle-timeout", validate_positive },
	{ "bind-timeout", validate_positive },
	{ "udp-timeout", validate_positive },
	{ "shutdown-timeout", validate_nonneg },
	{ "client-max-sessions", validate_nonneg },
	{ "client-rate", validate_nonneg },
	{ "client-rate-interval", validate_positive },
	{ "methods", validate_methods },
	{ "listener", validate_listener },
	{ "listener|methods", validate_methods },
	{ "password-fail-delay", validate_nonneg },
	{ "password-cache-ttl", validate_nonneg },
	{ "password-cache-size", validate_positive },
	{ "log", validate_log },
	{ "log-facility", validate_facility },
	{ "log-level", validate_level },
	{ NULL, NULL }
};

static const char *
last_str(cfg_opt_t *opt)
{
	return cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
}

/* Why two listen addresses (addr_listen_clash()) cannot both be bound. */
static const char *
clash_why(const char *a, const char *b)
{
	return strcmp(a, b) == 0 ? "given twice" :
	    "the same port, and one is the wildcard";
}

/* One listen address: ADDRESS:PORT, a port to bind, not IPv4 as IPv6. */
static int
listen_addr_ok(cfg_t *cfg, const char *what, const char *s,
    struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	socklen_t		 len;

	if (addr_parse_hostport(s, ss, &len) == -1) {
		cfg_error(cfg, "%s: '%s' is not ADDRESS:PORT "
		    "(e.g. 127.0.0.1:1080 or [::1]:1080)", what, s);
		return -1;
	}
	if (addr_port((struct sockaddr *)ss) == 0) {
		cfg_error(cfg, "%s: '%s': port 0 would be a port the kernel "
		    "picks, which no client knows", what, s);
		return -1;
	}
	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		cfg_error(cfg, "%s: '%s' is an IPv4 address in IPv6 form: "
		    "write it as IPv4", what, s);
		return -1;
	}
	return 0;
}

static int
validate_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	struct sockaddr_storage	 cur, prev;
	socklen_t		 len;
	unsigned int		 i, j;

	if (cfg_opt_size(opt) > CONF_MAX_LISTEN) {
		cfg_error(cfg, "listen: at most %d addresses", CONF_MAX_LISTEN);
		return -1;
	}
	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *s = cfg_opt_getnstr(opt, i), *p;

		if (listen_addr_ok(cfg, "listen", s, &cur) == -1)
			return -1;
		for (j = 0; j < i; j++) {
			p = cfg_opt_getnstr(opt, j);
			addr_parse_hostport(p, &prev, &len);	/* checked */
			if (!addr_listen_clash((struct sockaddr *)&cur,
			    (struct sockaddr *)&prev))
				continue;
			cfg_error(cfg, "listen: '%s' and '%s' cannot both be "
			    "bound (%s)", p, s, clash_why(p, s));
			return -1;
		}
	}
	return 0;
}

/*
 * The BIND address: "" (the route's choice), a numeric address, or an
 * interface of this host (its address looked up at each BIND).
 */
static int
validate_external(cfg_t *cfg, cfg_opt_t *opt)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	const char		*s = last_str(opt);

	if (s == NULL || *s == '\0' || addr_parse_ip(s, &ss, &len) == 0 ||
	    if_nametoindex(s) != 0)
		return 0;
	cfg_error(cfg, "external: '%s' is neither an IPv4 or IPv6 address "
	    "nor an interface of this host", s);
	return -1;
}

static int
validate_listener(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned int		 i, n = cfg_opt_size(opt);
	cfg_t			*sec = cfg_opt_getnsec(opt, n - 1);
	const char		*other;
	struct sockaddr_storage	 ss, prev;
	socklen_t		 len;
	int			 closed = cfg->line, rc;

	/* an error at the title's line, not at the closing brace */
	cfg->line = conf_section_line(cfg, "listener");
	sec->line = cfg->line;		/* la_line: where its errors point */
	rc = listen_addr_ok(cfg, "listener", cfg_title(sec), &ss);
	for (i = 0; rc == 0 && i < n - 1; i++) {
		other = cfg_title(cfg_opt_getnsec(opt, i));
		addr_parse_hostport(other, &prev, &len);	/* checked */
		if (addr_listen_clash((struct sockaddr *)&ss,
		    (struct sockaddr *)&prev)) {
			cfg_error(cfg, "listener: '%s' and '%s' cannot both be "
			    "bound (%s)", other, cfg_title(sec),
			    clash_why(other, cfg_title(sec)));
			rc = -1;
		}
	}
	cfg->line = closed;
	return rc;
}

static int
validate_range(cfg_t *cfg, cfg_opt_t *opt, long min)
{
	long	 v = cfg_opt_getnint(opt, 0);

	if (v < min || v > 1000000) {
		cfg_error(cfg, "%s: %ld is out of range (%ld to 1000000)",
		    opt->name, v, min);
		return -1;
	}
	return 0;
}

/*
 * A number, in decimal only.  libconfuse reads numbers with strtol(.., 0),
 * so idle-timeout = 0600 would be 384 seconds (octal) and 0x10 16: a
 * leading zero or 0x is an error here, saying what to write.
 */
static int
parse_decimal(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const char	*p;
	char		*end;
	long		 v;

	while (isspace((unsigned char)*value))	/* strtol() allowed that */
		value++;
	p = value + (*value == '-' || *value == '+');
	errno = 0;
	v = strtol(value, &end, 10);
	if (!isdigit((unsigned char)*p) || *end != '\0') {
		cfg_error(cfg, "invalid integer value for option '%s': '%s' "
		    "is not a decimal number", opt->name, value);
		return -1;
	}
	if (errno == ERANGE) {
		cfg_error(cfg, "%s: %s is out of range", opt->name, value);
		return -1;
	}
	if (p[0] == '0' && p[1] != '\0') {
		cfg_error(cfg, "invalid integer value for option '%s': '%s' "
		    "has a leading zero; numbers are decimal only, write %ld",
		    opt->name, value, v);
		return -1;
	}
	*(long *)result = v;
	return 0;
}

static int
validate_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	return validate_range(cfg, opt, 1);
}

static int
validate_nonneg(cfg_t *cfg, cfg_opt_t *opt)
{
	return validate_range(cfg, opt, 0);
}

static int
method_byname(const char *s)
{
	if (strcasecmp(s, "none") == 0)
		return S5_METHOD_NONE;
	if (strcasecmp(s, "password") == 0 || strcasecmp(s, "username") == 0)
		return S5_METHOD_PASSWORD;
	return -1;
}

static int
validate_methods(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned int	 i, n = cfg_opt_size(opt);

	if (n == 0 || n > CONF_MAX_METHODS) {
		cfg_error(cfg, "methods: give \"none\", \"password\" or both");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (method_byname(cfg_opt_getnstr(opt, i)) == -1) {
			cfg_error(cfg, "methods: unknown method '%s' "
			    "(none, password)", cfg_opt_getnstr(opt, i));
			return -1;
		}
	if (n == 2 && method_byname(cfg_opt_getnstr(opt, 0)) ==
	    method_byname(cfg_opt_getnstr(opt, 1))) {
		cfg_error(cfg, "methods: '%s' given twice",
		    cfg_opt_getnstr(opt, 0));
		return -1;
	}
	return 0;
}

static int
validate_log(cfg_t *cfg, cfg_opt_t *opt)
{
	const char	*s = last_str(opt);

	if (strcasecmp(s, "syslog") != 0 && strcasecmp(s, "stderr") != 0) {
		cfg_error(cfg, "log: '%s' is neither \"syslog\" nor \"stderr\""
		    "%s", s, strncasecmp(s, "syslog/", 7) == 0 ? " (Dante's "
		    "syslog/FACILITY is log = \"syslog\" with log-facility = "
		    "\"FACILITY\")" : s[0] == '/' ? " (a log file is your "
		    "syslog daemon's rule; under -d, stderr)" : "");
		return -1;
	}
	return 0;
}

static int
validate_facility(cfg_t *cfg, cfg_opt_t *opt)
{
	if (log_facility_byname(last_str(opt)) == -1) {
		cfg_error(cfg, "log-facility: unknown facility '%s'",
		    last_str(opt));
		return -1;
	}
	return 0;
}

static int
validate_level(cfg_t *cfg, cfg_opt_t *opt)
{
	if (log_level_byname(last_str(opt)) == -1) {
		cfg_error(cfg, "log-level: unknown level '%s' (err, warning, "
		    "notice, info, debug)", last_str(opt));
		return -1;
	}
	return 0;
}

/* Dante's keywords, written as sockd.conf keys: what sockd has instead. */
static const char *const dante_keys[][2] = {
	{ "internal", "listen = { \"192.0.2.1:1080\" }" },
	{ "timeout.negotiate", "negotiate-timeout" },
	{ "timeout.connect", "connect-timeout" },
	{ "timeout.io", "idle-timeout for TCP and udp-timeout for UDP" },
	{ "timeout.io.tcp", "idle-timeout" },
	{ "timeout.io.udp", "udp-timeout" },
	{ "logoutput", "log = \"syslog\" or \"stderr\", and log-facility" },
	{ "errorlog", "nothing like it: send daemon.warning to a file with "
	    "your syslog daemon" },
	{ "debug", "log-level = \"debug\"" },
	{ "user.privileged", "user and group: sockd runs as one user" },
	{ "user.unprivileged", "user and group: sockd runs as one user" },
	{ "user.notprivileged", "user and group: sockd runs as one user" },
	{ "socksmethod", "methods at the top, method in a socks rule" },
	{ "clientmethod", "nothing like it: a client rule has no method; "
	    "logins are socks methods" },
	{ "protocol", "command = { \"connect\", \"bind\", \"bindreply\" } "
	    "for TCP, { \"udpassociate\", \"udpreply\" } for UDP" },
	{ "proxyprotocol", "socks4 = false at the top turns SOCKS4 off; SOCKS4 "
	    "counts as method none" },
	{ "group", "nothing like it: sockd's users are its password file's, "
	    "not the system's; list them in user" },
	{ "session.max", "client-max-sessions at the top, the closest: it "
	    "counts per client address" },
	{ "session.throttle", "client-rate and client-rate-interval at the "
	    "top, the closest: they count per client address" },
	{ "child.maxrequests", "max-sessions-per-worker" },
};

/* What sockd has for Dante's keyword key (n bytes), or NULL. */
static const char *
dante_key(const char *key, size_t n)
{
	size_t	 i;

	for (i = 0; i < sizeof(dante_keys) / sizeof(dante_keys[0]); i++)
		if (strlen(dante_keys[i][0]) == n &&
		    strncmp(key, dante_keys[i][0], n) == 0)
			return dante_keys[i][1];
	return NULL;
}

/*
 * A key sockd.conf lacks: Dante's "key: value" (libconfuse's "no such
 * option 'key:'") gets the syntax, and Dante's keyword sockd's word for
 * it.
 */
static const char *
dante_hint(const cfg_t *cfg, const char *msg)
{
	static char	 hint[320];
	const char	*q = strstr(msg, "no such option '"), *k;
	size_t		 n;
	int		 colon;

	if (q == NULL)
		return "";
	q += strlen("no such option '");
	n = strcspn(q, "'");
	/* Dante's client rules take "to" (its internal address) too */
	if (cfg != NULL && cfg->name != NULL &&
	    strcmp(cfg->name, "client") == 0 && strncmp(q, "to'", 3) == 0)
		return " (a client rule has from and listen: Dante's client "
		    "\"to\" is listen here, and where a client may go is a "
		    "socks rule's to)";
	colon = n > 1 && q[n] == '\'' && q[n - 1] == ':';
	k = dante_key(q, n - colon);
	if (!colon && k == NULL)
		return "";
	snprintf(hint, sizeof(hint), " (%s%s%s%s)", colon ? "Dante's syntax? "
	    "sockd.conf writes key = value: see \"Moving from Dante\" in "
	    "the README" : "", colon && k ? "; " : "", k ? "Dante's keyword; "
	    "sockd.conf has " : "", k ? k : "");
	return hint;
}

static int	 conf_nerrors;	/* libconfuse's messages in this parse */

/* libconfuse's messages, "file:line: what", go to our log. */
static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char	 raw[1024], msg[1024];
	size_t	 i, n = 0;

	conf_nerrors++;
	/* libconfuse quotes the file's bytes: a binary file's too */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	for (i = 0; raw[i] != '\0' && n + 5 < sizeof(msg); i++)
		if (raw[i] >= 0x20 && raw[i] < 0x7f)
			msg[n++] = raw[i];
		else
			n += snprintf(msg + n, sizeof(msg) - n, "\\x%02x",
			    (unsigned char)raw[i]);
	msg[n] = '\0';
	if (cfg != NULL && cfg->filename != NULL)
		log_warnx("%s:%d: %s%s", cfg->filename, cfg->line, msg,
		    dante_hint(cfg, msg));
	else
		log_warnx("%s%s", msg, dante_hint(cfg, msg));
}

static char *
xstrdup_or_null(const char *s)
{
	return (s == NULL || *s == '\0') ? NULL : strdup(s);
}

static void
copy_methods(uint8_t *methods, int *n, cfg_t *cfg)
{
	int	 i;

	*n = cfg_size(cfg, "methods");
	for (i = 0; i < *n; i++)
		methods[i] = method_byname(cfg_getnstr(cfg, "methods", i));
}

static void
add_listen(struct sockd_conf *c, const char *s, cfg_t *sec)
{
	struct listen_addr *la;

	if (c->c_nlisten == CONF_MAX_LISTEN) {
		c->c_nlisten++;		/* conf_check() says it */
		return;
	}
	la = &c->c_listen[c->c_nlisten++];
	addr_parse_hostport(s, &la->la_addr, &la->la_len);
	addr_ntop((struct sockaddr *)&la->la_addr, la->la_str,
	    sizeof(la->la_str));
	la->la_section = sec != NULL;
	la->la_line = sec != NULL ? sec->line : c->c_lines[CK_LISTEN];
	if (sec != NULL)
		copy_methods(la->la_methods, &la->la_nmethods, sec);
}

/* "listen" (unless only listener sections are given), then the sections. */
static void
copy_listen(struct sockd_conf *c, cfg_t *cfg)
{
	unsigned int	 i, nsec = cfg_size(cfg, "listener");
	cfg_t		*sec;

	if (nsec == 0 || cfg_getopt(cfg, "listen")->flags & CFGF_MODIFIED)
		for (i = 0; i < cfg_size(cfg, "listen"); i++)
			add_listen(c, cfg_getnstr(cfg, "listen", i), NULL);
	for (i = 0; i < nsec; i++) {
		sec = cfg_getnsec(cfg, "listener", i);
		add_listen(c, cfg_title(sec), sec);
	}
}

static void
copy_values(struct sockd_conf *c, cfg_t *cfg)
{
	copy_listen(c, cfg);
	c->c_user = xstrdup_or_null(cfg_getstr(cfg, "user"));
	c->c_group = xstrdup_or_null(cfg_getstr(cfg, "group"));
	c->c_pidfile = xstrdup_or_null(cfg_getstr(cfg, "pidfile"));
	c->c_passwd_file = xstrdup_or_null(cfg_getstr(cfg, "passwd-file"));
	c->c_external = xstrdup_or_null(cfg_getstr(cfg, "external"));
	c->c_workers = cfg_getint(cfg, "workers");
	c->c_min_spare = cfg_getint(cfg, "min-spare-workers");
	c->c_max_spawn_rate = cfg_getint(cfg, "max-spawn-rate");
	c->c_max_spare = cfg_getint(cfg, "max-spare-workers");
	c->c_max_workers = cfg_getint(cfg, "max-workers");
	c->c_max_sessions = cfg_getint(cfg, "max-sessions-per-worker");
	c->c_negotiate_timeout = cfg_getint(cfg, "negotiate-timeout");
	c->c_connect_timeout = cfg_getint(cfg, "connect-timeout");
	c->c_idle_timeout = cfg_getint(cfg, "idle-timeout");
	c->c_bind_timeout = cfg_getint(cfg, "bind-timeout");
	c->c_udp_timeout = cfg_getint(cfg, "udp-timeout");
	c->c_shutdown_timeout = cfg_getint(cfg, "shutdown-timeout");
	c->c_client_max_sessions = cfg_getint(cfg, "client-max-sessions");
	c->c_client_rate = cfg_getint(cfg, "client-rate");
	c->c_client_rate_interval = cfg_getint(cfg, "client-rate-interval");
	copy_methods(c->c_methods, &c->c_nmethods, cfg);
	c->c_pw_fail_delay = cfg_getint(cfg, "password-fail-delay");
	c->c_pw_cache_ttl = cfg_getint(cfg, "password-cache-ttl");
	c->c_pw_cache_size = cfg_getint(cfg, "password-cache-size");
	c->c_socks4 = cfg_getbool(cfg, "socks4");
	c->c_log_stderr = strcasecmp(cfg_getstr(cfg, "log"), "stderr") == 0;
	c->c_log_facility = log_facility_byname(cfg_getstr(cfg, "log-facility"));
	c->c_log_level = log_level_byname(cfg_getstr(cfg, "log-level"));
}

/* Checks that involve several keys; file-level, so no line to name. */
static int
conf_check_listen(const struct sockd_conf *c)
{
	char	 at[PATH_MAX + 16];
	int	 i, j;

	if (c->c_nlisten > CONF_MAX_LISTEN) {
		log_warnx("%s: more than %d listen addresses and listeners",
		    c->c_file, CONF_MAX_LISTEN);
		return -1;
	}
	if (c->c_nlisten == 0) {
		log_warnx("%s: no listen address and no listener: no client "
		    "could connect", c->c_file);
		return -1;
	}
	/* each list checked itself: here, listen against listeners */
	for (i = 0; i < c->c_nlisten; i++)
		for (j = 0; j < i; j++)
			if (c->c_listen[i].la_section !=
			    c->c_listen[j].la_section && addr_listen_clash(
			    (const struct sockaddr *)&c->c_listen[i].la_addr,
			    (const struct sockaddr *)&c->c_listen[j].la_addr)) {
				log_warnx("%s: %s and %s cannot both be bound "
				    "(listen, listener: %s)", conf_where(c,
				    CK_LISTEN, at, sizeof(at)),
				    c->c_listen[j].la_str,
				    c->c_listen[i].la_str, clash_why(
				    c->c_listen[i].la_str,
				    c->c_listen[j].la_str));
				return -1;
			}
	return 0;
}

/* A daemon runs in /: a relative path would be looked up there. */
static int
conf_check_paths(const struct sockd_conf *c)
{
	char	 at[PATH_MAX + 16];

	if (c->c_pidfile != NULL && c->c_pidfile[0] != '/') {
		log_warnx("%s: pidfile \"%s\" must be an absolute path",
		    conf_where(c, CK_PIDFILE, at, sizeof(at)), c->c_pidfile);
		return -1;
	}
	if (c->c_passwd_file == NULL && conf_uses_method(c,
	    S5_METHOD_PASSWORD)) {
		log_warnx("%s: passwd-file is empty, and the password method "
		    "is offered", conf_where(c, CK_PASSWD_FILE, at,
		    sizeof(at)));
		return -1;
	}
	if (c->c_passwd_file != NULL && c->c_passwd_file[0] != '/') {
		log_warnx("%s: passwd-file \"%s\" must be an absolute path",
		    conf_where(c, CK_PASSWD_FILE, at, sizeof(at)),
		    c->c_passwd_file);
		return -1;
	}
	return 0;
}

/*
 * A rule for password logins (method "password", or user) where no
 * listener offers the method can never match: a warning, since the file
 * works, but not as its author thought.
 */
static void
conf_warn_rules(const struct sockd_conf *c, const struct rule *r, int n,
    const char *set)
{
	int	 i;

	if (conf_uses_method(c, S5_METHOD_PASSWORD))
		return;
	for (i = 0; i < n; i++)
		if (r[i].r_nusers > 0 ||
		    (r[i].r_methods & RULE_M_ALL) == RULE_M_PASSWORD)
			log_warnx("%s:%d: %s rule #%d matches only password "
			    "logins (%s), and methods offers no \"password\": "
			    "it never matches", r[i].r_file, r[i].r_line, set,
			    r[i].r_number, r[i].r_nusers > 0 ? "user" :
			    "method");
}

static int
conf_check(const struct sockd_conf *c)
{
	char	 at[PATH_MAX + 16];

	if (conf_check_listen(c) == -1)
		return -1;
	if (c->c_workers > c->c_max_workers) {
		log_warnx("%s: workers (%d) is more than max-workers (%d)",
		    conf_where(c, CK_WORKERS, at, sizeof(at)), c->c_workers,
		    c->c_max_workers);
		return -1;
	}
	/* a failed login waits it in full, past negotiate-timeout too */
	if (c->c_pw_fail_delay > c->c_negotiate_timeout * 1000LL) {
		log_warnx("%s: password-fail-delay (%d ms) is longer than "
		    "negotiate-timeout (%d s)", conf_where(c, CK_PW_FAIL_DELAY,
		    at, sizeof(at)), c->c_pw_fail_delay,
		    c->c_negotiate_timeout);
		return -1;
	}
	if (c->c_min_spare > c->c_max_spare) {
		log_warnx("%s: min-spare-workers (%d) is more than "
		    "max-spare-workers (%d)", conf_where(c, CK_MIN_SPARE, at,
		    sizeof(at)), c->c_min_spare, c->c_max_spare);
		return -1;
	}
	conf_warn_rules(c, c->c_client_rules, c->c_nclient_rules, "client");
	conf_warn_rules(c, c->c_socks_rules, c->c_nsocks_rules, "socks");
	return conf_check_paths(c);
}

/*
 * A rule condition set to { } would match anything, as if it were left
 * out: the opposite of what the list says.  -1, logged, if one is.
 */
static int
conf_empty_condition(const char *file, const char *text, size_t len)
{
	static const char *const keys[] = {
		"from", "to", "port", "command", "method", "user", "listen", NULL
	};
	int	 i, line;

	/* in a section: a top-level listen = { } leaves it to listeners */
	for (i = 0; keys[i] != NULL; i++)
		if ((line = conf_empty_list(text, len, keys[i], 1)) != 0 ||
		    (line = conf_empty_add(text, len, keys[i], 1)) != 0) {
			log_warnx("%s:%d: %s: empty list: it would match "
			    "anything (leave the key out for that)", file,
			    line, keys[i]);
			return -1;
		}
	return 0;
}

/*
 * "listen += { ... }" beside listener sections: += adds to the default
 * (127.0.0.1:1080), which the sections turn off, so it would bring back
 * a listener nobody wrote, with the global methods.  -1, logged, if so.
 */
static int
conf_listen_add(const char *file, const char *text, size_t len)
{
	int	 line;

	if ((line = conf_key_add(text, len, "listen")) == 0 ||
	    conf_titled_section(text, len, "listener") == 0)
		return 0;
	log_warnx("%s:%d: listen +=: with listener sections there is no "
	    "default to add to (+= would bring back 127.0.0.1:1080): write "
	    "listen = { ... }", file, line);
	return -1;
}

/*
 * The file's text with its comments blanked, for libconfuse (see
 * conf_text.c); NULL, logged, if it cannot be read, a string, comment
 * or brace is still open at its end, or methods or a rule condition are
 * set to { }.  libconfuse calls no validator for an empty list, so those
 * checks read the text: with no methods every client would get 0xFF.
 */
static char *
conf_text(const char *file, size_t *len)
{
	struct conf_dup	 dup;
	const char	*what;
	char		*text;
	int		 line;

	if ((text = conf_read_text(file, len)) == NULL) {
		if (errno == EFBIG)
			log_warnx("%s: larger than %d KiB, the most sockd "
			    "reads", file, CONF_MAX_SIZE / 1024);
		else
			log_warn("%s", file);
		return NULL;
	}
	if ((line = conf_nul_line(text, *len)) != 0) {
		log_warnx("%s:%d: a NUL byte: not a text file", file, line);
		free(text);
		return NULL;
	}
	if ((what = conf_unclosed(text, *len, &line)) != NULL) {
		log_warnx("%s:%d: %s", file, line, what);
		free(text);
		return NULL;
	}
	conf_blank_comments(text, *len);
	if ((line = conf_empty_list(text, *len, "methods", 0)) != 0) {
		log_warnx("%s:%d: methods: empty list: no client could "
		    "authenticate", file, line);
		free(text);
		return NULL;
	}
	/* the same file must mean the same to -n, a start and a reload */
	if ((line = conf_env_ref(text, *len)) != 0) {
		log_warnx("%s:%d: \"${\": sockd does not take values from the "
		    "environment (libconfuse would)", file, line);
		free(text);
		return NULL;
	}
	if ((line = conf_dup_key(text, *len, &dup)) != 0) {
		log_warnx("%s:%d: %s is set twice in this section (first on "
		    "line %d): only the last would count; write one %s = "
		    "{ ... } list", file, line, dup.cd_key, dup.cd_first,
		    dup.cd_key);
		free(text);
		return NULL;
	}
	if (conf_empty_condition(file, text, *len) == -1 ||
	    conf_listen_add(file, text, *len) == -1) {
		free(text);
		return NULL;
	}
	return text;
}

/* the keys of enum conf_key, in its order */
static const char *const key_names[CK_NKEYS] = {
	"user", "group", "pidfile", "passwd-file", "workers",
	"min-spare-workers", "listen", "password-fail-delay"
};

/*
 * "file:line" where the file set key, or "file" when it did not (the
 * default was used): for errors found after parsing.
 */
const char *
conf_where(const struct sockd_conf *c, enum conf_key key, char *buf,
    size_t len)
{
	if (c->c_lines[key] > 0)
		snprintf(buf, len, "%s:%d", c->c_file, c->c_lines[key]);
	else
		snprintf(buf, len, "%s", c->c_file);
	return buf;
}

/* cfg_parse, but on the text with comments blanked (see conf_text.c). */
static int
conf_parse_text(cfg_t *cfg, const char *file, struct rule_lists *rl,
    int *lines)
{
	FILE	*fp;
	char	*text;
	size_t	 len;
	int	 rc, k;

	if ((text = conf_text(file, &len)) == NULL)
		return CFG_PARSE_ERROR;
	if ((fp = fmemopen(text, len, "r")) == NULL) {
		log_warn("%s", file);
		free(text);
		return CFG_FILE_ERROR;
	}
	free(cfg->filename);
	cfg->filename = strdup(file);
	for (k = 0; k < CK_NKEYS; k++)
		lines[k] = conf_key_line(text, len, key_names[k]);
	conf_rules_text(rl, text, len);
	conf_nerrors = 0;
	rc = cfg_parse_fp(cfg, fp);
	conf_rules_text(rl, NULL, 0);
	/* libconfuse fails on an empty name ("") without a word */
	if (rc == CFG_PARSE_ERROR && conf_nerrors == 0)
		log_warnx("%s:%d: not understood here (an empty \"\" where an "
		    "option's name goes?)", file, cfg->line);
	fclose(fp);
	free(text);
	return rc;
}

/* Parse file; the rule sections are compiled into rl as they are read. */
static cfg_t *
conf_parse(const char *file, struct rule_lists *rl, int *lines)
{
	const struct validator	*v;
	cfg_t			*cfg;
	int			 rc;

	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL)
		return NULL;
	cfg_set_error_function(cfg, conf_errfunc);
	for (v = validators; v->name != NULL; v++)
		cfg_set_validate_func(cfg, v->name, v->fn);
	conf_rules_setup(cfg, rl);
	rc = conf_parse_text(cfg, file, rl, lines);
	if (rc != CFG_SUCCESS) {
		cfg_free(cfg);
		conf_rules_discard(rl);
		return NULL;
	}
	return cfg;
}

/* log on a block rule: blocks are logged anyway, so say it does nothing. */
static void
warn_block_log(const struct rule *r, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (r[i].r_action == RULE_BLOCK && r[i].r_log != 0)
			log_warnx("%s:%d: log on a block rule does nothing: "
			    "every block is logged (level notice)",
			    r[i].r_file, r[i].r_line);
}

/*
 * The rules move into c; an empty set blocks everything, so say so, and
 * what a block rule's log does.
 */
static void
take_rules(struct sockd_conf *c, struct rule_lists *rl)
{
	c->c_client_rules = rl->rl_rules[RULESET_CLIENT];
	c->c_nclient_rules = rl->rl_n[RULESET_CLIENT];
	c->c_socks_rules = rl->rl_rules[RULESET_SOCKS];
	c->c_nsocks_rules = rl->rl_n[RULESET_SOCKS];
	memset(rl, 0, sizeof(*rl));
	if (c->c_nclient_rules == 0)
		log_warnx("%s: no client rules: every client will be refused "
		    "(add e.g. client pass { from = \"127.0.0.0/8\" })",
		    c->c_file);
	if (c->c_nsocks_rules == 0)
		log_warnx("%s: no socks rules: every request will be refused "
		    "(add e.g. socks pass { to = \"0/0\" })", c->c_file);
	warn_block_log(c->c_client_rules, c->c_nclient_rules);
	warn_block_log(c->c_socks_rules, c->c_nsocks_rules);
}

/* Parse file; NULL (after logging every error) when it is not valid. */
struct sockd_conf *
conf_load(const char *file)
{
	struct sockd_conf	*c;
	struct rule_lists	 rl;
	cfg_t			*cfg;
	int			 lines[CK_NKEYS];

	if ((cfg = conf_parse(file, &rl, lines)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cfg_free(cfg);
		conf_rules_discard(&rl);
		return NULL;
	}
	c->c_file = strdup(file);
	memcpy(c->c_lines, lines, sizeof(c->c_lines));
	copy_values(c, cfg);
	cfg_free(cfg);
	take_rules(c, &rl);
	if (conf_check(c) == -1) {
		conf_free(c);
		return NULL;
	}
	conf_lint(c);
	return c;
}

static int
is_any(const struct sockaddr *sa)
{
	struct sockaddr_storage	 any;

	memset(&any, 0, sizeof(any));
	any.ss_family = sa->sa_family;
	return addr_equal_host(sa, (struct sockaddr *)&any);
}

/*
 * The listener a client that came in on local reached: the one bound to
 * that address, else a wildcard of its family on its port ("*:1080" is
 * not "[::]:1080": IPv6 listeners are IPV6_V6ONLY); NULL when there is
 * none.
 */
const struct listen_addr *
conf_listener(const struct sockd_conf *c, const struct sockaddr *local)
{
	const struct listen_addr *la, *any = NULL;
	int	 i;

	for (i = 0; i < c->c_nlisten && local != NULL; i++) {
		la = &c->c_listen[i];
		if (addr_port((struct sockaddr *)&la->la_addr) !=
		    addr_port(local))
			continue;
		if (addr_equal_host((struct sockaddr *)&la->la_addr, local))
			return la;
		if (any == NULL && la->la_addr.ss_family == local->sa_family &&
		    is_any((struct sockaddr *)&la->la_addr))
			any = la;
	}
	return any;
}

/*
 * The methods offered to a client that came in on local: those of its
 * listener section, else the global ones.
 */
const uint8_t *
conf_methods(const struct sockd_conf *c, const struct sockaddr *local,
    int *n)
{
	const struct listen_addr *la = conf_listener(c, local);

	if (la != NULL && la->la_nmethods > 0) {
		*n = la->la_nmethods;
		return la->la_methods;
	}
	*n = c->c_nmethods;
	return c->c_methods;
}

/* Does any listener offer method m? */
int
conf_uses_method(const struct sockd_conf *c, uint8_t m)
{
	const uint8_t	*ms;
	int		 i, n;

	for (i = -1; i < c->c_nlisten; i++) {
		if (i < 0 || c->c_listen[i].la_nmethods == 0) {
			ms = c->c_methods;
			n = c->c_nmethods;
		} else {
			ms = c->c_listen[i].la_methods;
			n = c->c_listen[i].la_nmethods;
		}
		if (memchr(ms, m, n) != NULL)
			return 1;
	}
	return 0;
}

void
conf_free(struct sockd_conf *c)
{
	if (c == NULL)
		return;
	free(c->c_file);
	free(c->c_user);
	free(c->c_group);
	free(c->c_pidfile);
	free(c->c_passwd_file);
	free(c->c_external);
	rules_free(c->c_client_rules, c->c_nclient_rules);
	rules_free(c->c_socks_rules, c->c_nsocks_rules);
	auth_free(c->c_auth);
	free(c);
}
