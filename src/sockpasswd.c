/*
 * sockpasswd.c: manage sockd's password file, like htpasswd: add or
 * change a user, delete one, list them, verify a password.  A change is
 * written to a temporary file beside the old one, which is then renamed
 * over it with the old file's mode and owner, all under a lock: a crash
 * never leaves half a file and two runs never lose each other's change.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#ifdef HAVE_CRYPT_H
#include <crypt.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "passwd.h"

#define DEFAULT_PASSWD	SYSCONFDIR "/sockd.passwd"
#define PW_MAX		255		/* RFC 1929 PLEN */
#define BCRYPT_MAX	72		/* bytes bcrypt reads */
#define LOCK_TRIES	10

struct method {
	const char	*m_name;
	const char	*m_prefix;
};

static const struct method methods[] = {
	{ "yescrypt",	"$y$" },
	{ "sha512",	"$6$" },
	{ "bcrypt",	"$2b$" },
	{ NULL,		NULL }
};

/* The file as read, and what to keep when replacing it. */
struct pwfile {
	const char	*pf_path;
	int		 pf_fd;		/* holds the lock */
	char		*pf_text;
	size_t		 pf_len;
	struct stat	 pf_st;
};

static volatile sig_atomic_t	 got_sig;

/* The usage, to stderr with exit 2; -h: to stdout with exit 0. */
static void __attribute__((noreturn))
usage_to(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: sockpasswd [-i] [-f file] [-m method] add user\n"
	    "       sockpasswd [-f file] delete user\n"
	    "       sockpasswd [-f file] list\n"
	    "       sockpasswd [-i] [-f file] verify user\n"
	    "       sockpasswd -h\n");
	if (status == 0)
		fprintf(fp, "  -f file    the password file (default %s)\n"
		    "  -i         read the password from standard input, "
		    "for scripts\n"
		    "  -m method  yescrypt (default), sha512 or bcrypt\n"
		    "See sockpasswd(8).\n", DEFAULT_PASSWD);
	exit(status);
}

static void __attribute__((noreturn))
usage(void)
{
	usage_to(stderr, 2);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int with_errno, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	fprintf(stderr, "sockpasswd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fprintf(stderr, "\n");
	exit(1);
}

static void
on_signal(int sig)
{
	got_sig = sig;
}

/* One line from fd, without its newline; -1 at EOF or error, -2 too long. */
static int
read_line(int fd, char *buf, size_t size)
{
	size_t	 n = 0;
	ssize_t	 r;
	char	 c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR && !got_sig)
			continue;
		if (r == 0 && n > 0)
			break;		/* a last line without a newline */
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 >= size)
			return -2;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

/* Prompt on the terminal and read without echo. */
static int
read_tty(const char *prompt, char *buf, size_t size)
{
	struct termios	 old, quiet;
	struct sigaction sa, osa[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGQUIT };
	int		 i, rc;

	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read sees EINTR */
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &osa[i]);
	quiet = old;
	quiet.c_lflag &= ~ECHO;
	quiet.c_lflag |= ECHONL;
	fputs(prompt, stderr);
	fflush(stderr);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(STDIN_FILENO, buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &osa[i], NULL);
	if (got_sig) {
		explicit_bzero(buf, size);
		raise(got_sig);
	}
	return rc;
}

/*
 * The password: from the terminal twice, or one line of stdin; 1 to
 * PW_MAX bytes, all that an RFC 1929 client can send.
 */
static void
get_password(int from_stdin, int confirm, char *pw, size_t size)
{
	char	 again[PW_MAX + 2];
	int	 tty = !from_stdin && isatty(STDIN_FILENO), rc;

	rc = tty ? read_tty("Password: ", pw, size) :
	    read_line(STDIN_FILENO, pw, size);
	if (rc == -1 && tty)
		die(0, "cannot read the password (at most %d bytes)", PW_MAX);
	if (rc == -1)
		die(0, "no password on standard input (one line, at most %d "
		    "bytes)", PW_MAX);
	if (rc == -2 || strlen(pw) > PW_MAX)
		die(0, "password too long: at most %d bytes", PW_MAX);
	if (tty && confirm && (read_tty("Retype password: ", again,
	    sizeof(again)) != 0 || strcmp(pw, again) != 0)) {
		explicit_bzero(again, sizeof(again));
		die(0, "the passwords do not match");
	}
	explicit_bzero(again, sizeof(again));
	if (pw[0] == '\0')
		die(0, "empty password");
}

