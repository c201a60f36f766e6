/*
 * targets.c: "sockbench targets": the servers the proxies connect to.
 * echo sends back what it reads, sink reads and drops, source writes
 * until the peer goes away.  A thread per core, each with its own
 * SO_REUSEPORT listeners and epoll set.  Runs until stdin reaches EOF or
 * --max-time passes.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define T_BURST		16	/* reads or writes per event */
#define T_BACKLOG	4096

enum tkind { T_ECHO, T_SINK, T_SOURCE, T_NKINDS };

static const char *const kind_names[T_NKINDS] = { "echo", "sink", "source" };

struct tconn {
	int		 t_fd;
	enum tkind	 t_kind;
	int		 t_listener;
	uint8_t		*t_pend;	/* echo bytes not yet written back */
	size_t		 t_off;
	size_t		 t_len;
};

struct tworker {
	pthread_t	 tw_thread;
	int		 tw_epfd;
	struct tconn	 tw_listen[T_NKINDS];
	uint8_t		*tw_buf;
};

static int	 tstop;

static void	echo_in(struct tworker *, struct tconn *);
static void	echo_out(struct tworker *, struct tconn *);
static void	sink_in(struct tworker *, struct tconn *);
static void	source_out(struct tworker *, struct tconn *);

/* What each kind does when its socket is readable and writable. */
static void (*const on_in[T_NKINDS])(struct tworker *, struct tconn *) = {
	echo_in, sink_in, source_out
};
static void (*const on_out[T_NKINDS])(struct tworker *, struct tconn *) = {
	echo_out, sink_in, source_out
};

static void
tconn_close(struct tconn *t)
{
	close(t->t_fd);
	free(t->t_pend);
	free(t);
}

static int
tconn_watch(struct tworker *tw, struct tconn *t, int op, uint32_t events)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = t;
	return epoll_ctl(tw->tw_epfd, op, t->t_fd, &ev);
}

static void
echo_in(struct tworker *tw, struct tconn *t)
{
	ssize_t	 n, w;

	n = recv(t->t_fd, tw->tw_buf, BENCH_CHUNK, 0);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		tconn_close(t);
		return;
	}
	w = send(t->t_fd, tw->tw_buf, n, MSG_NOSIGNAL);
	if (w == -1 && errno == EAGAIN)
		w = 0;
	if (w < 0) {
		tconn_close(t);
		return;
	}
	if (w == n)
		return;
	if ((t->t_pend = malloc(n - w)) == NULL) {
		tconn_close(t);
		return;
	}
	memcpy(t->t_pend, tw->tw_buf + w, n - w);
	t->t_off = 0;
	t->t_len = n - w;
	tconn_watch(tw, t, EPOLL_CTL_MOD, EPOLLOUT);
}

static void
echo_out(struct tworker *tw, struct tconn *t)
{
	ssize_t	 w;

	if (t->t_len == 0) {
		echo_in(tw, t);
		return;
	}
	w = send(t->t_fd, t->t_pend + t->t_off, t->t_len, MSG_NOSIGNAL);
	if (w == -1 && errno == EAGAIN)
		return;
	if (w <= 0) {
		tconn_close(t);
		return;
	}
	t->t_off += w;
	if ((t->t_len -= w) > 0)
		return;
	free(t->t_pend);
	t->t_pend = NULL;
	tconn_watch(tw, t, EPOLL_CTL_MOD, EPOLLIN);
}

static void
sink_in(struct tworker *tw, struct tconn *t)
{
	ssize_t	 n;
	int	 i;

	for (i = 0; i < T_BURST; i++) {
		n = recv(t->t_fd, tw->tw_buf, BENCH_CHUNK, 0);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tconn_close(t);
			return;
		}
	}
}

static void
source_out(struct tworker *tw, struct tconn *t)
{
	ssize_t	 n;
	int	 i;

	for (i = 0; i < T_BURST; i++) {
		n = send(t->t_fd, tw->tw_buf, BENCH_CHUNK, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tconn_close(t);
			return;
		}
	}
}

static void
accept_some(struct tworker *tw, struct tconn *l)
{
	struct tconn	*t;
	int		 fd, i, one = 1;

	for (i = 0; i < T_BURST; i++) {
		if ((fd = accept4(l->t_fd, NULL, NULL, SOCK_NONBLOCK)) == -1)
			return;
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			close(fd);
			return;
		}
		t->t_fd = fd;
		t->t_kind = l->t_kind;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (tconn_watch(tw, t, EPOLL_CTL_ADD,
		    t->t_kind == T_SOURCE ? EPOLLOUT : EPOLLIN) == -1)
			tconn_close(t);
	}
}

