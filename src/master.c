/*
 * master.c: the master never reads a byte from a client.  It sleeps in
 * ppoll() with its signals blocked, so none is lost between checks, and
 * acts on the flags the handlers set: reap workers, reload (SIGHUP),
 * dump the scoreboard (SIGUSR1), shut down (SIGTERM, SIGINT); and ten
 * times a second it lets the pool follow the load (spare.c).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "climit.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "netio.h"
#include "pool.h"
#include "priv.h"

#define ABORT_GRACE_MS	3000	/* after SIGUSR2, before SIGKILL */
#define DRAIN_MS	500	/* old idle workers leaving, at a reload */

static volatile sig_atomic_t	 got_term, got_hup, got_chld, got_usr1;

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		got_term = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGCHLD:
		got_chld = 1;
		break;
	case SIGUSR1:
		got_usr1 = 1;
		break;
	}
}

static void
master_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1 };
	struct sigaction sa;
	sigset_t	 block;
	size_t		 i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&block);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(waitmask, sigs[i]);
}

/*
 * The listeners the new configuration asks for, into n (committed or
 * called off later); -1 when one cannot be opened.
 */
static int
reload_listeners(const struct listeners *l, const struct sockd_conf *next,
    struct listeners *n)
{
	const struct listen_addr *la;
	int		 bad;

	if (listeners_prepare(l, next, n, &bad) == 0)
		return 0;
	la = &next->c_listen[bad];
	log_errx("reload failed: cannot listen on %s%s: keeping the running "
	    "configuration", la->la_str, geteuid() != 0 &&
	    addr_port((const struct sockaddr *)&la->la_addr) < 1024 ?
	    " (a port below 1024 after dropping root: restart sockd)" : "");
	return -1;
}

/*
 * A file without client or socks rules refuses everyone: at a reload,
 * most likely a file caught half written.  -1: refuse it.
 */
static int
reload_has_rules(const struct sockd_conf *next)
{
	if (next->c_nclient_rules > 0 && next->c_nsocks_rules > 0)
		return 0;
	log_errx("reload failed: %s has no %s rules, which would refuse "
	    "every %s (to do that, write a block rule): keeping the running "
	    "configuration", next->c_file, next->c_nclient_rules == 0 ?
	    "client" : "socks", next->c_nclient_rules == 0 ? "client" :
	    "request");
	return -1;
}

static int
str_changed(const char *next, const char *running)
{
	if (next == NULL || running == NULL)
		return next != running;
	return strcmp(next, running) != 0;
}

/* A key a reload cannot change: keep the running value, and say so. */
static void
keep_str(char **next, const char *running, const char *key)
{
	if (!str_changed(*next, running))
		return;
	log_warnx("%s changed: restart sockd to apply", key);
	free(*next);
	*next = running != NULL ? strdup(running) : NULL;
}

/*
 * The process is already that user and has written that pid file: those
 * keep their running values.  The log level and facility take effect
 * now.
 */
static void
reload_fixed(const struct sockd_conf *conf, struct sockd_conf *next)
{
	char	 at[PATH_MAX + 16];
	uid_t	 uid;
	gid_t	 gid;

	/* the restart that "user changed" asks for would fail: say so now */
	if (next->c_user != NULL && (str_changed(next->c_user,
	    conf->c_user) || str_changed(next->c_group, conf->c_group)) &&
	    priv_lookup(next->c_user, next->c_group, &uid, &gid) != 0)
		log_warnx("%s: the user or group to run as does not exist: "
		    "a restart with this file would fail", conf_where(next,
		    str_changed(next->c_user, conf->c_user) ? CK_USER :
		    CK_GROUP, at, sizeof(at)));
	keep_str(&next->c_user, conf->c_user, "user");
	keep_str(&next->c_group, conf->c_group, "group");
	keep_str(&next->c_pidfile, conf->c_pidfile, "pidfile");
	next->c_log_stderr = conf->c_log_stderr;	/* read at start only */
	if (next->c_log_facility != conf->c_log_facility)
		log_setfacility(next->c_log_facility);
	log_setlevel(next->c_log_level);
}

/*
 * Let the old generation's idle workers go before starting the new one
 * (pool_old_idle()): a few ms, at most DRAIN_MS.
 */
static void
master_drain(struct pool *p)
{
	struct timespec	 ts = { 0, 2 * 1000 * 1000 };
	int64_t		 deadline = now_ms() + DRAIN_MS;

	pool_reap(p);
	while (pool_old_idle(p) > 0 && now_ms() < deadline) {
		ppoll(NULL, 0, &ts, NULL);
		pool_reap(p);
	}
}

