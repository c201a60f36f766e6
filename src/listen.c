/*
 * listen.c: bind and listen on every configured address, and on a
 * reload open what is new and close what is gone.  Workers wait on the
 * sockets with epoll and EPOLLEXCLUSIVE (worker.c), so they are
 * non-blocking: a worker woken for a client another took gets EAGAIN.
 * TCP_NODELAY is set here once, since Linux hands it on to every
 * accepted socket, and a listener bound to one host keeps its address,
 * the local address of every session it accepts (no getsockname()).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "listen.h"
#include "log.h"
#include "netio.h"

/* What an admin can do about a listener that failed with err. */
static const char *
listen_hint(const struct listen_addr *la, int err)
{
	const struct sockaddr *sa = (const struct sockaddr *)&la->la_addr;

	if (err == EAFNOSUPPORT || (err == EADDRNOTAVAIL &&
	    sa->sa_family == AF_INET6 && addr_is_loopback(sa)))
		return " (IPv6 is off on this host? remove the listener)";
	if (err == EADDRNOTAVAIL)
		return " (not an address of this host)";
	if (err == EACCES && addr_port(sa) < 1024)
		return " (a port below 1024 needs root)";
	if (err == EADDRINUSE)
		return " (another program listens there, or a connection "
		    "has it as its local port: ss -tanp shows which)";
	return "";
}

/* Say why la cannot be listened on, with its place in c's file. */
static int
listen_failed(const struct sockd_conf *c, const struct listen_addr *la,
    const char *call, int fd)
{
	int	 err = errno;

	if (la->la_line > 0)
		log_warnx("%s:%d: listen %s: %s: %s%s", c->c_file, la->la_line,
		    la->la_str, call, strerror(err), listen_hint(la, err));
	else
		log_warnx("%s: listen %s: %s: %s%s", c->c_file, la->la_str,
		    call, strerror(err), listen_hint(la, err));
	if (fd != -1)
		close(fd);
	errno = err;
	return -1;
}

static int
listen_one(const struct sockd_conf *c, const struct listen_addr *la)
{
	int	 fd, on = 1;

	fd = socket(la->la_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return listen_failed(c, la, "socket", -1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (la->la_addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)&la->la_addr, la->la_len) == -1)
		return listen_failed(c, la, "bind", fd);
	if (listen(fd, SOMAXCONN) == -1)
		return listen_failed(c, la, "listen", fd);
	set_relay_opts(fd);
	return fd;
}

/*
 * sockd -n: could each listen address be bound here?  A bind to its
 * address with port 0 tells an address this host lacks (or IPv6 turned
 * off) without taking the port, which a running sockd holds.  Warnings;
 * how many failed.
 */
int
listeners_probe(const struct sockd_conf *c)
{
	struct listen_addr	 la;
	int			 i, fd, bad = 0, on = 1;

	for (i = 0; i < c->c_nlisten; i++) {
		la = c->c_listen[i];
		addr_set_port((struct sockaddr *)&la.la_addr, 0);
		fd = socket(la.la_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0);
		if (fd != -1 && la.la_addr.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (fd == -1)
			listen_failed(c, &c->c_listen[i], "socket", -1);
		else if (bind(fd, (struct sockaddr *)&la.la_addr,
		    la.la_len) == -1)
			listen_failed(c, &c->c_listen[i], "bind", fd);
		else {
			close(fd);
			continue;
		}
		bad++;
	}
	return bad;
}

/* Keep the listener's address in slot i when it names one host. */
static void
listen_local(struct listeners *l, int i, const struct listen_addr *la)
{
	const struct sockaddr *sa = (const struct sockaddr *)&la->la_addr;

	memset(&l->l_local[i], 0, sizeof(l->l_local[i]));
	if (!addr_is_unspecified(sa) && addr_port(sa) != 0)
		memcpy(&l->l_local[i], &la->la_addr, la->la_len);
}

/* The local address of a client accepted on listener i; NULL: ask. */
const struct sockaddr_storage *
listener_local(const struct listeners *l, int i)
{
	if (i < 0 || i >= l->l_n || l->l_local[i].ss_family == 0)
		return NULL;
	return &l->l_local[i];
}

int
listeners_open(const struct sockd_conf *c, struct listeners *l)
{
	int	 i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < c->c_nlisten; i++) {
		if ((l->l_fd[i] = listen_one(c, &c->c_listen[i])) == -1) {
			l->l_n = i;
			listeners_close(l);
			return -1;
		}
		strcpy(l->l_str[i], c->c_listen[i].la_str);
		listen_local(l, i, &c->c_listen[i]);
		l->l_n = i + 1;
	}
	for (i = 0; i < l->l_n; i++)
		set_nonblock(l->l_fd[i], 1);
	return 0;
}

