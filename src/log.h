/* log.h: the one logging API: stderr in the foreground, syslog otherwise. */
#ifndef SOCKD_LOG_H
#define SOCKD_LOG_H

#include <stdarg.h>
#include <stddef.h>

void	log_init(const char *ident, int to_stderr, int facility);
void	log_setlevel(int level);
void	log_setfacility(int facility);
int	log_getlevel(void);
void	log_settag(const char *tag);
void	log_echo_stderr(int on);
void	log_bare(void);
void	log_hold(void);
void	log_replay(void);
void	log_hold_facility(int);
void	log_hold_flush(void);
void	log_hold_drop(void);
int	log_syslog_reachable(void);
int	log_facility_byname(const char *name);
int	log_level_byname(const char *name);

void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* Copy peer-supplied bytes into dst as printable ASCII (\xNN escapes). */
char	*log_printable(char *dst, size_t dstlen, const void *src, size_t len);

#endif
