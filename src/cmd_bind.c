/*
 * cmd_bind.c: the BIND command, for SOCKS5 and SOCKS4.  Listen on the
 * address the proxy uses toward DST.ADDR (or the configured external
 * one), reply with it, wait for one connection from the expected host
 * while watching the control connection, reply with the peer, relay.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "connect.h"
#include "log.h"
#include "netio.h"
#include "proto.h"
#include "session.h"

#ifndef POLLRDHUP
#define POLLRDHUP	0	/* not Linux: POLLHUP still tells a close */
#endif

#define BW_CLIENT	(-1)	/* the client closed or failed: no reply */
#define BW_FAIL		(-2)	/* reply with bw_rep */

/*
 * A name's addresses the socks rules block are marked AF_UNSPEC (the
 * list must stay whole for freeaddrinfo()); the others may connect in.
 * How many are left.
 */
static int
bind_filter(struct session *s, struct addrinfo *res)
{
	struct addrinfo	*ai;
	int		 n = 0;

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (session_addr_filter(ai->ai_addr, s) != 0)
			ai->ai_family = AF_UNSPEC;
		else
			n++;
	}
	return n;
}

/* The hosts allowed to connect in: NULL (*res) means any. */
static int
bind_expected(struct session *s, struct addrinfo **res)
{
	const char	*why;
	uint8_t		 rep;

	*res = NULL;
	if (s->s_dst.sa_atyp != S5_ATYP_NAME &&
	    addr_is_unspecified((struct sockaddr *)&s->s_dst.sa_addr))
		return 0;
	if (resolve_dst(&s->s_dst, SOCK_STREAM, now_ms() +
	    s->s_conf->c_connect_timeout * 1000LL, res, &rep, &why) == -1) {
		session_why(s, strcmp(why, WHY_SHUTDOWN) == 0 ? "%s" :
		    "BIND: %s", why);
		session_reply(s, rep, NULL);
		return -1;
	}
	if (bind_filter(s, *res) > 0) {
		session_addr_blocks(s, AB_EVENT);
		return 0;
	}
	session_addr_blocks(s, AB_END);
	freeaddrinfo(*res);
	*res = NULL;
	session_why(s, "BIND: every address of the name is blocked");
	session_reply(s, S5_REP_NOTALLOWED, NULL);
	return -1;
}

/*
 * An address of interface name (external = "eth0"), looked up at each
 * BIND so that a DHCP change is followed: of family af if it has
 * one, else any but IPv6 link-local ones (fe80::, unusable without a
 * scope).  SOCKS4 (v4only) takes IPv4 only.  -1, with errno, if none.
 */
static int
iface_addr(const char *name, int af, int v4only, struct sockaddr_storage *ss)
{
	struct ifaddrs	*ifa, *i, *pick = NULL;
	int		 f;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, name) != 0)
			continue;
		f = i->ifa_addr->sa_family;
		if ((f != AF_INET && f != AF_INET6) ||
		    (v4only && f != AF_INET) || (f == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)
		    i->ifa_addr)->sin6_addr)))
			continue;
		if (pick == NULL || (f == af &&
		    pick->ifa_addr->sa_family != af))
			pick = i;
	}
	if (pick != NULL) {
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, pick->ifa_addr, addr_len(pick->ifa_addr));
	}
	freeifaddrs(ifa);
	if (pick == NULL)
		errno = EADDRNOTAVAIL;
	return pick != NULL ? 0 : -1;
}

/* external: a numeric address, or an interface's. */
static int
external_addr(const struct session *s, const struct addrinfo *exp,
    struct sockaddr_storage *ss)
{
	socklen_t	 sl;
	int		 af;

	if (addr_parse_ip(s->s_conf->c_external, ss, &sl) == 0)
		return 0;
	for (; exp != NULL && exp->ai_family == AF_UNSPEC; exp = exp->ai_next)
		;
	af = exp != NULL ? exp->ai_family : s->s_local.ss_family;
	return iface_addr(s->s_conf->c_external, af,
	    s->s_version == SOCKS4_VERSION, ss);
}

