/*
 * passwd.c: the password file.  One user a line, "name:hash", with
 * comments (#) and blank lines.  passwd_parse_line() judges one line and
 * passwd_parse() a whole buffer, both without I/O; passwd_load() reads
 * the file and logs each problem with its line number.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "passwd.h"

struct hash_method {
	const char	*hm_prefix;
	const char	*hm_name;
	int		 hm_weak;
};

/* crypt(3) hash prefixes of libxcrypt, strong ones first. */
static const struct hash_method hash_methods[] = {
	{ "$y$",	"yescrypt",	0 },
	{ "$gy$",	"gost-yescrypt", 0 },
	{ "$7$",	"scrypt",	0 },
	{ "$2b$",	"bcrypt",	0 },
	{ "$2y$",	"bcrypt",	0 },
	{ "$2a$",	"bcrypt",	0 },
	{ "$6$",	"sha512-crypt",	0 },
	{ "$5$",	"sha256-crypt",	0 },
	{ "$1$",	"md5-crypt",	1 },
	{ "$md5",	"sun-md5-crypt", 1 },
	{ "_",		"bsdi-des",	1 },
	{ NULL,		NULL,		0 }
};

static const char *kind_str[] = {
	[PL_BLANK] = "blank",
	[PL_OK] = "ok",
	[PL_WEAK] = "weak hash, accepted: replace it with sockpasswd",
	[PL_NOCOLON] = "malformed line: no ':' between name and hash",
	[PL_EMPTYNAME] = "malformed line: empty user name",
	[PL_LONGNAME] = "malformed line: user name longer than 255 bytes",
	[PL_BADNAME] = "malformed line: user name with a space or control "
	    "character",
	[PL_EMPTYHASH] = "malformed line: empty hash",
	[PL_BADHASH] = "malformed line: not a crypt(3) hash",
	[PL_LOCKED] = "locked or disabled account (hash starts with '!' or "
	    "'*'), skipped",
	[PL_LONGLINE] = "malformed line: longer than 1024 bytes",
	[PL_DUPLICATE] = "duplicate user name, line ignored",
};

const char *
passwd_kind_str(enum pw_line_kind k)
{
	if ((size_t)k >= sizeof(kind_str) / sizeof(kind_str[0]))
		return "?";
	return kind_str[k];
}

/*
 * 1..255 bytes, none of them a space, a control character or ':', and
 * not starting with '#', which would make its line a comment.
 */
int
passwd_name_ok(const char *name, size_t len)
{
	size_t	 i;

	if (len == 0 || len > PASSWD_MAXNAME || name[0] == '#')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c <= 0x20 || c == 0x7f || c == ':')
			return 0;
	}
	return 1;
}

static int
is_crypt64(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '/';
}

/* Printable, no space, no ':'; "$id$...$..." has at least three '$'. */
static int
hash_shape_ok(const char *h, size_t len)
{
	size_t	 i, dollars = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = h[i];

		if (c <= 0x20 || c >= 0x7f || c == ':')
			return 0;
		if (c == '$')
			dollars++;
	}
	if (h[0] == '$')
		return dollars >= 3 && h[len - 1] != '$';
	return 1;
}

/*
 * The method of a hash, NULL when it is none we know; *weak says if it is
 * one to warn about.  h is NUL-terminated.
 */
const char *
passwd_hash_method(const char *h, int *weak)
{
	const struct hash_method *m;
	size_t	 i, len = strlen(h);

	*weak = 0;
	if (len == 0 || !hash_shape_ok(h, len))
		return NULL;
	for (m = hash_methods; m->hm_prefix != NULL; m++)
		if (strncmp(h, m->hm_prefix, strlen(m->hm_prefix)) == 0 &&
		    len > strlen(m->hm_prefix)) {
			*weak = m->hm_weak;
			return m->hm_name;
		}
	if (len == 13) {		/* traditional DES: 13 crypt64 chars */
		for (i = 0; i < len && is_crypt64(h[i]); i++)
			;
		if (i == len) {
			*weak = 1;
			return "des";
		}
	}
	return NULL;
}

static int
is_blank(const char *line, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i == len || line[i] == '#';
}

