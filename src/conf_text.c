/*
 * conf_text.c: read sockd.conf into memory with its comments blanked
 * out (newlines kept), for libconfuse.  libconfuse 3.3 counts a comment
 * line as three lines and a block comment's end as one more, so every
 * "file:line" after a comment would be wrong; without comments its
 * count is right.  The blanking itself is pure.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_text.h"

/* The end of the quoted string that starts at buf[i] (the quote). */
static size_t
skip_quoted(const char *buf, size_t len, size_t i)
{
	char	 q = buf[i];

	for (i++; i < len && buf[i] != q; i++)
		if (buf[i] == '\\' && i + 1 < len)
			i++;
	return i < len ? i + 1 : len;
}

/* Blank buf[i..] up to the end of the comment; the index after it. */
static size_t
blank_comment(char *buf, size_t len, size_t i)
{
	int	 block = buf[i] == '/' && i + 1 < len && buf[i + 1] == '*';

	for (; i < len; i++) {
		if (block && buf[i] == '*' && i + 1 < len && buf[i + 1] == '/') {
			buf[i] = buf[i + 1] = ' ';
			return i + 2;
		}
		if (!block && buf[i] == '\n')
			return i;
		if (buf[i] != '\n')
			buf[i] = ' ';
	}
	return len;
}

/* Replace #, // and C comments outside quotes with blanks. */
void
conf_blank_comments(char *buf, size_t len)
{
	size_t	 i = 0;

	while (i < len) {
		if (buf[i] == '"' || buf[i] == '\'')
			i = skip_quoted(buf, len, i);
		else if (buf[i] == '#' || (buf[i] == '/' && i + 1 < len &&
		    (buf[i + 1] == '/' || buf[i + 1] == '*')))
			i = blank_comment(buf, len, i);
		else
			i++;
	}
}

/* The file, comments blanked, NUL-terminated; NULL with errno set. */
char *
conf_read_text(const char *file, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	size_t	 len;

	if ((fp = fopen(file, "r")) == NULL)
		return NULL;
	if ((buf = malloc(CONF_MAX_SIZE + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	len = fread(buf, 1, CONF_MAX_SIZE + 1, fp);
	if (ferror(fp) || len > CONF_MAX_SIZE) {
		errno = ferror(fp) ? EIO : EFBIG;
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	buf[len] = '\0';
	conf_blank_comments(buf, len);
	*lenp = len;
	return buf;
}
