/*
 * conf_text.c: read sockd.conf into memory with its comments blanked
 * out (newlines kept), for libconfuse.  libconfuse 3.3 counts a comment
 * line as three lines and a block comment's end as one more, so every
 * "file:line" after a comment would be wrong; without comments its
 * count is right.  Also: where each top-level section starts, since
 * libconfuse only knows where it ends; and what a truncated file left
 * open, since libconfuse takes the end of the file as the end of any
 * section or comment; a string that runs past its line; and the line
 * where a top-level key is set.  All pure but the file read.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_text.h"

/*
 * The closing quote of the string that starts at buf[i] (the quote), or
 * len if there is none.  As libconfuse: a backslash escapes the next
 * character in "..." and in '...' alike.
 */
static size_t
close_quote(const char *buf, size_t len, size_t i)
{
	char	 q = buf[i];

	for (i++; i < len && buf[i] != q; i++)
		if (buf[i] == '\\' && i + 1 < len)
			i++;
	return i < len ? i : len;
}

/* The index after the quoted string that starts at buf[i]. */
static size_t
skip_quoted(const char *buf, size_t len, size_t i)
{
	size_t	 j = close_quote(buf, len, i);

	return j < len ? j + 1 : len;
}

/*
 * Does a comment start at buf[i]: 0 no, '#' or '/' a line one, '*' C?
 * As libconfuse: '#' anywhere, but // and slash-star only where no bare
 * word is going on (/etc//file is one word).
 */
static int
comment_at(const char *buf, size_t len, size_t i)
{
	if (buf[i] == '#')
		return '#';
	if (buf[i] != '/' || i + 1 >= len)
		return 0;
	if (i > 0 && strchr(" \t\r\n\"'={}()+,", buf[i - 1]) == NULL &&
	    !(i > 1 && buf[i - 2] == '*' && buf[i - 1] == '/'))
		return 0;	/* in a word, but not right after a C comment */
	if (buf[i + 1] == '/')
		return '/';
	return buf[i + 1] == '*' ? '*' : 0;
}

/*
 * The end of the comment that starts at buf[i]: the index of its
 * newline (line comments) or after its closing star-slash; len if it
 * runs to the end of the text, and then *open says whether it needed a
 * star-slash it did not get.
 */
static size_t
comment_end(const char *buf, size_t len, size_t i, int *open)
{
	const char	*p;

	*open = 0;
	if (comment_at(buf, len, i) != '*') {
		p = memchr(buf + i, '\n', len - i);
		return p != NULL ? (size_t)(p - buf) : len;
	}
	for (i += 2; i + 1 < len; i++)	/* the opener's star is no end */
		if (buf[i] == '*' && buf[i + 1] == '/')
			return i + 2;
	*open = 1;
	return len;
}

