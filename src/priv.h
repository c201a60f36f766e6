/* priv.h: dropping root for good. */
#ifndef SOCKD_PRIV_H
#define SOCKD_PRIV_H

#include <sys/types.h>

int	priv_lookup(const char *, const char *, uid_t *, gid_t *);
void	priv_drop(const char *, const char *);

#endif
