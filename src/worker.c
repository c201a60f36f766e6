/*
 * worker.c: a worker blocks in accept(), serves the session to its end,
 * and loops until told to stop, its session quota is spent, or the master
 * is gone.  A stop request lets the current session finish.
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

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "relay.h"
#include "session.h"
#include "worker.h"

static volatile sig_atomic_t	 worker_stop;
static struct listeners		*worker_listeners;
static pid_t			 worker_master;
static uint8_t			 buf_up[RELAY_BUFSIZE];
static uint8_t			 buf_down[RELAY_BUFSIZE];

static void
on_stop(int sig)
{
	worker_stop = 1;
}

/* After a signal: once told to stop, stop listening; finish the session. */
static void
worker_on_signal(void)
{
	if (worker_stop && worker_listeners->l_n > 0)
		listeners_close(worker_listeners);
}

static void
worker_signals(void)
{
	struct sigaction sa;
	sigset_t	 none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: accept sees EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Ask the kernel to tell us when the master dies. */
static void
watch_master(void)
{
#ifdef HAVE_SYS_PRCTL_H
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (getppid() != worker_master)
		worker_stop = 1;
}

/* Back off after an accept error that more tries would only repeat. */
static void
accept_failed(void)
{
	static time_t	 last;
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };

	if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
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

/* Several listeners: wait on all, woken one worker at a time. */
static int
accept_many(struct listeners *l, int ep)
{
	struct epoll_event ev;
	int		 n;

	n = epoll_wait(ep, &ev, 1, -1);
	if (n <= 0 || worker_stop || l->l_n == 0)
		return -1;
	return accept4(l->l_fd[ev.data.u32], NULL, NULL, SOCK_CLOEXEC);
}
#else
static int
worker_epoll(struct listeners *l)
{
	return -1;
}

static int
accept_many(struct listeners *l, int ep)
{
	struct pollfd	 pfd[CONF_MAX_LISTEN];
	int		 i;

	for (i = 0; i < l->l_n; i++) {
		pfd[i].fd = l->l_fd[i];
		pfd[i].events = POLLIN;
	}
	if (poll(pfd, l->l_n, -1) <= 0)
		return -1;
	for (i = 0; i < l->l_n; i++)
		if (pfd[i].revents & POLLIN)
			return accept(l->l_fd[i], NULL, NULL);
	return -1;
}
#endif

static int
worker_accept(struct listeners *l, int ep)
{
	int	 fd;

	if (l->l_n == 1)
		fd = accept4(l->l_fd[0], NULL, NULL, SOCK_CLOEXEC);
	else
		fd = accept_many(l, ep);
	if (fd == -1 && !worker_stop)
		accept_failed();
	return fd;
}

void
worker_main(const struct sockd_conf *conf, struct listeners *l,
    pid_t master)
{
	struct session	 s;
	uint64_t	 served = 0;
	int		 ep = -1, fd;

	log_settag("worker");
	worker_listeners = l;
	worker_master = master;
	worker_signals();
	watch_master();
	if (l->l_n > 1)
		ep = worker_epoll(l);
	memset(&s, 0, sizeof(s));
	s.s_buf = buf_up;
	s.s_buf2 = buf_down;
	s.s_bufsize = RELAY_BUFSIZE;
	s.s_on_signal = worker_on_signal;
	while (!worker_stop && served < (uint64_t)conf->c_max_sessions) {
		if ((fd = worker_accept(l, ep)) == -1)
			continue;
		served++;
		session_init(&s, conf, fd,
		    (uint64_t)getpid() << 32 | (uint32_t)served);
		session_run(&s);
		if (getppid() != master)
			break;
	}
	_exit(0);
}
