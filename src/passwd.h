/*
 * passwd.h: the password file, "name:hash" a line, parsed into a table
 * that maps user names to crypt(3) hashes.
 */
#ifndef SOCKD_PASSWD_H
#define SOCKD_PASSWD_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#define PASSWD_MAXNAME	255		/* RFC 1929 ULEN */
#define PASSWD_MAXLINE	1024
#define PASSWD_MAXFILE	(16 * 1024 * 1024)

/* What one line is; PL_OK and above keep the line. */
enum pw_line_kind {
	PL_BLANK,	/* empty or a comment */
	PL_OK,
	PL_WEAK,	/* accepted, with a warning: DES, MD5 */
	PL_NOCOLON,	/* errors, the line is skipped */
	PL_EMPTYNAME,
	PL_LONGNAME,
	PL_BADNAME,
	PL_EMPTYHASH,
	PL_BADHASH,
	PL_LOCKED,	/* a hash starting with '!' or '*', as shadow(5) */
	PL_LONGLINE,
	PL_DUPLICATE	/* found by passwd_parse, not passwd_parse_line */
};

struct pw_line {
	const char	*pl_name;	/* not NUL-terminated */
	size_t		 pl_namelen;
	const char	*pl_hash;
	size_t		 pl_hashlen;
	const char	*pl_method;	/* "yescrypt", "sha512-crypt", ... */
};

struct passwd_entry {
	char		*pe_name;
	char		*pe_hash;
	int		 pe_line;
};

struct passwd_db {
	struct passwd_entry *pd_ent;	/* sorted by name */
	size_t		 pd_n;
	char		*pd_text;	/* the entries' strings live here */
	int		 pd_warnings;	/* weak hashes */
	int		 pd_errors;	/* skipped lines */
};

/* The file's identity, to notice when it changes. */
struct passwd_stamp {
	dev_t		 ps_dev;
	ino_t		 ps_ino;
	off_t		 ps_size;
	struct timespec	 ps_mtime;
	struct timespec	 ps_ctime;
};

/* A problem on a line: its number, its kind, the user name if known. */
typedef void (*passwd_report_fn)(void *, int, enum pw_line_kind,
    const char *);

enum pw_line_kind passwd_parse_line(const char *, size_t, struct pw_line *);
const char *passwd_kind_str(enum pw_line_kind);
int	passwd_name_ok(const char *, size_t);
const char *passwd_hash_method(const char *, int *);
struct passwd_db *passwd_parse(const char *, size_t, passwd_report_fn,
	    void *);
struct passwd_db *passwd_load(const char *, struct passwd_stamp *);
const struct passwd_entry *passwd_find(const struct passwd_db *,
	    const char *);
void	passwd_free(struct passwd_db *);
int	passwd_stamp(const char *, struct passwd_stamp *);
int	passwd_stamp_equal(const struct passwd_stamp *,
	    const struct passwd_stamp *);

#endif
