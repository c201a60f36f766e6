/*
 * fuzz_rules.c: the values inside a rule (from, listen, to, port, user)
 * and a `sockd -n -q` question.  The first byte picks the field; the rest
 * is its text.  A rule that parses is formatted and matched against the
 * question read from the same text.  Whole rule blocks in sockd.conf go
 * through fuzz_conf.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"
#include "rules.h"

typedef int (*rule_field_fn)(struct rule *, const char *);

static const rule_field_fn fields[] = {
	rule_add_from, rule_add_listen, rule_add_to, rule_add_ports,
	rule_add_user
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct rule_query	 q;
	struct rule		 r;
	char			*s, out[1024];

	if (len < 1 || (s = malloc(len)) == NULL)
		return 0;
	memcpy(s, buf + 1, len - 1);
	s[len - 1] = '\0';
	rule_init(&r, RULESET_SOCKS, RULE_PASS);
	if (fields[buf[0] % NFIELDS](&r, s) == 0)
		rule_format(&r, out, sizeof(out));
	memset(&q, 0, sizeof(q));
	if (rule_query_parse(s, &q, out, sizeof(out)) != -1)
		(void)rule_eval(&r, &q, out, sizeof(out));
	rule_clear(&r);
	free(s);
	return 0;
}