/*
 * A reload, in two steps so that it can still be called off: into n, the
 * sockets the configuration names, those l holds shared and the others
 * opened (after the privilege drop this may fail: a port below 1024, a
 * port taken).  -1 when one cannot be opened: *bad is its index in the
 * configuration, and nothing has changed.
 */
int
listeners_prepare(const struct listeners *l, const struct sockd_conf *c,
    struct listeners *n, int *bad)
{
	int	 i, j;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < c->c_nlisten; i++) {
		if ((j = listener_find(l, c->c_listen[i].la_str)) != -1)
			n->l_fd[i] = l->l_fd[j];
		else if ((n->l_fd[i] = listen_one(c, &c->c_listen[i])) != -1)
			set_nonblock(n->l_fd[i], 1);
		else {
			listeners_abort(l, n);
			*bad = i;
			return -1;
		}
		strcpy(n->l_str[i], c->c_listen[i].la_str);
		listen_local(n, i, &c->c_listen[i]);
		n->l_n = i + 1;
	}
	return 0;
}

/* Call a prepared reload off: close what it opened. */
void
listeners_abort(const struct listeners *l, struct listeners *n)
{
	int	 i;

	for (i = 0; i < n->l_n; i++)
		if (listener_find(l, n->l_str[i]) == -1)
			close(n->l_fd[i]);
	n->l_n = 0;
}

/* Go ahead with a prepared reload: close what n does not keep. */
void
listeners_commit(struct listeners *l, struct listeners *n)
{
	int	 i;

	for (i = 0; i < n->l_n; i++)
		if (listener_find(l, n->l_str[i]) == -1)
			log_info("listening on %s", n->l_str[i]);
	for (i = 0; i < l->l_n; i++)
		if (listener_find(n, l->l_str[i]) == -1) {
			log_info("no longer listening on %s", l->l_str[i]);
			close(l->l_fd[i]);
		}
	*l = *n;
}

void
listeners_close(struct listeners *l)
{
	int	 i;

	for (i = 0; i < l->l_n; i++)
		if (l->l_fd[i] != -1)
			close(l->l_fd[i]);
	l->l_n = 0;
}

int
listener_find(const struct listeners *l, const char *str)
{
	int	 i;

	for (i = 0; i < l->l_n; i++)
		if (strcmp(l->l_str[i], str) == 0)
			return i;
	return -1;
}

/*
 * Clients waiting in the listen queues, not yet accepted by a worker:
 * what the pool is short of right now.  Linux tells it through TCP_INFO
 * on a listening socket (tcpi_unacked); elsewhere it is taken as 0 and
 * the pool follows the idle count alone.
 */
int
listeners_queued(const struct listeners *l)
{
	int	 i, n = 0;
#if defined(TCP_INFO) && defined(__linux__)
	struct tcp_info	 ti;
	socklen_t	 len;

	for (i = 0; i < l->l_n; i++) {
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (l->l_fd[i] != -1 && getsockopt(l->l_fd[i], IPPROTO_TCP,
		    TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN)
			n += ti.tcpi_unacked;
	}
#else
	(void)i;
	(void)l;
#endif
	return n;
}
