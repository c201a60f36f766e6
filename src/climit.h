/*
 * climit.h: per-client limits: sessions at once from one client address
 * (counted on the scoreboard) and new sessions per interval (a small
 * table in shared memory).
 */
#ifndef SOCKD_CLIMIT_H
#define SOCKD_CLIMIT_H

#include <sys/socket.h>
#include <stdint.h>

struct session;
struct ratetab;

int	climit_init(void);
void	climit_check(struct session *);

/* The rate table alone, for the unit tests. */
struct ratetab *ratetab_new(void);
int	ratetab_hit(struct ratetab *, const struct sockaddr *, int64_t, int,
	    int64_t);

#endif
