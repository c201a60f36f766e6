/*
 * connect.c: turn a SOCKS destination into a connected socket: resolve
 * names, try each address in turn within the connect timeout, and map
 * the outcome to a SOCKS reply code.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "connect.h"
#include "netio.h"
#include "proto.h"
#include "resolve.h"

struct errno_rep {
	int		 er_errno;
	uint8_t		 er_rep;
};

static const struct errno_rep errno_reps[] = {
	{ ECONNREFUSED,	S5_REP_REFUSED },
	{ ECONNRESET,	S5_REP_REFUSED },	/* accepted, then reset */
	{ EHOSTUNREACH,	S5_REP_HOSTUNREACH },
	{ EHOSTDOWN,	S5_REP_HOSTUNREACH },
	{ ENETUNREACH,	S5_REP_NETUNREACH },
	{ ENETDOWN,	S5_REP_NETUNREACH },
	{ EAFNOSUPPORT,	S5_REP_NETUNREACH },
	{ EADDRNOTAVAIL, S5_REP_NETUNREACH },
	{ ETIMEDOUT,	S5_REP_TTLEXPIRED },
	{ EACCES,	S5_REP_NOTALLOWED },
	{ EPERM,	S5_REP_NOTALLOWED },
	{ EINVAL,	S5_REP_NETUNREACH },	/* fe80:: with no scope */
	{ 0,		S5_REP_FAIL }
};

uint8_t
errno_to_rep(int err)
{
	const struct errno_rep *e;

	for (e = errno_reps; e->er_errno != 0; e++)
		if (e->er_errno == err)
			return e->er_rep;
	return S5_REP_FAIL;
}

/*
 * getaddrinfo for a name, given up at the deadline (REP 0x06), or a
 * one-entry list for an address.
 */
int
resolve_dst(const struct socks_addr *dst, int socktype, int64_t deadline,
    struct addrinfo **res, uint8_t *rep, const char **why)
{
	struct addrinfo	 hints;
	char		 host[S5_MAXNAME + 1], port[8];
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", dst->sa_port);
	if (dst->sa_atyp == S5_ATYP_NAME) {
		if (!addr_name_ok(dst->sa_name)) {
			*rep = S5_REP_HOSTUNREACH;
			*why = "bad name: a character no host name has";
			return -1;
		}
		snprintf(host, sizeof(host), "%s", dst->sa_name);
		hints.ai_flags |= AI_ADDRCONFIG;
	} else {
		getnameinfo((const struct sockaddr *)&dst->sa_addr,
		    dst->sa_addr.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		    host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		hints.ai_flags |= AI_NUMERICHOST;
	}
	if (dst->sa_atyp == S5_ATYP_NAME)
		rc = resolve_timed(host, port, &hints, deadline, res);
	else
		rc = getaddrinfo(host, port, &hints, res);
	if (rc == 0)
		return 0;
	if (rc == RESOLVE_CANCELED) {
		*rep = S5_REP_FAIL;
		*why = WHY_SHUTDOWN;
		return -1;
	}
	*rep = rc == RESOLVE_TIMEOUT ? S5_REP_TTLEXPIRED : S5_REP_HOSTUNREACH;
	*why = rc == RESOLVE_TIMEOUT ? "name lookup timed out" :
	    rc == EAI_AGAIN ? "name lookup failed temporarily" :
	    rc == EAI_SYSTEM ? "name lookup failed" : "name not found";
	return -1;
}

/* A non-blocking connect to one address, waiting until the deadline. */
static int
connect_one(const struct addrinfo *ai, int64_t deadline, int *err)
{
	struct pollfd	 pfd;
	socklen_t	 sl = sizeof(*err);
	int		 fd, n;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		*err = errno;
		return -1;
	}
	set_relay_opts(fd);	/* before a byte can come in */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	/* a near target (loopback) has often answered already */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EISCONN)
		return fd;
	if (errno != EALREADY && errno != EINPROGRESS && errno != EINTR) {
		*err = errno;
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	while ((n = netio_poll(&pfd, 1, ms_left(deadline))) == -1 &&
	    errno == EINTR && netio_interrupted() == 0)
		;
	*err = 0;
	if (n == 0)
		*err = ETIMEDOUT;
	else if (n == -1)
		*err = errno;
	else if ((pfd.revents & (POLLERR | POLLHUP)) &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &sl) == -1)
		*err = errno;	/* POLLOUT alone: connected */
	if (n > 0 && *err == 0)
		return fd;
	close(fd);
	return -1;
}

/*
 * Each address of a name gets an equal share of the time left, so one
 * that never answers (a broken IPv6 route) leaves time for the next.
 */
static int64_t
share_of(const struct addrinfo *ai, int64_t deadline)
{
	int	 n = 0;

	for (; ai != NULL; ai = ai->ai_next)
		n++;
	return now_ms() + ms_left(deadline) / n;
}

