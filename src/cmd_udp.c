/*
 * cmd_udp.c: UDP ASSOCIATE.  A relay socket faces the client (the
 * client's family, on the address it came in on; or, when DST.ADDR names
 * another host to send from, on the route toward it); one socket per
 * destination family, opened when first needed, faces the world.  A
 * poll() loop carries datagrams both ways until the control connection
 * closes or nothing has been relayed for udp-timeout.  Only a host the
 * client has sent to may send back (udppeer.c).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "connect.h"
#include "log.h"
#include "netio.h"
#include "proto.h"
#include "scoreboard.h"
#include "session.h"
#include "udppeer.h"

#define UDP_HDR_ROOM	22	/* RSV FRAG ATYP, an IPv6 address, port */
#define UDP_NAME_TTL	60000	/* ms a resolved name is reused */
#define UDP_BAD_TTL	10000	/* ms a name that did not resolve is not
				   asked again (its datagrams dropped) */
#define UDP_BURST	32	/* datagrams read per socket per wake-up */
#define UDP_NAMES	8	/* names an association remembers */

enum udp_sock { UDP_CTL, UDP_RELAY, UDP_OUT4, UDP_OUT6, UDP_NSOCK };

/* A name's lookup, kept until n_until: its address, or that it failed. */
struct udp_name {
	char			 n_name[S5_MAXNAME + 1];
	struct sockaddr_storage	 n_addr;
	int64_t			 n_until;
	int			 n_ok;
};

struct udp_assoc {
	struct session		*u_s;
	int			 u_fd[UDP_NSOCK];
	struct sockaddr_storage	 u_client;	/* who sends; where replies go */
	int			 u_client_port;	/* u_client's port is known */
	int			 u_elsewhere;	/* u_client is not s_client */
	struct udp_name		 u_names[UDP_NAMES]; /* names looked up */
	int64_t			 u_last;	/* last datagram relayed */
	struct udp_peers	 u_peers;	/* who may send back */
	const char		*u_end;		/* why the loop ended */
};

/* Count a datagram not relayed; say why, and the address sa if given. */
static void
udp_drop(struct udp_assoc *u, const char *why, const struct sockaddr *sa)
{
	char	 a[ADDR_STRLEN];

	u->u_s->s_dropped++;
	log_debug("session %016llx: UDP datagram dropped: %s%s%s",
	    (unsigned long long)u->u_s->s_id, why, sa != NULL ? " " : "",
	    sa != NULL ? addr_ntop(sa, a, sizeof(a)) : "");
}

/*
 * Who may send to the relay (RFC 1928: DST.ADDR and DST.PORT are where
 * the client will send from): DST.ADDR when given, else the client's IP;
 * DST.PORT when given, else the port of the first datagram.
 */
static void
udp_init(struct udp_assoc *u, struct session *s)
{
	const struct socks_addr	*d = &s->s_dst;
	int			 i;

	memset(u, 0, sizeof(*u));
	u->u_s = s;
	for (i = 0; i < UDP_NSOCK; i++)
		u->u_fd[i] = -1;
	u->u_fd[UDP_CTL] = s->s_cfd;
	memcpy(&u->u_client, &s->s_client, sizeof(u->u_client));
	if (d->sa_atyp != S5_ATYP_NAME &&
	    !addr_is_unspecified((const struct sockaddr *)&d->sa_addr)) {
		memcpy(&u->u_client, &d->sa_addr, sizeof(u->u_client));
		addr_unmap(&u->u_client);
		u->u_elsewhere = !addr_equal_host(
		    (const struct sockaddr *)&u->u_client,
		    (const struct sockaddr *)&s->s_client);
	}
	if (d->sa_port != 0) {
		addr_set_port((struct sockaddr *)&u->u_client, d->sa_port);
		u->u_client_port = 1;
	}
	u->u_last = now_ms();
	udp_peers_init(&u->u_peers);
}

/*
 * The relay socket on the address the client came in on, any port; for
 * a sender elsewhere, on the address the route toward it leaves from
 * (of its family, which may not be the control connection's).
 */
