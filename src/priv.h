/* priv.h: dropping root for good. */
#ifndef SOCKD_PRIV_H
#define SOCKD_PRIV_H

#include <sys/types.h>

#define PRIV_NOUSER	(-1)
#define PRIV_NOGROUP	(-2)

int	priv_lookup(const char *, const char *, uid_t *, gid_t *);
void	priv_drop(const char *, const char *);

#endif