/*
 * Where to listen: the external address when configured; else the
 * route's source toward the first expected host; for "any host", the
 * address the client came in on (for SOCKS4 over IPv6 loopback, whose
 * reply holds IPv4 only, IPv4's loopback).
 */
static int
bind_local(struct session *s, const struct addrinfo *exp,
    struct sockaddr_storage *ss)
{
	const struct addrinfo	*ai = exp;
	socklen_t		 sl;

	if (s->s_conf->c_external != NULL)
		return external_addr(s, exp, ss);
	/* a SOCKS4 reply has room for IPv4 only */
	while (ai != NULL && (ai->ai_family == AF_UNSPEC ||
	    (s->s_version == SOCKS4_VERSION && ai->ai_family != AF_INET)))
		ai = ai->ai_next;
	if (ai != NULL)
		return route_source(ai->ai_addr, ss);
	for (ai = exp; ai != NULL && ai->ai_family == AF_UNSPEC;
	    ai = ai->ai_next)
		;
	if (ai != NULL)
		return route_source(ai->ai_addr, ss);
	memcpy(ss, &s->s_local, sizeof(*ss));
	addr_unmap(ss);
	if (s->s_version == SOCKS4_VERSION && ss->ss_family == AF_INET6 &&
	    addr_is_loopback((struct sockaddr *)ss))
		return addr_parse_ip("127.0.0.1", ss, &sl);
	addr_set_port((struct sockaddr *)ss, 0);
	return 0;
}

