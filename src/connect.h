/* connect.h: resolve a SOCKS destination and connect to it in time. */
#ifndef SOCKD_CONNECT_H
#define SOCKD_CONNECT_H

#include <sys/socket.h>
#include <stdint.h>

struct socks_addr;
struct sockd_conf;

struct connect_result {
	int			 cr_fd;		/* -1 on failure */
	uint8_t			 cr_rep;	/* S5_REP_* */
	int			 cr_errno;
	const char		*cr_why;
	struct sockaddr_storage	 cr_peer;	/* the address tried last */
	int			 cr_tried;	/* connect()s made */
	int			 cr_nowhere;	/* 0.0.0.0 or :: skipped */
};

struct addrinfo;

typedef int (*addr_filter_fn)(const struct sockaddr *, void *);

int	resolve_dst(const struct socks_addr *, int, int64_t,
	    struct addrinfo **, uint8_t *, const char **);
void	connect_dst(const struct socks_addr *, int64_t, addr_filter_fn, void *,
	    struct connect_result *);
uint8_t	errno_to_rep(int);
int	connect_is_self(const struct sockd_conf *, const struct sockaddr *,
	    const struct sockaddr *);

/* cr_why / resolve_dst()'s why when a stop signal ended the wait */
#define WHY_SHUTDOWN	"ended by shutdown"

#endif
