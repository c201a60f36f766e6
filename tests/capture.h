/*
 * capture.h: what the code under test writes to stderr (its log), for
 * Check suites: capture_start(), run it, then capture_end().
 */
#ifndef SOCKD_TEST_CAPTURE_H
#define SOCKD_TEST_CAPTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int	 capture_fd = -1;	/* the capture, an unlinked file */
static int	 capture_saved = -1;	/* the real stderr */

static void
capture_start(void)
{
	char	 path[] = "/tmp/sockd_capture.XXXXXX";

	if (capture_fd != -1)		/* a capture not read: drop it */
		close(capture_fd);
	ck_assert_int_ne(capture_fd = mkstemp(path), -1);
	unlink(path);			/* nothing left behind, whatever ends */
	fflush(stderr);
	if (capture_saved == -1)
		ck_assert_int_ne(capture_saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(capture_fd, STDERR_FILENO), -1);
}

/* What was written since capture_start(), until the next call. */
static char *
capture_end(void)
{
	static char	 buf[8192];
	ssize_t		 n;

	fflush(stderr);
	ck_assert_int_ge(n = pread(capture_fd, buf, sizeof(buf) - 1, 0), 0);
	buf[n] = '\0';
	dup2(capture_saved, STDERR_FILENO);
	close(capture_fd);
	capture_fd = -1;
	return buf;
}

#endif