static int
bind_listen(const struct sockaddr_storage *ss)
{
	const struct sockaddr	*sa = (const struct sockaddr *)ss;
	int			 fd, on = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	set_relay_opts(fd);	/* Linux: the peer's socket inherits them */
	if (bind(fd, sa, addr_len(sa)) == -1 || listen(fd, 1) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open the listening socket and send the first reply: its fd, or -1. */
static int
bind_open(struct session *s, const struct addrinfo *exp)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 a[ADDR_STRLEN];
	int			 fd, err;

	if (bind_local(s, exp, &ss) == -1 || (fd = bind_listen(&ss)) == -1) {
		err = errno;
		session_why(s, "BIND: no listening socket: %s", strerror(err));
		session_reply(s, errno_to_rep(err), NULL);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (s->s_version == SOCKS4_VERSION && ss.ss_family != AF_INET) {
		close(fd);
		session_why(s, "BIND: SOCKS4 needs an IPv4 address");
		session_reply(s, S5_REP_NETUNREACH, NULL);
		return -1;
	}
	log_debug("session %016llx: BIND listening on %s",
	    (unsigned long long)s->s_id,
	    addr_ntop((struct sockaddr *)&ss, a, sizeof(a)));
	session_publish(s, NULL);	/* past negotiation once it has this */
	if (session_reply(s, S5_REP_OK, (struct sockaddr *)&ss) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The client spoke while we wait: keep its bytes for the relay.  With
 * the buffer full only its end is watched (POLLRDHUP): it ends the BIND.
 */
static int
bind_client_read(struct session *s, short revents)
{
	ssize_t	 n;

	if (s->s_len == s->s_bufsize) {
		session_why(s, revents & POLLERR ? "client read error while "
		    "waiting for the BIND connection" : "client closed while "
		    "waiting for the BIND connection");
		return -1;
	}
	n = read(s->s_cfd, s->s_buf + s->s_len, s->s_bufsize - s->s_len);
	if (n > 0) {
		s->s_len += n;
		return 0;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	session_why(s, n == 0 ? "client closed while waiting for the BIND "
	    "connection" : "client read error while waiting for the BIND "
	    "connection");
	return -1;
}

/*
 * Wait for one connection until the deadline, watching the client:
 * the accepted fd (its peer in s_peer), BW_CLIENT or BW_FAIL (*rep set).
 */
static int
bind_wait(struct session *s, int lfd, int64_t deadline, uint8_t *rep)
{
	struct pollfd	 pfd[2];
	socklen_t	 sl;
	int		 n, fd;

	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->s_cfd;
		pfd[1].events = s->s_len < s->s_bufsize ? POLLIN : POLLRDHUP;
		n = netio_poll(pfd, 2, ms_left(deadline));
		if (n == -1 && errno == EINTR) {
			if (s->s_on_signal != NULL && s->s_on_signal() == -1) {
				*rep = S5_REP_FAIL;
				session_why(s, "ended by shutdown");
				return BW_FAIL;
			}
			continue;
		}
		*rep = S5_REP_FAIL;
		if (n == -1) {
			session_why(s, "BIND: poll: %s", strerror(errno));
			return BW_FAIL;
		}
		if (n == 0) {
			*rep = S5_REP_TTLEXPIRED;
			session_why(s, "BIND: no connection within bind-timeout");
			return BW_FAIL;
		}
		if (pfd[1].revents != 0 &&
		    bind_client_read(s, pfd[1].revents) == -1)
			return BW_CLIENT;
		if (pfd[0].revents == 0)
			continue;
		/* asked for its address, a peer already reset is ECONNABORTED */
		sl = sizeof(s->s_peer);
		fd = accept4(lfd, (struct sockaddr *)&s->s_peer, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1)
			return fd;
		if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR) {
			session_why(s, "BIND: accept: %s", strerror(errno));
			return BW_FAIL;
		}
	}
}

/* By default only DST.ADDR may connect in; then the bindreply rules. */
static int
bind_peer_ok(struct session *s, const struct addrinfo *exp,
    const struct sockaddr *peer)
{
	const struct addrinfo	*ai;
	char			 a[ADDR_STRLEN];

	for (ai = exp; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family != AF_UNSPEC &&
		    addr_equal_host(ai->ai_addr, peer))
			break;
	if (exp != NULL && ai == NULL) {
		session_why(s, "BIND: connection from %s, not DST.ADDR",
		    addr_ntop(peer, a, sizeof(a)));
		return -1;
	}
	if (session_reply_allowed(s, RULE_CMD_BINDREPLY, peer) != 0)
		return -1;	/* the session's end says which rule */
	return 0;
}

/* After the first reply: the incoming connection, checked, or -1. */
static int
bind_accept(struct session *s, int lfd, const struct addrinfo *exp)
{
	int64_t		 deadline;
	uint8_t		 rep;
	int		 fd;

	deadline = now_ms() + s->s_conf->c_bind_timeout * 1000LL;
	fd = bind_wait(s, lfd, deadline, &rep);
	if (fd == BW_CLIENT)
		return -1;
	if (fd == BW_FAIL) {
		session_reply(s, rep, NULL);
		return -1;
	}
	addr_unmap(&s->s_peer);
	if (bind_peer_ok(s, exp, (struct sockaddr *)&s->s_peer) == -1) {
		close(fd);
		session_reply(s, S5_REP_NOTALLOWED, NULL);
		return -1;
	}
	return fd;
}

void
cmd_bind(struct session *s)
{
	struct addrinfo	*exp;
	int		 lfd, fd;

	if (bind_expected(s, &exp) == -1)
		return;
	if ((lfd = bind_open(s, exp)) == -1) {
		if (exp != NULL)
			freeaddrinfo(exp);
		return;
	}
	fd = bind_accept(s, lfd, exp);
	close(lfd);
	if (exp != NULL)
		freeaddrinfo(exp);
	if (fd == -1)
		return;
	s->s_tfd = fd;
#ifndef __linux__
	set_relay_opts(fd);	/* Linux: from the listening socket */
#endif
	if (session_reply(s, S5_REP_OK, (struct sockaddr *)&s->s_peer) == -1)
		return;
	session_relay(s);
}