/* Replace #, // and C comments outside quotes with blanks. */
void
conf_blank_comments(char *buf, size_t len)
{
	size_t	 i = 0, end;
	int	 open;

	while (i < len) {
		if (buf[i] == '"' || buf[i] == '\'')
			i = skip_quoted(buf, len, i);
		else if (comment_at(buf, len, i)) {
			end = comment_end(buf, len, i, &open);
			for (; i < end; i++)
				if (buf[i] != '\n')
					buf[i] = ' ';
		} else
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

/* Over the quoted string at buf[i], counting its lines: its last index. */
static size_t
over_quoted(const char *buf, size_t len, size_t i, int *line)
{
	size_t	 j = skip_quoted(buf, len, i);

	*line += (int)count_lines(buf, i, j);
	return j - 1;
}

/*
 * Find the top-level sections of the (comment-blanked) text: up to max
 * of them into spans, in file order; how many.
 */
int
conf_sections(const char *buf, size_t len, struct conf_span *spans, int max)
{
	size_t	 i;
	int	 line = 1, depth = 0, n = 0, insec = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '"' || buf[i] == '\'')
			i = over_quoted(buf, len, i, &line);
		else if (buf[i] == '\n')
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

/* Is buf[i..] the bare word key (not a part of a longer one)? */
static int
word_at(const char *buf, size_t len, size_t i, const char *key)
{
	size_t	 k = strlen(key);

	if (i > 0 && strchr(" \t\r\n{}", buf[i - 1]) == NULL)
		return 0;
	if (len - i < k || strncmp(buf + i, key, k) != 0)
		return 0;
	/* "to+= { }" is "to += { }" to libconfuse */
	return i + k == len || strchr(" \t\r\n=+", buf[i + k]) != NULL;
}

/*
 * Is the quoted string at buf[i] exactly key ("to" is the key to, for
 * libconfuse)?  The index after it if so, else 0.
 */
static size_t
quoted_key_at(const char *buf, size_t len, size_t i, const char *key)
{
	size_t	 k = strlen(key), j = close_quote(buf, len, i);

	if (j == len || j - i - 1 != k || strncmp(buf + i + 1, key, k) != 0)
		return 0;
	return j + 1;
}

/* Does buf[i..] go on, blanks aside, as "=", "{", "}"? */
static int
empty_list_at(const char *buf, size_t len, size_t i)
{
	const char	*want = "={}";

	for (; i < len && *want != '\0'; i++)
		if (buf[i] == *want)
			want++;
		else if (strchr(" \t\r\n", buf[i]) == NULL)
			return 0;
	return *want == '\0';
}

/* Does buf[i..] go on, blanks aside, as "+", "=", "{", "}"? */
static int
empty_add_at(const char *buf, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", buf[i]) != NULL)
		i++;
	return i < len && buf[i] == '+' && empty_list_at(buf, len, i + 1);
}

/* Does buf[i..] go on, blanks and newlines aside, as "=" or "+="? */
static int
assign_at(const char *buf, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", buf[i]) != NULL)
		i++;
	if (i < len && buf[i] == '+')
		i++;
	return i < len && buf[i] == '=';
}

/*
 * Walk the (comment-blanked) text for key, bare or quoted, from mindepth
 * to maxdepth braces deep, where follows() accepts what comes after it:
 * the line of the first such place (first) or of the last; 0 if none.
 */
static int
key_walk(const char *buf, size_t len, const char *key, int mindepth,
    int maxdepth, int (*follows)(const char *, size_t, size_t), int first)
{
	size_t	 i, j;
	int	 line = 1, depth = 0, found = 0, at, in, hit;

	for (i = 0; i < len; i++) {
		at = line;
		in = depth >= mindepth && depth <= maxdepth;
		hit = 0;
		if (buf[i] == '"' || buf[i] == '\'') {
			hit = in && (j = quoted_key_at(buf, len, i, key)) != 0 &&
			    follows(buf, len, j);
			i = over_quoted(buf, len, i, &line);
		} else if (buf[i] == '\n')
			line++;
		else if (buf[i] == '{' || buf[i] == '}')
			depth += buf[i] == '{' ? 1 : -1;
		else
			hit = in && word_at(buf, len, i, key) &&
			    follows(buf, len, i + strlen(key));
		if (hit && first)
			return at;
		if (hit)
			found = at;
	}
	return found;
}

/*
 * The line of the first "key = { }" (the list set to empty) in the
 * comment-blanked text, inside at least mindepth braces (0: anywhere, 1:
 * in a section); 0 if there is none.
 */
int
conf_empty_list(const char *buf, size_t len, const char *key, int mindepth)
{
	return key_walk(buf, len, key, mindepth, INT_MAX, empty_list_at, 1);
}

/*
 * The line of the first "key += { }" (nothing added), as conf_empty_list():
 * for a rule condition, whose default is empty, the same empty list.
 */
int
conf_empty_add(const char *buf, size_t len, const char *key, int mindepth)
{
	return key_walk(buf, len, key, mindepth, INT_MAX, empty_add_at, 1);
}

/*
 * The line of the first "${" in the (comment-blanked) text, or 0: where
 * libconfuse would put an environment variable's value, in any string.
 */
int
conf_env_ref(const char *buf, size_t len)
{
	const char	*p;

	for (p = buf; (p = memchr(p, '$', len - (p - buf))) != NULL; p++)
		if ((size_t)(p - buf) + 1 < len && p[1] == '{')
			return 1 + (int)count_lines(buf, 0, p - buf);
	return 0;
}

/*
 * The line of the first NUL byte, or 0: libconfuse would end a string
 * there and go on, so "10.0.0.1/32\0junk" would read as the address.
 */
int
conf_nul_line(const char *buf, size_t len)
{
	const char	*p;

	if ((p = memchr(buf, '\0', len)) == NULL)
		return 0;
	return 1 + (int)count_lines(buf, 0, p - buf);
}

/* Does buf[i..] go on, blanks and newlines aside, as "+="? */
static int
add_at(const char *buf, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", buf[i]) != NULL)
		i++;
	return i + 1 < len && buf[i] == '+' && buf[i + 1] == '=';
}

/* The line of the first top-level "key += ...", or 0. */
int
conf_key_add(const char *buf, size_t len, const char *key)
{
	return key_walk(buf, len, key, 0, 0, add_at, 1);
}

/* Does buf[i..] go on, blanks and newlines aside, as a quoted title? */
static int
title_at(const char *buf, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", buf[i]) != NULL)
		i++;
	return i < len && (buf[i] == '"' || buf[i] == '\'');
}

/* The line of the first top-level section "name \"title\" ...", or 0. */
int
conf_titled_section(const char *buf, size_t len, const char *name)
{
	return key_walk(buf, len, name, 0, 0, title_at, 1);
}

/*
 * The line where the (comment-blanked) text last sets the top-level key,
 * "key = ..." or "\"key\" = ...": libconfuse keeps the last one.  0 if it
 * never does.
 */
int
conf_key_line(const char *buf, size_t len, const char *key)
{
	return key_walk(buf, len, key, 0, 0, assign_at, 0);
}

/*
 * Keys set twice with "=" in one section, where libconfuse keeps the
 * last without a word: in a rule, "to = A  to = B" would drop A.
 */
#define DUP_DEPTH	8	/* sections within sections followed */
#define DUP_KEYS	32	/* keys remembered per section */

struct dup_scope {
	char	 ds_key[DUP_KEYS][CONF_KEYLEN];
	int	 ds_line[DUP_KEYS];
	int	 ds_n;
};

/* What follows buf[i], blanks aside: '=' for "=", '+' for "+=", else 0. */
static int
assign_kind(const char *buf, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", buf[i]) != NULL)
		i++;
	if (i < len && buf[i] == '=')
		return '=';
	return i + 1 < len && buf[i] == '+' && buf[i + 1] == '=' ? '+' : 0;
}

/* The length of the bare word (a key's characters) at buf[i]; 0: none. */
static size_t
bare_word_at(const char *buf, size_t len, size_t i)
{
	size_t	 k = i;

	if (i > 0 && strchr(" \t\r\n{},\"'", buf[i - 1]) == NULL)
		return 0;
	while (k < len && (isalnum((unsigned char)buf[k]) || buf[k] == '-' ||
	    buf[k] == '_'))
		k++;
	return k - i;
}

/*
 * key (n bytes) set in sc with kind ('=' or '+'): the line of an earlier
 * setting that an "=" now throws away (libconfuse's "=" replaces what
 * "=" or "+=" put there), or 0.
 */
static int
dup_seen(struct dup_scope *sc, const char *key, size_t n, int line,
    int kind)
{
	int	 i;

	if (n == 0 || n >= CONF_KEYLEN)
		return 0;
	for (i = 0; i < sc->ds_n; i++)
		if (strlen(sc->ds_key[i]) == n &&
		    strncmp(sc->ds_key[i], key, n) == 0)
			return kind == '=' ? sc->ds_line[i] : 0;
	if (sc->ds_n < DUP_KEYS) {
		memcpy(sc->ds_key[sc->ds_n], key, n);
		sc->ds_key[sc->ds_n][n] = '\0';
		sc->ds_line[sc->ds_n++] = line;
	}
	return 0;
}

/* A '{' at buf[i] that opens a list ("key = {", "key += {")? */
static int
list_brace(const char *buf, size_t i)
{
	while (i > 0 && strchr(" \t\r\n", buf[i - 1]) != NULL)
		i--;
	return i > 0 && buf[i - 1] == '=';
}

struct dup_walk {
	struct dup_scope	 dw_sc[DUP_DEPTH];
	int			 dw_depth;
	int			 dw_lists;	/* list braces open */
};

/* A key (bare or quoted) at line: 0, or the line of what it throws away. */
static int
dup_key(struct dup_walk *w, const char *key, size_t n, int line, int kind)
{
	if (kind == 0 || w->dw_lists > 0 || w->dw_depth == 0 ||
	    w->dw_depth >= DUP_DEPTH)
		return 0;
	return dup_seen(&w->dw_sc[w->dw_depth], key, n, line, kind);
}

static void
dup_brace(struct dup_walk *w, const char *buf, size_t i)
{
	if (buf[i] == '{' && (w->dw_lists > 0 || list_brace(buf, i)))
		w->dw_lists++;
	else if (buf[i] == '}' && w->dw_lists > 0)
		w->dw_lists--;
	else if (buf[i] == '{' && ++w->dw_depth < DUP_DEPTH)
		w->dw_sc[w->dw_depth].ds_n = 0;
	else if (buf[i] == '}' && w->dw_depth > 0)
		w->dw_depth--;
}

/*
 * The first key in a section set with "=" after it was already set there
 * (by "=" or "+="): its line, with the first and the key in d; 0 if none.
 * (At the top level the last one counts, as documented: an override
 * appended to the file.)
 */
int
conf_dup_key(const char *buf, size_t len, struct conf_dup *d)
{
	static struct dup_walk	 w;
	const char		*key = NULL;
	size_t			 i, n = 0, end;
	int			 line = 1, at, first = 0;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < len && first == 0; i++) {
		at = line;
		if (buf[i] == '"' || buf[i] == '\'') {
			end = over_quoted(buf, len, i, &line);
			key = buf + i + 1;
			n = end > i ? end - i - 1 : 0;
			first = dup_key(&w, key, n, at, assign_kind(buf, len,
			    end + 1));
			i = end;
		} else if (buf[i] == '\n')
			line++;
		else if (buf[i] == '{' || buf[i] == '}')
			dup_brace(&w, buf, i);
		else if ((n = bare_word_at(buf, len, i)) > 0) {
			key = buf + i;
			first = dup_key(&w, key, n, at, assign_kind(buf, len,
			    i + n));
			i += n - 1;
		}
	}
	if (first == 0)
		return 0;
	snprintf(d->cd_key, sizeof(d->cd_key), "%.*s", (int)n, key);
	d->cd_first = first;
	return at;
}

/* Where the outermost '{' still open was, and what it opened. */
struct brace {
	int	 b_depth;
	int	 b_line;
	int	 b_list;		/* after '=' or '+=': a list */
};

static void
brace(struct brace *b, char c, char prev, int line)
{
	if (c == '{' && b->b_depth++ == 0) {
		b->b_line = line;
		b->b_list = prev == '=';
	} else if (c == '}' && b->b_depth > 0)
		b->b_depth--;
}

/*
 * What the raw text (comments not blanked) leaves open at its end, by
 * libconfuse's lexical rules: a "..." or '...' string, a C comment or a
 * '{'; NULL if nothing.  *line: the line where it began (for braces, the
 * outermost one still open).  libconfuse itself takes the end of the
 * file as the end of all of them, silently.
 */
const char *
conf_unclosed(const char *buf, size_t len, int *line)
{
	struct brace	 b = { 0, 0, 0 };
	size_t		 i, j;
	int		 n = 1, open;
	char		 prev = 0;

	for (i = 0; i < len; i = j) {
		j = i + 1;
		if (buf[i] == '"' || buf[i] == '\'') {
			/* no value spans lines: a quote missing, most likely */
			if ((j = close_quote(buf, len, i)) == len ||
			    memchr(buf + i, '\n', j - i) != NULL) {
				*line = n;
				return buf[i] == '"' ? "string not closed "
				    "on its line ('\"' missing)" : "string not "
				    "closed on its line (\"'\" missing)";
			}
			j++;
		} else if (comment_at(buf, len, i)) {
			j = comment_end(buf, len, i, &open);
			if (open) {
				*line = n;
				return "comment not closed ('*/' missing)";
			}
			n += (int)count_lines(buf, i, j);
			continue;
		}
		n += (int)count_lines(buf, i, j);
		brace(&b, buf[i], prev, n);
		if (strchr(" \t\r\n", buf[i]) == NULL)
			prev = buf[i];
	}
	if (b.b_depth == 0)
		return NULL;
	*line = b.b_line;
	return b.b_list ? "list not closed ('}' missing)" :
	    "section not closed ('}' missing)";
}

/* Read all of fp into a buffer grown as needed, up to CONF_MAX_SIZE. */
static char *
read_all(FILE *fp, size_t *lenp)
{
	char	*buf = NULL, *n;
	size_t	 size = 0, len = 0;

	errno = 0;
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
		/* fread() leaves read()'s errno: EISDIR for a directory */
		errno = ferror(fp) ? (errno != 0 ? errno : EIO) : EFBIG;
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	/* a UTF-8 byte order mark (some editors write one): not a key */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		memset(buf, ' ', 3);
	*lenp = len;
	return buf;
}

/* The file as it is, NUL-terminated; NULL with errno set. */
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
	*lenp = len;
	return buf;
}