static char *
make_hash(const char *prefix, const char *pw)
{
	char	*setting, *hash;
	void	*data = NULL;
	int	 size = 0;

	if ((setting = crypt_gensalt_ra(prefix, 0, NULL, 0)) == NULL)
		die(1, "crypt_gensalt %s", prefix);
	hash = crypt_ra(pw, setting, &data, &size);
	free(setting);
	if (hash == NULL || hash[0] == '*')
		die(1, "crypt");
	hash = strdup(hash);
	explicit_bzero(data, size);
	free(data);
	if (hash == NULL)
		die(1, "strdup");
	return hash;
}

/* Does pw match hash? */
static int
check_hash(const char *pw, const char *hash)
{
	void	*data = NULL;
	int	 size = 0, ok;
	char	*out;

	out = crypt_ra(pw, hash, &data, &size);
	ok = out != NULL && out[0] != '*' && strcmp(out, hash) == 0;
	explicit_bzero(data, size);
	free(data);
	return ok;
}

/*
 * Open and lock the file, making it (empty, 0640) when asked.  Someone
 * may rename a new file in between: lock what the path names at the end.
 */
static void
lock_file(struct pwfile *pf, int create, int how)
{
	struct stat	 st;
	int		 i;

	for (i = 0; i < LOCK_TRIES; i++) {
		pf->pf_fd = open(pf->pf_path, O_RDONLY | O_CLOEXEC);
		if (pf->pf_fd == -1 && errno == ENOENT && create) {
			pf->pf_fd = open(pf->pf_path, O_RDONLY | O_CLOEXEC |
			    O_CREAT | O_EXCL, 0640);
			if (pf->pf_fd != -1)
				fchmod(pf->pf_fd, 0640);
			else if (errno == EEXIST)
				continue;
		}
		if (pf->pf_fd == -1)
			die(1, "%s", pf->pf_path);
		if (flock(pf->pf_fd, how) == -1)
			die(1, "lock %s", pf->pf_path);
		if (fstat(pf->pf_fd, &pf->pf_st) == -1)
			die(1, "%s", pf->pf_path);
		if (stat(pf->pf_path, &st) == 0 &&
		    st.st_dev == pf->pf_st.st_dev &&
		    st.st_ino == pf->pf_st.st_ino)
			return;
		close(pf->pf_fd);
	}
	die(0, "%s: keeps changing, try again", pf->pf_path);
}

static void
read_all(struct pwfile *pf)
{
	size_t	 size = pf->pf_st.st_size + 1;
	ssize_t	 n;

	if (pf->pf_st.st_size > PASSWD_MAXFILE)
		die(0, "%s: too big", pf->pf_path);
	if ((pf->pf_text = malloc(size)) == NULL)
		die(1, "malloc");
	pf->pf_len = 0;
	while ((n = read(pf->pf_fd, pf->pf_text + pf->pf_len,
	    size - pf->pf_len)) > 0) {
		pf->pf_len += n;
		if (pf->pf_len == size)
			die(0, "%s: grew while read", pf->pf_path);
	}
	if (n == -1)
		die(1, "read %s", pf->pf_path);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* Write text to a temporary file and rename it over the old one. */
static void
replace_file(struct pwfile *pf, const char *text, size_t len)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	int	 fd, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", pf->pf_path) >=
	    (int)sizeof(tmp))
		die(0, "%s: path too long", pf->pf_path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		die(1, "%s", tmp);
	if (fchown(fd, pf->pf_st.st_uid, pf->pf_st.st_gid) == -1 &&
	    (pf->pf_st.st_uid != geteuid() || pf->pf_st.st_gid != getegid()))
		fprintf(stderr, "sockpasswd: warning: cannot keep the owner "
		    "of %s (%ld:%ld): %s\n", pf->pf_path,
		    (long)pf->pf_st.st_uid, (long)pf->pf_st.st_gid,
		    strerror(errno));
	if (fchmod(fd, pf->pf_st.st_mode & 07777) == -1) {
		unlink(tmp);
		die(1, "chmod %s", tmp);
	}
	if (write_all(fd, text, len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 ||
	    rename(tmp, pf->pf_path) == -1) {
		unlink(tmp);
		die(1, "%s", pf->pf_path);
	}
	snprintf(dir, sizeof(dir), "%s", pf->pf_path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) != -1) {
		fsync(dfd);
		close(dfd);
	}
}

