/*
 * worker.c: a worker waits for a client, serves the session to its end,
 * and loops until told to stop, its session quota is spent, or the
 * master is gone (PR_SET_PDEATHSIG sends SIGUSR2 then).  SIGTERM asks
 * it to stop: it stays blocked except while the worker waits, for a
 * client (epoll_pwait) or inside a session (ppoll, netio_waitmask()), so
 * none is lost between a check and a wait.  In a session it only closes
 * the listeners; the session finishes.  SIGUSR2 ends the session (the
 * master's shutdown timeout).  SIGURG: the master saw a client wait
 * unclaimed; look for it.
 */
#include "config.h"

#include <sys/socket.h>
#ifdef HAVE_SYS_EPOLL_H
#include <sys/epoll.h>
#endif
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "climit.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "netio.h"
#include "relay.h"
#include "resolve.h"
#include "scoreboard.h"
#include "session.h"
#include "worker.h"

static volatile sig_atomic_t	 worker_stop, worker_abort, worker_poked;
static struct listeners		*worker_listeners;
static pid_t			 worker_master;
static sigset_t			 worker_block, worker_open;
static uint8_t			 buf_up[RELAY_BUFSIZE];
static uint8_t			 buf_down[RELAY_BUFSIZE];

static void
on_stop(int sig)
{
	worker_stop = 1;
}

static void
on_poke(int sig)
{
	worker_poked = 1;
}

static void
on_abort(int sig)
{
	worker_stop = worker_abort = 1;
}

/* A signal during a session: stop listening once told to; -1: end it. */
static int
worker_on_signal(void)
{
	if (worker_stop && worker_listeners->l_n > 0)
		listeners_close(worker_listeners);
	return worker_abort ? -1 : 0;
}

static void
worker_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: waits see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_abort;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_poke;
	sigaction(SIGURG, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&worker_open);
	sigemptyset(&worker_block);
	sigaddset(&worker_block, SIGTERM);
	sigaddset(&worker_block, SIGINT);
	sigaddset(&worker_block, SIGUSR2);
	sigaddset(&worker_block, SIGURG);
	sigprocmask(SIG_SETMASK, &worker_block, NULL);
}

/*
 * Ask the kernel to tell us when the master dies: as at the shutdown
 * timeout, the session ends at once, since no master is left to count
 * it, to stop it, or to keep a new one from taking its place.
 */
static void
watch_master(void)
{
#ifdef HAVE_SYS_PRCTL_H
	prctl(PR_SET_PDEATHSIG, SIGUSR2);
#endif
	if (getppid() != worker_master)
		worker_stop = worker_abort = 1;
}

/* Back off after an accept error that more tries would only repeat. */
static void
accept_failed(void)
{
	static time_t	 last;
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };

	if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ECONNABORTED)
		return;
	if (time(NULL) != last) {
		log_warn("accept");
		last = time(NULL);
	}
	nanosleep(&ts, NULL);
}

#ifdef HAVE_SYS_EPOLL_H
static int
worker_epoll(struct listeners *l)
{
	struct epoll_event ev;
	int		 ep, i;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < l->l_n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, l->l_fd[i], &ev) == -1)
			fatal("epoll_ctl");
	}
	return ep;
}

/* Wait on every listener, woken (mostly) one worker at a time. */
static int
wait_listener(struct listeners *l, int ep)
{
	struct epoll_event ev;

	if (epoll_pwait(ep, &ev, 1, -1, &worker_open) != 1)
		return -1;
	return ev.data.u32;
}
#else
static int
worker_epoll(struct listeners *l)
{
	return -1;
}

static int
wait_listener(struct listeners *l, int ep)
{
	struct pollfd	 pfd[CONF_MAX_LISTEN];
	int		 i;

	for (i = 0; i < l->l_n; i++) {
		pfd[i].fd = l->l_fd[i];
		pfd[i].events = POLLIN;
	}
	if (ppoll(pfd, l->l_n, NULL, &worker_open) <= 0)
		return -1;
	for (i = 0; i < l->l_n; i++)
		if (pfd[i].revents & POLLIN)
			return i;
	return -1;
}
#endif

/* A client from listener i, non-blocking, or -1 (none waiting, say). */
static int
take_client(struct listeners *l, int i, struct sockaddr_storage *peer,
    int *which)
{
	socklen_t	 len = sizeof(*peer);
	int		 fd;

	memset(peer, 0, sizeof(*peer));
	if ((fd = accept4(l->l_fd[i], (struct sockaddr *)peer, &len,
	    SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1)
		accept_failed();
	*which = i;
	return fd;
}

/*
 * The master saw a client wait while workers idled: a wake-up went to a
 * worker that did not take it (its generation ended, say).  Look.
 */
static int
take_any_client(struct listeners *l, struct sockaddr_storage *peer,
    int *which)
{
	int	 i, fd;

	worker_poked = 0;
	for (i = 0; i < l->l_n; i++)
		if ((fd = take_client(l, i, peer, which)) != -1)
			return fd;
	return -1;
}

/*
 * A client, non-blocking, where it comes from and the listener it came
 * to (*which); -1: none this time.  A worker whose generation ended
 * while a client woke it leaves that client to the new generation
 * (epoll_pwait() returned the client, so its SIGTERM is still pending).
 */
static int
worker_accept(struct listeners *l, int ep, struct sockaddr_storage *peer,
    int *which)
{
	int	 i;

	sb_set_state(SB_IDLE);
	i = wait_listener(l, ep);
	if (worker_stop || sb_stale()) {
		worker_stop = 1;
		return -1;
	}
	if (i != -1)
		return take_client(l, i, peer, which);
	if (worker_poked)
		return take_any_client(l, peer, which);
	accept_failed();
	return -1;
}

/* One client, start to end; its waits open the stop signals. */
static void
worker_serve(struct session *s, const struct sockd_conf *conf, int fd,
    const struct sockaddr_storage *peer, int which, uint64_t id)
{
	session_init(s, conf, fd, peer, listener_local(worker_listeners,
	    which), id);
	climit_check(s);
	session_run(s);
}

void
worker_main(const struct sockd_conf *conf, struct listeners *l,
    pid_t master)
{
	struct sockaddr_storage peer;
	struct session	 s;
	uint64_t	 served = 0, pid = getpid();
	int		 ep, fd, which;

	log_settag("worker");
	worker_listeners = l;
	worker_master = master;
	worker_signals();
	netio_waitmask(&worker_open);
	netio_sighook(worker_on_signal);
	watch_master();
	ep = worker_epoll(l);
	memset(&s, 0, sizeof(s));
	s.s_buf = buf_up;
	s.s_buf2 = buf_down;
	s.s_bufsize = RELAY_BUFSIZE;
	s.s_on_signal = worker_on_signal;
	while (!worker_stop && served < (uint64_t)conf->c_max_sessions) {
		if ((fd = worker_accept(l, ep, &peer, &which)) == -1)
			continue;
		served++;
		worker_serve(&s, conf, fd, &peer, which,
		    pid << 32 | (uint32_t)served);
		if (resolve_worn()) {
			log_info("name lookups given up on are still running: "
			    "exiting, a fresh worker takes over");
			break;
		}
#ifndef HAVE_SYS_PRCTL_H
		if (getppid() != master)	/* no PR_SET_PDEATHSIG */
			break;
#endif
	}
	_exit(0);
}
