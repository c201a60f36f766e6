/* session.h: one client's session from its first byte to its log line. */
#ifndef SOCKD_SESSION_H
#define SOCKD_SESSION_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct sockd_conf;
struct rule;

enum session_state {
	SS_NEGOTIATE,	/* greeting, method, authentication */
	SS_REQUEST,	/* reading and acting on the request */
	SS_RELAY,	/* carrying bytes */
	SS_DONE
};

struct session {
	uint64_t		 s_id;
	const struct sockd_conf	*s_conf;
	enum session_state	 s_state;
	int			 s_cfd;		/* client */
	int			 s_tfd;		/* target */
	struct sockaddr_storage	 s_client;
	struct sockaddr_storage	 s_local;	/* where the client came in */
	int			 s_version;	/* 4 or 5; 0: not SOCKS (yet) */
	uint8_t			 s_method;
	int			 s_cmd;		/* as sent; -1: no request yet */
	char			 s_user[256];	/* raw, as sent: escape to log */
	struct socks_addr	 s_dst;		/* as requested */
	struct sockaddr_storage	 s_peer;	/* as connected */
	int			 s_rep;		/* reply sent, -1: none */
	uint64_t		 s_bytes_out;	/* client to target */
	uint64_t		 s_bytes_in;	/* target to client */
	int64_t			 s_start;	/* ms, monotonic */
	int64_t			 s_deadline;	/* negotiation deadline */
	char			 s_why[256];	/* why it ended */
	int			 s_notice;	/* blocked: its line at notice */
	const struct rule	*s_crule;	/* the client rule that passed */
	const struct rule	*s_srule;	/* the socks rule that passed */
	unsigned int		 s_blocks;	/* blocks logged (datagrams...) */
	unsigned int		 s_addr_blocks;	/* a name's addresses blocked */
	const struct rule	*s_addr_rule;	/* the first one's rule, */
	struct sockaddr_storage	 s_addr_blocked;	/* and address */

	/* UDP ASSOCIATE only; bytes are payload bytes */
	struct sockaddr_storage	 s_relay;	/* the relay socket */
	struct sockaddr_storage	 s_udp_src;	/* DST.ADDR elsewhere: the */
						/* client in the rules' eyes */
	uint64_t		 s_dgrams_out;	/* client to destinations */
	uint64_t		 s_dgrams_in;	/* destinations to client */
	uint64_t		 s_dropped;	/* not relayed */

	uint8_t			*s_buf;		/* client bytes, then relay */
	size_t			 s_bufsize;
	size_t			 s_off;		/* parsed up to here */
	size_t			 s_len;		/* read up to here */
	int			 s_answered;	/* sent since the last read */
	uint8_t			*s_buf2;	/* relay: target to client */
	int			(*s_on_signal)(void);
	char			 s_limit[128];	/* over a per-client limit */
};

#define SR_CLIENT	(-10)	/* the client closed, failed or timed out */

typedef ssize_t (*msg_parser)(const uint8_t *, size_t, void *);

/* A protocol's table of commands, ended by a NULL handler. */
struct command {
	uint8_t		 cmd;
	void		(*handler)(struct session *);
};

const struct command *command_find(const struct command *, uint8_t);

void	session_init(struct session *, const struct sockd_conf *, int,
	    const struct sockaddr_storage *, const struct sockaddr_storage *,
	    uint64_t);
void	session_run(struct session *);
void	session_rep_str(const struct session *, char *, size_t);
void	session_why(struct session *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	session_why_also(struct session *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	session_send(struct session *, const void *, size_t);
int	session_reply(struct session *, uint8_t, const struct sockaddr *);
void	session_relay(struct session *);
int	session_limited(struct session *);
struct relay;
void	session_publish(struct session *, struct relay *);
ssize_t	session_read_msg(struct session *, msg_parser, void *);

/* the protocols (socks5.c, socks4.c) and commands (cmd_*.c) */
void	socks5_serve(struct session *);
void	socks4_serve(struct session *);
void	cmd_connect(struct session *);
void	cmd_bind(struct session *);
void	cmd_udp(struct session *);

/* policy.c: the rules; auth.c: authentication */
int	session_client_allowed(struct session *);
int	session_source_allowed(struct session *,
	    const struct sockaddr_storage *);
int	session_allowed(struct session *);
int	session_addr_filter(const struct sockaddr *, void *);
void	session_addr_blocks(struct session *, int);
#define AB_EVENT	0	/* the session goes on: a line of their own */
#define AB_END		1	/* they alone ended it: its line says so */
#define AB_ALSO		2	/* it ended for another reason as well */
int	session_reply_allowed(struct session *, int, const struct sockaddr *);
int	session_udp_src_allowed(struct session *,
	    const struct sockaddr_storage *);
int	session_udp_name_allowed(struct session *, const struct socks_addr *);
int	session_udp_dst_allowed(struct session *, const struct socks_addr *,
	    const struct sockaddr *);
void	session_rules_end(struct session *);
int	auth_userpass(struct session *);

/* rule commands beyond S5_CMD_*: traffic coming back in */
#define RULE_CMD_BINDREPLY	0x10
#define RULE_CMD_UDPREPLY	0x11

#endif