static void *
tworker_main(void *arg)
{
	struct tworker		*tw = arg;
	struct epoll_event	 evs[BENCH_MAXEVENTS];
	struct tconn		*t;
	int			 i, n;

	while (!__atomic_load_n(&tstop, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(tw->tw_epfd, evs, BENCH_MAXEVENTS,
		    BENCH_TICK_MS);
		for (i = 0; i < n; i++) {
			t = evs[i].data.ptr;
			if (t->t_listener)
				accept_some(tw, t);
			else if (evs[i].events & EPOLLOUT)
				on_out[t->t_kind](tw, t);
			else
				on_in[t->t_kind](tw, t);
		}
	}
	return NULL;
}

static int
listen_on(struct tworker *tw, enum tkind kind, const struct sockaddr_in *sin)
{
	struct tconn	*l = &tw->tw_listen[kind];
	int		 one = 1;

	l->t_kind = kind;
	l->t_listener = 1;
	l->t_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (l->t_fd == -1 ||
	    setsockopt(l->t_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    setsockopt(l->t_fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1 ||
	    bind(l->t_fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(l->t_fd, T_BACKLOG) == -1 ||
	    tconn_watch(tw, l, EPOLL_CTL_ADD, EPOLLIN) == -1) {
		fprintf(stderr, "sockbench: %s on port %d: %s\n",
		    kind_names[kind], ntohs(sin->sin_port), strerror(errno));
		return -1;
	}
	return 0;
}

static int
tworker_init(struct tworker *tw, const struct sockaddr_in *addrs)
{
	int	 k;

	if ((tw->tw_epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (tw->tw_buf = calloc(1, BENCH_CHUNK)) == NULL)
		return -1;
	memset(tw->tw_buf, 'x', BENCH_CHUNK);
	for (k = 0; k < T_NKINDS; k++)
		if (listen_on(tw, k, &addrs[k]) == -1)
			return -1;
	return 0;
}

static void
targets_usage(void)
{
	fprintf(stderr, "usage: sockbench targets --echo 127.0.0.1:PORT "
	    "--sink 127.0.0.1:PORT --source 127.0.0.1:PORT\n"
	    "\t[--threads N] [--max-time S]\n");
	exit(2);
}

static void
targets_args(int argc, char **argv, struct sockaddr_in *addrs, int *threads,
    double *maxtime)
{
	static const struct option lo[] = {
		{ "echo", required_argument, NULL, T_ECHO },
		{ "sink", required_argument, NULL, T_SINK },
		{ "source", required_argument, NULL, T_SOURCE },
		{ "threads", required_argument, NULL, 'T' },
		{ "max-time", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch >= 0 && ch < T_NKINDS) {
			if (parse_inet(optarg, &addrs[ch]) == -1)
				targets_usage();
		} else if (ch == 'T')
			*threads = atoi(optarg);
		else if (ch == 'M')
			*maxtime = atof(optarg);
		else
			targets_usage();
	}
	if (*threads < 1 || *threads > BENCH_MAXTHREADS || *maxtime <= 0 ||
	    addrs[T_ECHO].sin_port == 0 || addrs[T_SINK].sin_port == 0 ||
	    addrs[T_SOURCE].sin_port == 0)
		targets_usage();
}

/* Until EOF on stdin or the time limit. */
static void
wait_for_end(double maxtime)
{
	struct pollfd	 pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int64_t		 end = mono_ns() + (int64_t)(maxtime * 1e9);
	char		 buf[256];

	while (mono_ns() < end) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			return;
	}
}

int
targets_main(int argc, char **argv)
{
	static struct tworker	 tws[BENCH_MAXTHREADS];
	struct sockaddr_in	 addrs[T_NKINDS];
	double			 maxtime = 3600;
	int			 i, n = ncpu();

	memset(addrs, 0, sizeof(addrs));
	targets_args(argc, argv, addrs, &n, &maxtime);
	for (i = 0; i < n; i++)
		if (tworker_init(&tws[i], addrs) == -1)
			return 1;
	for (i = 0; i < n; i++)
		if (pthread_create(&tws[i].tw_thread, NULL, tworker_main,
		    &tws[i]) != 0) {
			fprintf(stderr, "sockbench: cannot start thread\n");
			return 1;
		}
	printf("ready threads=%d\n", n);
	fflush(stdout);
	wait_for_end(maxtime);
	__atomic_store_n(&tstop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++)
		pthread_join(tws[i].tw_thread, NULL);
	printf("targets cpu_s=%.3f\n", cpu_seconds());
	return 0;
}
