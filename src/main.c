/*
 * main.c: sockd's start-up: options, configuration, listeners, then the
 * order that matters: daemonize, pid file, drop root, fork the pool.
 * The starter exits only once all that went through (detach.c).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "detach.h"
#include "explain.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "pidfile.h"
#include "pool.h"
#include "priv.h"
#include "proto.h"

#define DEFAULT_CONF	SYSCONFDIR "/sockd.conf"
#define START_TIMEOUT	60	/* seconds the starter waits for the daemon */

/* The usage, to stderr with exit 1; -h: to stdout with exit 0, and more. */
static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: sockd [-dhnVv] [-f file] [-q query]\n");
	if (status == 0)
		fprintf(fp, "  -d        stay in the foreground, log to standard "
		    "error\n"
		    "  -f file   the configuration (default %s)\n"
		    "  -h        this help\n"
		    "  -n, -V    check the configuration, list its rules, "
		    "exit\n"
		    "  -q query  explain which rule decides a request, as in\n"
		    "            -q 'from 10.0.0.7 to example.org port 443'\n"
		    "  -v        print the version\n"
		    "See sockd(8) and sockd.conf(5).\n", DEFAULT_CONF);
	exit(status);
}

/* Dante's options that sockd takes elsewhere: where, after getopt's word. */
static void
dante_option(int opt)
{
	const char	*hint = NULL;

	if (opt == 'D')
		hint = "sockd detaches by default (-d keeps it in the "
		    "foreground)";
	else if (opt == 'N')
		hint = "the pool is set in sockd.conf: workers = N";
	else if (opt == 'p')
		hint = "the pid file is set in sockd.conf: pidfile = \"path\"";
	if (hint != NULL)
		fprintf(stderr, "sockd: -%c is Dante's: %s\n", opt, hint);
}

static void	check_reloadable(const struct sockd_conf *);

/*
 * check_as_user()'s child: as the run-as user, say whether the config can
 * be read again (SIGHUP), and load the password file; why it could not,
 * to fd.
 */
static void __attribute__((noreturn))
check_as_user_child(struct sockd_conf *c, int level, int fd)
{
	int	 err;

	log_hold_drop();	/* a fatal here: the starter tells syslog */
	log_setlevel(level);
	if (geteuid() == 0) {
		priv_drop(c->c_user, c->c_group);
		check_reloadable(c);
	}
	errno = 0;
	if (!conf_uses_method(c, S5_METHOD_PASSWORD) || auth_load(c, NULL) == 0)
		_exit(0);
	err = errno;
	while (write(fd, &err, sizeof(err)) == -1 && errno == EINTR)
		continue;	/* otherwise the parent gives no reason */
	_exit(1);
}

/*
 * The password file, read as the daemon will read it: after dropping
 * root, since the master reads it again on SIGHUP; as root, whether the
 * run-as user can read the config too.  -n does it in a
 * child so that the check itself keeps its privileges.  level: what the
 * child logs (at start, the real load says the rest; -n has no other).
 * The child passes back why it failed, which it may not have logged:
 * -1 with errno set to that reason (0 when it gave none).
 */