/* Call fn on each line of the file, with what passwd_parse_line() saw. */
static void
each_line(const struct pwfile *pf, void (*fn)(void *, const char *, size_t,
    enum pw_line_kind, const struct pw_line *, int), void *arg)
{
	const char	*line = pf->pf_text, *end = pf->pf_text + pf->pf_len;
	const char	*nl;
	struct pw_line	 pl;
	int		 lineno = 0;

	while (line < end) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			nl = end;
		lineno++;
		fn(arg, line, nl - line, passwd_parse_line(line, nl - line,
		    &pl), &pl, lineno);
		line = nl + 1;
	}
}

static int
is_user(enum pw_line_kind k, const struct pw_line *pl, const char *user)
{
	return (k == PL_OK || k == PL_WEAK) &&
	    pl->pl_namelen == strlen(user) &&
	    memcmp(pl->pl_name, user, pl->pl_namelen) == 0;
}

/* A new file's text: every line kept but the user's, put or dropped. */
struct edit {
	const char	*e_user;
	const char	*e_newline;	/* "user:hash\n", NULL: delete */
	char		*e_out;
	size_t		 e_len;
	int		 e_found;
};

static void
edit_line(void *arg, const char *line, size_t len, enum pw_line_kind k,
    const struct pw_line *pl, int lineno)
{
	struct edit	*e = arg;

	if (is_user(k, pl, e->e_user)) {
		if (!e->e_found++ && e->e_newline != NULL) {
			memcpy(e->e_out + e->e_len, e->e_newline,
			    strlen(e->e_newline));
			e->e_len += strlen(e->e_newline);
		}
		return;
	}
	memcpy(e->e_out + e->e_len, line, len);
	e->e_len += len;
	e->e_out[e->e_len++] = '\n';
}

static void
edit_file(struct pwfile *pf, const char *user, const char *hash)
{
	struct edit	 e;
	char		 newline[PASSWD_MAXLINE + 2];

	memset(&e, 0, sizeof(e));
	e.e_user = user;
	if (hash != NULL) {
		if (snprintf(newline, sizeof(newline), "%s:%s\n", user,
		    hash) >= (int)sizeof(newline))
			die(0, "line too long");
		e.e_newline = newline;
	}
	if ((e.e_out = malloc(pf->pf_len + sizeof(newline) + 1)) == NULL)
		die(1, "malloc");
	each_line(pf, edit_line, &e);
	if (hash != NULL && !e.e_found) {
		memcpy(e.e_out + e.e_len, newline, strlen(newline));
		e.e_len += strlen(newline);
	}
	if (hash == NULL && !e.e_found)
		die(0, "%s: no user '%s'", pf->pf_path, user);
	replace_file(pf, e.e_out, e.e_len);
	printf("%s user '%s' in %s\n", hash == NULL ? "deleted" :
	    e.e_found ? "changed" : "added", user, pf->pf_path);
	free(e.e_out);
}

/* What list prints, and the lines sockd ignores as a name seen before. */
struct listing {
	const struct pwfile *l_pf;
	char		*l_dup;		/* by line number: 1, a duplicate */
	size_t		 l_lines;
};

static void
list_line(void *arg, const char *line, size_t len, enum pw_line_kind k,
    const struct pw_line *pl, int lineno)
{
	const struct listing *l = arg;

	if (k == PL_OK || k == PL_WEAK)
		printf("%.*s %s%s%s\n", (int)pl->pl_namelen, pl->pl_name,
		    pl->pl_method, k == PL_WEAK ? " (weak)" : "",
		    l->l_dup[lineno] ? " (duplicate: ignored by sockd)" : "");
	else if (k != PL_BLANK)
		fprintf(stderr, "%s:%d: %s\n", l->l_pf->pf_path, lineno,
		    passwd_kind_str(k));
}

static void
note_duplicate(void *arg, int lineno, enum pw_line_kind k, const char *name)
{
	struct listing	*l = arg;

	if (k == PL_DUPLICATE && lineno > 0 && (size_t)lineno < l->l_lines)
		l->l_dup[lineno] = 1;
}

/* Each user; sockd's own parser says which lines it would ignore. */
static void
list_users(const struct pwfile *pf)
{
	struct listing	 l;
	struct passwd_db *db;
	size_t		 i;

	l.l_pf = pf;
	l.l_lines = 2;		/* line numbers from 1, a last line without \n */
	for (i = 0; i < pf->pf_len; i++)
		if (pf->pf_text[i] == '\n')
			l.l_lines++;
	if ((l.l_dup = calloc(l.l_lines, 1)) == NULL ||
	    (db = passwd_parse(pf->pf_text, pf->pf_len, note_duplicate,
	    &l)) == NULL)
		die(1, "malloc");
	passwd_free(db);
	each_line(pf, list_line, &l);
	free(l.l_dup);
}

