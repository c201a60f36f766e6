/*
 * rules.c: access rules: build them from strings, match a question
 * against them (first match wins), and put both into words for
 * `sockd -n`.  Pure: no I/O, no logging, no globals.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "passwd.h"
#include "proto.h"
#include "rules.h"
#include "session.h"

struct word {
	const char	*w_name;
	int		 w_value;
};

static const struct word cmd_words[] = {
	{ "connect",		RULE_C_CONNECT },
	{ "bind",		RULE_C_BIND },
	{ "udpassociate",	RULE_C_UDP },
	{ "bindreply",		RULE_C_BINDREPLY },
	{ "udpreply",		RULE_C_UDPREPLY },
	{ NULL,			0 }
};

static const struct word method_words[] = {
	{ "none",		RULE_M_NONE },
	{ "password",		RULE_M_PASSWORD },
	{ "username",		RULE_M_PASSWORD },
	{ NULL,			0 }
};

static const struct word log_words[] = {
	{ "connect",		RULE_L_CONNECT },
	{ "disconnect",		RULE_L_DISCONNECT },
	{ "error",		RULE_L_ERROR },
	{ NULL,			0 }
};

static const struct word action_words[] = {
	{ "pass",		RULE_PASS },
	{ "block",		RULE_BLOCK },
	{ NULL,			0 }
};

/* the protocol's command numbers and their bits */
static const struct word cmd_bits[] = {
	{ "connect",		S5_CMD_CONNECT },
	{ "bind",		S5_CMD_BIND },
	{ "udpassociate",	S5_CMD_UDP },
	{ "bindreply",		RULE_CMD_BINDREPLY },
	{ "udpreply",		RULE_CMD_UDPREPLY },
	{ NULL,			0 }
};

static int
word_value(const struct word *w, const char *name)
{
	for (; w->w_name != NULL; w++)
		if (strcasecmp(w->w_name, name) == 0)
			return w->w_value;
	return -1;
}

int
rule_cmd_byname(const char *s)
{
	return word_value(cmd_words, s);
}

int
rule_method_byname(const char *s)
{
	return word_value(method_words, s);
}

int
rule_log_byname(const char *s)
{
	return word_value(log_words, s);
}

int
rule_action_byname(const char *s)
{
	return word_value(action_words, s);
}

/* S5_CMD_* or RULE_CMD_* to its RULE_C_* bit; 0 for anything else. */
unsigned int
rule_cmd_bit(int cmd)
{
	const struct word	*w;

	for (w = cmd_bits; w->w_name != NULL; w++)
		if (w->w_value == cmd)
			return (unsigned int)word_value(cmd_words, w->w_name);
	return 0;
}

const char *
rule_cmd_name(int cmd)
{
	const struct word	*w;

	for (w = cmd_bits; w->w_name != NULL; w++)
		if (w->w_value == cmd)
			return w->w_name;
	return "unknown";
}

const char *
rule_set_name(enum rule_set set)
{
	return set == RULESET_CLIENT ? "client" : "socks";
}

const char *
rule_action_name(enum rule_action a)
{
	return a == RULE_PASS ? "pass" : "block";
}

/* Building */

void
rule_init(struct rule *r, enum rule_set set, enum rule_action action)
{
	memset(r, 0, sizeof(*r));
	r->r_set = set;
	r->r_action = action;
	r->r_cmds = RULE_C_ALL;
	r->r_methods = RULE_M_ALL;
}

void
rule_clear(struct rule *r)
{
	int	 i;

	for (i = 0; i < r->r_nto; i++)
		free(r->r_to[i].d_name);
	for (i = 0; i < r->r_nusers; i++)
		free(r->r_users[i]);
	free(r->r_file);
	free(r->r_from);
	free(r->r_listen);
	free(r->r_to);
	free(r->r_ports);
	free(r->r_users);
	memset(r, 0, sizeof(*r));
}

void
rules_free(struct rule *rules, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		rule_clear(&rules[i]);
	free(rules);
}

/*
 * Room for one more element in *arr (which holds n of size sz); NULL
 * with errno E2BIG when it holds RULES_MAX already.
 */
