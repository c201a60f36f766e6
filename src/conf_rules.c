/*
 * conf_rules.c: the `client` and `socks` rule sections of sockd.conf.
 * Each value is checked as libconfuse reads it (so an error names its
 * line), and each section is compiled into a struct rule as it closes,
 * in file order, then dropped from libconfuse's tree: libconfuse would
 * otherwise merge sections with the same title ("socks pass" twice).
 */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_rules.h"
#include "conf_text.h"
#include "rules.h"

struct rule_key {
	const char	*k_name;
	int		(*k_add)(struct rule *, const char *);
	const char	*k_want;
};

static int	add_cmd(struct rule *, const char *);
static int	add_method(struct rule *, const char *);
static int	add_log(struct rule *, const char *);

static const struct rule_key rule_keys[] = {
	{ "from", rule_add_from, "an address or CIDR block (10.0.0.0/8, "
	    "2001:db8::/32, ::1, 0/0)" },
	{ "listen", rule_add_listen, "a listener ADDRESS:PORT "
	    "(127.0.0.1:1080, [::1]:1080, *:1080)" },
	{ "to", rule_add_to, "an address, CIDR block, host name or "
	    ".domain suffix" },
	{ "port", rule_add_ports, "ports such as 80, 80,443, 8000-8999, "
	    "<1024, >=1024, gt 1023, neq 25" },
	{ "command", add_cmd, "a command (connect, bind, udpassociate, "
	    "bindreply, udpreply)" },
	{ "method", add_method, "a method (none, password)" },
	{ "user", rule_add_user, "a user name (one name a string, "
	    "user = { \"alice\", \"bob\" }, as sockpasswd(8) takes it, "
	    "and no ',')" },
	{ "log", add_log, "a log event (connect, disconnect, error)" },
	{ NULL, NULL, NULL }
};

cfg_opt_t conf_client_rule_opts[] = {
	CFG_STR_LIST("from", NULL, CFGF_NONE),
	CFG_STR_LIST("listen", NULL, CFGF_NONE),
	CFG_STR_LIST("log", NULL, CFGF_NONE),
	CFG_END()
};

cfg_opt_t conf_socks_rule_opts[] = {
	CFG_STR_LIST("from", NULL, CFGF_NONE),
	CFG_STR_LIST("to", NULL, CFGF_NONE),
	CFG_STR_LIST("port", NULL, CFGF_NONE),
	CFG_STR_LIST("command", NULL, CFGF_NONE),
	CFG_STR_LIST("method", NULL, CFGF_NONE),
	CFG_STR_LIST("user", NULL, CFGF_NONE),
	CFG_STR_LIST("log", NULL, CFGF_NONE),
	CFG_END()
};

/* Where sections go while a file is parsed (conf_load is not reentrant). */
static struct rule_lists	*cur;

static int
add_bits(unsigned int *bits, int bit)
{
	if (bit == -1)
		return -1;
	*bits |= (unsigned int)bit;
	return 0;
}

static int
add_cmd(struct rule *r, const char *s)
{
	return add_bits(&r->r_cmds, rule_cmd_byname(s));
}

static int
add_method(struct rule *r, const char *s)
{
	return add_bits(&r->r_methods, rule_method_byname(s));
}

static int
add_log(struct rule *r, const char *s)
{
	return add_bits(&r->r_log, rule_log_byname(s));
}

static const struct rule_key *
rule_key(const char *name)
{
	const struct rule_key	*k;

	for (k = rule_keys; k->k_name != NULL; k++)
		if (strcmp(k->k_name, name) == 0)
			return k;
	return NULL;
}

/*
 * A block with host bits set ("10.0.0.1/8") means the whole block: a
 * warning naming file and line, in case a host (/32) was meant.  Once
 * per value: libconfuse validates a list's last value again at its '}'
 * (the same option, count and value, in a row).
 */
static void
warn_host_bits(cfg_t *sec, cfg_opt_t *opt, const char *s)
{
	struct cidr	 c;
	char		 buf[INET6_ADDRSTRLEN + 8];
	unsigned int	 n = cfg_opt_size(opt);

	if (strchr(s, '/') == NULL || cidr_parse(s, &c) == -1 ||
	    !cidr_clear_host(&c))
		return;
	if (cur != NULL && cur->rl_warn_opt == opt && cur->rl_warn_n == n &&
	    strcmp(cur->rl_warn_val, s) == 0)
		return;
	if (cur != NULL) {
		cur->rl_warn_opt = opt;
		cur->rl_warn_n = n;
		snprintf(cur->rl_warn_val, sizeof(cur->rl_warn_val), "%s", s);
	}
	cfg_error(sec, "warning: %s: '%s' has host bits set: it is the block "
	    "%s", opt->name, s, cidr_ntop(&c, buf, sizeof(buf)));
}

/*
 * Each value of one key, as it is read (libconfuse calls this once per
 * value, the new one last): a scratch rule takes it.
 */
static int
validate_key(cfg_t *sec, cfg_opt_t *opt)
{
	const struct rule_key	*k = rule_key(opt->name);
	unsigned int		 n = cfg_opt_size(opt);
	struct rule		 r;
	int			 rc;

	if (k == NULL || n == 0)
		return 0;
	if (n > RULES_MAX) {
		cfg_error(sec, "%s: too many entries (at most %d)", k->k_name,
		    RULES_MAX);
		return -1;
	}
	rule_init(&r, RULESET_SOCKS, RULE_PASS);
	if ((rc = k->k_add(&r, cfg_opt_getnstr(opt, n - 1))) == -1)
		cfg_error(sec, "%s: '%s' is not %s", k->k_name,
		    cfg_opt_getnstr(opt, n - 1), k->k_want);
	else if (k->k_add == rule_add_from || k->k_add == rule_add_to)
		warn_host_bits(sec, opt, cfg_opt_getnstr(opt, n - 1));
	rule_clear(&r);
	return rc;
}