static void
try_addresses(struct addrinfo *res, int64_t deadline, addr_filter_fn filter,
    void *arg, struct connect_result *cr)
{
	struct addrinfo	*ai;
	int		 err = EHOSTUNREACH, nowhere;

	for (ai = res; ai != NULL && ms_left(deadline) > 0; ai = ai->ai_next) {
		memcpy(&cr->cr_peer, ai->ai_addr, ai->ai_addrlen);
		if ((nowhere = addr_is_nowhere(ai->ai_addr)) != 0) {
			cr->cr_nowhere++;
			cr->cr_rep = S5_REP_NOTALLOWED;
			cr->cr_why = nowhere == ADDR_THISHOST ?
			    "unspecified destination address (this host)" :
			    "destination in 0.0.0.0/8 (this network)";
			continue;
		}
		if (filter != NULL && filter(ai->ai_addr, arg) != 0) {
			cr->cr_rep = S5_REP_NOTALLOWED;
			cr->cr_why = "resolved address not allowed";
			continue;
		}
		cr->cr_tried++;
		if ((cr->cr_fd = connect_one(ai, share_of(ai, deadline),
		    &err)) != -1) {
			cr->cr_rep = S5_REP_OK;
			return;
		}
		if (err == ECANCELED)
			break;
	}
	if (cr->cr_tried == 0 && cr->cr_rep == S5_REP_NOTALLOWED)
		return;
	if (ai != NULL && err != ECANCELED)
		err = ETIMEDOUT;	/* the deadline cut the list short */
	cr->cr_errno = err;
	cr->cr_rep = errno_to_rep(err);
	cr->cr_why = err == ECANCELED ? WHY_SHUTDOWN : strerror(err);
}

/*
 * dst as a one-entry list in *ai and *ss when it is an address, or a
 * name that is an IPv4 or IPv6 literal ("10.1.2.3", "::1"): those need
 * no resolver, and getaddrinfo() would cost a round trip through text,
 * and for a name a netlink query (AI_ADDRCONFIG).  -1: a name to look
 * up.
 */
static int
literal_dst(const struct socks_addr *dst, struct addrinfo *ai,
    struct sockaddr_storage *ss)
{
	socklen_t	 len;

	if (dst->sa_atyp != S5_ATYP_NAME)
		memcpy(ss, &dst->sa_addr, sizeof(*ss));
	else if (addr_parse_ip(dst->sa_name, ss, &len) == -1)
		return -1;
	addr_set_port((struct sockaddr *)ss, dst->sa_port);
	memset(ai, 0, sizeof(*ai));
	ai->ai_family = ss->ss_family;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_protocol = IPPROTO_TCP;
	ai->ai_addr = (struct sockaddr *)ss;
	ai->ai_addrlen = addr_len(ai->ai_addr);
	return 0;
}

/*
 * Connect to dst before the deadline.  filter, when given, vets each
 * resolved address (non-zero: skip it as not allowed).
 */
void
connect_dst(const struct socks_addr *dst, int64_t deadline,
    addr_filter_fn filter, void *arg, struct connect_result *cr)
{
	struct sockaddr_storage	 ss;
	struct addrinfo		 one, *res;

	memset(cr, 0, sizeof(*cr));
	cr->cr_fd = -1;
	if (literal_dst(dst, &one, &ss) == 0) {
		try_addresses(&one, deadline, filter, arg, cr);
		return;
	}
	if (resolve_dst(dst, SOCK_STREAM, deadline, &res, &cr->cr_rep,
	    &cr->cr_why) == -1)
		return;
	try_addresses(res, deadline, filter, arg, cr);
	freeaddrinfo(res);
}

/* Is sa one of the addresses of this host's interfaces? */
static int
host_has_addr(const struct sockaddr *sa)
{
	struct ifaddrs	*ifa, *i;
	int		 hit = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && !hit; i = i->ifa_next)
		hit = i->ifa_addr != NULL && addr_equal_host(sa, i->ifa_addr);
	freeifaddrs(ifa);
	return hit;
}

/*
 * Does a connection to peer reach one of c's listeners?  Before
 * connecting (src NULL): a listen address, or on a wildcard listener's
 * port a loopback address or one of the interfaces' (asked only then,
 * so rarely); once connected, also the source address (cmd_connect.c).
 */
int
connect_is_self(const struct sockd_conf *c, const struct sockaddr *peer,
    const struct sockaddr *src)
{
	const struct sockaddr	*la;
	int			 i;

	for (i = 0; i < c->c_nlisten; i++) {
		la = (const struct sockaddr *)&c->c_listen[i].la_addr;
		if (addr_reaches(peer, src, la))
			return 1;
		if (src == NULL && addr_on_wild_port(peer, la) &&
		    host_has_addr(peer))
			return 1;
	}
	return 0;
}
