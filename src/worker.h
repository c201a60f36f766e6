/* worker.h: a worker process: accept, serve one session, repeat. */
#ifndef SOCKD_WORKER_H
#define SOCKD_WORKER_H

#include <sys/types.h>

struct sockd_conf;
struct listeners;

void	worker_main(const struct sockd_conf *, struct listeners *, pid_t)
	    __attribute__((noreturn));

#endif