/* Judge one line (without its newline; trailing blanks and CR allowed). */
enum pw_line_kind
passwd_parse_line(const char *line, size_t len, struct pw_line *pl)
{
	const char	*colon;
	char		 hash[PASSWD_MAXLINE + 1];
	int		 weak;

	memset(pl, 0, sizeof(*pl));
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	    line[len - 1] == '\r'))
		len--;
	if (len > PASSWD_MAXLINE)
		return PL_LONGLINE;
	if (is_blank(line, len))
		return PL_BLANK;
	if ((colon = memchr(line, ':', len)) == NULL)
		return PL_NOCOLON;
	pl->pl_name = line;
	pl->pl_namelen = colon - line;
	pl->pl_hash = colon + 1;
	pl->pl_hashlen = len - pl->pl_namelen - 1;
	if (pl->pl_namelen == 0)
		return PL_EMPTYNAME;
	if (pl->pl_namelen > PASSWD_MAXNAME)
		return PL_LONGNAME;
	if (!passwd_name_ok(pl->pl_name, pl->pl_namelen))
		return PL_BADNAME;
	if (pl->pl_hashlen == 0)
		return PL_EMPTYHASH;
	if (pl->pl_hash[0] == '!' || pl->pl_hash[0] == '*')
		return PL_LOCKED;
	memcpy(hash, pl->pl_hash, pl->pl_hashlen);
	hash[pl->pl_hashlen] = '\0';
	if (memchr(pl->pl_hash, '\0', pl->pl_hashlen) != NULL ||
	    (pl->pl_method = passwd_hash_method(hash, &weak)) == NULL)
		return PL_BADHASH;
	return weak ? PL_WEAK : PL_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct passwd_entry *x = a, *y = b;

	return strcmp(x->pe_name, y->pe_name);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct passwd_entry *x = a, *y = b;
	int	 c;

	if ((c = strcmp(x->pe_name, y->pe_name)) != 0)
		return c;
	return x->pe_line - y->pe_line;
}

/* Sort by name; of a name given twice the first line counts. */
static void
passwd_dedup(struct passwd_db *db, passwd_report_fn report, void *arg)
{
	size_t	 i, n = 0;

	if (db->pd_n == 0)
		return;
	qsort(db->pd_ent, db->pd_n, sizeof(*db->pd_ent), entry_cmp);
	for (i = 0; i < db->pd_n; i++) {
		if (n > 0 && strcmp(db->pd_ent[n - 1].pe_name,
		    db->pd_ent[i].pe_name) == 0) {
			report(arg, db->pd_ent[i].pe_line, PL_DUPLICATE,
			    db->pd_ent[i].pe_name);
			db->pd_errors++;
			continue;
		}
		db->pd_ent[n++] = db->pd_ent[i];
	}
	db->pd_n = n;
}

/* Keep a good line: NUL-terminate its name and hash in place. */
static void
passwd_add(struct passwd_db *db, struct pw_line *pl, int lineno)
{
	struct passwd_entry *e = &db->pd_ent[db->pd_n++];

	e->pe_name = (char *)pl->pl_name;
	e->pe_name[pl->pl_namelen] = '\0';
	e->pe_hash = (char *)pl->pl_hash;
	e->pe_hash[pl->pl_hashlen] = '\0';
	e->pe_line = lineno;
}

static void
passwd_lines(struct passwd_db *db, size_t len, passwd_report_fn report,
    void *arg)
{
	struct pw_line	 pl;
	enum pw_line_kind k;
	char		*line = db->pd_text, *end = db->pd_text + len, *nl;
	int		 lineno = 0;

	while (line < end) {
		lineno++;
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			nl = end;
		k = passwd_parse_line(line, nl - line, &pl);
		if (k == PL_WEAK) {
			report(arg, lineno, k, pl.pl_method);
			db->pd_warnings++;
		} else if (k != PL_OK && k != PL_BLANK) {
			report(arg, lineno, k, NULL);
			db->pd_errors++;
		}
		if (k == PL_OK || k == PL_WEAK)
			passwd_add(db, &pl, lineno);
		line = nl + 1;
	}
}

/*
 * Parse a whole file's text; report() hears of each skipped line and each
 * weak hash.  NULL only when out of memory.
 */
struct passwd_db *
passwd_parse(const char *buf, size_t len, passwd_report_fn report, void *arg)
{
	struct passwd_db *db;
	size_t		 i, lines = 1;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			lines++;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->pd_text = malloc(len + 1);
	db->pd_ent = calloc(lines, sizeof(*db->pd_ent));
	if (db->pd_text == NULL || db->pd_ent == NULL) {
		passwd_free(db);
		return NULL;
	}
	memcpy(db->pd_text, buf, len);
	db->pd_text[len] = '\0';
	passwd_lines(db, len, report, arg);
	passwd_dedup(db, report, arg);
	return db;
}

