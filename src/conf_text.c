/*
 * conf_text.c: read sockd.conf into memory with its comments blanked
 * out (newlines kept), for libconfuse.  libconfuse 3.3 counts a comment
 * line as three lines and a block comment's end as one more, so every
 * "file:line" after a comment would be wrong; without comments its
 * count is right.  Also: where each top-level section starts, since
 * libconfuse only knows where it ends.  All pure but the file read.
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
		if (block && buf[i] == '*' && i + 1 < len &&
		    buf[i + 1] == '/') {
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

static size_t
count_lines(const char *buf, size_t from, size_t to)
{
	size_t	 n = 0;

	for (; from < to; from++)
		n += buf[from] == '\n';
	return n;
}

/* Back from buf[i] over blanks, then one word (quoted or bare): its start. */
static size_t
word_before(const char *buf, size_t i)
{
	char	 q;

	while (i > 0 && strchr(" \t\r\n", buf[i - 1]) != NULL)
		i--;
	if (i > 0 && (buf[i - 1] == '"' || buf[i - 1] == '\'')) {
		q = buf[--i];
		while (i > 0 && buf[i - 1] != q)
			i--;
		return i > 0 ? i - 1 : 0;
	}
	while (i > 0 && strchr(" \t\r\n{}=,\"'", buf[i - 1]) == NULL)
		i--;
	return i;
}

/* A '{' at top level at buf[i], on line: a section (not a list)? */
static int
section_open(const char *buf, size_t i, int line, struct conf_span *sp)
{
	size_t	 t, n, k = i;

	while (k > 0 && strchr(" \t\r\n", buf[k - 1]) != NULL)
		k--;
	if (k > 0 && buf[k - 1] == '=')
		return 0;	/* key = { list } */
	t = word_before(buf, i);
	n = word_before(buf, t);
	memset(sp, 0, sizeof(*sp));
	k = strcspn(buf + n, " \t\r\n{\"'");
	if (k >= sizeof(sp->cs_name))
		k = sizeof(sp->cs_name) - 1;
	memcpy(sp->cs_name, buf + n, k);
	sp->cs_open = line - (int)count_lines(buf, n, i);
	return 1;
}

/*
 * Find the top-level sections of the (comment-blanked) text: up to max
 * of them into spans, in file order; how many.
 */
int
conf_sections(const char *buf, size_t len, struct conf_span *spans, int max)
{
	size_t	 i, j;
	int	 line = 1, depth = 0, n = 0, insec = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '"' || buf[i] == '\'') {
			j = skip_quoted(buf, len, i);
			line += (int)count_lines(buf, i, j);
			i = j - 1;
		} else if (buf[i] == '\n')
			line++;
		else if (buf[i] == '{') {
			if (depth++ == 0)
				insec = n < max &&
				    section_open(buf, i, line, &spans[n]);
		} else if (buf[i] == '}' && depth > 0) {
			if (--depth == 0 && insec)
				spans[n++].cs_close = line;
		}
	}
	return n;
}

/* Read all of fp into a buffer grown as needed, up to CONF_MAX_SIZE. */
static char *
read_all(FILE *fp, size_t *lenp)
{
	char	*buf = NULL, *n;
	size_t	 size = 0, len = 0;

	do {
		if (len == size) {
			size = size == 0 ? 4096 : size * 2;
			if (size > CONF_MAX_SIZE + 1)
				size = CONF_MAX_SIZE + 1;
			if ((n = realloc(buf, size + 1)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = n;
		}
		len += fread(buf + len, 1, size - len, fp);
	} while (len == size && len <= CONF_MAX_SIZE && !ferror(fp));
	if (ferror(fp) || len > CONF_MAX_SIZE) {
		errno = ferror(fp) ? EIO : EFBIG;
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
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
	buf = read_all(fp, &len);
	fclose(fp);
	if (buf == NULL)
		return NULL;
	conf_blank_comments(buf, len);
	*lenp = len;
	return buf;
}
