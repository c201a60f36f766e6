/*
 * capture.h: what the code under test writes to stderr (its log), for
 * Check suites: capture_start(), run it, then capture_end().
 */
#ifndef SOCKD_TEST_CAPTURE_H
#define SOCKD_TEST_CAPTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	 capture_path[] = "/tmp/sockd_capture.XXXXXX";
static int	 capture_open;	/* a capture not yet read: its file */

static void
capture_start(void)
{
	int	 fd;

	if (capture_open)
		unlink(capture_path);
	capture_open = 1;
	strcpy(capture_path, "/tmp/sockd_capture.XXXXXX");
	ck_assert_int_ne(fd = mkstemp(capture_path), -1);
	fflush(stderr);
	ck_assert_ptr_nonnull(freopen(capture_path, "w", stderr));
	close(fd);
}

/* What was written since capture_start(), until the next call. */
static char *
capture_end(void)
{
	static char	 buf[8192];
	FILE		*f;
	size_t		 n;

	fflush(stderr);
	ck_assert_ptr_nonnull(f = fopen(capture_path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(capture_path);
	capture_open = 0;
	return buf;
}

#endif
