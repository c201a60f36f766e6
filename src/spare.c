/*
 * spare.c: the pool follows the load.  Ten times a second (fifty while
 * held sessions fill it) the master counts the idle workers of the
 * current generation and the clients waiting in the listen queues.
 * Short of min-spare-workers idle ones once the waiting clients are
 * served, it forks what is missing at once, but no more than
 * max-spawn-rate a second: a bucket that holds that many forks and
 * refills at that rate.  With more than max-spare-workers idle it
 * retires one a second.  At max-workers it says so once, and once more
 * when the pool has room again.
 */
#include "config.h"

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "netio.h"
#include "pool.h"

#define RETIRE_MS	1000	/* one idle worker retired per this */
#define BUSY_LOG_FORKS	8	/* log a growth of this many at once */
#define BUSY_LOG_MS	10000	/* and at most one such line per this */
#define FULL_LOG_MS	60000	/* at most one "pool full" line per this */

/*
 * Full: at max-workers, none idle and clients waiting.  Said once, and
 * once more when it is over; at most once a minute, so a pool at its
 * limit whose last worker comes and goes does not fill the log.
 */
static void
pool_set_full(struct pool *p, const struct sockd_conf *c, int full)
{
	int64_t	 now = now_ms();

	if (full && !p->p_full) {
		if (p->p_full_logged != 0 &&
		    now - p->p_full_logged < FULL_LOG_MS)
			return;
		p->p_full_logged = now;
		log_warnx("pool full: %d workers (max-workers %d), none idle; "
		    "clients wait", pool_count(p, -1), pool_limit(p, c));
	} else if (!full && p->p_full)
		log_notice("pool no longer full: %d workers, %d idle",
		    pool_count(p, -1), pool_idle(p));
	p->p_full = full;
}

/* Forks allowed now: the bucket, refilled at max-spawn-rate a second. */
static int
spawn_budget(struct pool *p, const struct sockd_conf *c, int64_t now)
{
	int64_t	 rate = c->c_max_spawn_rate;

	if (p->p_tokens_at == 0)
		p->p_tokens = rate * 1000;
	else
		p->p_tokens += (now - p->p_tokens_at) * rate;
	if (p->p_tokens > rate * 1000)
		p->p_tokens = rate * 1000;
	p->p_tokens_at = now;
	return (int)(p->p_tokens / 1000);
}

static void
pool_grow(struct pool *p, const struct sockd_conf *c, struct listeners *l,
    int want)
{
	int64_t	 now = now_ms();
	int	 room, budget, n, i;

	room = pool_limit(p, c) - pool_count(p, -1);
	if (room <= 0) {
		pool_set_full(p, c, pool_idle(p) == 0 &&
		    listeners_queued(l) > 0);
		return;
	}
	pool_set_full(p, c, 0);
	if (now < p->p_fork_backoff)
		return;		/* fork failed: pool.c said how long */
	n = want < room ? want : room;
	if (n > (budget = spawn_budget(p, c, now)))
		n = budget;
	if (n >= BUSY_LOG_FORKS && now - p->p_busy_logged >= BUSY_LOG_MS) {
		p->p_busy_logged = now;
		log_info("pool busy: %d idle of %d, %d clients waiting, "
		    "starting %d workers", pool_idle(p), pool_count(p, -1),
		    listeners_queued(l), n);
	}
	for (i = 0; i < n; i++) {
		if (pool_spawn(p, c, l) == -1)
			break;
		p->p_tokens -= 1000;
	}
}

/* Retire one surplus idle worker, at most one a second. */
static void
pool_shrink(struct pool *p, const struct sockd_conf *c, int idle)
{
	/* nothing to fork this look is not room: sessions that ended may
	   just match the clients waiting */
	if (idle > 0 || pool_count(p, -1) < pool_limit(p, c))
		pool_set_full(p, c, 0);
	if (now_ms() - p->p_retired_at < RETIRE_MS)
		return;
	if (idle > c->c_max_spare ||
	    (idle > 0 && pool_count(p, -1) > pool_limit(p, c))) {
		pool_retire_one(p);
		p->p_retired_at = now_ms();
	}
}

/*
 * Sessions that ended since the last look: begun, less the growth of
 * the busy workers.  Workers that free up this fast will take the
 * waiting clients without a fork.
 */
static int
pool_turnover(struct pool *p, int idle)
{
	uint64_t served = pool_served(p);
	int	 busy = pool_count(p, -1) - idle, ended;

	ended = (int)(served - p->p_seen_served) - (busy - p->p_seen_busy);
	p->p_seen_served = served;
	p->p_seen_busy = busy;
	return ended > 0 ? ended : 0;
}

/*
 * What the pool is short of at one look (pure; check_spare tests it).
 * The spares short of min-spare-workers plus the clients that have
 * waited since the last look, less the sessions that ended meanwhile:
 * short sessions turn workers over fast enough to drain the queue, and
 * on few cores a pool of hundreds serves them slower than one of dozens.
 * Clients waiting while no session ends mean held sessions: the master
 * looks again after POOL_HELD_MS, and if still none has ended, every
 * waiting client counts at once (a burst of held sessions need not wait
 * a tick per tick's worth of clients).  A look that short cannot judge
 * the turnover of short sessions, so when one has ended by then, only
 * the spares count.  *held: on entry, whether the last look saw held
 * sessions; on return, whether this one did.
 */
int
spare_want(const struct spare_look *k, int *held)
{
	int	 was = *held, want;

	*held = k->queued > 0 && k->ended == 0 && k->room > 0;
	if (*held && was)
		want = k->min - k->idle + k->queued;
	else if (was)
		want = k->min - k->idle;
	else
		want = k->min - k->idle + k->waited - k->ended;
	return want > 0 ? want : 0;
}

/*
 * Once a look: grow by what is missing, or retire one surplus worker.
 * Returns the ms to the next look.
 */
int
pool_maintain(struct pool *p, const struct sockd_conf *c,
    struct listeners *l)
{
	struct spare_look k;
	int	 want;

	k.min = c->c_min_spare > 0 ? c->c_min_spare : 1;
	k.idle = pool_idle(p);
	k.queued = listeners_queued(l);
	k.waited = k.queued < p->p_seen_queued ? k.queued : p->p_seen_queued;
	p->p_seen_queued = k.queued;
	k.ended = pool_turnover(p, k.idle);
	k.room = pool_limit(p, c) - pool_count(p, -1);

	if (k.waited > 0 && k.idle > 0)
		pool_poke(p);
	if ((want = spare_want(&k, &p->p_held)) > 0)
		pool_grow(p, c, l, want);
	else
		pool_shrink(p, c, k.idle);
	return p->p_held ? POOL_HELD_MS : POOL_TICK_MS;
}
