/* log.c: logging to syslog or stderr, errno-preserving, printf-checked. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_stderr = 1;
static int	 log_echo;	/* warnings to stderr too (until detached) */
static int	 log_plain;	/* stderr lines without "sockd[pid]: " */
static int	 log_level = LOG_INFO;
static const char *log_ident = "sockd";
static const char *log_tag = "";

/* Warnings of a daemon's start, said before syslog was open (log_hold). */
#define LOG_HELD_MAX	32
static char	*log_held[LOG_HELD_MAX];
static int	 log_held_pri[LOG_HELD_MAX];
static int	 log_nheld, log_holding;
static int	 log_held_facility = LOG_DAEMON;

struct log_name {
	const char	*name;
	int		 value;
};

static const struct log_name facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 }, { NULL, -1 }
};

static const struct log_name levels[] = {
	{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	{ NULL, -1 }
};

static int
log_lookup(const struct log_name *t, const char *name)
{
	for (; t->name != NULL; t++)
		if (strcasecmp(t->name, name) == 0)
			return t->value;
	return -1;
}

int
log_facility_byname(const char *name)
{
	return log_lookup(facilities, name);
}

int
log_level_byname(const char *name)
{
	return log_lookup(levels, name);
}

void
log_init(const char *ident, int to_stderr, int facility)
{
	log_stderr = to_stderr;
	log_ident = ident;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

/* A new syslog facility (SIGHUP); nothing to do when logging to stderr. */
void
log_setfacility(int facility)
{
	if (log_stderr)
		return;
	closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

/*
 * While a daemon still has its starter's standard error (detach.c),
 * warnings and errors go there as well as to syslog.
 */
void
log_echo_stderr(int on)
{
	log_echo = on;
}

/*
 * sockd -n: lines on standard error are the message alone, so that a
 * config error reads "FILE:LINE: what" as compilers put it (editors and
 * CI jump to the line).
 */
void
log_bare(void)
{
	log_plain = 1;
}

/*
 * A daemon reads its config before it knows its syslog facility, so
 * what that says (warnings: rules that never match, host bits) reaches
 * only the starter's terminal.  log_hold() keeps those lines, and
 * log_replay() sends them to syslog once it is open.
 */
void
log_hold(void)
{
	log_holding = 1;
}

/* The configured facility, for log_hold_flush(); LOG_DAEMON until read. */
void
log_hold_facility(int facility)
{
	log_held_facility = facility;
}

/*
 * A daemon that fails to start says why on its starter's terminal, which
 * at boot only the console sees: what it held goes to syslog as well,
 * the error that ended it included.  Nothing while not holding.
 */
void
log_hold_flush(void)
{
	int	 i;

	if (!log_holding)
		return;
	openlog(log_ident, LOG_PID, log_held_facility);
	for (i = 0; i < log_nheld; i++) {
		if (log_held_pri[i] <= log_level)
			syslog(log_held_pri[i], "%s", log_held[i]);
		free(log_held[i]);
	}
	closelog();
	log_nheld = log_holding = 0;
}

/* A child of the starter forgets what was held: the starter says it. */
void
log_hold_drop(void)
{
	int	 i;

	for (i = 0; i < log_nheld; i++)
		free(log_held[i]);
	log_nheld = log_holding = 0;
}

void
log_replay(void)
{
	int	 i;

	/* held at the default level: the configured one decides now */
	for (i = 0; i < log_nheld; i++) {
		if (!log_stderr && log_held_pri[i] <= log_level)
			syslog(log_held_pri[i], "%s", log_held[i]);
		free(log_held[i]);
	}
	log_nheld = log_holding = 0;
}

static void
held(int pri, const char *msg)
{
	if (!log_holding || !log_stderr || pri > LOG_WARNING)
		return;
	/* full: the line that ends a failed start takes the last place */
	if (log_nheld == LOG_HELD_MAX && pri <= LOG_CRIT)
		free(log_held[--log_nheld]);
	if (log_nheld == LOG_HELD_MAX)
		return;
	if ((log_held[log_nheld] = strdup(msg)) != NULL)
		log_held_pri[log_nheld++] = pri;
}

/* A short tag naming the process ("master", "worker"), for stderr lines. */
void
log_settag(const char *tag)
{
	log_tag = tag;
}

static int
syslog_connect(int type)
{
	struct sockaddr_un	 sun;
	int			 fd, rc, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", _PATH_LOG);
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Whether the syslog socket takes lines now: datagrams, or a stream as
 * syslog(3) tries next (syslog-ng's unix-stream).  Without one (a
 * container with no syslog daemon), syslog(3) drops every line without
 * a word, so the daemon says so while it still has a terminal.  -1 with
 * errno if not.
 */
int
log_syslog_reachable(void)
{
	if (syslog_connect(SOCK_DGRAM) == 0)
		return 0;
	if (errno != EPROTOTYPE)
		return -1;
	return syslog_connect(SOCK_STREAM);
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[4096];	/* a session line, every byte escaped */
	int	 saved = errno;

	if (pri > log_level) {
		errno = saved;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	held(pri, msg);
	if (log_stderr && log_plain)
		fprintf(stderr, "%s\n", msg);
	else if (log_stderr)
		fprintf(stderr, "sockd[%ld]%s%s: %s\n", (long)getpid(),
		    *log_tag ? " " : "", log_tag, msg);
	else
		syslog(pri, "%s", msg);
	if (!log_stderr && log_echo && pri <= LOG_WARNING)
		fprintf(stderr, "sockd: %s\n", msg);
	errno = saved;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Append ": strerror(errno)" to the message, as warn(3) does. */
static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char	 msg[1536];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_errx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	log_hold_flush();
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	log_hold_flush();
	exit(1);
}

char *
log_printable(char *dst, size_t dstlen, const void *src, size_t len)
{
	const unsigned char *p = src;
	size_t	 o = 0, i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < len && o + 5 < dstlen; i++) {
		if (p[i] >= 0x21 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
			dst[o++] = p[i];
		else
			o += snprintf(dst + o, dstlen - o, "\\x%02x", p[i]);
	}
	dst[o] = '\0';
	return dst;
}
