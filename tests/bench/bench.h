/*
 * bench.h: what the parts of sockbench, the SOCKS5 load generator and its
 * target servers, share: options, the client connection, the per-thread
 * loop and the counters each scenario reports.
 */
#ifndef SOCKBENCH_H
#define SOCKBENCH_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAXTHREADS	64
#define BENCH_PAYLOAD		64		/* bytes echoed per session */
#define BENCH_CHUNK		(256 * 1024)	/* stream write/read size */
#define BENCH_MAXEVENTS		256
#define BENCH_TICK_MS		50		/* longest epoll sleep */
#define BENCH_MAXERRMSG		5		/* error lines printed per run */
#define BENCH_MAXCONNS		100000		/* sessions one run may hold */

/* What a run does with each connection once the CONNECT is answered. */
enum bench_mode {
	MODE_SESSIONS,	/* echo 64 bytes, close, start again */
	MODE_UP,	/* write to the sink until the time is up */
	MODE_DOWN,	/* read from the source until the time is up */
	MODE_IDLE,	/* echo 64 bytes once, then hold the session */
	MODE_BURST	/* arrive paced, echo once, hold a while, close */
};

struct bench_opts {
	enum bench_mode		 o_mode;
	struct sockaddr_in	 o_proxy;	/* port 0: connect directly */
	struct sockaddr_in	 o_target;
	const char		*o_name;	/* NULL: CONNECT by address */
	const char		*o_user;	/* NULL: method 0, no auth */
	const char		*o_pass;
	int			 o_threads;
	int			 o_conc;	/* connections kept busy */
	double			 o_warmup;	/* seconds not counted */
	double			 o_duration;	/* seconds measured */
	double			 o_timeout;	/* seconds per handshake */
	uint64_t		 o_maxsessions;	/* cap on sessions counted */
	double			 o_hold;	/* idle: longest hold; burst: hold */
	int			 o_sources;	/* client addresses 127.0.0.1..N */
	double			 o_spread;	/* burst: arrivals spread, seconds */
	double			 o_pause;	/* burst: between bursts, seconds */
	int			 o_bursts;	/* burst: how many */
	int			 o_warm_bursts;	/* burst: first ones not counted */
};

/* Counters of one thread, summed into the run's result. */
struct bench_stats {
	uint64_t	 st_sessions;	/* finished inside the window */
	uint64_t	 st_bytes;	/* moved inside the window */
	uint64_t	 st_all_sessions; /* finished, warm-up included */
	uint64_t	 st_all_bytes;	/* moved, warm-up included */
	uint64_t	 st_opened;	/* idle: sessions established */
	uint64_t	 st_dropped;	/* idle: closed by the far side */
	uint64_t	 st_err_connect;
	uint64_t	 st_err_socks;	/* bad or refused SOCKS reply */
	uint64_t	 st_err_io;	/* reset, short echo, wrong bytes */
	uint64_t	 st_err_timeout;
	uint32_t	*st_lat;	/* time-to-reply samples, us */
	size_t		 st_nlat;
	size_t		 st_latcap;
};

enum conn_state {
	CS_FREE,
	CS_CONNECTING,	/* TCP connect in progress */
	CS_METHOD,	/* greeting sent, waiting for the method */
	CS_AUTH,	/* RFC 1929 request sent */
	CS_REQUEST,	/* CONNECT sent, waiting for the reply */
	CS_ECHO,	/* payload sent, waiting for it back */
	CS_HOLD,	/* idle session, established */
	CS_STREAM,	/* bulk transfer */
	CS_NSTATES
};

struct worker;

struct conn {
	int		 c_fd;
	enum conn_state	 c_state;
	struct worker	*c_w;
	int64_t		 c_t0;		/* ns, connect() called */
	int64_t		 c_deadline;	/* ns, handshake must end */
	int64_t		 c_ttr;		/* ns, time to CONNECT reply */
	uint64_t	 c_wbytes;	/* stream bytes inside the window */
	uint8_t		 c_in[600];
	size_t		 c_inlen;
	uint8_t		 c_out[600];
	size_t		 c_outoff;
	size_t		 c_outlen;
};