static int
udp_open_relay(struct udp_assoc *u)
{
	struct session		*s = u->u_s;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(s->s_relay);
	int			 fd, on = 1;

	memcpy(&ss, &s->s_local, sizeof(ss));
	if (u->u_elsewhere &&
	    route_source((struct sockaddr *)&u->u_client, &ss) == -1)
		return -1;
	addr_unmap(&ss);
	addr_set_port((struct sockaddr *)&ss, 0);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, addr_len((struct sockaddr *)&ss))
	    == -1 || getsockname(fd, (struct sockaddr *)&s->s_relay, &sl)
	    == -1) {
		close(fd);
		return -1;
	}
	u->u_fd[UDP_RELAY] = fd;
	return 0;
}

/* A socket toward destinations of this family, opened on first use. */
static int
udp_out_fd(struct udp_assoc *u, int family)
{
	int	 i = family == AF_INET6 ? UDP_OUT6 : UDP_OUT4, on = 1;

	if (u->u_fd[i] != -1)
		return u->u_fd[i];
	u->u_fd[i] = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (u->u_fd[i] != -1 && family == AF_INET6)
		(void)setsockopt(u->u_fd[i], IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	return u->u_fd[i];
}

/* Is this datagram on the relay socket from our client? */
static int
udp_from_client(struct udp_assoc *u, const struct sockaddr *from)
{
	const struct sockaddr	*c = (const struct sockaddr *)&u->u_client;

	if (!addr_equal_host(from, c))
		return 0;
	if (u->u_client_port)
		return addr_port(from) == addr_port(c);
	/* the first datagram tells the client's port; keep to it */
	addr_set_port((struct sockaddr *)&u->u_client, addr_port(from));
	u->u_client_port = 1;
	return 1;
}

/* name in u's table, unless it was never looked up or has expired. */
static struct udp_name *
udp_name_find(struct udp_assoc *u, const char *name, int64_t now)
{
	struct udp_name	*n;

	for (n = u->u_names; n < u->u_names + UDP_NAMES; n++)
		if (now < n->n_until && strcmp(n->n_name, name) == 0)
			return n;
	return NULL;
}

/*
 * Look d's name up, within connect-timeout (the relay waits for it), into
 * the entry of u's table that expires first.  A name that failed is
 * remembered too, so a client repeating datagrams to names whose lookups
 * hang stalls its association once per name in UDP_BAD_TTL, not at each
 * datagram.
 */
static struct udp_name *
udp_lookup(struct udp_assoc *u, const struct socks_addr *d)
{
	struct udp_name	*n, *e;
	struct addrinfo	*res, *ai = NULL;
	const char	*why;
	uint8_t		 rep;

	for (n = e = u->u_names; e < u->u_names + UDP_NAMES; e++)
		if (e->n_until < n->n_until)
			n = e;
	n->n_ok = 0;
	if (resolve_dst(d, SOCK_DGRAM, now_ms() +
	    u->u_s->s_conf->c_connect_timeout * 1000LL, &res, &rep,
	    &why) == 0) {
		for (ai = res; ai != NULL; ai = ai->ai_next)
			if (ai->ai_family == AF_INET ||
			    ai->ai_family == AF_INET6)
				break;
		if (ai != NULL) {
			memcpy(&n->n_addr, ai->ai_addr, ai->ai_addrlen);
			n->n_ok = 1;
		}
		freeaddrinfo(res);
	}
	strcpy(n->n_name, d->sa_name);
	n->n_until = now_ms() + (n->n_ok ? UDP_NAME_TTL : UDP_BAD_TTL);
	return n;
}

/* DST.ADDR and DST.PORT as a socket address; names via udp_lookup(). */
static int
udp_resolve(struct udp_assoc *u, const struct socks_addr *d,
    struct sockaddr_storage *ss)
{
	struct udp_name	*n;

	if (d->sa_atyp != S5_ATYP_NAME) {
		memcpy(ss, &d->sa_addr, sizeof(*ss));
		addr_unmap(ss);
		return 0;
	}
	if ((n = udp_name_find(u, d->sa_name, now_ms())) == NULL)
		n = udp_lookup(u, d);
	if (!n->n_ok)
		return -1;
	memcpy(ss, &n->n_addr, sizeof(*ss));
	addr_unmap(ss);		/* "::ffff:a.b.c.d" as a name, too */
	addr_set_port((struct sockaddr *)ss, d->sa_port);
	return 0;
}

/* A client datagram: check, strip the header, send on to DST. */
static void
udp_to_dst(struct udp_assoc *u, const uint8_t *buf, size_t len)
{
	struct s5_udphdr	 h;
	struct sockaddr_storage	 dst;
	struct sockaddr		*sa = (struct sockaddr *)&dst;
	ssize_t			 hl;
	int			 fd, nowhere;

	if ((hl = s5_parse_udphdr(buf, len, &h)) <= 0) {
		udp_drop(u, "malformed header", NULL);
		return;
	}
	if (h.u_frag != 0) {
		udp_drop(u, "fragment (FRAG != 0)", NULL);
		return;
	}
	if (h.u_dst.sa_atyp == S5_ATYP_NAME &&
	    session_udp_name_allowed(u->u_s, &h.u_dst) != 0) {
		udp_drop(u, "destination name not allowed", NULL);
		return;
	}
	if (udp_resolve(u, &h.u_dst, &dst) == -1) {
		/* a stop signal seen in the lookup: udp_loop() ends */
		if (u->u_s->s_on_signal != NULL &&
		    u->u_s->s_on_signal() == -1) {
			u->u_end = "ended by shutdown";
			return;
		}
		udp_drop(u, "destination not resolved", NULL);
		return;
	}
	if ((nowhere = addr_is_nowhere(sa)) != 0) {
		udp_drop(u, nowhere == ADDR_THISHOST ?
		    "unspecified destination:" : "destination in 0.0.0.0/8:", sa);
		return;
	}
	if (addr_port(sa) == 0) {
		udp_drop(u, "destination port 0:", sa);
		return;
	}
	if (sb_is_udp_relay(sa)) {
		udp_drop(u, "destination is a UDP relay of this proxy:", sa);
		return;
	}
	if (session_udp_dst_allowed(u->u_s, &h.u_dst, sa) != 0) {
		udp_drop(u, "destination not allowed:", sa);
		return;
	}
	if ((fd = udp_out_fd(u, dst.ss_family)) == -1 ||
	    sendto(fd, buf + hl, len - hl, 0, sa, addr_len(sa)) == -1) {
		udp_drop(u, strerror(errno), sa);
		return;
	}
	udp_peers_add(&u->u_peers, sa);
	u->u_s->s_dgrams_out++;
	u->u_s->s_bytes_out += len - hl;
	u->u_last = now_ms();
}

/* Read what waits on the relay socket: 0, or -1 on a socket error. */
static int
udp_from_relay(struct udp_assoc *u)
{
	struct session		*s = u->u_s;
	struct sockaddr_storage	 from;
	socklen_t		 sl;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < UDP_BURST && u->u_end == NULL; i++) {
		sl = sizeof(from);
		n = recvfrom(u->u_fd[UDP_RELAY], s->s_buf, s->s_bufsize,
		    MSG_TRUNC, (struct sockaddr *)&from, &sl);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ||
			    errno == ECONNREFUSED ? 0 : -1;
		addr_unmap(&from);
		if (!udp_from_client(u, (struct sockaddr *)&from))
			udp_drop(u, "not from the client:",
			    (struct sockaddr *)&from);
		else if ((size_t)n > s->s_bufsize)
			udp_drop(u, "too long", NULL);
		else
			udp_to_dst(u, s->s_buf, n);
	}
	return 0;
}

