/*
 * replay.c: a plain main() for the fuzz harnesses, so that any compiler
 * can run a corpus through the same LLVMFuzzerTestOneInput that libFuzzer
 * drives.  Arguments are files or directories (every regular file in
 * them); the exit status is 0 when every input ran without a crash.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define REPLAY_MAX	(1024 * 1024)

static int
replay_file(const char *path, int *count)
{
	static uint8_t	 buf[REPLAY_MAX];
	FILE		*f;
	size_t		 n;
	uint8_t		*copy;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* an exact-size copy, so a sanitizer sees any over-read */
	if ((copy = malloc(n ? n : 1)) == NULL)
		return -1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	(*count)++;
	return 0;
}

static int
replay_dir(const char *dir, int *count)
{
	struct dirent	*de;
	struct stat	 st;
	char		 path[4096];
	DIR		*d;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(path, count) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct stat	 st;
	int		 i, rc = 0, count = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) == -1)
				rc = 1;
		} else if (replay_file(argv[i], &count) == -1)
			rc = 1;
	}
	printf("%s: %d inputs replayed\n", argv[0], count);
	return rc;
}