static void *
grow(void *arrp, int n, size_t sz)
{
	void	**arr = arrp, *p;

	if (n >= RULES_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if ((p = realloc(*arr, (n + 1) * sz)) == NULL)
		return NULL;
	*arr = p;
	return (char *)p + n * sz;
}

int
rule_add_from(struct rule *r, const char *s)
{
	struct cidr	 c, *p;

	if (cidr_parse(s, &c) == -1 || (p = grow(&r->r_from, r->r_nfrom,
	    sizeof(*p))) == NULL)
		return -1;
	*p = c;
	r->r_nfrom++;
	return 0;
}

int
rule_add_listen(struct rule *r, const char *s)
{
	struct sockaddr_storage	 ss;
	struct rule_listen	*p;
	socklen_t		 len;

	if (strncmp(s, "[*]:", 4) == 0)
		s += 2;		/* "[*]:1080" is "*:1080" */
	if (addr_parse_hostport(s, &ss, &len) == -1 ||
	    (p = grow(&r->r_listen, r->r_nlisten, sizeof(*p))) == NULL)
		return -1;
	p->l_addr = ss;
	r->r_nlisten++;
	return 0;
}

/* A host name: letters, digits, '-', '_' and dots, not all numeric. */
static int
valid_name(const char *s)
{
	size_t	 i, len = strlen(s);
	int	 alpha = 0;

	if (len == 0 || len > RULE_NAMELEN || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]) || s[i] == '-' || s[i] == '_')
			alpha = 1;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			return 0;
		if (s[i] == '.' && i + 1 < len && s[i + 1] == '.')
			return 0;
	}
	return alpha;
}

/* Lower case, without a trailing dot: the form names are compared in. */
static char *
name_dup(const char *s)
{
	char	*d, *p;

	if ((d = strdup(s)) == NULL)
		return NULL;
	for (p = d; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	if (p > d + 1 && p[-1] == '.')
		p[-1] = '\0';
	return d;
}

static int
parse_dst(const char *s, struct rule_dst *d)
{
	memset(d, 0, sizeof(*d));
	if (cidr_parse(s, &d->d_cidr) == 0) {
		d->d_kind = RD_CIDR;
		return 0;
	}
	if (s[0] == '.' && valid_name(s + 1)) {
		d->d_kind = RD_SUFFIX;
		return (d->d_name = name_dup(s)) == NULL ? -1 : 0;
	}
	if (valid_name(s)) {
		d->d_kind = RD_HOST;
		return (d->d_name = name_dup(s)) == NULL ? -1 : 0;
	}
	return -1;
}

/* "10.0.0.0/8", "2001:db8::/32", "0/0", "host.example.com", ".example.com" */
int
rule_add_to(struct rule *r, const char *s)
{
	struct rule_dst	 d, *p;

	if (parse_dst(s, &d) == -1)
		return -1;
	if ((p = grow(&r->r_to, r->r_nto, sizeof(*p))) == NULL) {
		free(d.d_name);
		return -1;
	}
	*p = d;
	r->r_nto++;
	return 0;
}

static int
port_number(const char *s, long *v)
{
	char	*end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	*v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	return (*end != '\0' || *v > 65535) ? -1 : 0;
}

/* One port form: "80", "8000-8999", "<1024", ">1024", "<=", ">=", "=". */
static int
parse_port_form(const char *s, struct rule_ports *p)
{
	const char	*dash;
	char		 lo[8];
	long		 a, b;

	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '<' || s[0] == '>') {
		int	 eq = s[1] == '=';

		if (port_number(s + 1 + eq, &a) == -1)
			return -1;
		if (s[0] == '<') {
			b = eq ? a : a - 1;
			a = 0;
		} else {
			a = eq ? a : a + 1;
			b = 65535;
		}
	} else if ((dash = strchr(s, '-')) != NULL) {
		if (dash - s >= (long)sizeof(lo))
			return -1;
		memcpy(lo, s, dash - s);
		lo[dash - s] = '\0';
		if (port_number(lo, &a) == -1 ||
		    port_number(dash + 1, &b) == -1)
			return -1;
	} else if (port_number(s + (s[0] == '='), &a) == 0)
		b = a;
	else
		return -1;
	if (a > b || b < 0 || a > 65535)
		return -1;	/* empty: "<0", ">65535", "90-80" */
	p->p_lo = (uint16_t)a;
	p->p_hi = (uint16_t)b;
	return 0;
}

