/*
 * fuzz_conf.c: sockd.conf through conf_load(), as the daemon reads it.
 * conf_load() takes a path, so each input is first written to one
 * temporary file, in /dev/shm when there is one: on ext4, truncating and
 * rewriting a file makes the next close flush it to disk, some hundred
 * times slower.  Logging is silenced: every bad line would print.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "log.h"

static char	 path[64];
static int	 fd = -1;

static void
fuzz_conf_cleanup(void)
{
	unlink(path);
}

static void
fuzz_conf_init(void)
{
	snprintf(path, sizeof(path), "%s/sockd-fuzz-conf.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		abort();
	atexit(fuzz_conf_cleanup);
	log_init("fuzz", 1, 0);
	log_setlevel(-1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct sockd_conf	*c;

	if (fd == -1)
		fuzz_conf_init();
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, len, 0) != (ssize_t)len)
		abort();
	if ((c = conf_load(path)) != NULL)
		conf_free(c);
	return 0;
}
