/* pool.h: the master's table of worker processes and its spare policy. */
#ifndef SOCKD_POOL_H
#define SOCKD_POOL_H

#include <sys/types.h>
#include <stdint.h>

#include "scoreboard.h"

struct sockd_conf;
struct listeners;

struct pool_slot {
	pid_t		 ps_pid;	/* 0: free */
	int		 ps_gen;
	int		 ps_retiring;	/* told to go (SIGTERM sent once): not
					   counted as idle */
};

struct pool {
	struct pool_slot *p_slots;
	struct scoreboard p_sb;
	int		  p_max;	/* slots: max-workers at start */
	int		  p_gen;	/* generation of new workers */
	uint64_t	  p_served;	/* sessions of workers now gone */
	int64_t		  p_fork_backoff; /* no fork before this (ms) */
	int		  p_fork_fails;	/* in a row */
	int64_t		  p_tokens;	/* forks allowed, in thousandths */
	int64_t		  p_tokens_at;	/* ms, bucket last refilled */
	int64_t		  p_retired_at;	/* ms, last idle worker retired */
	int		  p_full;	/* said that max-workers is reached */
	int64_t		  p_full_logged; /* ms, the last "pool full" line */
	uint64_t	  p_seen_served; /* pool_served() at the last look */
	int		  p_seen_busy;	/* workers busy at the last look */
	int		  p_seen_queued; /* clients waiting at the last look */
	int		  p_held;	/* then: clients waited, none ended */
	int		  p_poke_next;	/* slot to look at first, pool_poke() */
	int64_t		  p_busy_logged; /* ms, the last "pool busy" line */
};

int	pool_init(struct pool *, int);
int	pool_limit(const struct pool *, const struct sockd_conf *);
void	pool_free(struct pool *);
int	pool_count(const struct pool *, int);
int	pool_idle(const struct pool *);
uint64_t pool_served(const struct pool *);
int	pool_fork_probe(void);
int	pool_spawn(struct pool *, const struct sockd_conf *,
	    struct listeners *);
void	pool_fill(struct pool *, const struct sockd_conf *,
	    struct listeners *, int);
int	pool_reap(struct pool *);
void	pool_signal(struct pool *, int, int);
void	pool_end_gen(struct pool *, int);
int	pool_old_idle(struct pool *);
void	pool_poke(struct pool *);
void	pool_retire_one(struct pool *);
void	pool_dump(const struct pool *);

/* spare.c: at every look, follow the load; what the master sees then */
struct spare_look {
	int	 min;		/* min-spare-workers, at least 1 */
	int	 idle;		/* idle or starting workers */
	int	 queued;	/* clients in the listen queues */
	int	 waited;	/* of them, seen at the last look too */
	int	 ended;		/* sessions ended since the last look */
	int	 room;		/* workers that may still be forked */
};

int	spare_want(const struct spare_look *, int *);

#define POOL_TICK_MS	100	/* the master's look at the pool */
#define POOL_HELD_MS	20	/* the next look when sessions are held */

int	pool_maintain(struct pool *, const struct sockd_conf *,
	    struct listeners *);

#endif
