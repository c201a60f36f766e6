/*
 * pool.c: fork workers into scoreboard slots, keep count of them by
 * generation and state, reap them, and signal them.  spare.c decides
 * how many; this file only does it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "netio.h"
#include "pidfile.h"
#include "pool.h"
#include "worker.h"

#define FORK_BACKOFF_MS		1000
#define FORK_BACKOFF_MAX_MS	32000

/* max slots, fixed for the daemon's life: the scoreboard is mapped now. */
int
pool_init(struct pool *p, int max)
{
	memset(p, 0, sizeof(*p));
	if ((p->p_slots = calloc(max, sizeof(*p->p_slots))) == NULL)
		return -1;
	if (sb_init(&p->p_sb, max) == -1) {
		free(p->p_slots);
		return -1;
	}
	p->p_max = max;
	return 0;
}

/* The most workers this configuration may have at once. */
int
pool_limit(const struct pool *p, const struct sockd_conf *c)
{
	return c->c_max_workers < p->p_max ? c->c_max_workers : p->p_max;
}

void
pool_free(struct pool *p)
{
	free(p->p_slots);
	p->p_slots = NULL;
	p->p_max = 0;
}

/* Live workers of generation gen, or of any generation when gen < 0. */
int
pool_count(const struct pool *p, int gen)
{
	int	 i, n = 0;

	for (i = 0; i < p->p_max; i++)
		if (p->p_slots[i].ps_pid != 0 &&
		    (gen < 0 || p->p_slots[i].ps_gen == gen))
			n++;
	return n;
}

/* Sessions begun since the start, by every worker there has been. */
uint64_t
pool_served(const struct pool *p)
{
	uint64_t n = p->p_served;
	int	 i;

	for (i = 0; i < p->p_max; i++)
		if (p->p_slots[i].ps_pid != 0)
			n += sb_served(&p->p_sb, i);
	return n;
}

/* Current-generation workers waiting for a client, or about to. */
int
pool_idle(const struct pool *p)
{
	int	 i, n = 0, st;

	for (i = 0; i < p->p_max; i++) {
		if (p->p_slots[i].ps_pid == 0 || p->p_slots[i].ps_retiring ||
		    p->p_slots[i].ps_gen != p->p_gen)
			continue;
		st = sb_state(&p->p_sb, i);
		n += st == SB_STARTING || st == SB_IDLE;
	}
	return n;
}

/* What to look at when fork() failed with err. */
static const char *
fork_hint(int err)
{
	if (err != EAGAIN)
		return "";
	return " (the run-as user's process limit, ulimit -u, or the unit's "
	    "TasksMax or kernel.pid_max: see LIMITS in sockd(8))";
}

static void
fork_failed(struct pool *p)
{
	int64_t	 ms = FORK_BACKOFF_MS;
	int	 i, err = errno;

	for (i = 0; i < p->p_fork_fails && ms < FORK_BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > FORK_BACKOFF_MAX_MS)
		ms = FORK_BACKOFF_MAX_MS;
	log_warnx("fork: no new worker for %lld ms: %s%s", (long long)ms,
	    strerror(err), fork_hint(err));
	p->p_fork_fails++;
	p->p_fork_backoff = now_ms() + ms;
}

/*
 * At start, as the run-as user: can a worker be forked at all?  A pool
 * of none would leave every client in the listen queue while the start
 * was reported good.  -1, said, if not.
 */
int
pool_fork_probe(void)
{
	pid_t	 pid;
	int	 status, err;

	if ((pid = fork()) == -1) {
		err = errno;
		log_warnx("fork: cannot start a worker: %s%s", strerror(err),
		    fork_hint(err));
		return -1;
	}
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return 0;
}

int
pool_spawn(struct pool *p, const struct sockd_conf *c, struct listeners *l)
{
	pid_t	 master = getpid(), pid;
	int	 i;

	if (now_ms() < p->p_fork_backoff)
		return -1;
	for (i = 0; i < p->p_max && p->p_slots[i].ps_pid != 0; i++)
		;
	if (i == p->p_max)
		return -1;
	sb_slot_reset(&p->p_sb, i, p->p_gen);
	switch (pid = fork()) {
	case -1:
		sb_slot_set_pid(&p->p_sb, i, 0);
		fork_failed(p);
		return -1;
	case 0:
		pidfile_forget();
		sb_attach(&p->p_sb, i);
		worker_main(c, l, master);
	}
	p->p_fork_fails = 0;
	p->p_slots[i].ps_pid = pid;
	p->p_slots[i].ps_gen = p->p_gen;
	p->p_slots[i].ps_retiring = 0;
	sb_slot_set_pid(&p->p_sb, i, pid);
	return 0;
}

