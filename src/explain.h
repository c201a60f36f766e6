/* explain.h: sockd -n's rule listing and -q's explanation. */
#ifndef SOCKD_EXPLAIN_H
#define SOCKD_EXPLAIN_H

#include <stdio.h>

struct sockd_conf;

void	explain_rules(const struct sockd_conf *, FILE *);
int	explain_query(const struct sockd_conf *, const char *, FILE *);

#endif