/* A datagram from a destination: header with its sender, to the client. */
static void
udp_to_client(struct udp_assoc *u, uint8_t *data, size_t len,
    const struct sockaddr *from)
{
	const struct sockaddr	*c = (const struct sockaddr *)&u->u_client;
	uint8_t			 hdr[UDP_HDR_ROOM];
	size_t			 hl;

	if (!udp_peers_has(&u->u_peers, from)) {
		udp_drop(u, "not from a host the client sent to:", from);
		return;
	}
	if (session_reply_allowed(u->u_s, RULE_CMD_UDPREPLY, from) != 0) {
		udp_drop(u, "reply not allowed from", from);
		return;
	}
	if (!u->u_client_port) {
		udp_drop(u, "client's port not known yet; from", from);
		return;
	}
	hl = s5_build_udphdr(hdr, sizeof(hdr), from);
	memcpy(data - hl, hdr, hl);
	if (sendto(u->u_fd[UDP_RELAY], data - hl, hl + len, 0, c,
	    addr_len(c)) == -1) {
		udp_drop(u, strerror(errno), c);
		return;
	}
	u->u_s->s_dgrams_in++;
	u->u_s->s_bytes_in += len;
	u->u_last = now_ms();
}

/* Read what waits on a socket toward destinations. */
static int
udp_from_dst(struct udp_assoc *u, int fd)
{
	struct session		*s = u->u_s;
	struct sockaddr_storage	 from;
	uint8_t			*data = s->s_buf2 + UDP_HDR_ROOM;
	size_t			 room = s->s_bufsize - UDP_HDR_ROOM;
	socklen_t		 sl;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < UDP_BURST; i++) {
		sl = sizeof(from);
		n = recvfrom(fd, data, room, MSG_TRUNC,
		    (struct sockaddr *)&from, &sl);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ||
			    errno == ECONNREFUSED ? 0 : -1;
		addr_unmap(&from);
		if ((size_t)n > room)
			udp_drop(u, "too long, from", (struct sockaddr *)&from);
		else
			udp_to_client(u, data, n, (struct sockaddr *)&from);
	}
	return 0;
}

