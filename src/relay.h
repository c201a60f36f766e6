/* relay.h: move bytes both ways between two sockets until both are done. */
#ifndef SOCKD_RELAY_H
#define SOCKD_RELAY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_BUFSIZE	(64 * 1024)
/* a direction moves to splice() once this much has passed through it */
#define RELAY_SPLICE_AFTER	(256 * 1024)
#define RELAY_PIPESIZE		(256 * 1024)

struct relay_dir {
	int		 rd_from;
	int		 rd_to;
	uint8_t		*rd_buf;
	size_t		 rd_size;
	size_t		 rd_off;	/* first byte not yet written */
	size_t		 rd_len;	/* bytes waiting in rd_buf */
	int		 rd_eof;	/* rd_from has no more to send */
	int		 rd_shut;	/* rd_to has been shut for writing */
	uint64_t	 rd_bytes;	/* bytes written to rd_to */
	uint64_t	*rd_pub;	/* if set, rd_bytes is published here */
	const char	*rd_name;	/* "client" or "target": who sends */
	int		*rd_pipe;	/* splice() mode: the bytes wait here */
	int		 rd_pipefd[2];
	int		 rd_nosplice;	/* no pipe to be had: stay on read() */
	size_t		 rd_pipecap;
	int		 rd_stall;	/* the pipe took no more: wait for a write */
	int		 rd_err;	/* the sender reset (errno): after its
					 * bytes, a reset, not an end of stream */
	int		 rd_flush;	/* rd_err: wait for rd_to to send all */
	int		 rd_urgent;	/* splice() stuck at urgent data */
	int		 rd_oob;	/* urgent data came: find its byte */
	long		 rd_urgat;	/* rd_buf index of the urgent byte, to
					 * send with MSG_OOB; -1: none */
};

/* idle-timeout is watched in this many looks at the send queues */
#define RELAY_IDLE_LOOKS	4

#define RELAY_CLIENT	0x1
#define RELAY_TARGET	0x2

struct relay {
	struct relay_dir r_dir[2];	/* 0: client to target, 1: back */
	int		 r_idle_ms;
	int		 r_quiet;	/* looks in a row with nothing moving */
	int		 r_outq[2];	/* client's, target's send queue, or -1 */
	int		 r_hup[2];	/* hung up: poll only when wanted */
	int		 r_reset;	/* RELAY_CLIENT, RELAY_TARGET: cut */
	int		(*r_on_signal)(void);	/* -1: end the relay */
	char		 r_why[96];
};

void	relay_init(struct relay *, int, int, uint8_t *, uint8_t *, size_t);
/*
 * The caller closes both sockets once it returns (that sends the last
 * FIN; a reset instead for a side whose stream was cut).
 */
int	relay_run(struct relay *);

#endif