struct find {
	const char	*f_user;
	char		 f_hash[PASSWD_MAXLINE + 1];
	int		 f_found;
};

static void
find_line(void *arg, const char *line, size_t len, enum pw_line_kind k,
    const struct pw_line *pl, int lineno)
{
	struct find	*f = arg;

	if (!f->f_found && is_user(k, pl, f->f_user)) {
		memcpy(f->f_hash, pl->pl_hash, pl->pl_hashlen);
		f->f_hash[pl->pl_hashlen] = '\0';
		f->f_found = 1;
	}
}

static int
verify(struct pwfile *pf, const char *user, int from_stdin)
{
	struct find	 f;
	char		 pw[PW_MAX + 2];
	int		 ok;

	memset(&f, 0, sizeof(f));
	f.f_user = user;
	each_line(pf, find_line, &f);
	get_password(from_stdin, 0, pw, sizeof(pw));
	ok = f.f_found && check_hash(pw, f.f_hash);
	explicit_bzero(pw, sizeof(pw));
	printf("%s\n", !f.f_found ? "unknown user" : ok ? "password OK" :
	    "wrong password");
	return ok ? 0 : 1;
}

static const char *
method_prefix(const char *name)
{
	const struct method *m;

	for (m = methods; m->m_name != NULL; m++)
		if (strcmp(m->m_name, name) == 0)
			return m->m_prefix;
	fprintf(stderr, "sockpasswd: unknown method '%s' (yescrypt, sha512, "
	    "bcrypt)\n", name);
	exit(2);	/* a usage error */
}

static void
add(struct pwfile *pf, const char *user, const char *prefix,
    int from_stdin)
{
	char	 pw[PW_MAX + 2], *hash;

	get_password(from_stdin, 1, pw, sizeof(pw));
	/* bcrypt reads 72 bytes: a longer password's tail would not count */
	if (strcmp(prefix, "$2b$") == 0 && strlen(pw) > BCRYPT_MAX) {
		explicit_bzero(pw, sizeof(pw));
		die(0, "password too long for bcrypt: at most %d bytes (it "
		    "ignores the rest); take yescrypt", BCRYPT_MAX);
	}
	hash = make_hash(prefix, pw);
	explicit_bzero(pw, sizeof(pw));
	edit_file(pf, user, hash);
	free(hash);
}

int
main(int argc, char *argv[])
{
	struct pwfile	 pf;
	const char	*prefix = "$y$", *cmd, *user = NULL;
	int		 ch, from_stdin = 0, rc = 0;

	memset(&pf, 0, sizeof(pf));
	pf.pf_path = DEFAULT_PASSWD;
	while ((ch = getopt(argc, argv, "f:him:")) != -1) {
		switch (ch) {
		case 'f':
			pf.pf_path = optarg;
			break;
		case 'h':
			usage_to(stdout, 0);
		case 'i':
			from_stdin = 1;
			break;
		case 'm':
			prefix = method_prefix(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "list") == 0 ? argc != 1 : argc != 2)
		usage();
	if (argc == 2 && !passwd_name_ok(user = argv[1], strlen(argv[1])))
		die(0, "bad user name '%s': 1 to 255 bytes, no spaces, "
		    "control characters or ':', not starting with '#'",
		    argv[1]);
	umask(077);
	if (strcmp(cmd, "add") == 0) {
		lock_file(&pf, 1, LOCK_EX);
		read_all(&pf);
		add(&pf, user, prefix, from_stdin);
	} else if (strcmp(cmd, "delete") == 0) {
		lock_file(&pf, 0, LOCK_EX);
		read_all(&pf);
		edit_file(&pf, user, NULL);
	} else if (strcmp(cmd, "list") == 0) {
		lock_file(&pf, 0, LOCK_SH);
		read_all(&pf);
		list_users(&pf);
	} else if (strcmp(cmd, "verify") == 0) {
		lock_file(&pf, 0, LOCK_SH);
		read_all(&pf);
		rc = verify(&pf, user, from_stdin);
	} else
		usage();
	free(pf.pf_text);
	return rc;
}
