/*
 * spare.c: the pool follows the load, as Apache's prefork does.  Once a
 * second the master counts the idle workers of the current generation:
 * fewer than min-spare-workers, it forks some, doubling the number each
 * second the pool stays short (1, 2, 4 ... max-spawn-rate); more than
 * max-spare-workers, it retires one.  At max-workers it says so once,
 * and once more when the pool has room again.
 */
#include "config.h"

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "netio.h"
#include "pool.h"

static void
pool_set_full(struct pool *p, const struct sockd_conf *c, int full)
{
	if (full && !p->p_full)
		log_warnx("pool full: %d workers (max-workers %d), none idle; "
		    "clients wait", pool_count(p, -1), pool_limit(p, c));
	else if (!full && p->p_full)
		log_notice("pool no longer full: %d workers, %d idle",
		    pool_count(p, -1), pool_idle(p));
	p->p_full = full;
}

static void
pool_grow(struct pool *p, const struct sockd_conf *c, struct listeners *l,
    int idle)
{
	int	 room, n, i;

	room = pool_limit(p, c) - pool_count(p, -1);
	if (room <= 0) {
		pool_set_full(p, c, 1);
		return;
	}
	pool_set_full(p, c, 0);
	if (now_ms() < p->p_fork_backoff)
		return;		/* fork failed: pool.c said how long */
	n = p->p_spawn_rate < room ? p->p_spawn_rate : room;
	if (p->p_spawn_rate >= 8)
		log_info("pool busy: %d idle of %d, starting %d workers", idle,
		    pool_count(p, -1), n);
	for (i = 0; i < n; i++)
		if (pool_spawn(p, c, l) == -1)
			break;
	if (p->p_spawn_rate < c->c_max_spawn_rate)
		p->p_spawn_rate *= 2;
	if (p->p_spawn_rate > c->c_max_spawn_rate)
		p->p_spawn_rate = c->c_max_spawn_rate;
}

void
pool_maintain(struct pool *p, const struct sockd_conf *c,
    struct listeners *l)
{
	int	 idle = pool_idle(p);
	int	 min = c->c_min_spare > 0 ? c->c_min_spare : 1;

	if (idle < min) {
		pool_grow(p, c, l, idle);
		return;
	}
	p->p_spawn_rate = 1;
	pool_set_full(p, c, 0);
	if (idle > c->c_max_spare ||
	    (idle > 0 && pool_count(p, -1) > pool_limit(p, c)))
		pool_retire_one(p);
}
