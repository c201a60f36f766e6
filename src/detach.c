/*
 * detach.c: becoming a daemon the way daemon(3) does (fork, setsid,
 * chdir to /, standard streams to /dev/null), except that the starter
 * waits to hear that start-up went through.  With daemon(3) the starter
 * exits 0 at once, and a pid file or privilege drop that fails a moment
 * later leaves an init script (or systemd's Type=forking) believing a
 * dead daemon started.  Here the background process keeps standard
 * error until it is ready, so its errors reach the starter's terminal,
 * and the starter's exit status says whether it got that far.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "detach.h"
#include "log.h"

/* The starter: exit 0 once the daemon says it is ready, 1 otherwise. */
static void __attribute__((noreturn))
detach_wait(int fd, pid_t pid, int timeout_s)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		 c;
	int		 n;

	do
		n = poll(&pfd, 1, timeout_s * 1000);
	while (n == -1 && errno == EINTR);
	if (n == 0) {
		fprintf(stderr, "sockd: pid %ld did not finish starting "
		    "within %d seconds\n", (long)pid, timeout_s);
		_exit(1);
	}
	do
		n = read(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	_exit(n == 1 ? 0 : 1);	/* nothing: it failed and said why */
}

/*
 * Fork into the background: the caller goes on in a new session, in /,
 * and calls detach_done() with the returned descriptor once it is
 * ready.  The starter waits at most timeout_s seconds for that.
 */
int
detach_start(int timeout_s)
{
	int	 fd[2];
	pid_t	 pid;

	if (pipe2(fd, O_CLOEXEC) == -1)
		fatal("pipe");
	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0) {
		close(fd[1]);
		detach_wait(fd[0], pid, timeout_s);
	}
	close(fd[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	log_echo_stderr(1);
	return fd[1];
}

/* Ready: standard streams to /dev/null, and the starter told (fd -1: none). */
void
detach_done(int fd)
{
	int	 null;

	if (fd == -1)
		return;
	log_echo_stderr(0);
	if ((null = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	if (dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(null, STDERR_FILENO) == -1)
		fatal("dup2 /dev/null");
	if (null > STDERR_FILENO)
		close(null);
	/* a starter gone (^C, its timeout) must not take the daemon along */
	signal(SIGPIPE, SIG_IGN);
	while (write(fd, "", 1) == -1 && errno == EINTR)
		continue;
	close(fd);
}

/*
 * Descriptors 0, 1 and 2 open (on /dev/null if they were closed), before
 * anything else is opened: a listener given descriptor 0 by a starter
 * that closed its standard input would be lost to detach_done()'s dup2().
 */
void
detach_stdio(void)
{
	int	 fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= STDERR_FILENO)
		continue;
	if (fd > STDERR_FILENO)
		close(fd);
}
