/* addr.h: socket addresses, host:port strings and CIDR blocks. */
#ifndef SOCKD_ADDR_H
#define SOCKD_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdint.h>

/* "[ffff:...:ffff]:65535" plus NUL */
#define ADDR_STRLEN	(INET6_ADDRSTRLEN + 8)

struct cidr {
	int		c_family;	/* AF_INET, AF_INET6, or AF_UNSPEC: any */
	uint8_t		c_addr[16];
	int		c_prefix;
};

int	addr_parse_hostport(const char *, struct sockaddr_storage *,
	    socklen_t *);
int	addr_parse_ip(const char *, struct sockaddr_storage *, socklen_t *);
char	*addr_ntop(const struct sockaddr *, char *, size_t);
char	*addr_ntop_host(const struct sockaddr *, char *, size_t);
socklen_t addr_len(const struct sockaddr *);
uint16_t addr_port(const struct sockaddr *);
void	addr_set_port(struct sockaddr *, uint16_t);
void	addr_unmap(struct sockaddr_storage *);
int	addr_equal_host(const struct sockaddr *, const struct sockaddr *);
int	addr_on_wild_port(const struct sockaddr *, const struct sockaddr *);
int	addr_reaches(const struct sockaddr *, const struct sockaddr *,
	    const struct sockaddr *);
int	addr_is_unspecified(const struct sockaddr *);
int	addr_is_loopback(const struct sockaddr *);
/* addr_is_nowhere(): 0.0.0.0 or ::, and the rest of 0.0.0.0/8 */
#define ADDR_THISHOST	1
#define ADDR_THISNET	2
int	addr_is_nowhere(const struct sockaddr *);
int	addr_name_ok(const char *);
void	addr_unbracket(char *);
int	addr_listen_clash(const struct sockaddr *, const struct sockaddr *);

int	cidr_parse(const char *, struct cidr *);
int	cidr_match(const struct cidr *, const struct sockaddr *);
char	*cidr_ntop(const struct cidr *, char *, size_t);
int	cidr_clear_host(struct cidr *);

#endif