struct worker {
	int			 w_id;
	pthread_t		 w_thread;
	const struct bench_opts	*w_opts;
	int			 w_epfd;
	struct conn		*w_conns;
	int			 w_nconns;	/* slots in use */
	int			 w_max;		/* slots allocated */
	int			 w_target;	/* connections wanted */
	int			 w_started;	/* idle: slots tried so far */
	int			 w_inflight;	/* handshakes under way */
	int64_t			 w_start;	/* ns */
	int64_t			 w_measure;	/* ns, window opens */
	int64_t			 w_end;		/* ns, window closes */
	int			 w_errmsgs;
	unsigned int		 w_nextsrc;	/* round robin over o_sources */
	uint8_t			*w_buf;		/* BENCH_CHUNK bytes */
	struct bench_stats	 w_st;
	uint64_t		 w_pub_done;	/* idle: opened + failed */
	uint64_t		 w_pub_opened;	/* idle: as published */
	uint64_t		 w_pub_dropped;
	uint64_t		 w_pub_closed;	/* burst: sessions held to the end */
	int64_t			 w_wake;	/* ns, next start due; 0: none */
	int			 w_burst;	/* burst: the one this thread runs */
	int			 w_pub_burst;	/* burst: announced by main */
	int64_t			 w_pub_t0;	/* burst: when it starts, ns */
	int			 w_pub_bdone;	/* burst: last one finished */
};

/* time.c-like helpers, in stats.c */
int64_t	mono_ns(void);
double	cpu_seconds(void);
void	stats_add_lat(struct bench_stats *, int64_t);
void	stats_add_us(struct bench_stats *, const uint32_t *, size_t);
void	stats_merge(struct bench_stats *, const struct bench_stats *);
uint32_t stats_pct(struct bench_stats *, double);
void	stats_free(struct bench_stats *);

/* socks5c.c: pure message building and parsing */
size_t	s5_greeting(uint8_t *, size_t, int);
size_t	s5_auth(uint8_t *, size_t, const char *, const char *);
size_t	s5_connect(uint8_t *, size_t, const struct sockaddr_in *);
size_t	s5_connect_name(uint8_t *, size_t, const char *, uint16_t);
int	s5_method_reply(const uint8_t *, size_t, int *);
int	s5_auth_reply(const uint8_t *, size_t, int *);
int	s5_connect_reply(const uint8_t *, size_t, int *);

/* conn.c: one client connection's handshake */
int	conn_start(struct worker *, struct conn *);
void	conn_event(struct conn *, uint32_t);
void	conn_close(struct conn *);
void	conn_fail(struct conn *, uint64_t *, const char *);
int	conn_send(struct conn *, const void *, size_t);
int	conn_flush(struct conn *);
void	conn_watch(struct conn *, uint32_t);
void	conn_sweep(struct worker *, int64_t);

/* scenario.c: what happens after the CONNECT reply */
void	scen_init(void);
void	scen_established(struct conn *);
void	scen_event(struct conn *, uint32_t);
void	scen_finished(struct conn *);
int	scen_refill(struct worker *, int64_t);
void	scen_hold_over(struct conn *);

/* loop.c: threads, each with its own epoll */
int	loop_start(const struct bench_opts *, struct worker *, int, int64_t);
void	loop_join(struct worker *, int, struct bench_stats *);
void	loop_stop(void);

/* client.c, idle.c and burst.c: the client's runs */
int	client_main(int, char **);
int	idle_run(const struct bench_opts *, int);
int	burst_run(const struct bench_opts *);
int	burst_refill(struct worker *, int64_t);

/* targets.c: the echo, sink and source servers */
int	targets_main(int, char **);

/* floor.c: the least a prefork server can do, a column of its own */
int	floor_main(int, char **);

/* netutil.c */
int	parse_inet(const char *, struct sockaddr_in *);
int	set_nonblock(int);
int	ncpu(void);

#endif
