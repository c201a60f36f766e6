/*
 * rules.h: the access rules as plain structs, and the pure code that
 * matches a question (who, where, how) against them: first match wins,
 * no match blocks.
 */
#ifndef SOCKD_RULES_H
#define SOCKD_RULES_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RULES_MAX		4096	/* rules per set; entries per list */
#define RULE_NAMELEN		255	/* a host name, as in SOCKS5 */

enum rule_set {
	RULESET_CLIENT,
	RULESET_SOCKS
};

enum rule_action {
	RULE_BLOCK,
	RULE_PASS
};

/* command bits (rule_cmd_bit maps S5_CMD_* and RULE_CMD_* to these) */
#define RULE_C_CONNECT		0x01
#define RULE_C_BIND		0x02
#define RULE_C_UDP		0x04
#define RULE_C_BINDREPLY	0x08
#define RULE_C_UDPREPLY		0x10
#define RULE_C_ALL		0x1f

/* method bits */
#define RULE_M_NONE		0x01
#define RULE_M_PASSWORD		0x02
#define RULE_M_ALL		0x03

/* what a rule asks to have logged */
#define RULE_L_CONNECT		0x01
#define RULE_L_DISCONNECT	0x02
#define RULE_L_ERROR		0x04

enum rule_dst_kind {
	RD_CIDR,	/* an address block */
	RD_HOST,	/* exactly this host name */
	RD_SUFFIX	/* ".example.com": the domain and every name in it */
};

struct rule_dst {
	enum rule_dst_kind	 d_kind;
	struct cidr		 d_cidr;
	char			*d_name;	/* lower case, no trailing dot */
};

struct rule_ports {
	uint16_t		 p_lo;
	uint16_t		 p_hi;
};

struct rule_listen {
	struct sockaddr_storage	 l_addr;	/* any address: port only */
};

struct rule {
	enum rule_set		 r_set;
	enum rule_action	 r_action;
	int			 r_number;	/* 1, 2, ... within its set */
	char			*r_file;
	int			 r_line;	/* where it starts */

	struct cidr		*r_from;	/* none: any client */
	int			 r_nfrom;
	struct rule_listen	*r_listen;	/* client rules; none: any */
	int			 r_nlisten;
	struct rule_dst		*r_to;		/* none: anywhere */
	int			 r_nto;
	struct rule_ports	*r_ports;	/* none: any port */
	int			 r_nports;
	unsigned int		 r_cmds;	/* RULE_C_* */
	unsigned int		 r_methods;	/* RULE_M_* */
	char			**r_users;	/* none: any user, or none */
	int			 r_nusers;
	unsigned int		 r_log;		/* RULE_L_* */
};

/*
 * The question.  A destination given as a name that is not resolved yet
 * has q_name set and q_addr.ss_family AF_UNSPEC; after resolution both
 * are set, and a rule's destination matches if its names match q_name
 * or its address blocks match q_addr.
 */
struct rule_query {
	struct sockaddr_storage	 q_client;
	struct sockaddr_storage	 q_listen;	/* AF_UNSPEC: unknown */
	char			 q_name[RULE_NAMELEN + 1];	/* "": none */
	struct sockaddr_storage	 q_addr;	/* AF_UNSPEC: none */
	uint16_t		 q_port;
	int			 q_cmd;		/* S5_CMD_* or RULE_CMD_* */
	int			 q_method;	/* S5_METHOD_* */
	char			 q_user[256];	/* "": not authenticated */
	int			 q_anydst;	/* no destination yet (a UDP
						   association): rules whose
						   to and port do not cover
						   every one say MAYBE */
};

/* rule_eval's answers */
#define RULE_NOMATCH	0
#define RULE_MATCH	1
#define RULE_MAYBE	2	/* depends on the address the name resolves to */

/*
 * building (conf_rules.c calls these): each returns -1 on a bad value,
 * or with errno E2BIG when the list already has RULES_MAX entries (a
 * port range or port counts as one), or ENOMEM
 */
void	rule_init(struct rule *, enum rule_set, enum rule_action);
void	rule_clear(struct rule *);
void	rules_free(struct rule *, int);
int	rule_add_from(struct rule *, const char *);
int	rule_add_listen(struct rule *, const char *);
int	rule_add_to(struct rule *, const char *);
int	rule_add_ports(struct rule *, const char *);
int	rule_add_user(struct rule *, const char *);
int	rule_cmd_byname(const char *);
int	rule_method_byname(const char *);
int	rule_log_byname(const char *);
int	rule_action_byname(const char *);
unsigned int rule_cmd_bit(int);

/* matching */
int	rule_eval(const struct rule *, const struct rule_query *, char *,
	    size_t);
int	rule_first(const struct rule *, int, const struct rule_query *,
	    int *);
int	rule_matches_all(const struct rule *);
int	rule_any_pass(const struct rule *, int, const struct rule_query *,
	    int *);

/* words */
const char *rule_set_name(enum rule_set);
const char *rule_action_name(enum rule_action);
const char *rule_cmd_name(int);
char	*rule_format(const struct rule *, char *, size_t);

/* query.c: `sockd -n -q 'from A to B port N ...'` as a struct rule_query */
#define RQ_FROM		0x01
#define RQ_TO		0x02
#define RQ_PORT		0x04
#define RQ_COMMAND	0x08
#define RQ_METHOD	0x10
#define RQ_USER		0x20
#define RQ_LISTEN	0x40

int	rule_query_parse(const char *, struct rule_query *, char *, size_t);
int	rule_query_set_dst(struct rule_query *, const char *);

#endif
