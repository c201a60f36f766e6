/* resolve.h: getaddrinfo() for a name, bounded by a deadline. */
#ifndef SOCKD_RESOLVE_H
#define SOCKD_RESOLVE_H

#include <stdint.h>

struct addrinfo;

/* Not an EAI_* code: those are negative in glibc, small and positive in BSD. */
#define RESOLVE_TIMEOUT		(-10000)
#define RESOLVE_CANCELED	(-10001)	/* a stop signal (netio) */

/*
 * getaddrinfo()'s answer, RESOLVE_TIMEOUT once the deadline passed, or
 * RESOLVE_CANCELED when the worker was told to end its session.
 */
int	resolve_timed(const char *, const char *, const struct addrinfo *,
	    int64_t, struct addrinfo **);

/* Too many lookups given up on still run: time for a fresh process. */
int	resolve_worn(void);

#endif
