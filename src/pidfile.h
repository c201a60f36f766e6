/* pidfile.h: the master's pid file. */
#ifndef SOCKD_PIDFILE_H
#define SOCKD_PIDFILE_H

#include <sys/types.h>

#define PIDFILE_LOCKED	(-2)	/* another sockd holds it */

int	pidfile_write(const char *, uid_t, gid_t);
void	pidfile_remove(const char *);
void	pidfile_forget(void);
pid_t	pidfile_running(const char *);

#endif
