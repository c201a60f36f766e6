/* listen.h: the listening sockets, opened by the master before it drops root. */
#ifndef SOCKD_LISTEN_H
#define SOCKD_LISTEN_H

#include <sys/socket.h>

#include "conf.h"

struct listeners {
	int	 l_fd[CONF_MAX_LISTEN];
	char	 l_str[CONF_MAX_LISTEN][64];
	/* the bound address when it is one host; family 0: a wildcard */
	struct sockaddr_storage l_local[CONF_MAX_LISTEN];
	int	 l_n;
};

int	listeners_open(const struct sockd_conf *, struct listeners *);
int	listeners_probe(const struct sockd_conf *);
void	listeners_close(struct listeners *);
int	listeners_prepare(const struct listeners *, const struct sockd_conf *,
	    struct listeners *, int *);
void	listeners_abort(const struct listeners *, struct listeners *);
void	listeners_commit(struct listeners *, struct listeners *);
int	listeners_queued(const struct listeners *);
int	listener_find(const struct listeners *, const char *);
const struct sockaddr_storage *listener_local(const struct listeners *, int);

#endif
