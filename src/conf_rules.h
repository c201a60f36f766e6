/* conf_rules.h: the rule sections of sockd.conf, for conf.c. */
#ifndef SOCKD_CONF_RULES_H
#define SOCKD_CONF_RULES_H

#include <confuse.h>

struct rule;
struct conf_span;

/* the rules compiled so far, per set (RULESET_CLIENT, RULESET_SOCKS) */
struct rule_lists {
	struct rule		*rl_rules[2];
	int			 rl_n[2];
	struct conf_span	*rl_spans;	/* the file's sections */
	int			 rl_nspans;
	/* the value last warned about, for libconfuse's second look */
	const void		*rl_warn_opt;
	unsigned int		 rl_warn_n;
	char			 rl_warn_val[64];
};

extern cfg_opt_t conf_client_rule_opts[];
extern cfg_opt_t conf_socks_rule_opts[];

void	conf_rules_setup(cfg_t *, struct rule_lists *);
int	conf_section_line(cfg_t *, const char *);
void	conf_rules_text(struct rule_lists *, const char *, size_t);
void	conf_rules_discard(struct rule_lists *);

#endif
