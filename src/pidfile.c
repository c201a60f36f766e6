/*
 * pidfile.c: write the master's pid file.  When started as root, the
 * file's directory is created and given to the run-as user, so that the
 * master can still remove the file after it has dropped root.
 */
#include "config.h"

#include <sys/file.h>
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

static int	 pidfile_fd = -1;	/* open, and locked, while we run */

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

/*
 * The directory may belong to the run-as user: what sits at path may have
 * been put there to make root truncate and chown another file (a hard
 * link), or block (a FIFO).  Only a regular file with one link is ours.
 * 0, with errno 0, after saying why not.
 */
static int
own_file(int fd, const char *path)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return 0;
	if (S_ISREG(st.st_mode) && st.st_nlink == 1)
		return 1;
	log_warnx("pidfile %s: not a regular file of its own (%s): remove it",
	    path, !S_ISREG(st.st_mode) ? "a FIFO, socket or device" :
	    "a hard link to another file");
	errno = 0;
	return 0;
}

/*
 * A lock on the file for as long as the daemon runs: two sockds started
 * at the same moment both find no pid in it, and the second would
 * overwrite the first's.  0 when ours, PIDFILE_LOCKED, or -1.
 */
static int
lock_file(int fd, const char *path)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		log_warn("pidfile %s: lock", path);
		return -1;
	}
	log_warnx("pidfile %s: locked by another sockd, started at the same "
	    "time", path);
	return PIDFILE_LOCKED;
}

/*
 * Write our pid; the file stays open, and locked, until the master is
 * gone (its workers let go of it: pidfile_forget()).
 */
int
pidfile_write(const char *path, uid_t uid, gid_t gid)
{
	char	 buf[32];
	int	 fd, len, rc;

	pidfile_dir(path, uid, gid);
	/* O_RDWR: a FIFO opens (to be refused), and never blocks */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
	    0644);
	if (fd == -1) {
		log_warn("pidfile %s", path);
		return -1;
	}
	rc = own_file(fd, path) ? lock_file(fd, path) : -1;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	if (ftruncate(fd, 0) == -1) {
		log_warn("pidfile %s: truncate", path);
		close(fd);
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
	pidfile_fd = fd;	/* left open: the lock */
	return 0;
}

/*
 * In a new worker: the lock is the master's alone, so that a master
 * killed releases it at once, whatever its workers are still finishing.
 */
void
pidfile_forget(void)
{
	if (pidfile_fd != -1) {
		close(pidfile_fd);
		pidfile_fd = -1;
	}
}

/* A zombie: a process that has exited, its parent not yet told. */
static int
proc_zombie(const char *pid)
{
	char	 path[64], buf[512], *p;
	FILE	*fp;
	int	 z = 0;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		z = p[1] == ' ' && p[2] == 'Z';
	fclose(fp);
	return z;
}

/* The name a process runs under (/proc/PID/comm, readable by anyone). */
static int
proc_name(const char *pid, char *buf, size_t len)
{
	char	 path[64];
	FILE	*fp;
	int	 ok;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(buf, (int)len, fp) != NULL;
	fclose(fp);
	if (!ok)
		return -1;	/* the process went meanwhile: buf unset */
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The pid in the file when that process runs under this program's name
 * (a pid reused since by another program does not count, nor a master
 * killed whose parent has not reaped it yet); 0 otherwise, and where
 * there is no /proc.
 */
pid_t
pidfile_running(const char *path)
{
	char		 buf[32], self[32], other[32];
	struct stat	 st;
	ssize_t		 n;
	long		 pid;
	int		 fd;

	/* not a FIFO, which would block: only a regular file is read */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		close(fd);
		return 0;
	}
	close(fd);
	buf[n] = '\0';
	if (sscanf(buf, "%ld", &pid) != 1 || pid <= 1 || pid == getpid())
		return 0;
	snprintf(buf, sizeof(buf), "%ld", pid);
	if (proc_name("self", self, sizeof(self)) == -1 ||
	    proc_name(buf, other, sizeof(other)) == -1 ||
	    strcmp(self, other) != 0 || proc_zombie(buf))
		return 0;
	return (pid_t)pid;
}

/*
 * Remove the file; where we may not (a directory of root's, as systemd's
 * RuntimeDirectory=, which it removes at stop), empty it: an empty file
 * names no process, to sockd or to the init script.
 */
void
pidfile_remove(const char *path)
{
	int	 fd, saved;

	if (unlink(path) == 0 || errno == ENOENT)
		return;
	saved = errno;
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK)) !=
	    -1) {
		close(fd);
		log_info("pidfile %s: emptied, not removed: %s", path,
		    strerror(saved));
		return;
	}
	log_warn("pidfile %s: cannot remove or empty", path);
}
