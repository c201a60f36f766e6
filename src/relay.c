/*
 * relay.c: the poll() loop that carries a session's bytes, in the manner
 * of nc's readwrite(): a side is polled for reading only while its buffer
 * has room, and an end of stream becomes shutdown(SHUT_WR) on the other
 * side once the buffer has drained, so half-closed exchanges work.
 *
 * A direction that carries more than RELAY_SPLICE_AFTER bytes switches
 * from read()/send() through its buffer to splice() through a pipe, so a
 * bulk transfer is not copied through user space.  The pipes last as
 * long as the session.
 *
 * TCP urgent data is passed on as urgent data, in its place.
 *
 * A reset on one side is passed on as a reset (not a FIN, which would
 * make a cut stream look complete), once the bytes that side sent before
 * it have been sent on, as a direct connection would have delivered
 * them; and so is an idle timeout that leaves bytes undelivered.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netio.h"
#include "relay.h"

void
relay_init(struct relay *r, int cfd, int tfd, uint8_t *up, uint8_t *down,
    size_t size)
{
	memset(r, 0, sizeof(*r));
	r->r_dir[0].rd_from = cfd;
	r->r_dir[0].rd_to = tfd;
	r->r_dir[0].rd_buf = up;
	r->r_dir[0].rd_name = "client";
	r->r_dir[1].rd_from = tfd;
	r->r_dir[1].rd_to = cfd;
	r->r_dir[1].rd_buf = down;
	r->r_dir[1].rd_name = "target";
	r->r_dir[0].rd_size = r->r_dir[1].rd_size = size;
	r->r_dir[0].rd_urgat = r->r_dir[1].rd_urgat = -1;
	r->r_idle_ms = -1;
	r->r_outq[0] = r->r_outq[1] = -1;
}

#ifdef HAVE_SPLICE
static void
pipe_close(struct relay_dir *d)
{
	if (d->rd_pipe == NULL)
		return;
	close(d->rd_pipe[0]);
	close(d->rd_pipe[1]);
	d->rd_pipe = NULL;
}

/*
 * A pipe for one bulk direction, closed with the session.  Pipe pages
 * count against the user's fs.pipe-user-pages-soft (64 MiB), past which
 * new pipes hold only 8 KiB: kept in idle workers, pipes would leave
 * the 257th bulk transfer of a large pool with one of those.  A pipe
 * that cannot hold a relay buffer's worth is not used.
 */