static int
add_port_form(struct rule *r, const char *form)
{
	struct rule_ports	 pr, *p;

	if (parse_port_form(form, &pr) == -1 ||
	    (p = grow(&r->r_ports, r->r_nports, sizeof(*p))) == NULL)
		return -1;
	*p = pr;
	r->r_nports++;
	return 0;
}

/*
 * Dante's operators, "gt 1023", "neq 80", as the forms above: into buf,
 * and for "neq" / "!=" a second form into buf2 (else buf2 is "").
 */
static void
dante_port_op(const char *s, char *buf, char *buf2, size_t len)
{
	static const char *const ops[][2] = {
		{ "eq", "=" }, { "lt", "<" }, { "le", "<=" }, { "gt", ">" },
		{ "ge", ">=" }, { "neq", "" }, { "ne", "" }, { "!=", "" },
	};
	size_t	 i, n;

	buf2[0] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i][0]);
		if (strncmp(s, ops[i][0], n) != 0 ||
		    (ops[i][0][0] != '!' && isalpha((unsigned char)s[n])))
			continue;
		if (ops[i][1][0] != '\0') {
			snprintf(buf, len, "%s%s", ops[i][1], s + n);
			return;
		}
		snprintf(buf, len, "<%s", s + n);
		snprintf(buf2, len, ">%s", s + n);
		return;
	}
	snprintf(buf, len, "%s", s);
}

/*
 * A comma-separated list of port forms: "80,443,8000-8999,>1024", and
 * Dante's "eq 80", "gt 1023", "neq 80" (two ranges).
 */
