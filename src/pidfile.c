/*
 * pidfile.c: write the master's pid file.  When started as root, the
 * file's directory is created and given to the run-as user, so that the
 * master can still remove the file after it has dropped root.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

static void
pidfile_dir(const char *path, uid_t uid, gid_t gid)
{
	char	*copy, *dir;

	if ((copy = strdup(path)) == NULL)
		return;
	dir = dirname(copy);
	if (mkdir(dir, 0755) == 0 && geteuid() == 0 &&
	    chown(dir, uid, gid) == -1)
		log_warn("chown %s", dir);
	free(copy);
}

int
pidfile_write(const char *path, uid_t uid, gid_t gid)
{
	char	 buf[32];
	int	 fd, len;

	pidfile_dir(path, uid, gid);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1) {
		log_warn("pidfile %s", path);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, len) != len) {
		log_warn("pidfile %s: write", path);
		close(fd);
		return -1;
	}
	if (geteuid() == 0 && fchown(fd, uid, gid) == -1)
		log_warn("pidfile %s: chown", path);
	close(fd);
	return 0;
}

/* Remove the file; where we may not, at least empty it. */
void
pidfile_remove(const char *path)
{
	int	 fd;

	if (unlink(path) == 0 || errno == ENOENT)
		return;
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW)) != -1)
		close(fd);
	log_warn("pidfile %s: cannot remove", path);
}
