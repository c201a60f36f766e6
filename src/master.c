/*
 * master.c: the master never reads a byte from a client.  It sleeps in
 * ppoll() with its signals blocked, so none is lost between checks, and
 * acts on the flags the handlers set: reap and replace workers, reload
 * (SIGHUP), shut down (SIGTERM, SIGINT).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "netio.h"
#include "pool.h"

static volatile sig_atomic_t	 got_term, got_hup, got_chld;

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
	}
}

static void
master_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
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
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGHUP);
	sigdelset(waitmask, SIGCHLD);
}

/* Re-read the config; start a new generation; let the old one finish. */
static struct sockd_conf *
master_reload(struct sockd_conf *conf, struct pool *p, struct listeners *l)
{
	struct sockd_conf	*next;

	log_info("SIGHUP: reloading %s", conf->c_file);
	if ((next = conf_load(conf->c_file)) == NULL) {
		log_warnx("reload failed: keeping the running configuration");
		return conf;
	}
	if (!listeners_match(l, next))
		log_warnx("listen addresses changed: restart sockd to apply");
	if (pool_resize(p, next->c_max_workers) == -1) {
		log_warnx("reload failed: out of memory");
		conf_free(next);
		return conf;
	}
	if (auth_load(next, conf) == -1) {
		log_warnx("reload failed: keeping the running configuration");
		conf_free(next);
		return conf;
	}
	p->p_gen++;
	pool_fill(p, next, l, next->c_workers);
	pool_signal(p, SIGTERM, p->p_gen);
	conf_free(conf);
	log_info("configuration reloaded (generation %d)", p->p_gen);
	return next;
}

/* SIGTERM to all; after the shutdown timeout, SIGKILL to the rest. */
static void
master_shutdown(const struct sockd_conf *conf, struct pool *p,
    sigset_t *waitmask)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	int64_t		 deadline;

	pool_signal(p, SIGTERM, INT_MAX);
	deadline = now_ms() + conf->c_shutdown_timeout * 1000LL;
	while (pool_count(p, -1) > 0 && now_ms() < deadline) {
		ppoll(NULL, 0, &ts, waitmask);
		pool_reap(p);
	}
	if (pool_count(p, -1) > 0) {
		log_warnx("shutdown timeout: ending %d sessions",
		    pool_count(p, -1));
		pool_signal(p, SIGKILL, INT_MAX);
		while (pool_count(p, -1) > 0) {
			ppoll(NULL, 0, &ts, waitmask);
			pool_reap(p);
		}
	}
}

/* Run until told to stop; *confp follows reloads (the old ones are freed). */
int
master_run(struct sockd_conf **confp, struct listeners *l)
{
	struct sockd_conf *conf = *confp;
	struct timespec	 tick = { 1, 0 };
	struct pool	 pool;
	sigset_t	 waitmask;

	log_settag("master");
	master_signals(&waitmask);
	if (pool_init(&pool, conf->c_max_workers) == -1)
		fatal("pool");
	pool_fill(&pool, conf, l, conf->c_workers);
	log_info("sockd %s started: %d workers on %d listeners",
	    PACKAGE_VERSION, pool_count(&pool, -1), l->l_n);
	while (!got_term) {
		ppoll(NULL, 0, &tick, &waitmask);
		if (got_chld) {
			got_chld = 0;
			pool_reap(&pool);
		}
		if (got_hup) {
			got_hup = 0;
			conf = master_reload(conf, &pool, l);
		}
		auth_watch(conf);
		pool_fill(&pool, conf, l, conf->c_workers);
	}
	log_info("shutting down");
	listeners_close(l);
	master_shutdown(conf, &pool, &waitmask);
	log_info("stopped");
	*confp = conf;
	return 0;
}
