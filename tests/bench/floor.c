/*
 * floor.c: "sockbench floor", a column to read the proxies against: the
 * least a server of sockd's shape (a pool of processes, each blocking in
 * accept() and serving one session) can do for the benchmark's sessions.
 * It knows only what the load generator sends: method 0 and a CONNECT by
 * IPv4 address into 127.0.0.0/8.  No rules, logs or pool management, no
 * poll(): each step is one blocking call.  A session to the echo port is
 * relayed in lock step (client, then target, then client ...); any other
 * is spliced each way, target to client in a forked child.  What it
 * reaches on a machine is about what any proxy of that shape can there.
 * Not a proxy for anything but the benchmark.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define F_WORKERS	8		/* the shipped sockd.conf's pool */
#define F_PIPESIZE	(1024 * 1024)
#define F_IOTIMEOUT	10		/* seconds: no call blocks longer */
#define F_BACKLOG	4096

struct fopts {
	struct sockaddr_in	 f_listen;
	int			 f_workers;
	int			 f_echo_port;
	int			 f_max_time;
};

static void
set_timeouts(int fd)
{
	struct timeval	 tv = { F_IOTIMEOUT, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	 n;

	for (; len > 0; p += n, len -= n)
		if ((n = write(fd, p, len)) <= 0)
			return -1;
	return 0;
}

/* A socket connected to sin, its own address in sin; -1 on failure. */
static int
dial(struct sockaddr_in *sin)
{
	socklen_t	 len = sizeof(*sin);
	int		 t, one = 1;

	if ((t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_timeouts(t);
	if (connect(t, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(t, (struct sockaddr *)sin, &len) == -1) {
		close(t);
		return -1;
	}
	return t;
}

/* Greeting and CONNECT; the target's socket, or -1 (the client told). */
static int
negotiate(int c, int *port)
{
	uint8_t			 b[262];
	struct sockaddr_in	 sin;
	int			 t;

	if (read(c, b, sizeof(b)) < 3 || b[0] != 5 || write(c, "\5\0", 2) != 2)
		return -1;
	if (read(c, b, sizeof(b)) != 10 || b[1] != 1 || b[3] != 1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, b + 4, 4);
	memcpy(&sin.sin_port, b + 8, 2);
	*port = ntohs(sin.sin_port);
	b[1] = 2;				/* loopback only */
	if ((ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
		write(c, b, 10);
		return -1;
	}
	if ((t = dial(&sin)) == -1) {
		b[1] = 5;
		write(c, b, 10);
		return -1;
	}
	b[1] = 0;
	memcpy(b + 4, &sin.sin_addr, 4);
	memcpy(b + 8, &sin.sin_port, 2);
	if (write(c, b, 10) != 10) {
		close(t);
		return -1;
	}
	return t;
}

/* The echo target: each read from the client comes back whole. */
static void
lockstep(int c, int t)
{
	uint8_t	 buf[4096];
	ssize_t	 n, got, m;

	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (write_all(t, buf, n) == -1)
			return;
		for (got = 0; got < n; got += m)
			if ((m = read(t, buf + got, n - got)) <= 0 ||
			    write_all(c, buf + got, m) == -1)
				return;
	}
	shutdown(t, SHUT_WR);
	while (read(t, buf, sizeof(buf)) > 0)
		;
}

/* One direction through a pipe, until EOF or an error; then its FIN. */
static void
pump(int from, int to)
{
	int	 p[2];
	ssize_t	 n, m;

	if (pipe2(p, O_CLOEXEC) == -1)
		return;
	fcntl(p[0], F_SETPIPE_SZ, F_PIPESIZE);
	while ((n = splice(from, NULL, p[1], NULL, F_PIPESIZE,
	    SPLICE_F_MOVE)) > 0)
		for (; n > 0; n -= m)
			if ((m = splice(p[0], NULL, to, NULL, n,
			    SPLICE_F_MOVE)) <= 0)
				goto out;
out:
	shutdown(to, SHUT_WR);
	close(p[0]);
	close(p[1]);
}

static void
streams(int c, int t)
{
	pid_t	 pid = fork();

	if (pid == 0) {
		pump(t, c);
		_exit(0);
	}
	pump(c, t);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void
serve(int c, int echo_port)
{
	int	 t, port;

	set_timeouts(c);
	if ((t = negotiate(c, &port)) == -1)
		return;
	if (port == echo_port)
		lockstep(c, t);
	else
		streams(c, t);
	close(t);
}

static void
worker(int ls, pid_t master, int echo_port)
{
	int	 c;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	signal(SIGCHLD, SIG_DFL);	/* streams() waits for its child */
	for (;;) {
		if ((c = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EINTR)
				usleep(10000);	/* EMFILE and the like */
			continue;
		}
		serve(c, echo_port);
		close(c);
	}
}

static int
floor_args(int argc, char **argv, struct fopts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "echo-port", required_argument, NULL, 'e' },
		{ "max-time", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch, have = 0;

	o->f_workers = F_WORKERS;
	o->f_max_time = 1800;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'l' && parse_inet(optarg, &o->f_listen) == 0)
			have = 1;
		else if (ch == 'w')
			o->f_workers = atoi(optarg);
		else if (ch == 'e')
			o->f_echo_port = atoi(optarg);
		else if (ch == 'm')
			o->f_max_time = atoi(optarg);
		else
			return -1;
	}
	if (!have || o->f_workers < 1 || o->f_workers > 1024 ||
	    o->f_echo_port < 1 || o->f_echo_port > 65535 ||
	    o->f_max_time < 1)
		return -1;
	return 0;
}

int
floor_main(int argc, char **argv)
{
	struct fopts	 o;
	int		 ls, one = 1, i;
	pid_t		 master = getpid();

	memset(&o, 0, sizeof(o));
	if (floor_args(argc, argv, &o) == -1) {
		fprintf(stderr, "usage: sockbench floor --listen 127.0.0.1:PORT "
		    "--echo-port PORT\n\t[--workers N] [--max-time S]\n");
		return 2;
	}
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls == -1 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(ls, (struct sockaddr *)&o.f_listen,
	    sizeof(o.f_listen)) == -1 || listen(ls, F_BACKLOG) == -1) {
		perror("floor: listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);		/* no zombies to reap */
	for (i = 0; i < o.f_workers; i++)
		if (fork() == 0)
			worker(ls, master, o.f_echo_port);
	alarm(o.f_max_time);			/* SIGALRM ends it, and so */
	for (;;)				/* its workers (PDEATHSIG) */
		pause();
}
