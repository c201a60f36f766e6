/*
 * credcache.h: credentials that passed a crypt(3) check lately, kept as
 * a keyed hash (never the password) in memory the workers share.
 */
#ifndef SOCKD_CREDCACHE_H
#define SOCKD_CREDCACHE_H

#include <stddef.h>

struct credcache;

struct credcache *credcache_new(size_t, int);
void	credcache_free(struct credcache *);
void	credcache_flush(struct credcache *);
int	credcache_lookup(struct credcache *, const char *, const char *,
	    const char *);
void	credcache_store(struct credcache *, const char *, const char *,
	    const char *);
int	credcache_claim(struct credcache *, const char *, const char *,
	    const char *, int);
void	credcache_release(struct credcache *, const char *, const char *,
	    const char *);
int	credcache_wait(struct credcache *, const char *, const char *,
	    const char *, int);

#endif