static int
pipe_open(struct relay_dir *d)
{
	int	 cap;

	if (pipe2(d->rd_pipefd, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	d->rd_pipe = d->rd_pipefd;
	fcntl(d->rd_pipe[0], F_SETPIPE_SZ, RELAY_PIPESIZE);
	if ((cap = fcntl(d->rd_pipe[0], F_GETPIPE_SZ)) < RELAY_BUFSIZE) {
		pipe_close(d);
		return -1;
	}
	d->rd_pipecap = cap;
	return 0;
}

/* Move a bulk direction onto splice() once its buffer is empty. */
static void
dir_try_splice(struct relay *r, struct relay_dir *d)
{
	if (d->rd_pipe != NULL || d->rd_nosplice || d->rd_len != 0 ||
	    d->rd_bytes < RELAY_SPLICE_AFTER)
		return;
	if (pipe_open(d) == -1) {
		d->rd_nosplice = 1;	/* read() and send() will do */
		return;
	}
	d->rd_off = 0;
}

static ssize_t
splice_in(struct relay_dir *d)
{
	return splice(d->rd_from, NULL, d->rd_pipe[1], NULL,
	    d->rd_pipecap - d->rd_len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

/*
 * splice() reads nothing past TCP urgent data (MSG_OOB), and gives
 * EAGAIN or 0 there, while poll() goes on saying POLLIN: a worker would
 * spin, or take the 0 for the end of the stream.  At the mark, stop
 * reading; once the pipe has drained, go back to read(), which passes
 * the urgent byte on (dir_urgent()).
 */
static int
splice_stuck(struct relay_dir *d, ssize_t n)
{
	int	 err = errno;

	/* EAGAIN with bytes in the pipe: rd_stall waits for a write first */
	if (d->rd_pipe == NULL || n > 0 ||
	    (n == -1 && (err != EAGAIN || d->rd_len > 0)))
		return 0;
	if (!sock_at_mark(d->rd_from)) {
		errno = err;		/* for dir_read()'s checks */
		return 0;
	}
	d->rd_urgent = 1;
	return 1;
}

/* Back to read() for good, once the pipe is empty (splice_stuck()). */
static void
dir_leave_splice(struct relay_dir *d)
{
	if (!d->rd_urgent || d->rd_len != 0)
		return;
	pipe_close(d);
	d->rd_urgent = 0;
	d->rd_nosplice = 1;
	d->rd_off = 0;
}

static ssize_t
splice_out(struct relay_dir *d)
{
	return splice(d->rd_pipe[0], NULL, d->rd_to, NULL, d->rd_len,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}
#else
static void
pipe_close(struct relay_dir *d)
{
}

static void
dir_try_splice(struct relay *r, struct relay_dir *d)
{
}

static ssize_t
splice_in(struct relay_dir *d)
{
	errno = ENOSYS;
	return -1;
}

static int
splice_stuck(struct relay_dir *d, ssize_t n)
{
	return 0;
}

static void
dir_leave_splice(struct relay_dir *d)
{
}

static ssize_t
splice_out(struct relay_dir *d)
{
	errno = ENOSYS;
	return -1;
}
#endif

static int
dir_wants_read(const struct relay_dir *d)
{
	if (d->rd_pipe != NULL)
		return !d->rd_eof && !d->rd_stall && !d->rd_urgent &&
		    d->rd_len < d->rd_pipecap;
	/* one urgent byte at a time: TCP has one urgent pointer */
	if (d->rd_oob && d->rd_urgat >= 0)
		return 0;
	return !d->rd_eof && d->rd_off + d->rd_len < d->rd_size;
}

/*
 * TCP urgent data (MSG_OOB, telnet's and FTP's Synch) is passed on as
 * urgent data at the same place in the stream.  The sockets read it
 * inline (set_relay_opts()): read() stops just before the urgent byte,
 * and the read that starts at the mark begins with it; splice() stops
 * there for good (splice_stuck()).  POLLPRI: urgent data came.
 */
static void
dir_urgent(struct relay_dir *d, short rev)
{
	if (rev & POLLPRI)
		d->rd_oob = 1;
}

/*
 * POLLPRI until urgent data is seen, not after: the kernel says POLLPRI
 * as soon as the urgent byte's segment is in, even behind a gap that
 * read() must wait for, and asking again would spin.  POLLIN then tells
 * when to read, and the reads look for the mark.
 */
static short
dir_read_events(const struct relay_dir *d)
{
	return d->rd_oob ? POLLIN : POLLIN | POLLPRI;
}

/* Before a read(): does it start with the urgent byte?  Mark its place. */
static void
dir_find_urgent(struct relay_dir *d)
{
	if (!d->rd_oob || d->rd_urgat >= 0 || !sock_at_mark(d->rd_from))
		return;
	d->rd_urgat = (long)(d->rd_off + d->rd_len);
	d->rd_oob = 0;
}

/*
 * What dir_write() sends next from the buffer: up to the urgent byte,
 * then that byte alone with MSG_OOB (*flags).
 */
static size_t
dir_next_len(const struct relay_dir *d, int *flags)
{
	*flags = MSG_NOSIGNAL;
	if (d->rd_urgat < 0)
		return d->rd_len;
	if ((size_t)d->rd_urgat > d->rd_off)
		return (size_t)d->rd_urgat - d->rd_off;
	*flags |= MSG_OOB;
	return 1;
}

static int
fail(struct relay *r, const char *who, const char *what, int err)
{
	snprintf(r->r_why, sizeof(r->r_why), "%s %s: %s", who, what,
	    strerror(err));
	return -1;
}

/*
 * Side (0: client, 1: target) is gone, err from what.  Nothing more can
 * reach it.  What it sent before still goes to the other side, which then
 * gets a reset instead of an end of stream, unless the gone side had
 * ended its stream cleanly first.  The relay ends when that is done.
 */
static void
peer_gone(struct relay *r, int side, const char *what, int err)
{
	struct relay_dir *from = &r->r_dir[side], *to = &r->r_dir[1 - side];
	int		 one = 1;

	if (r->r_why[0] == '\0')
		snprintf(r->r_why, sizeof(r->r_why), "%s %s: %s",
		    from->rd_name, what, strerror(err));
	pipe_close(to);
	to->rd_len = to->rd_off = 0;
	to->rd_urgat = -1;
	to->rd_eof = to->rd_shut = 1;
	if (from->rd_eof && from->rd_err == 0)
		return;		/* its stream had ended: a FIN will do */
	from->rd_err = err;
	/* POLLOUT once the other side's socket has sent everything */
	setsockopt(from->rd_to, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &one,
	    sizeof(one));
}

/* Fill the buffer from rd_from (an error: that side is gone). */
static void
dir_read(struct relay *r, struct relay_dir *d)
{
	ssize_t	 n;

	if (d->rd_len == 0)
		d->rd_off = 0;
	dir_try_splice(r, d);
	if (d->rd_pipe != NULL)
		n = splice_in(d);
	else {
		dir_find_urgent(d);
		n = read(d->rd_from, d->rd_buf + d->rd_off + d->rd_len,
		    d->rd_size - d->rd_off - d->rd_len);
		if (n <= 0 && d->rd_urgat >= (long)(d->rd_off + d->rd_len)) {
			d->rd_urgat = -1;	/* not read after all: */
			d->rd_oob = 1;		/* POLLIN tells when */
		}
	}
	if (splice_stuck(d, n))
		dir_leave_splice(d);	/* now if the pipe is empty */
	else if (n > 0)
		d->rd_len += n;
	else if (n == 0)
		d->rd_eof = 1;
	else if (errno == EAGAIN && d->rd_pipe != NULL && d->rd_len > 0)
		d->rd_stall = 1;	/* the pipe is out of slots */
	else if (errno != EINTR && errno != EAGAIN) {
		peer_gone(r, d == &r->r_dir[0] ? 0 : 1, "read error", errno);
		d->rd_eof = 1;
	}
}

/* Send what waits to rd_to (an error: that side is gone). */
static void
dir_write(struct relay *r, struct relay_dir *d)
{
	ssize_t	 n;
	size_t	 len;
	int	 flags;

	if (d->rd_pipe != NULL)
		n = splice_out(d);
	else {
		len = dir_next_len(d, &flags);
		n = send(d->rd_to, d->rd_buf + d->rd_off, len, flags);
		if (n > 0 && (flags & MSG_OOB))
			d->rd_urgat = -1;
	}
	if (n > 0) {
		d->rd_stall = 0;
		d->rd_off += n;
		d->rd_len -= n;
		d->rd_bytes += n;
		if (d->rd_pub != NULL)
			__atomic_store_n(d->rd_pub, d->rd_bytes,
			    __ATOMIC_RELAXED);
		if (d->rd_len == 0)
			d->rd_off = 0;
		/* up to the urgent byte: now that byte */
		if (d->rd_urgat == (long)d->rd_off && d->rd_len > 0)
			dir_write(r, d);
	} else if (n < 0 && errno != EINTR && errno != EAGAIN)
		peer_gone(r, d == &r->r_dir[0] ? 1 : 0, "write error", errno);
}

/*
 * Pass an end of stream on once everything before it is written.  The
 * last one needs no shutdown(): the relay ends and the caller's close()
 * sends the FIN.
 */
static void
dir_propagate_eof(struct relay *r, struct relay_dir *d)
{
	struct relay_dir *other = d == &r->r_dir[0] ? &r->r_dir[1] :
	    &r->r_dir[0];

	if (d->rd_eof && d->rd_len == 0 && !d->rd_shut) {
		if (d->rd_err) {
			d->rd_flush = 1;	/* set_events() asks POLLOUT */
			return;
		}
		if (!other->rd_shut)
			shutdown(d->rd_to, SHUT_WR);
		d->rd_shut = 1;
	}
}

static void
set_events(struct relay *r, struct pollfd *pfd)
{
	struct relay_dir	*up = &r->r_dir[0], *down = &r->r_dir[1];

	pfd[0].fd = up->rd_from;
	pfd[1].fd = up->rd_to;
	pfd[0].events = pfd[1].events = 0;
	if (dir_wants_read(up))
		pfd[0].events |= dir_read_events(up);
	if (up->rd_len > 0 || up->rd_flush)
		pfd[1].events |= POLLOUT;
	if (dir_wants_read(down))
		pfd[1].events |= dir_read_events(down);
	if (down->rd_len > 0 || down->rd_flush)
		pfd[0].events |= POLLOUT;
	/*
	 * A socket we want nothing from stays in, to hear of a reset, but
	 * not once it has hung up: that would wake poll for ever.
	 */
	if (pfd[0].events == 0 && r->r_hup[0])
		pfd[0].fd = -1;
	if (pfd[1].events == 0 && r->r_hup[1])
		pfd[1].fd = -1;
}

/*
 * A socket polled for nothing woke: an error (a reset) means that side
 * is gone; a plain hang-up (shut both ways), or the hang-up that stays
 * after the error, is not polled again until wanted.
 */
static void
check_unwanted(struct relay *r, const struct pollfd *pfd)
{
	int	 i, err;

	for (i = 0; i < 2; i++) {
		if (pfd[i].fd == -1 || pfd[i].events != 0 ||
		    pfd[i].revents == 0)
			continue;
		/* a reset after the peer's FIN reads as EPIPE */
		if ((err = sock_error(pfd[i].fd)) != 0)
			peer_gone(r, i, "error", err == EPIPE ? ECONNRESET :
			    err);
		r->r_hup[i] = 1;
	}
}

/* A reset side's bytes have all been sent on: now the reset. */
static void
dir_flushed(struct relay *r, struct relay_dir *d, short wev)
{
	if (!d->rd_flush || !(wev & (POLLOUT | POLLERR | POLLHUP)))
		return;
	d->rd_flush = 0;
	d->rd_shut = 1;
	r->r_reset |= d == &r->r_dir[0] ? RELAY_TARGET : RELAY_CLIENT;
}

/* The relay's end: what came first, then what ended it, if not the same. */
static void
why_add(struct relay *r, const char *what)
{
	size_t	 len = strlen(r->r_why);

	snprintf(r->r_why + len, sizeof(r->r_why) - len, "%s%s",
	    len > 0 ? ", then " : "", what);
}

/*
 * A poll timeout, one look of RELAY_IDLE_LOOKS: idle once that many in a
 * row saw no byte leave a send queue.  A slow reader drains one without
 * waking poll (POLLOUT waits for a third of the buffer to be free), so
 * without the look it would be cut while reading.  -1: idle; bytes not
 * delivered then make it a cut, passed on as resets.
 */
static int
relay_look(struct relay *r)
{
	int	 fd[2] = { r->r_dir[0].rd_from, r->r_dir[0].rd_to };
	int	 i, q, moved = 0, pending = 0;

	for (i = 0; i < 2; i++) {
		q = sock_outq(fd[i]);
		moved |= q >= 0 && r->r_outq[i] >= 0 && q < r->r_outq[i];
		pending |= q > 0 || r->r_dir[i].rd_len > 0;
		r->r_outq[i] = q;
	}
	r->r_quiet = moved ? 0 : r->r_quiet + 1;
	if (r->r_quiet < RELAY_IDLE_LOOKS)
		return 0;
	why_add(r, "idle timeout");
	if (pending)
		r->r_reset = RELAY_CLIENT | RELAY_TARGET;
	return -1;
}

/* Service one direction after poll: read what came, write what waits. */
static void
dir_service(struct relay *r, struct relay_dir *d, short rev, short wev)
{
	size_t	 before = d->rd_len;

	dir_urgent(d, rev);
	if ((rev & (POLLIN | POLLPRI | POLLHUP | POLLERR)) &&
	    dir_wants_read(d))
		dir_read(r, d);
	/* what was just read is written at once: the socket is likely ready */
	if (d->rd_len > 0 && (d->rd_len > before ||
	    (wev & (POLLOUT | POLLERR | POLLHUP))))
		dir_write(r, d);
	dir_leave_splice(d);
	dir_flushed(r, d, wev);
	dir_propagate_eof(r, d);
}

/*
 * Run until both directions have ended (0), or an error or the idle
 * timeout ends the session (-1); r_why says which.
 */
static void
relay_done(struct relay *r)
{
	int	 i;

	for (i = 0; i < 2; i++)
		pipe_close(&r->r_dir[i]);
	if (r->r_reset & RELAY_CLIENT)
		sock_reset_on_close(r->r_dir[0].rd_from);
	if (r->r_reset & RELAY_TARGET)
		sock_reset_on_close(r->r_dir[0].rd_to);
}

/*
 * The next look's deadline counts from the last traffic (or look), not
 * from the last wake-up: a signal (a reload's, every few seconds) must
 * not push the idle timeout back.
 */
static int
look_wait(int look_ms, int64_t next_look)
{
	return look_ms < 0 ? -1 : ms_left(next_look);
}

static int
relay_loop(struct relay *r)
{
	struct pollfd	 pfd[2];
	int64_t		 next_look;
	int		 n, look_ms;

	look_ms = r->r_idle_ms < 0 ? -1 :
	    (r->r_idle_ms + RELAY_IDLE_LOOKS - 1) / RELAY_IDLE_LOOKS;
	next_look = now_ms() + look_ms;
	dir_propagate_eof(r, &r->r_dir[0]);
	while (!(r->r_dir[0].rd_shut && r->r_dir[1].rd_shut)) {
		set_events(r, pfd);
		n = netio_poll(pfd, 2, look_wait(look_ms, next_look));
		if (n == -1 && errno == EINTR) {
			if (r->r_on_signal != NULL && r->r_on_signal() == -1) {
				/* cut short: a FIN would look complete */
				why_add(r, "ended by shutdown");
				r->r_reset = RELAY_CLIENT | RELAY_TARGET;
				return -1;
			}
			continue;
		}
		if (n == -1)
			return fail(r, "relay", "poll", errno);
		next_look = now_ms() + look_ms;	/* a look, or traffic */
		if (n == 0) {
			if (relay_look(r) == -1)
				return -1;
			continue;
		}
		r->r_quiet = 0;
		r->r_outq[0] = r->r_outq[1] = -1;
		check_unwanted(r, pfd);
		dir_service(r, &r->r_dir[0], pfd[0].revents, pfd[1].revents);
		dir_service(r, &r->r_dir[1], pfd[1].revents, pfd[0].revents);
	}
	if (r->r_why[0] != '\0')
		return -1;	/* a side was gone: peer_gone() said how */
	snprintf(r->r_why, sizeof(r->r_why), "closed");
	return 0;
}

int
relay_run(struct relay *r)
{
	int	 rc = relay_loop(r);

	relay_done(r);
	return rc;
}