/* Start workers of the current generation until there are n (or no room). */
void
pool_fill(struct pool *p, const struct sockd_conf *c, struct listeners *l,
    int n)
{
	while (pool_count(p, p->p_gen) < n &&
	    pool_count(p, -1) < pool_limit(p, c))
		if (pool_spawn(p, c, l) == -1)
			break;
}

/* A worker that did not end well: say how, and what session it lost. */
static void
log_exit(const struct pool *p, int i, pid_t pid, int status)
{
	char	 why[64];

	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		snprintf(why, sizeof(why), "exited with status %d",
		    WEXITSTATUS(status));
	else
		return;
	/* one line: with the session it lost, if it had one */
	if (i == -1 || !sb_log_lost(&p->p_sb, i, why))
		log_warnx("worker %ld %s", (long)pid, why);
}

/* Collect dead workers; the number reaped. */
int
pool_reap(struct pool *p)
{
	pid_t	 pid;
	int	 status, i, n = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < p->p_max && p->p_slots[i].ps_pid != pid; i++)
			;
		if (i == p->p_max)
			i = -1;
		log_exit(p, i, pid, status);
		if (i != -1) {
			p->p_served += sb_served(&p->p_sb, i);
			p->p_slots[i].ps_pid = 0;
			sb_slot_set_pid(&p->p_sb, i, 0);
		}
		n++;
	}
	return n;
}

/* Send sig to every worker older than generation below (all: INT_MAX). */
void
pool_signal(struct pool *p, int sig, int below)
{
	int	 i;

	for (i = 0; i < p->p_max; i++)
		if (p->p_slots[i].ps_pid != 0 && p->p_slots[i].ps_gen < below)
			kill(p->p_slots[i].ps_pid, sig);
}

/*
 * End every generation older than below (all: INT_MAX): from now on none
 * of their workers takes a new client, and each leaves after its session.
 */
void
pool_end_gen(struct pool *p, int below)
{
	int	 i;

	for (i = 0; i < p->p_max; i++)
		if (p->p_slots[i].ps_pid != 0 && p->p_slots[i].ps_gen < below) {
			sb_set_stale(&p->p_sb, i);
			/* once: a worker told needs no more signals */
			if (p->p_slots[i].ps_retiring)
				continue;
			p->p_slots[i].ps_retiring = 1;
			kill(p->p_slots[i].ps_pid, SIGTERM);
		}
}

/*
 * Ask one idle worker to go.  A worker's SIGTERM handler only sets a
 * flag, which it reads between sessions, and it waits for clients with
 * SIGTERM unblocked atomically (epoll_pwait), so one that has just taken
 * a client finishes that session first: no session is cut.
 */
void
pool_retire_one(struct pool *p)
{
	int	 i;

	for (i = p->p_max - 1; i >= 0; i--) {
		if (p->p_slots[i].ps_pid == 0 || p->p_slots[i].ps_retiring ||
		    p->p_slots[i].ps_gen != p->p_gen ||
		    sb_state(&p->p_sb, i) != SB_IDLE)
			continue;
		p->p_slots[i].ps_retiring = 1;
		kill(p->p_slots[i].ps_pid, SIGTERM);
		log_debug("retiring idle worker %ld", (long)p->p_slots[i].ps_pid);
		return;
	}
}

/*
 * Old-generation workers waiting for a client.  One woken by a client
 * just as its generation ended leaves without taking it, and the kernel
 * woke no one else (EPOLLEXCLUSIVE): workers that start after it has
 * gone see the client waiting, those already waiting would not.
 */
int
pool_old_idle(struct pool *p)
{
	int	 i, n = 0, st;

	for (i = 0; i < p->p_max; i++) {
		if (p->p_slots[i].ps_pid == 0 || p->p_slots[i].ps_gen == p->p_gen)
			continue;
		st = sb_state(&p->p_sb, i);
		n += st == SB_STARTING || st == SB_IDLE;
	}
	return n;
}

/*
 * A client waited a whole look while current workers idled: the kernel's
 * one wake-up for it went to a worker that did not take it.  Poke one
 * idle worker to look (each time the next, in case one cannot run).
 */
void
pool_poke(struct pool *p)
{
	int	 i, k;

	for (k = 0; k < p->p_max; k++) {
		i = (p->p_poke_next + k) % p->p_max;
		if (p->p_slots[i].ps_pid == 0 || p->p_slots[i].ps_retiring ||
		    p->p_slots[i].ps_gen != p->p_gen ||
		    sb_state(&p->p_sb, i) != SB_IDLE)
			continue;
		p->p_poke_next = i + 1;
		log_debug("a client waits unclaimed: poking idle worker %ld",
		    (long)p->p_slots[i].ps_pid);
		kill(p->p_slots[i].ps_pid, SIGURG);
		return;
	}
}

void
pool_dump(const struct pool *p)
{
	sb_dump(&p->p_sb, p->p_gen, p->p_served);
}
