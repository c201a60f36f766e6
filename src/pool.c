/*
 * pool.c: fork workers, keep count of them by generation, reap them, and
 * signal them.  The master decides how many; this file only does it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "netio.h"
#include "pool.h"
#include "worker.h"

#define FORK_BACKOFF_MS	1000

int
pool_init(struct pool *p, int max)
{
	memset(p, 0, sizeof(*p));
	if ((p->p_slots = calloc(max, sizeof(*p->p_slots))) == NULL)
		return -1;
	p->p_max = max;
	return 0;
}

/* Grow the table (never shrink it: old workers may sit at the end). */
int
pool_resize(struct pool *p, int max)
{
	struct pool_slot *n;

	if (max <= p->p_max)
		return 0;
	if ((n = reallocarray(p->p_slots, max, sizeof(*n))) == NULL)
		return -1;
	memset(n + p->p_max, 0, (max - p->p_max) * sizeof(*n));
	p->p_slots = n;
	p->p_max = max;
	return 0;
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

int
pool_spawn(struct pool *p, const struct sockd_conf *c, struct listeners *l)
{
	pid_t	 master = getpid(), pid;
	int	 i;

	for (i = 0; i < p->p_max && p->p_slots[i].ps_pid != 0; i++)
		;
	if (i == p->p_max)
		return -1;
	if (now_ms() < p->p_fork_backoff)
		return -1;
	switch (pid = fork()) {
	case -1:
		log_warn("fork");
		p->p_fork_backoff = now_ms() + FORK_BACKOFF_MS;
		return -1;
	case 0:
		worker_main(c, l, master);
	}
	p->p_slots[i].ps_pid = pid;
	p->p_slots[i].ps_gen = p->p_gen;
	return 0;
}

/* Start workers of the current generation until there are n. */
void
pool_fill(struct pool *p, const struct sockd_conf *c, struct listeners *l,
    int n)
{
	while (pool_count(p, p->p_gen) < n)
		if (pool_spawn(p, c, l) == -1)
			break;
}

static void
log_exit(pid_t pid, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		log_warnx("worker %ld killed by signal %d", (long)pid,
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("worker %ld exited with status %d", (long)pid,
		    WEXITSTATUS(status));
}

/* Collect dead workers; the number reaped. */
int
pool_reap(struct pool *p)
{
	pid_t	 pid;
	int	 status, i, n = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		log_exit(pid, status);
		for (i = 0; i < p->p_max; i++)
			if (p->p_slots[i].ps_pid == pid)
				p->p_slots[i].ps_pid = 0;
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
