/*
 * conf.h: the parsed sockd.conf as a plain struct.  Only conf.c knows
 * libconfuse; everything else reads struct sockd_conf.
 */
#ifndef SOCKD_CONF_H
#define SOCKD_CONF_H

#include <sys/socket.h>
#include <stdint.h>

#define CONF_MAX_LISTEN		16
#define CONF_MAX_METHODS	2

struct rule;
struct auth_db;

struct listen_addr {
	struct sockaddr_storage	la_addr;
	socklen_t		la_len;
	char			la_str[64];
	uint8_t			la_methods[CONF_MAX_METHODS];
	int			la_nmethods;	/* 0: the global methods */
	int			la_section;	/* a listener section's */
	int			la_line;	/* where the file names it */
};

/* keys whose values are checked after parsing: where the file set them */
enum conf_key {
	CK_USER, CK_GROUP, CK_PIDFILE, CK_PASSWD_FILE, CK_WORKERS,
	CK_MIN_SPARE, CK_LISTEN, CK_PW_FAIL_DELAY, CK_NKEYS
};

struct sockd_conf {
	char			*c_file;
	int			 c_lines[CK_NKEYS];	/* 0: not in the file */
	struct listen_addr	 c_listen[CONF_MAX_LISTEN];
	int			 c_nlisten;
	char			*c_user;
	char			*c_group;
	char			*c_pidfile;
	char			*c_passwd_file;
	char			*c_external;		/* BIND address */

	/* the pool */
	int			 c_workers;		/* at start */
	int			 c_min_spare;
	int			 c_max_spawn_rate;	/* forks a second */
	int			 c_max_spare;
	int			 c_max_workers;
	int			 c_max_sessions;	/* per worker */

	/* timeouts, seconds */
	int			 c_negotiate_timeout;
	int			 c_connect_timeout;
	int			 c_idle_timeout;
	int			 c_bind_timeout;
	int			 c_udp_timeout;
	int			 c_shutdown_timeout;

	/* per-client limits; 0 is no limit */
	int			 c_client_max_sessions;
	int			 c_client_rate;		/* new sessions ... */
	int			 c_client_rate_interval; /* ... per seconds */

	uint8_t			 c_methods[CONF_MAX_METHODS];
	int			 c_nmethods;
	int			 c_pw_fail_delay;	/* ms */
	int			 c_pw_cache_ttl;	/* s, 0: no cache */
	int			 c_pw_cache_size;	/* slots */
	struct auth_db		*c_auth;	/* loaded by auth_load() */
	int			 c_socks4;

	int			 c_log_stderr;
	int			 c_log_facility;
	int			 c_log_level;

	struct rule		*c_client_rules;
	int			 c_nclient_rules;
	struct rule		*c_socks_rules;
	int			 c_nsocks_rules;
};

struct sockd_conf *conf_load(const char *);
const char *conf_where(const struct sockd_conf *, enum conf_key, char *,
	    size_t);
void	conf_free(struct sockd_conf *);
int	conf_uses_method(const struct sockd_conf *, uint8_t);
const struct listen_addr *conf_listener(const struct sockd_conf *,
	    const struct sockaddr *);
void	conf_lint(const struct sockd_conf *);	/* conf_lint.c */
const uint8_t *conf_methods(const struct sockd_conf *,
	    const struct sockaddr *, int *);

#endif