static int
check_as_user(struct sockd_conf *c, int level)
{
	pid_t	 pid;
	int	 fd[2], status, err = 0;

	if (!conf_uses_method(c, S5_METHOD_PASSWORD) && geteuid() != 0)
		return 0;
	fflush(stdout);
	if (pipe2(fd, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0)
		check_as_user_child(c, level, fd[1]);
	close(fd[1]);
	if (read(fd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(fd[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* What check_as_user() could not do, for its caller's message. */
static const char *
check_failed(const struct sockd_conf *c, char *buf, size_t len)
{
	char		 at[PATH_MAX + 16];
	const char	*user = c->c_user ? c->c_user : "root";

	if (!conf_uses_method(c, S5_METHOD_PASSWORD))
		snprintf(buf, len, "%s: cannot check it as user %s", c->c_file,
		    user);
	else
		snprintf(buf, len, "%s: cannot load the password file %s as "
		    "user %s", conf_where(c, CK_PASSWD_FILE, at, sizeof(at)),
		    c->c_passwd_file, user);
	return buf;
}

/* Started as root, sockd becomes neither uid 0 nor gid 0. */
static int
check_not_root(const struct sockd_conf *c, uid_t uid, gid_t gid)
{
	char	 at[PATH_MAX + 16];

	if (geteuid() != 0)
		return 0;
	if (uid == 0) {
		log_warnx("%s: user \"%s\" is root: sockd will not run as "
		    "root", conf_where(c, CK_USER, at, sizeof(at)), c->c_user);
		return -1;
	}
	if (gid == 0 && c->c_group != NULL) {
		log_warnx("%s: group \"%s\" is root: sockd will not run as "
		    "group root", conf_where(c, CK_GROUP, at, sizeof(at)),
		    c->c_group);
		return -1;
	}
	if (gid == 0) {
		log_warnx("%s: the group of user \"%s\" is root: sockd will "
		    "not run as group root, set \"group\"", conf_where(c,
		    CK_USER, at, sizeof(at)), c->c_user);
		return -1;
	}
	return 0;
}

/*
 * The user or group (rc: PRIV_NOUSER, PRIV_NOGROUP) does not exist:
 * an error as root, a warning otherwise.  -1 for an error.
 */
static int
report_missing(const struct sockd_conf *c, int rc)
{
	const char	*what = rc == PRIV_NOUSER ? "user" : "group";
	const char	*name = rc == PRIV_NOUSER ? c->c_user : c->c_group;
	char		 at[PATH_MAX + 16], shown[256];

	conf_where(c, rc == PRIV_NOUSER ? CK_USER : CK_GROUP, at, sizeof(at));
	log_printable(shown, sizeof(shown), name, strlen(name));
	if (geteuid() != 0) {
		log_warnx("%s: %s \"%s\" does not exist: started as root, "
		    "sockd would not start", at, what, shown);
		return 0;
	}
	log_warnx("%s: cannot become %s \"%s\": it does not exist; create "
	    "the account, or set \"user\" and \"group\"", at, what, shown);
	return -1;
}

/*
 * The user and group to become must exist: started as root, sockd would
 * fail after detaching otherwise.  Not root: a warning (nothing drops).
 */
static int
check_user(const struct sockd_conf *c)
{
	char	 at[PATH_MAX + 16];
	uid_t	 uid;
	gid_t	 gid;
	int	 rc;

	if (c->c_user == NULL) {
		if (geteuid() != 0)
			return 0;
		log_warnx("%s: user is empty: started as root, sockd needs "
		    "an account to run as", conf_where(c, CK_USER, at,
		    sizeof(at)));
		return -1;
	}
	if ((rc = priv_lookup(c->c_user, c->c_group, &uid, &gid)) != 0)
		return report_missing(c, rc);
	return check_not_root(c, uid, gid);
}

/*
 * -n: check the file; print what is wrong, or that it is fine and its
 * rules.  With -q, answer the query instead: exit 0 pass, 1 block.
 */
static int
check_only(const char *file, const char *query)
{
	struct sockd_conf	*c;
	char			 at[PATH_MAX + 16];
	int			 rc = 0;

	if ((c = conf_load(file)) == NULL) {
		fprintf(stderr, "%s: configuration has errors\n", file);
		return query != NULL ? 2 : 1;
	}
	if (query == NULL && check_user(c) == -1) {
		conf_free(c);
		return 1;
	}
	if (query == NULL && check_as_user(c, LOG_WARNING) == -1) {
		fprintf(stderr, "%s\n", check_failed(c, at, sizeof(at)));
		conf_free(c);
		return 1;
	}
	if (query == NULL && listeners_probe(c) > 0)
		fprintf(stderr, "%s: a start here would fail to listen (a "
		    "warning: the file itself is fine)\n", file);
	if (query != NULL)
		rc = explain_query(c, query, stdout);
	else {
		printf("configuration OK\n");
		explain_rules(c, stdout);
	}
	conf_free(c);
	return rc;
}

/* A step after the pid file was written failed: take it back, and exit. */
static void __attribute__((noreturn, format(printf, 2, 3)))
start_failed(const struct sockd_conf *c, const char *fmt, ...)
{
	char	 what[PATH_MAX + 64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->c_pidfile != NULL)
		pidfile_remove(c->c_pidfile);
	fatalx("%s", what);
}

/*
 * Standard error is the log only in the foreground: a daemon must not
 * hold its starter's terminal or pipe, so log = "stderr" without -d
 * falls back to syslog, and says so while it can still be heard.
 */
static void
start_logging(const struct sockd_conf *c, int foreground)
{
	log_init("sockd", foreground, c->c_log_facility);
	log_setlevel(c->c_log_level);
}

/*
 * The config's path, absolute: detaching moves to /, and SIGHUP reads it.
 * Not resolved (realpath): a symlink is followed anew at each reload, so
 * switching it to another file (ln -sfn, a ConfigMap) takes effect.
 */
static const char *
conf_path(const char *file)
{
	static char	 path[PATH_MAX];
	char		 cwd[PATH_MAX];
	int		 n;

	if (file[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return file;
	n = snprintf(path, sizeof(path), "%s/%s", cwd, file);
	return n < 0 || (size_t)n >= sizeof(path) ? file : path;
}

/* A second sockd with the same pid file would take it over: refuse. */
static void
already_running(const struct sockd_conf *c)
{
	pid_t	 pid;

	if (c->c_pidfile != NULL && (pid = pidfile_running(c->c_pidfile)) > 0)
		fatalx("%s: sockd is already running as pid %ld (stop it "
		    "first, or give this one another pidfile)", c->c_pidfile,
		    (long)pid);
}

/* Pid file and the user to become; the pid file only as a daemon's duty. */
static void
write_pidfile(const struct sockd_conf *c, int foreground)
{
	uid_t	 uid = geteuid();
	gid_t	 gid = getegid();

	if (c->c_pidfile == NULL)
		return;
	if (geteuid() == 0 && c->c_user != NULL)
		priv_lookup(c->c_user, c->c_group, &uid, &gid);
	switch (pidfile_write(c->c_pidfile, uid, gid)) {
	case PIDFILE_LOCKED:
		fatalx("another sockd is starting with this pid file");
	case -1:
		if (!foreground)
			fatalx("cannot write the pid file");
	}
}

/*
 * SIGHUP re-reads the file after root is gone: say so at start if the
 * run-as user cannot read it, rather than at the first reload.
 */
static void
check_reloadable(const struct sockd_conf *c)
{
	int	 fd;

	if ((fd = open(c->c_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) != -1) {
		close(fd);
		return;
	}
	log_warn("%s: a reload (SIGHUP) reads it as user %s, who cannot",
	    c->c_file, c->c_user ? c->c_user : "root");
}

/* The command line, into opts; -h and -v answered here. */
struct opts {
	const char	*o_file;
	const char	*o_query;
	int		 o_foreground;
	int		 o_check;
};

static void
parse_args(int argc, char *argv[], struct opts *o)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "df:hnq:Vv")) != -1) {
		switch (ch) {
		case 'd':
			o->o_foreground = 1;
			break;
		case 'f':
			o->o_file = optarg;
			break;
		case 'h':
			usage(stdout, 0);
		case 'n':
		case 'V':	/* Dante's "verify" */
			o->o_check = 1;
			break;
		case 'q':
			o->o_query = optarg;
			o->o_check = 1;
			break;
		case 'v':
			printf("sockd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			dante_option(optopt);
			usage(stderr, 1);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sockd: unexpected argument '%s' (no option "
		    "takes one but -f and -q%s)\n", argv[optind],
		    o->o_foreground && isdigit((unsigned char)*argv[optind]) ?
		    "; Dante's -d N is log-level = \"debug\" in sockd.conf" :
		    "");
		usage(stderr, 1);
	}
}

int
main(int argc, char *argv[])
{
	struct opts		 o = { DEFAULT_CONF, NULL, 0, 0 };
	const char		*file;
	struct sockd_conf	*conf;
	struct listeners	 listeners;
	char			 at[PATH_MAX + 16];
	int			 foreground, rc, ready = -1;

	detach_stdio();
	parse_args(argc, argv, &o);
	foreground = o.o_foreground;
	log_init("sockd", 1, LOG_DAEMON);
	if (o.o_check) {
		log_bare();
		return check_only(o.o_file, o.o_query);
	}
	file = conf_path(o.o_file);
	if (!foreground)
		log_hold();
	if ((conf = conf_load(file)) == NULL)
		fatalx("%s: configuration has errors", file);
	/* until detached, errors go to the terminal (or the init script) */
	log_setlevel(conf->c_log_level);
	log_hold_facility(conf->c_log_facility);
	if (geteuid() == 0 && check_user(conf) == -1) {
		log_hold_flush();
		exit(1);
	}
	already_running(conf);
	if (listeners_open(conf, &listeners) == -1)
		fatalx("cannot open the listening sockets");
	if (check_as_user(conf, LOG_ERR) == -1)
		fatalx("%s%s%s", check_failed(conf, at, sizeof(at)),
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	if (!foreground && conf->c_log_stderr)
		log_warnx("log = \"stderr\" needs -d: logging to syslog");
	if (!foreground && log_syslog_reachable() == -1)
		log_warnx("syslog socket %s: %s: log lines are lost until a "
		    "syslog daemon listens there (sockd -d logs to standard "
		    "error)", _PATH_LOG, strerror(errno));
	if (!foreground)
		ready = detach_start(START_TIMEOUT);
	start_logging(conf, foreground);
	log_replay();
	write_pidfile(conf, foreground);
	priv_drop(conf->c_user, conf->c_group);
	check_reloadable(conf);
	if (auth_load(conf, NULL) == -1)
		start_failed(conf, "cannot load the password file %s",
		    conf->c_passwd_file);
	if (pool_fork_probe() == -1)
		start_failed(conf, "no worker can be started");
	detach_done(ready);
	rc = master_run(&conf, &listeners);
	if (conf->c_pidfile != NULL)
		pidfile_remove(conf->c_pidfile);
	conf_free(conf);
	return rc;
}
