/*
 * udppeer.c: the hosts a UDP association has sent to, so that only they
 * may send back, from any port, as through a NAT with address-dependent
 * filtering (RFC 4787): a stranger who finds the relay's outward port
 * cannot send datagrams to the client, while a server that answers from
 * another port than the one asked (TFTP) still reaches it.  The most
 * recent UDP_PEERS are kept; a new one replaces the oldest.  Pure.
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include "udppeer.h"

/* sa's host as a peer (an IPv4-mapped IPv6 address as IPv4); 0: not IP. */
static int
peer_of(const struct sockaddr *sa, struct udp_peer *p)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(p, 0, sizeof(*p));
	if (sa->sa_family == AF_INET) {
		p->up_family = 4;
		memcpy(p->up_addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			p->up_family = 4;
			memcpy(p->up_addr, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			p->up_family = 6;
			memcpy(p->up_addr, &sin6->sin6_addr, 16);
		}
	}
	return p->up_family != 0;
}

void
udp_peers_init(struct udp_peers *ps)
{
	memset(ps, 0, sizeof(*ps));
}

int
udp_peers_has(const struct udp_peers *ps, const struct sockaddr *sa)
{
	struct udp_peer	 p;
	unsigned int	 i;

	if (!peer_of(sa, &p))
		return 0;
	for (i = 0; i < UDP_PEERS && ps->p_peer[i].up_family != 0; i++)
		if (memcmp(&ps->p_peer[i], &p, sizeof(p)) == 0)
			return 1;
	return 0;
}

void
udp_peers_add(struct udp_peers *ps, const struct sockaddr *sa)
{
	struct udp_peer	 p;

	if (!peer_of(sa, &p) || udp_peers_has(ps, sa))
		return;
	memcpy(&ps->p_peer[ps->p_next], &p, sizeof(p));	/* padding too */
	ps->p_next = (ps->p_next + 1) % UDP_PEERS;
}