/* The control connection: anything sent on it is ignored; EOF ends. */
static int
udp_control(struct udp_assoc *u)
{
	struct session	*s = u->u_s;
	ssize_t		 n;

	n = read(s->s_cfd, s->s_buf, s->s_bufsize);
	if (n > 0 || (n == -1 && (errno == EINTR || errno == EAGAIN)))
		return 0;
	u->u_end = n == 0 ? "control connection closed" :
	    "control connection error";
	return -1;
}

/* Service the sockets poll() marked: 0, or -1 when the session ends. */
static int
udp_service(struct udp_assoc *u, const struct pollfd *pfd)
{
	int	 i;

	if (pfd[UDP_CTL].revents != 0 && udp_control(u) == -1)
		return -1;
	if (pfd[UDP_RELAY].revents != 0 && udp_from_relay(u) == -1) {
		u->u_end = "relay socket error";
		return -1;
	}
	for (i = UDP_OUT4; i <= UDP_OUT6; i++)
		if (pfd[i].revents != 0 && udp_from_dst(u, u->u_fd[i]) == -1) {
			u->u_end = "destination socket error";
			return -1;
		}
	return 0;
}

static void
udp_loop(struct udp_assoc *u)
{
	struct pollfd	 pfd[UDP_NSOCK];
	int64_t		 idle = u->u_s->s_conf->c_udp_timeout * 1000LL;
	int		 i, n;

	for (;;) {
		for (i = 0; i < UDP_NSOCK; i++) {
			pfd[i].fd = u->u_fd[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		n = netio_poll(pfd, UDP_NSOCK, ms_left(u->u_last + idle));
		if (n == -1 && errno == EINTR) {
			if (u->u_s->s_on_signal != NULL &&
			    u->u_s->s_on_signal() == -1) {
				u->u_end = "ended by shutdown";
				return;
			}
			continue;
		}
		if (n == -1) {
			u->u_end = "poll error";
			return;
		}
		if (n > 0 && (udp_service(u, pfd) == -1 || u->u_end != NULL))
			return;
		/* after each wake-up: datagrams dropped do not hold it off */
		if (ms_left(u->u_last + idle) == 0) {
			u->u_end = "udp timeout";
			return;
		}
	}
}

void
cmd_udp(struct session *s)
{
	struct udp_assoc u;
	char		 a[ADDR_STRLEN];
	int		 i, err;

	udp_init(&u, s);
	if (u.u_elsewhere && session_source_allowed(s, &u.u_client) == -1) {
		session_why(s, "UDP source %s not allowed by the client rules",
		    addr_ntop((struct sockaddr *)&u.u_client, a, sizeof(a)));
		session_reply(s, S5_REP_NOTALLOWED, NULL);
		return;
	}
	if (u.u_elsewhere && session_udp_src_allowed(s, &u.u_client) == -1)
		return;
	if (udp_open_relay(&u) == -1) {
		err = errno;
		session_why(s, "UDP relay socket: %s", strerror(err));
		session_reply(s, errno_to_rep(err), NULL);
		return;
	}
	sb_session_udp(&s->s_relay);
	session_publish(s, NULL);	/* before the client can ask SIGUSR1 */
	if (session_reply(s, S5_REP_OK, (struct sockaddr *)&s->s_relay) == 0) {
		s->s_state = SS_RELAY;
		udp_loop(&u);
		session_why(s, "%s", u.u_end);
	}
	for (i = UDP_RELAY; i < UDP_NSOCK; i++)
		if (u.u_fd[i] != -1)
			close(u.u_fd[i]);
}
