/*
 * scoreboard.h: what every worker is doing, in memory the master maps
 * shared before it forks.  A worker writes only its own slot; the master
 * and the per-client limits read them all.  The master writes a slot to
 * reset it, and to end its generation (reload, shutdown).
 */
#ifndef SOCKD_SCOREBOARD_H
#define SOCKD_SCOREBOARD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>

enum sb_state {
	SB_FREE,		/* no worker */
	SB_STARTING,		/* forked, not yet waiting for a client */
	SB_IDLE,		/* waiting for a client */
	SB_NEGOTIATE,		/* greeting, authentication, request */
	SB_RELAY,		/* carrying bytes */
	SB_NSTATES
};

struct sb_slot {
	pid_t			 sl_pid;
	int			 sl_gen;
	int			 sl_state;	/* enum sb_state */
	int			 sl_refused;	/* over a per-client limit */
	int			 sl_stale;	/* its generation is over: no new client */
	uint64_t		 sl_served;	/* sessions begun */
	uint64_t		 sl_id;		/* the current session */
	int64_t			 sl_start;	/* ms, CLOCK_MONOTONIC */
	struct sockaddr_storage	 sl_client;
	uint64_t		 sl_bytes_out;	/* client to target */
	uint64_t		 sl_bytes_in;	/* target to client */
	char			 sl_user[64];
	char			 sl_target[160];
	struct sockaddr_storage	 sl_udp;	/* a UDP association's relay */
	struct sockaddr_storage	 sl_out;	/* a CONNECT's local end */
	struct sockaddr_storage	 sl_out_peer;	/* and its other end */
};

struct scoreboard {
	struct sb_slot		*sb_slots;
	uint16_t		*sb_udp_port;	/* slot i's sl_udp port, or 0 */
	uint16_t		*sb_out_port;	/* slot i's sl_out port, or 0 */
	uint16_t		*sb_out_count;	/* CONNECTs per local port */
	int			 sb_n;
};

int	sb_init(struct scoreboard *, int);
void	sb_slot_reset(struct scoreboard *, int, int);
void	sb_slot_set_pid(struct scoreboard *, int, pid_t);
void	sb_set_stale(struct scoreboard *, int);
int	sb_state(const struct scoreboard *, int);
uint64_t sb_served(const struct scoreboard *, int);
const char *sb_state_name(int);
void	sb_dump(const struct scoreboard *, int, uint64_t);
int	sb_log_lost(const struct scoreboard *, int, const char *);

/* In a worker, about its own slot (no-ops without a scoreboard). */
void	sb_attach(struct scoreboard *, int);
void	sb_set_state(int);
int	sb_stale(void);
void	sb_session_begin(uint64_t, const struct sockaddr_storage *);
void	sb_session_refused(void);
void	sb_session_relay(const char *, const char *);
uint64_t *sb_bytes(int);
void	sb_session_end(uint64_t, uint64_t);
void	sb_session_udp(const struct sockaddr_storage *);
int	sb_is_udp_relay(const struct sockaddr *);
void	sb_session_out(const struct sockaddr_storage *,
	    const struct sockaddr_storage *);
int	sb_is_outgoing(const struct sockaddr *, const struct sockaddr *);
int	sb_count_client(const struct sockaddr *);

#endif
