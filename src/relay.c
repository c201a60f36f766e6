/*
 * relay.c: the poll() loop that carries a session's bytes, in the manner
 * of nc's readwrite(): a side is polled for reading only while its buffer
 * has room, and an end of stream becomes shutdown(SHUT_WR) on the other
 * side once the buffer has drained, so half-closed exchanges work.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	r->r_idle_ms = -1;
}

static int
dir_wants_read(const struct relay_dir *d)
{
	return !d->rd_eof && d->rd_off + d->rd_len < d->rd_size;
}

static int
fail(struct relay *r, const char *who, const char *what, int err)
{
	snprintf(r->r_why, sizeof(r->r_why), "%s %s: %s", who, what,
	    strerror(err));
	return -1;
}

/* Fill the buffer from rd_from: 0, or -1 on a read error. */
static int
dir_read(struct relay *r, struct relay_dir *d)
{
	ssize_t	 n;

	if (d->rd_len == 0)
		d->rd_off = 0;
	n = read(d->rd_from, d->rd_buf + d->rd_off + d->rd_len,
	    d->rd_size - d->rd_off - d->rd_len);
	if (n > 0)
		d->rd_len += n;
	else if (n == 0)
		d->rd_eof = 1;
	else if (errno != EINTR && errno != EAGAIN)
		return fail(r, d->rd_name, "read error", errno);
	return 0;
}

static int
dir_write(struct relay *r, struct relay_dir *d)
{
	ssize_t	 n;

	n = send(d->rd_to, d->rd_buf + d->rd_off, d->rd_len, MSG_NOSIGNAL);
	if (n > 0) {
		d->rd_off += n;
		d->rd_len -= n;
		d->rd_bytes += n;
		if (d->rd_len == 0)
			d->rd_off = 0;
	} else if (n < 0 && errno != EINTR && errno != EAGAIN)
		return fail(r, d == &r->r_dir[0] ? "target" : "client",
		    "write error", errno);
	return 0;
}

/* Pass an end of stream on once everything before it is written. */
static void
dir_propagate_eof(struct relay_dir *d)
{
	if (d->rd_eof && d->rd_len == 0 && !d->rd_shut) {
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
		pfd[0].events |= POLLIN;
	if (up->rd_len > 0)
		pfd[1].events |= POLLOUT;
	if (dir_wants_read(down))
		pfd[1].events |= POLLIN;
	if (down->rd_len > 0)
		pfd[0].events |= POLLOUT;
	/* a hung-up socket we want nothing from would wake poll for ever */
	if (pfd[0].events == 0)
		pfd[0].fd = -1;
	if (pfd[1].events == 0)
		pfd[1].fd = -1;
}

/* Service one direction after poll: read what came, write what waits. */
static int
dir_service(struct relay *r, struct relay_dir *d, short rev, short wev)
{
	if ((rev & (POLLIN | POLLHUP | POLLERR)) && dir_wants_read(d) &&
	    dir_read(r, d) == -1)
		return -1;
	if (d->rd_len > 0 && (wev & (POLLOUT | POLLERR | POLLHUP)) &&
	    dir_write(r, d) == -1)
		return -1;
	dir_propagate_eof(d);
	return 0;
}

/*
 * Run until both directions have ended (0), or an error or the idle
 * timeout ends the session (-1); r_why says which.
 */
int
relay_run(struct relay *r)
{
	struct pollfd	 pfd[2];
	int		 n;

	dir_propagate_eof(&r->r_dir[0]);
	while (!(r->r_dir[0].rd_shut && r->r_dir[1].rd_shut)) {
		set_events(r, pfd);
		n = poll(pfd, 2, r->r_idle_ms);
		if (n == -1 && errno == EINTR) {
			if (r->r_on_signal != NULL)
				r->r_on_signal();
			continue;
		}
		if (n == -1)
			return fail(r, "relay", "poll", errno);
		if (n == 0) {
			snprintf(r->r_why, sizeof(r->r_why), "idle timeout");
			return -1;
		}
		if (dir_service(r, &r->r_dir[0], pfd[0].revents,
		    pfd[1].revents) == -1 ||
		    dir_service(r, &r->r_dir[1], pfd[1].revents,
		    pfd[0].revents) == -1)
			return -1;
	}
	snprintf(r->r_why, sizeof(r->r_why), "closed");
	return 0;
}