/*
 * Copy one section's values into r.  Each was checked as it was read,
 * so what can fail is room: "80,443" is two ports for one entry.
 */
static int
compile_section(cfg_t *sec, struct rule *r)
{
	const struct rule_key	*k;
	cfg_opt_t		*opt;
	unsigned int		 i;

	for (opt = sec->opts; opt->name != NULL; opt++) {
		if (cfg_opt_size(opt) == 0 || (k = rule_key(opt->name)) == NULL)
			continue;
		if (strcmp(opt->name, "command") == 0)
			r->r_cmds = 0;
		if (strcmp(opt->name, "method") == 0)
			r->r_methods = 0;
		for (i = 0; i < cfg_opt_size(opt); i++)
			if (k->k_add(r, cfg_opt_getnstr(opt, i)) == -1) {
				if (errno == E2BIG)
					cfg_error(sec, "%s: too many entries "
					    "(at most %d ports and ranges)",
					    k->k_name, RULES_MAX);
				else
					cfg_error(sec, "%s: out of memory",
					    k->k_name);
				return -1;
			}
	}
	return 0;
}

static int
append_rule(cfg_t *cfg, struct rule_lists *rl, struct rule *r)
{
	struct rule	**rules = &rl->rl_rules[r->r_set], *p;
	int		 *n = &rl->rl_n[r->r_set];

	if (*n >= RULES_MAX) {
		cfg_error(cfg, "too many %s rules (at most %d)",
		    r->r_set == RULESET_CLIENT ? "client" : "socks", RULES_MAX);
		return -1;
	}
	if ((p = realloc(*rules, (*n + 1) * sizeof(*p))) == NULL) {
		cfg_error(cfg, "out of memory");
		return -1;
	}
	*rules = p;
	r->r_number = *n + 1;
	p[(*n)++] = *r;
	return 0;
}

/*
 * The line a section starts on (its name), from the text's sections:
 * libconfuse only knows the line where it closed.
 */
static int
section_line(struct rule_lists *rl, const char *name, int close)
{
	int	 i;

	if (rl == NULL)
		return close;
	for (i = 0; i < rl->rl_nspans; i++)
		if (!rl->rl_spans[i].cs_used &&
		    rl->rl_spans[i].cs_close == close &&
		    strcmp(rl->rl_spans[i].cs_name, name) == 0) {
			rl->rl_spans[i].cs_used = 1;
			return rl->rl_spans[i].cs_open;
		}
	return close;
}

/* The line where the section named name that just closed starts. */
int
conf_section_line(cfg_t *cfg, const char *name)
{
	return section_line(cur, name, cfg->line);
}

/* A "client ..." or "socks ..." section has just closed. */
static int
section_done(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t		*sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char	*title = cfg_title(sec);
	struct rule	 r;
	int		 action, line = conf_section_line(cfg, opt->name);

	if ((action = rule_action_byname(title)) == -1) {
		cfg->line = line;	/* at the title, not the closing brace */
		cfg_error(cfg, "'%s %s': a rule is '%s pass' or '%s block'",
		    opt->name, title, opt->name, opt->name);
		return -1;		/* parsing ends here */
	}
	rule_init(&r, strcmp(opt->name, "client") == 0 ? RULESET_CLIENT :
	    RULESET_SOCKS, action);
	r.r_line = line;
	if ((r.r_file = strdup(cfg->filename ? cfg->filename : "-")) == NULL)
		cfg_error(cfg, "out of memory");
	else if (compile_section(sec, &r) == 0 &&
	    append_rule(cfg, cur, &r) == 0) {
		cfg_rmtsec(cfg, opt->name, title);
		return 0;
	}
	rule_clear(&r);
	return -1;
}

/* Before cfg_parse: compiled rules will be appended to rl. */
void
conf_rules_setup(cfg_t *cfg, struct rule_lists *rl)
{
	static const char *const sections[] = { "client", "socks" };
	char			 path[32];
	size_t			 i;
	cfg_opt_t		*o;

	memset(rl, 0, sizeof(*rl));
	cur = rl;
	for (i = 0; i < 2; i++) {
		cfg_set_validate_func(cfg, sections[i], section_done);
		o = i == 0 ? conf_client_rule_opts : conf_socks_rule_opts;
		for (; o->name != NULL; o++) {
			snprintf(path, sizeof(path), "%s|%s", sections[i],
			    o->name);
			cfg_set_validate_func(cfg, path, validate_key);
		}
	}
}

/* The text being parsed (comments blanked), for rule lines; NULL: done. */
void
conf_rules_text(struct rule_lists *rl, const char *text, size_t len)
{
	size_t	 i;
	int	 n = 0;

	free(rl->rl_spans);
	rl->rl_spans = NULL;
	rl->rl_nspans = 0;
	if (text == NULL)
		return;
	for (i = 0; i < len; i++)
		n += text[i] == '{';
	if (n > 0 && (rl->rl_spans = calloc(n, sizeof(*rl->rl_spans))) != NULL)
		rl->rl_nspans = conf_sections(text, len, rl->rl_spans, n);
}

void
conf_rules_discard(struct rule_lists *rl)
{
	rules_free(rl->rl_rules[RULESET_CLIENT], rl->rl_n[RULESET_CLIENT]);
	rules_free(rl->rl_rules[RULESET_SOCKS], rl->rl_n[RULESET_SOCKS]);
	conf_rules_text(rl, NULL, 0);
	memset(rl, 0, sizeof(*rl));
	cur = NULL;
}
