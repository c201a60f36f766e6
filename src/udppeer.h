/* udppeer.h: the hosts a UDP association has sent to. */
#ifndef SOCKD_UDPPEER_H
#define SOCKD_UDPPEER_H

#include <sys/socket.h>
#include <stdint.h>

#define UDP_PEERS	256	/* the most recent hosts remembered */

struct udp_peer {
	uint8_t		 up_addr[16];
	uint8_t		 up_family;	/* 4 or 6; 0: an empty slot */
};

struct udp_peers {
	struct udp_peer	 p_peer[UDP_PEERS];
	unsigned int	 p_next;	/* the slot the next new one takes */
};

void	udp_peers_init(struct udp_peers *);
void	udp_peers_add(struct udp_peers *, const struct sockaddr *);
int	udp_peers_has(const struct udp_peers *, const struct sockaddr *);

#endif