/* Re-read the config; start a new generation; let the old one finish. */
static struct sockd_conf *
master_reload(struct sockd_conf *conf, struct pool *p, struct listeners *l)
{
	struct sockd_conf	*next;
	struct listeners	 n;

	log_notice("SIGHUP: reloading %s", conf->c_file);
	if ((next = conf_load(conf->c_file)) == NULL) {
		log_errx("reload failed: keeping the running configuration");
		return conf;
	}
	if (reload_has_rules(next) == -1 ||
	    reload_listeners(l, next, &n) == -1) {
		conf_free(next);
		return conf;
	}
	if (auth_load(next, conf) == -1) {
		log_errx("reload failed: keeping the running configuration");
		listeners_abort(l, &n);
		conf_free(next);
		return conf;
	}
	listeners_commit(l, &n);
	reload_fixed(conf, next);
	if (next->c_max_workers > p->p_max)
		log_warnx("max-workers %d is more than the %d slots sized at "
		    "start: restart sockd to use more", next->c_max_workers,
		    p->p_max);
	p->p_gen++;
	pool_end_gen(p, p->p_gen);
	master_drain(p);
	/* the old idle workers' exits made room: fork now, not after a
	   backoff from before, or the pool stays empty meanwhile */
	p->p_fork_backoff = 0;
	pool_fill(p, next, l, next->c_workers);
	conf_free(conf);
	log_notice("configuration reloaded (generation %d)", p->p_gen);
	return next;
}

/*
 * Reap until no worker is left, ms have passed or a stop signal came:
 * the number left.
 */
static int
master_wait(struct pool *p, int64_t ms, sigset_t *waitmask)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	int64_t		 deadline = now_ms() + ms;

	pool_reap(p);
	while (pool_count(p, -1) > 0 && now_ms() < deadline && !got_term) {
		ppoll(NULL, 0, &ts, waitmask);
		pool_reap(p);
	}
	return pool_count(p, -1);
}

/*
 * SIGTERM to all: idle workers go, busy ones finish their session.  At
 * the shutdown timeout, or a second SIGTERM or SIGINT, SIGUSR2 ends the
 * sessions left (each still logs its line); SIGKILL for any worker that
 * does not go even then.
 */
static void
master_shutdown(const struct sockd_conf *conf, struct pool *p,
    sigset_t *waitmask)
{
	int	 n;

	pool_end_gen(p, INT_MAX);
	got_term = 0;
	if ((n = master_wait(p, conf->c_shutdown_timeout * 1000LL,
	    waitmask)) == 0)
		return;
	if (got_term)
		log_warnx("stop signal again: ending %d session%s now", n,
		    n == 1 ? "" : "s");
	else
		log_warnx("shutdown timeout (%d s): ending %d session%s",
		    conf->c_shutdown_timeout, n, n == 1 ? "" : "s");
	got_term = 0;
	pool_signal(p, SIGUSR2, INT_MAX);
	if (master_wait(p, ABORT_GRACE_MS, waitmask) == 0)
		return;
	pool_signal(p, SIGKILL, INT_MAX);
	master_wait(p, ABORT_GRACE_MS, waitmask);
}

static void
master_flags(struct sockd_conf **conf, struct pool *p, struct listeners *l)
{
	if (got_chld) {
		got_chld = 0;
		pool_reap(p);
	}
	if (got_hup) {
		got_hup = 0;
		*conf = master_reload(*conf, p, l);
	}
	if (got_usr1) {
		got_usr1 = 0;
		pool_dump(p);
	}
}

/* Run until told to stop; *confp follows reloads (the old ones are freed). */
int
master_run(struct sockd_conf **confp, struct listeners *l)
{
	struct sockd_conf *conf = *confp;
	struct timespec	 ts;
	struct pool	 pool;
	sigset_t	 waitmask;
	int64_t		 next;
	int		 ms;

	log_settag("master");
	master_signals(&waitmask);
	if (pool_init(&pool, conf->c_max_workers) == -1)
		fatal("pool");
	if (climit_init() == -1)
		fatal("per-client limits");
	pool_fill(&pool, conf, l, conf->c_workers);
	log_notice("sockd %s started: %d workers on %d listener%s",
	    PACKAGE_VERSION, pool_count(&pool, -1), l->l_n,
	    l->l_n == 1 ? "" : "s");
	next = now_ms() + POOL_TICK_MS;
	while (!got_term) {
		ms = ms_left(next);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		ppoll(NULL, 0, &ts, &waitmask);
		master_flags(&conf, &pool, l);
		if (now_ms() >= next)
			next = now_ms() + pool_maintain(&pool, conf, l);
		auth_watch(conf);
	}
	log_notice("shutting down");
	listeners_close(l);
	master_shutdown(conf, &pool, &waitmask);
	pool_free(&pool);
	log_notice("stopped");
	*confp = conf;
	return 0;
}
