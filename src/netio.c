/* netio.c: socket reads and writes bounded by a deadline (poll-based). */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "netio.h"

static const sigset_t	*netio_mask;	/* signals open while waiting */
static int		(*netio_hook)(void);	/* a wait saw a signal */

/*
 * Waits open the signals in mask (ppoll), so a worker keeps its stop
 * signals blocked while it works and still sees them wherever it waits,
 * without a sigprocmask() pair per session.  NULL: the mask as it is.
 */
void
netio_waitmask(const sigset_t *mask)
{
	netio_mask = mask;
}

/* The signal mask waits open (NULL: the mask as it is). */
const sigset_t *
netio_getmask(void)
{
	return netio_mask;
}

/*
 * fn runs when a wait is interrupted by a signal: -1 gives the wait up
 * (the worker's shutdown timeout), 0 waits on.
 */
void
netio_sighook(int (*fn)(void))
{
	netio_hook = fn;
}

/* A wait saw EINTR: 0 to wait on, -1 with errno ECANCELED to give up. */
int
netio_interrupted(void)
{
	if (netio_hook != NULL && netio_hook() == -1) {
		errno = ECANCELED;
		return -1;
	}
	errno = EINTR;
	return 0;
}

/* poll() with the wait mask; ms < 0 waits for ever. */
int
netio_poll(struct pollfd *pfd, nfds_t n, int ms)
{
	struct timespec	 ts, *tp = NULL;

	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		tp = &ts;
	}
	return ppoll(pfd, n, tp, netio_mask);
}

int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds to the deadline, never negative; for poll(). */
int
ms_left(int64_t deadline)
{
	int64_t	 d = deadline - now_ms();

	if (d < 0)
		return 0;
	return d > 86400000 ? 86400000 : (int)d;
}

static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = fd;
	pfd.events = ev;
	for (;;) {
		n = netio_poll(&pfd, 1, ms_left(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return NETIO_TIMEOUT;
		if (errno != EINTR || netio_interrupted() == -1)
			return -1;
	}
}

/* Until fd is readable: 0, -1 on error, NETIO_TIMEOUT. */
int
wait_readable(int fd, int64_t deadline)
{
	return wait_fd(fd, POLLIN, deadline);
}

/* One read of at most len bytes: >0, 0 at EOF, -1 error, NETIO_TIMEOUT. */
ssize_t
read_deadline(int fd, void *buf, size_t len, int64_t deadline)
{
	ssize_t	 n;
	int	 w;

	for (;;) {
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((w = wait_fd(fd, POLLIN, deadline)) != 0)
			return w;
	}
}

/* Write all of buf: 0, -1 on error, NETIO_TIMEOUT. */
int
write_deadline(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char	*p = buf;
	ssize_t		 n;
	int		 w;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((w = wait_fd(fd, POLLOUT, deadline)) != 0)
			return w;
	}
	return 0;
}

int
set_nonblock(int fd, int on)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

/*
 * A socket the relay will carry: no Nagle delay, and urgent data
 * (MSG_OOB) read inline, so that none is lost before the relay passes
 * it on as urgent (relay.c: dir_urgent()).  Set before a byte can come
 * in: on listeners (Linux hands both on to the accepted sockets) and on
 * a target socket before connect().
 */
void
set_relay_opts(int fd)
{
	int	 on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on));
}

/* The local address a connection to dst would leave from, port 0. */
int
route_source(const struct sockaddr *dst, struct sockaddr_storage *src)
{
	struct sockaddr_storage	 to;
	socklen_t		 sl = sizeof(*src);
	int			 fd, rc;

	memcpy(&to, dst, addr_len(dst));
	if (addr_port((struct sockaddr *)&to) == 0)
		addr_set_port((struct sockaddr *)&to, 9);	/* discard */
	if ((fd = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = connect(fd, (struct sockaddr *)&to, addr_len(dst));
	if (rc == 0)
		rc = getsockname(fd, (struct sockaddr *)src, &sl);
	close(fd);
	if (rc == 0) {
		addr_unmap(src);	/* ::ffff:a.b.c.d: listen on IPv4 */
		addr_set_port((struct sockaddr *)src, 0);
	}
	return rc;
}

/* Bytes in fd's send queue not yet acknowledged; -1 where unknown. */
int
sock_outq(int fd)
{
#ifdef SIOCOUTQ
	int	 n;

	if (ioctl(fd, SIOCOUTQ, &n) == 0)
		return n;
#endif
	return -1;
}

/* Is the next byte to read TCP urgent data (the mark)? */
int
sock_at_mark(int fd)
{
	int	 at = 0;

#ifdef SIOCATMARK
	if (ioctl(fd, SIOCATMARK, &at) == -1)
		return 0;
#endif
	return at;
}

/* The socket's pending error (a reset: ECONNRESET), cleared; 0: none. */
int
sock_error(int fd)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

/* Make the coming close() send a reset, not a FIN: the stream was cut. */
void
sock_reset_on_close(int fd)
{
	struct linger	 l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}