int
rule_add_ports(struct rule *r, const char *s)
{
	char		 form[32], a[40], b[40];
	const char	*comma;
	size_t		 len;

	for (;;) {
		comma = strchr(s, ',');
		len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (len >= sizeof(form))
			return -1;
		memcpy(form, s, len);
		form[len] = '\0';
		dante_port_op(form, a, b, sizeof(a));
		if (add_port_form(r, a) == -1 ||
		    (b[0] != '\0' && add_port_form(r, b) == -1))
			return -1;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

int
rule_add_user(struct rule *r, const char *s)
{
	char	**p;

	/* a name sockpasswd could write; a comma is a Dante-style list */
	if (!passwd_name_ok(s, strlen(s)) || strchr(s, ',') != NULL ||
	    (p = grow(&r->r_users, r->r_nusers, sizeof(*p))) == NULL)
		return -1;
	if ((*p = strdup(s)) == NULL)
		return -1;
	r->r_nusers++;
	return 0;
}

/* Explanations: appended into a caller's buffer when there is one. */

struct why {
	char	*w_buf;
	size_t	 w_len;
	size_t	 w_off;
};

static void __attribute__((format(printf, 2, 3)))
why_add(struct why *w, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (w->w_buf == NULL || w->w_off >= w->w_len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->w_buf + w->w_off, w->w_len - w->w_off, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->w_off += (size_t)n;
	if (w->w_off >= w->w_len)
		w->w_off = w->w_len - 1;
}

static void
why_list(struct why *w, const struct word *words, unsigned int bits)
{
	const char	*sep = "";

	if (w->w_buf == NULL)
		return;
	for (; words->w_name != NULL; words++)
		if ((bits & words->w_value) &&
		    strcmp(words->w_name, "username") != 0) {
			why_add(w, "%s%s", sep, words->w_name);
			sep = ",";
		}
}

static void
why_cidrs(struct why *w, const struct cidr *c, int n)
{
	char	 buf[INET6_ADDRSTRLEN + 8];
	int	 i;

	if (w->w_buf == NULL)
		return;
	for (i = 0; i < n; i++)
		why_add(w, "%s%s", i ? "," : "", cidr_ntop(&c[i], buf,
		    sizeof(buf)));
}

static void
why_dst(struct why *w, const struct rule_dst *d)
{
	char	 buf[INET6_ADDRSTRLEN + 8];

	if (w->w_buf == NULL)
		return;
	if (d->d_kind == RD_CIDR)
		why_add(w, "%s", cidr_ntop(&d->d_cidr, buf, sizeof(buf)));
	else
		why_add(w, "%s", d->d_name);
}

static void
why_dsts(struct why *w, const struct rule *r)
{
	int	 i;

	if (w->w_buf == NULL)
		return;
	for (i = 0; i < r->r_nto; i++) {
		why_add(w, "%s", i ? "," : "");
		why_dst(w, &r->r_to[i]);
	}
}

static void
why_ports(struct why *w, const struct rule *r)
{
	const struct rule_ports	*p;
	int			 i;

	if (w->w_buf == NULL)
		return;
	for (i = 0; i < r->r_nports; i++) {
		p = &r->r_ports[i];
		if (p->p_lo == p->p_hi)
			why_add(w, "%s%u", i ? "," : "", p->p_lo);
		else
			why_add(w, "%s%u-%u", i ? "," : "", p->p_lo, p->p_hi);
	}
}

/* A wildcard listen ("*:1080", "0.0.0.0:1080", "[::]:1080") takes both. */
static int
listen_any(const struct rule_listen *l)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&l->l_addr;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&l->l_addr;

	return l->l_addr.ss_family == AF_INET ?
	    sin->sin_addr.s_addr == INADDR_ANY :
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

static void
why_listens(struct why *w, const struct rule *r)
{
	const struct rule_listen *l;
	char	 buf[ADDR_STRLEN];
	int	 i;

	if (w->w_buf == NULL)
		return;
	for (i = 0; i < r->r_nlisten; i++) {
		l = &r->r_listen[i];
		if (listen_any(l))
			why_add(w, "%s*:%u", i ? "," : "",
			    addr_port((const struct sockaddr *)&l->l_addr));
		else
			why_add(w, "%s%s", i ? "," : "", addr_ntop((const
			    struct sockaddr *)&l->l_addr, buf, sizeof(buf)));
	}
}

static void
why_users(struct why *w, const struct rule *r)
{
	int	 i;

	if (w->w_buf == NULL)
		return;
	for (i = 0; i < r->r_nusers; i++)
		why_add(w, "%s%s", i ? "," : "", r->r_users[i]);
}

/* The rule on one line, as `sockd -n` lists it. */
char *
rule_format(const struct rule *r, char *buf, size_t len)
{
	struct why	 w = { buf, len, 0 };

	buf[0] = '\0';
	why_add(&w, "%s %s from ", rule_set_name(r->r_set),
	    rule_action_name(r->r_action));
	if (r->r_nfrom == 0)
		why_add(&w, "0/0");
	why_cidrs(&w, r->r_from, r->r_nfrom);
	if (r->r_nlisten > 0) {
		why_add(&w, " listen ");
		why_listens(&w, r);
	}
	if (r->r_set == RULESET_CLIENT)
		goto logflags;
	why_add(&w, " to %s", r->r_nto == 0 ? "0/0" : "");
	why_dsts(&w, r);
	if (r->r_nports > 0) {
		why_add(&w, " port ");
		why_ports(&w, r);
	}
	if (r->r_cmds != RULE_C_ALL) {
		why_add(&w, " command ");
		why_list(&w, cmd_words, r->r_cmds);
	}
	if (r->r_methods != RULE_M_ALL) {
		why_add(&w, " method ");
		why_list(&w, method_words, r->r_methods);
	}
	if (r->r_nusers > 0) {
		why_add(&w, " user ");
		why_users(&w, r);
	}
logflags:
	if (r->r_log != 0) {
		why_add(&w, " log ");
		why_list(&w, log_words, r->r_log);
	}
	return buf;
}

/* Matching */

static const struct sockaddr *
sa(const struct sockaddr_storage *ss)
{
	return (const struct sockaddr *)ss;
}

/* The client's address, for an explanation (only when there is one). */
static const char *
why_client(const struct why *w, const struct rule_query *q, char *a,
    size_t len)
{
	if (w->w_buf == NULL)
		return "";
	return addr_ntop_host(sa(&q->q_client), a, len);
}

static int
match_from(const struct rule *r, const struct rule_query *q, struct why *w)
{
	char	 a[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN + 8];
	int	 i;

	if (r->r_nfrom == 0) {
		why_add(w, "from 0/0 (any) matches %s", why_client(w, q, a,
		    sizeof(a)));
		return 1;
	}
	for (i = 0; i < r->r_nfrom; i++)
		if (cidr_match(&r->r_from[i], sa(&q->q_client))) {
			if (w->w_buf != NULL)
				why_add(w, "from %s matches %s", cidr_ntop(
				    &r->r_from[i], c, sizeof(c)), why_client(w,
				    q, a, sizeof(a)));
			return 1;
		}
	why_add(w, "client %s is not in from ", why_client(w, q, a, sizeof(a)));
	why_cidrs(w, r->r_from, r->r_nfrom);
	return 0;
}

static int
listen_match(const struct rule_listen *l, const struct sockaddr *local)
{
	const struct sockaddr	*la = sa(&l->l_addr);

	if (addr_port(la) != addr_port(local))
		return 0;
	return listen_any(l) || addr_equal_host(la, local);
}

static int
match_listen(const struct rule *r, const struct rule_query *q, struct why *w)
{
	char	 a[ADDR_STRLEN];
	int	 i;

	if (r->r_nlisten == 0)
		return 1;
	if (w->w_buf != NULL)
		addr_ntop(sa(&q->q_listen), a, sizeof(a));
	for (i = 0; i < r->r_nlisten; i++)
		if (q->q_listen.ss_family != AF_UNSPEC &&
		    listen_match(&r->r_listen[i], sa(&q->q_listen))) {
			why_add(w, ", listener %s matches", a);
			return 1;
		}
	why_add(w, "; listener %s is not in listen ", a);
	why_listens(w, r);
	return 0;
}

static int
match_port(const struct rule *r, const struct rule_query *q, struct why *w)
{
	int	 i;

	if (r->r_nports == 0)
		return 1;
	for (i = 0; i < r->r_nports; i++)
		if (q->q_port >= r->r_ports[i].p_lo &&
		    q->q_port <= r->r_ports[i].p_hi) {
			why_add(w, ", port %u matches", q->q_port);
			return 1;
		}
	why_add(w, "; port %u is not in port ", q->q_port);
	why_ports(w, r);
	return 0;
}

static int
match_cmd(const struct rule *r, const struct rule_query *q, struct why *w)
{
	if (r->r_cmds & rule_cmd_bit(q->q_cmd)) {
		if (r->r_cmds != RULE_C_ALL)
			why_add(w, ", command %s matches",
			    rule_cmd_name(q->q_cmd));
		return 1;
	}
	why_add(w, "; command %s is not in command ", rule_cmd_name(q->q_cmd));
	why_list(w, cmd_words, r->r_cmds);
	return 0;
}

static int
match_method(const struct rule *r, const struct rule_query *q, struct why *w)
{
	unsigned int	 bit = q->q_method == S5_METHOD_PASSWORD ?
	    RULE_M_PASSWORD : RULE_M_NONE;

	if (r->r_methods & bit) {
		if (r->r_methods != RULE_M_ALL)
			why_add(w, ", method %s matches", bit == RULE_M_NONE ?
			    "none" : "password");
		return 1;
	}
	why_add(w, "; method %s is not in method ", bit == RULE_M_NONE ?
	    "none" : "password");
	why_list(w, method_words, r->r_methods);
	return 0;
}

static int
match_user(const struct rule *r, const struct rule_query *q, struct why *w)
{
	int	 i;

	if (r->r_nusers == 0)
		return 1;
	for (i = 0; q->q_user[0] != '\0' && i < r->r_nusers; i++)
		if (strcmp(r->r_users[i], q->q_user) == 0) {
			why_add(w, ", user %s matches", q->q_user);
			return 1;
		}
	if (q->q_user[0] == '\0')
		why_add(w, "; no authenticated user for user ");
	else
		why_add(w, "; user %s is not in user ", q->q_user);
	why_users(w, r);
	return 0;
}

/* q_name (lower or upper case, perhaps with a trailing dot) against d. */
static int
name_match(const struct rule_dst *d, const char *name)
{
	size_t	 nl = strlen(name), dl = strlen(d->d_name);

	if (nl > 1 && name[nl - 1] == '.')
		nl--;
	if (d->d_kind == RD_HOST)
		return nl == dl && strncasecmp(name, d->d_name, nl) == 0;
	/* ".example.com": example.com itself and every name below it */
	if (nl == dl - 1 && strncasecmp(name, d->d_name + 1, nl) == 0)
		return 1;
	return nl > dl && strncasecmp(name + nl - dl, d->d_name, dl) == 0;
}

/* One destination: RULE_MATCH, RULE_NOMATCH or RULE_MAYBE. */
static int
dst_match(const struct rule_dst *d, const struct rule_query *q)
{
	if (d->d_kind != RD_CIDR)
		return q->q_name[0] != '\0' && name_match(d, q->q_name) ?
		    RULE_MATCH : RULE_NOMATCH;
	if (q->q_addr.ss_family != AF_UNSPEC)
		return cidr_match(&d->d_cidr, sa(&q->q_addr)) ? RULE_MATCH :
		    RULE_NOMATCH;
	if (d->d_cidr.c_family == AF_UNSPEC)
		return RULE_MATCH;	/* 0/0: anywhere, whatever the name */
	return q->q_name[0] != '\0' ? RULE_MAYBE : RULE_NOMATCH;
}

static void
why_target(struct why *w, const struct rule_query *q)
{
	char	 a[INET6_ADDRSTRLEN];

	if (w->w_buf == NULL)
		return;
	if (q->q_name[0] != '\0')
		why_add(w, "%s", q->q_name);
	if (q->q_name[0] != '\0' && q->q_addr.ss_family != AF_UNSPEC)
		why_add(w, " (");
	if (q->q_addr.ss_family != AF_UNSPEC)
		why_add(w, "%s", addr_ntop_host(sa(&q->q_addr), a, sizeof(a)));
	if (q->q_name[0] != '\0' && q->q_addr.ss_family != AF_UNSPEC)
		why_add(w, ")");
}

static int
match_to(const struct rule *r, const struct rule_query *q, struct why *w)
{
	int	 i, m, maybe = 0;

	if (r->r_nto == 0) {
		why_add(w, ", to 0/0 (any) matches ");
		why_target(w, q);
		return RULE_MATCH;
	}
	for (i = 0; i < r->r_nto; i++) {
		if ((m = dst_match(&r->r_to[i], q)) == RULE_MATCH) {
			why_add(w, ", to ");
			why_dst(w, &r->r_to[i]);
			why_add(w, " matches ");
			why_target(w, q);
			return RULE_MATCH;
		}
		maybe |= m == RULE_MAYBE;
	}
	why_add(w, "; ");
	why_target(w, q);
	why_add(w, maybe ? " needs resolving for to " : " is not in to ");
	why_dsts(w, r);
	return maybe ? RULE_MAYBE : RULE_NOMATCH;
}

/* Does to cover every address: none given, 0/0, or 0.0.0.0/0 and ::/0? */
static int
to_is_any(const struct rule *r)
{
	const struct cidr	*c;
	int			 i, v4 = 0, v6 = 0;

	if (r->r_nto == 0)
		return 1;
	for (i = 0; i < r->r_nto; i++) {
		if (r->r_to[i].d_kind != RD_CIDR)
			continue;
		c = &r->r_to[i].d_cidr;
		if (c->c_family == AF_UNSPEC)
			return 1;
		v4 |= c->c_family == AF_INET && c->c_prefix == 0;
		v6 |= c->c_family == AF_INET6 && c->c_prefix == 0;
	}
	return v4 && v6;
}

/* Do the port ranges cover every port a datagram can go to (1-65535)? */
static int
ports_are_any(const struct rule *r)
{
	unsigned int	 next = 1;
	int		 i, grew = 1;

	if (r->r_nports == 0)
		return 1;
	while (grew && next <= 65535) {		/* at most r_nports rounds */
		grew = 0;
		for (i = 0; i < r->r_nports; i++)
			if (r->r_ports[i].p_lo <= next &&
			    r->r_ports[i].p_hi >= next) {
				next = r->r_ports[i].p_hi + 1u;
				grew = 1;
			}
	}
	return next > 65535;
}

/* Does from cover every client: none given, 0/0, or 0.0.0.0/0 and ::/0? */
static int
from_is_any(const struct rule *r)
{
	int	 i, v4 = 0, v6 = 0;

	if (r->r_nfrom == 0)
		return 1;
	for (i = 0; i < r->r_nfrom; i++) {
		if (r->r_from[i].c_family == AF_UNSPEC)
			return 1;
		v4 |= r->r_from[i].c_family == AF_INET &&
		    r->r_from[i].c_prefix == 0;
		v6 |= r->r_from[i].c_family == AF_INET6 &&
		    r->r_from[i].c_prefix == 0;
	}
	return v4 && v6;
}

/*
 * Does r match every session its set is asked about, whatever the
 * client, destination, port, command or login?  (A listen list is taken
 * as a condition, even one that names every listener.)
 */
int
rule_matches_all(const struct rule *r)
{
	if (!from_is_any(r) || r->r_nlisten != 0)
		return 0;
	if (r->r_set == RULESET_CLIENT)
		return 1;
	return to_is_any(r) && ports_are_any(r) && r->r_nusers == 0 &&
	    r->r_cmds == RULE_C_ALL && r->r_methods == RULE_M_ALL;
}

/* No destination yet: only a rule whose to and port cover all decides. */
static int
match_anydst(const struct rule *r, struct why *w)
{
	if (to_is_any(r) && ports_are_any(r)) {
		why_add(w, ", any destination");
		return RULE_MATCH;
	}
	why_add(w, "; each datagram's destination decides");
	return RULE_MAYBE;
}

/*
 * Does rule r decide the question q?  RULE_MAYBE: it would if the name
 * q_name resolves into one of its address blocks.  With a buffer, say
 * why: what matched, or the first thing that did not.
 */
int
rule_eval(const struct rule *r, const struct rule_query *q, char *buf,
    size_t len)
{
	struct why	 w = { buf, len, 0 };

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	if (!match_from(r, q, &w))
		return RULE_NOMATCH;
	if (r->r_set == RULESET_CLIENT)
		return match_listen(r, q, &w) ? RULE_MATCH : RULE_NOMATCH;
	if (!match_cmd(r, q, &w) || !match_method(r, q, &w) ||
	    !match_user(r, q, &w))
		return RULE_NOMATCH;
	if (q->q_anydst)
		return match_anydst(r, &w);
	if (!match_port(r, q, &w))
		return RULE_NOMATCH;
	return match_to(r, q, &w);
}

/*
 * A question without a destination (a UDP association, q_anydst): can
 * some destination pass?  1 if a pass rule that matches some comes
 * before any rule that blocks them all; else 0, with *blocker the index
 * of that rule, or -1 when no rule blocks them all (none passes either).
 */
int
rule_any_pass(const struct rule *rules, int n, const struct rule_query *q,
    int *blocker)
{
	int	 i, m;

	*blocker = -1;
	for (i = 0; i < n; i++) {
		if ((m = rule_eval(&rules[i], q, NULL, 0)) == RULE_NOMATCH)
			continue;
		if (rules[i].r_action == RULE_PASS)
			return 1;
		if (m == RULE_MATCH) {
			*blocker = i;
			return 0;
		}
	}
	return 0;
}

/*
 * The index of the first of n rules that decides q, or -1: none does,
 * so q is blocked.  *maybe is set when that rule's answer waits for the
 * address the destination name resolves to.
 */
int
rule_first(const struct rule *rules, int n, const struct rule_query *q,
    int *maybe)
{
	int	 i, m;

	*maybe = 0;
	for (i = 0; i < n; i++) {
		if ((m = rule_eval(&rules[i], q, NULL, 0)) == RULE_NOMATCH)
			continue;
		*maybe = m == RULE_MAYBE;
		return i;
	}
	return -1;
}
