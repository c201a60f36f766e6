/* netio.h: socket I/O bounded by a deadline; small socket helpers. */
#ifndef SOCKD_NETIO_H
#define SOCKD_NETIO_H

#include <sys/types.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NETIO_TIMEOUT	(-2)	/* the deadline passed */

void	netio_waitmask(const sigset_t *);
const sigset_t *netio_getmask(void);
void	netio_sighook(int (*)(void));
int	netio_interrupted(void);
int	netio_poll(struct pollfd *, nfds_t, int);
int64_t	now_ms(void);
int	ms_left(int64_t deadline);
int	wait_readable(int, int64_t);
ssize_t	read_deadline(int, void *, size_t, int64_t);
int	write_deadline(int, const void *, size_t, int64_t);
int	set_nonblock(int, int);
void	set_relay_opts(int);
int	sock_outq(int);
int	sock_at_mark(int);
int	sock_error(int);
void	sock_reset_on_close(int);

struct sockaddr;
struct sockaddr_storage;
int	route_source(const struct sockaddr *, struct sockaddr_storage *);

#endif
