/* master.h: the master process's loop: signals, the pool, reloads. */
#ifndef SOCKD_MASTER_H
#define SOCKD_MASTER_H

struct sockd_conf;
struct listeners;

int	master_run(struct sockd_conf **, struct listeners *);

#endif
