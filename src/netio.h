/* netio.h: socket reads and writes bounded by a deadline. */
#ifndef SOCKD_NETIO_H
#define SOCKD_NETIO_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NETIO_TIMEOUT	(-2)	/* the deadline passed */

int64_t	now_ms(void);
int	ms_left(int64_t deadline);
ssize_t	read_deadline(int, void *, size_t, int64_t);
int	write_deadline(int, const void *, size_t, int64_t);
int	set_nonblock(int, int);
void	set_nodelay(int);

#endif
