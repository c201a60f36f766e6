/* netutil.c: address parsing and socket flags; loopback addresses only. */
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/*
 * "A.B.C.D:PORT" into sin.  Only 127.0.0.0/8 is accepted: this program
 * must never send load anywhere but the loopback.
 */
int
parse_inet(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon;
	char		*end;
	long		 port;

	if ((colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "sockbench: %s is not a loopback address\n",
		    host);
		return -1;
	}
	return 0;
}

int
set_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
ncpu(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > BENCH_MAXTHREADS ? BENCH_MAXTHREADS : (int)n;
}