const struct passwd_entry *
passwd_find(const struct passwd_db *db, const char *name)
{
	struct passwd_entry key;

	if (db == NULL || db->pd_n == 0)
		return NULL;
	key.pe_name = (char *)name;
	key.pe_line = -1;
	return bsearch(&key, db->pd_ent, db->pd_n, sizeof(key), name_cmp);
}

void
passwd_free(struct passwd_db *db)
{
	if (db == NULL)
		return;
	free(db->pd_ent);
	free(db->pd_text);
	free(db);
}

static void
stamp_stat(const struct stat *st, struct passwd_stamp *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->ps_dev = st->st_dev;
	ps->ps_ino = st->st_ino;
	ps->ps_size = st->st_size;
	ps->ps_mtime = st->st_mtim;
	ps->ps_ctime = st->st_ctim;
}

int
passwd_stamp(const char *file, struct passwd_stamp *ps)
{
	struct stat	 st;

	if (stat(file, &st) == -1)
		return -1;
	stamp_stat(&st, ps);
	return 0;
}

int
passwd_stamp_equal(const struct passwd_stamp *a, const struct passwd_stamp *b)
{
	return a->ps_dev == b->ps_dev && a->ps_ino == b->ps_ino &&
	    a->ps_size == b->ps_size &&
	    a->ps_mtime.tv_sec == b->ps_mtime.tv_sec &&
	    a->ps_mtime.tv_nsec == b->ps_mtime.tv_nsec &&
	    a->ps_ctime.tv_sec == b->ps_ctime.tv_sec &&
	    a->ps_ctime.tv_nsec == b->ps_ctime.tv_nsec;
}

static void
load_report(void *arg, int line, enum pw_line_kind k, const char *name)
{
	if (name != NULL)
		log_warnx("%s:%d: %s (%s)", (const char *)arg, line,
		    passwd_kind_str(k), name);
	else
		log_warnx("%s:%d: %s", (const char *)arg, line,
		    passwd_kind_str(k));
}

/* Read the whole file (a regular one, not too big) into a new buffer. */
static char *
read_file(int fd, const struct stat *st, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n = 0;

	if (!S_ISREG(st->st_mode) || st->st_size > PASSWD_MAXFILE) {
		errno = S_ISREG(st->st_mode) ? EFBIG : S_ISDIR(st->st_mode) ?
		    EISDIR : EINVAL;
		return NULL;
	}
	if ((buf = malloc(st->st_size + 1)) == NULL)
		return NULL;
	while (len < (size_t)st->st_size + 1) {
		n = read(fd, buf + len, st->st_size + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	if (n == -1 || len > (size_t)st->st_size) {
		if (n != -1)
			errno = EAGAIN;		/* it grew under us */
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

/*
 * A file others may read (with n users in it), or its group or others
 * write: say so, and what to make it.  It is loaded as the run-as user,
 * so this process's group is the one to give it to.
 */
static void
mode_warn(const char *file, const struct stat *st, size_t n)
{
	const struct group	*gr = getgrgid(getegid());
	char			 fix[96];

	if (gr != NULL)
		snprintf(fix, sizeof(fix), "use root:%s mode 0640",
		    gr->gr_name);
	else
		snprintf(fix, sizeof(fix), "use root:%lu mode 0640",
		    (unsigned long)getegid());
	if (st->st_mode & S_IWOTH)
		log_warnx("%s: anyone may write it: %s", file, fix);
	else if (st->st_mode & S_IWGRP)
		log_warnx("%s: its group may write it: %s", file, fix);
	else if ((st->st_mode & S_IROTH) && n > 0)
		log_warnx("%s: every user of this host may read its hashes: "
		    "%s", file, fix);
}

/*
 * Load the file; problems on its lines are logged and those lines
 * skipped.  NULL with errno set when it cannot be read at all.
 */
struct passwd_db *
passwd_load(const char *file, struct passwd_stamp *ps)
{
	struct passwd_db *db;
	struct stat	 st;
	char		*buf;
	size_t		 len;
	int		 fd, saved;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (buf = read_file(fd, &st, &len)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	close(fd);
	db = passwd_parse(buf, len, load_report, (void *)file);
	explicit_bzero(buf, len);
	free(buf);
	if (db == NULL)
		return NULL;
	if (ps != NULL)
		stamp_stat(&st, ps);
	mode_warn(file, &st, db->pd_n);
	return db;
}
