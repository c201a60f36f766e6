/* pool.h: the master's table of worker processes. */
#ifndef SOCKD_POOL_H
#define SOCKD_POOL_H

#include <sys/types.h>

struct sockd_conf;
struct listeners;

struct pool_slot {
	pid_t		 ps_pid;	/* 0: free */
	int		 ps_gen;
};

struct pool {
	struct pool_slot *p_slots;
	int		  p_max;
	int		  p_gen;	/* generation of new workers */
	int64_t		  p_fork_backoff; /* no fork before this (ms) */
};

int	pool_init(struct pool *, int);
int	pool_resize(struct pool *, int);
int	pool_count(const struct pool *, int);
int	pool_spawn(struct pool *, const struct sockd_conf *,
	    struct listeners *);
void	pool_fill(struct pool *, const struct sockd_conf *,
	    struct listeners *, int);
int	pool_reap(struct pool *);
void	pool_signal(struct pool *, int, int);

#endif
