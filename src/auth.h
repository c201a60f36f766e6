/*
 * auth.h: what password authentication needs at run time: the table of
 * users, a dummy hash for unknown ones, and the shared credential cache.
 * The master loads it (authdb.c); the workers inherit it by fork.
 */
#ifndef SOCKD_AUTH_H
#define SOCKD_AUTH_H

#include "passwd.h"

struct sockd_conf;
struct credcache;

struct auth_db {
	struct passwd_db	*ad_passwd;
	struct passwd_stamp	 ad_stamp;	/* the file as loaded */
	char			*ad_dummy;	/* verified for unknown users */
	struct credcache	*ad_cache;	/* NULL: no cache */
};

int	auth_load(struct sockd_conf *, struct sockd_conf *);
void	auth_free(struct auth_db *);
void	auth_watch(struct sockd_conf *);

/* auth.c: verify a login; AUTH_* */
#define AUTH_OK		0
#define AUTH_UNKNOWN	1
#define AUTH_WRONG	2
#define AUTH_CACHED	3	/* AUTH_OK, from the cache */

int	auth_verify(const struct auth_db *, const char *, const char *);

#endif
