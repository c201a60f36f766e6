/*
 * scoreboard.c: the shared table of worker slots (Apache's scoreboard).
 * The master maps it once, before the first fork, with one slot per
 * worker it may ever run (max-workers at start: a reload may lower that
 * number but not raise it past the mapping, which would need every
 * process to remap).  A worker writes only its own slot and keeps the
 * hot path cheap: the state at each change, the byte counters as the
 * relay writes them.  Readers may see a slot mid-update; nothing they
 * decide needs more than a recent, approximate picture, except the
 * per-client count, which orders its store and loads with a fence.
 */
#include "config.h"

#include <sys/mman.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "netio.h"
#include "scoreboard.h"

static struct scoreboard	*sb_board;	/* in a worker */
static struct sb_slot		*sb_self;
static uint16_t			*sb_self_udp;	/* its sb_udp_port */
static int			 sb_self_i;	/* its index */

static const char *const sb_names[SB_NSTATES] = {
	"free", "starting", "idle", "negotiating", "relaying"
};

int
sb_init(struct scoreboard *sb, int n)
{
	void	*p;

	/*
	 * The UDP relay ports and the CONNECTs' local ports after the
	 * slots: a datagram, or a new client, scans only them; and how
	 * many CONNECTs use each local port, so that a new client whose
	 * port none uses (nearly all) scans nothing.
	 */
	p = mmap(NULL, (size_t)n * (sizeof(struct sb_slot) +
	    2 * sizeof(uint16_t)) + 65536 * sizeof(uint16_t),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb->sb_slots = p;
	sb->sb_udp_port = (uint16_t *)(sb->sb_slots + n);
	sb->sb_out_port = sb->sb_udp_port + n;
	sb->sb_out_count = sb->sb_out_port + n;
	sb->sb_n = n;
	return 0;
}

/* Withdraw slot i's CONNECT, once whoever gets here first (0 or port). */
static void
sb_out_clear(struct scoreboard *sb, int i)
{
	uint16_t	 port;

	port = __atomic_exchange_n(&sb->sb_out_port[i], 0, __ATOMIC_ACQ_REL);
	if (port != 0)
		__atomic_sub_fetch(&sb->sb_out_count[port], 1,
		    __ATOMIC_RELEASE);
}

/* The master, before it forks a worker into slot i. */
void
sb_slot_reset(struct scoreboard *sb, int i, int gen)
{
	struct sb_slot	*sl = &sb->sb_slots[i];

	memset(sl, 0, sizeof(*sl));
	__atomic_store_n(&sb->sb_udp_port[i], 0, __ATOMIC_RELEASE);
	sb_out_clear(sb, i);
	sl->sl_gen = gen;
	__atomic_store_n(&sl->sl_state, SB_STARTING, __ATOMIC_RELEASE);
}

void
sb_slot_set_pid(struct scoreboard *sb, int i, pid_t pid)
{
	sb->sb_slots[i].sl_pid = pid;
	if (pid != 0)
		return;
	/* a worker gone: its relay socket is closed, its CONNECT too */
	__atomic_store_n(&sb->sb_udp_port[i], 0, __ATOMIC_RELEASE);
	sb_out_clear(sb, i);
	__atomic_store_n(&sb->sb_slots[i].sl_state, SB_FREE, __ATOMIC_RELEASE);
}

/*
 * Before the SIGTERM that ends a worker's generation: a worker woken by
 * a client with that signal still pending (epoll_pwait() gives events
 * before signals) reads this and leaves the client to the new one.
 */
void
sb_set_stale(struct scoreboard *sb, int i)
{
	__atomic_store_n(&sb->sb_slots[i].sl_stale, 1, __ATOMIC_RELEASE);
}

int
sb_state(const struct scoreboard *sb, int i)
{
	return __atomic_load_n(&sb->sb_slots[i].sl_state, __ATOMIC_ACQUIRE);
}

uint64_t
sb_served(const struct scoreboard *sb, int i)
{
	return __atomic_load_n(&sb->sb_slots[i].sl_served, __ATOMIC_RELAXED);
}

const char *
sb_state_name(int state)
{
	if (state < 0 || state >= SB_NSTATES)
		return "?";
	return sb_names[state];
}

void
sb_attach(struct scoreboard *sb, int i)
{
	sb_board = sb;
	sb_self = sb != NULL ? &sb->sb_slots[i] : NULL;
	sb_self_udp = sb != NULL ? &sb->sb_udp_port[i] : NULL;
	sb_self_i = i;
}

/* Has the master ended this worker's generation? */
int
sb_stale(void)
{
	return sb_self != NULL &&
	    __atomic_load_n(&sb_self->sl_stale, __ATOMIC_ACQUIRE);
}

void
sb_set_state(int state)
{
	if (sb_self != NULL)
		__atomic_store_n(&sb_self->sl_state, state, __ATOMIC_RELEASE);
}

/* A client was accepted: publish who it is before counting its peers. */
void
sb_session_begin(uint64_t id, const struct sockaddr_storage *client)
{
	if (sb_self == NULL)
		return;
	sb_self->sl_id = id;
	sb_self->sl_start = now_ms();
	sb_self->sl_refused = 0;
	sb_self->sl_user[0] = sb_self->sl_target[0] = '\0';
	sb_self->sl_bytes_out = sb_self->sl_bytes_in = 0;
	memcpy(&sb_self->sl_client, client, sizeof(*client));
	__atomic_add_fetch(&sb_self->sl_served, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sb_self->sl_state, SB_NEGOTIATE, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The session is being turned away: it no longer counts for its client. */
void
sb_session_refused(void)
{
	if (sb_self != NULL)
		__atomic_store_n(&sb_self->sl_refused, 1, __ATOMIC_RELEASE);
}

void
sb_session_relay(const char *user, const char *target)
{
	if (sb_self == NULL)
		return;
	snprintf(sb_self->sl_user, sizeof(sb_self->sl_user), "%s", user);
	snprintf(sb_self->sl_target, sizeof(sb_self->sl_target), "%s",
	    target);
	__atomic_store_n(&sb_self->sl_state, SB_RELAY, __ATOMIC_RELEASE);
}

/* Where the relay publishes its byte count: 0 client to target, 1 back. */
uint64_t *
sb_bytes(int dir)
{
	if (sb_self == NULL)
		return NULL;
	return dir == 0 ? &sb_self->sl_bytes_out : &sb_self->sl_bytes_in;
}

void
sb_session_end(uint64_t out, uint64_t in)
{
	if (sb_self == NULL)
		return;
	sb_self->sl_bytes_out = out;
	sb_self->sl_bytes_in = in;
	if (__atomic_load_n(sb_self_udp, __ATOMIC_RELAXED) != 0)
		__atomic_store_n(sb_self_udp, 0, __ATOMIC_RELEASE);
	sb_out_clear(sb_board, sb_self_i);
	__atomic_store_n(&sb_self->sl_state, SB_IDLE, __ATOMIC_RELEASE);
}

/* This session's UDP relay socket (the client's side), for the others. */
void
sb_session_udp(const struct sockaddr_storage *relay)
{
	if (sb_self == NULL)
		return;
	memcpy(&sb_self->sl_udp, relay, sizeof(*relay));
	__atomic_store_n(sb_self_udp, addr_port((const struct sockaddr *)
	    relay), __ATOMIC_RELEASE);
}

/* Same address and port? */
static int
sb_same_end(const struct sockaddr *a, const struct sockaddr *b)
{
	return a->sa_family == b->sa_family && addr_port(a) == addr_port(b) &&
	    addr_equal_host(a, b);
}

/*
 * Is sa the client side of a UDP relay, this worker's or another's?  A
 * datagram sent there through an association of its own would reach the
 * other association as if from its client, when that client is on this
 * host, and take it over.
 */
int
sb_is_udp_relay(const struct sockaddr *sa)
{
	uint16_t		 port = addr_port(sa);
	int			 i;

	if (sb_board == NULL)
		return 0;
	for (i = 0; i < sb_board->sb_n; i++) {
		if (__atomic_load_n(&sb_board->sb_udp_port[i],
		    __ATOMIC_ACQUIRE) != port)
			continue;
		if (sb_same_end((const struct sockaddr *)
		    &sb_board->sb_slots[i].sl_udp, sa))
			return 1;
	}
	return 0;
}

/*
 * This session's CONNECT, its local end and its peer, for the others:
 * published before the reply, so before any byte goes out.
 */
void
sb_session_out(const struct sockaddr_storage *local,
    const struct sockaddr_storage *peer)
{
	uint16_t	 port = addr_port((const struct sockaddr *)local);

	if (sb_self == NULL || port == 0)
		return;
	memcpy(&sb_self->sl_out, local, sizeof(*local));
	memcpy(&sb_self->sl_out_peer, peer, sizeof(*peer));
	__atomic_add_fetch(&sb_board->sb_out_count[port], 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sb_board->sb_out_port[sb_self_i], port,
	    __ATOMIC_RELEASE);
}

/*
 * Is the connection from client to local (a listener) one of this
 * proxy's own CONNECTs, the same TCP connection seen from its other end?
 * Then a client chained it back into a listener, by an address the
 * CONNECT could not tell was this host (a secondary one, say): a loop
 * that would take a worker for every request a client pipelines.  Both
 * ends must match: a client and a CONNECT may share a local port.
 * Asked once the client has sent a byte, which that CONNECT sends only
 * after publishing.
 */
int
sb_is_outgoing(const struct sockaddr *client, const struct sockaddr *local)
{
	const struct sb_slot	*sl;
	uint16_t		 port = addr_port(client);
	int			 i;

	if (sb_board == NULL || __atomic_load_n(&sb_board->sb_out_count[port],
	    __ATOMIC_ACQUIRE) == 0)
		return 0;
	for (i = 0; i < sb_board->sb_n; i++) {
		if (__atomic_load_n(&sb_board->sb_out_port[i],
		    __ATOMIC_ACQUIRE) != port)
			continue;
		sl = &sb_board->sb_slots[i];
		if (sb_same_end((const struct sockaddr *)&sl->sl_out, client) &&
		    sb_same_end((const struct sockaddr *)&sl->sl_out_peer,
		    local))
			return 1;
	}
	return 0;
}

/* Sessions (this one included) from the host of sa, in every worker. */
int
sb_count_client(const struct sockaddr *sa)
{
	struct sb_slot	*sl;
	int		 i, n = 0, st;

	if (sb_board == NULL)
		return 0;
	for (i = 0; i < sb_board->sb_n; i++) {
		sl = &sb_board->sb_slots[i];
		st = __atomic_load_n(&sl->sl_state, __ATOMIC_SEQ_CST);
		if ((st == SB_NEGOTIATE || st == SB_RELAY) &&
		    !__atomic_load_n(&sl->sl_refused, __ATOMIC_ACQUIRE) &&
		    addr_equal_host((struct sockaddr *)&sl->sl_client, sa))
			n++;
	}
	return n;
}

/*
 * A text field a worker wrote (already escaped there), as the master
 * logs it: bounded by its size even unterminated, anything but printable
 * ASCII as '?', so a worker gone wrong cannot forge or run past it.
 */
static const char *
sb_field(const char *f, size_t size, char *out)
{
	size_t	 i;

	for (i = 0; i + 1 < size && f[i] != '\0'; i++)
		out[i] = f[i] >= 0x20 && f[i] < 0x7f ? f[i] : '?';
	out[i] = '\0';
	return i > 0 ? out : "-";
}

/* A slot's session, as "session=... age=...s" for the log. */
static char *
sb_session_str(const struct sb_slot *sl, char *buf, size_t len)
{
	char	 client[ADDR_STRLEN], user[sizeof(sl->sl_user)];
	char	 target[sizeof(sl->sl_target)];
	int64_t	 age = now_ms() - sl->sl_start;

	addr_ntop((const struct sockaddr *)&sl->sl_client, client,
	    sizeof(client));
	snprintf(buf, len, "session=%016llx client=%s user=%s target=%s "
	    "bytes_out=%llu bytes_in=%llu age=%lld.%03llds%s",
	    (unsigned long long)sl->sl_id, client,
	    sb_field(sl->sl_user, sizeof(sl->sl_user), user),
	    sb_field(sl->sl_target, sizeof(sl->sl_target), target),
	    (unsigned long long)sl->sl_bytes_out,
	    (unsigned long long)sl->sl_bytes_in, (long long)(age / 1000),
	    (long long)(age % 1000), sl->sl_refused ? " refused" : "");
	return buf;
}

static void
sb_dump_session(const struct sb_slot *sl)
{
	char	 buf[512];

	log_notice("scoreboard: worker %ld gen=%d state=%s served=%llu %s",
	    (long)sl->sl_pid, sl->sl_gen, sb_state_name(sl->sl_state),
	    (unsigned long long)sl->sl_served,
	    sb_session_str(sl, buf, sizeof(buf)));
}

/*
 * The master reaped slot i's worker, which did not end well (why): the
 * session it was serving, if any, has no line of its own; log it.  1 if
 * there was one.
 */
int
sb_log_lost(const struct scoreboard *sb, int i, const char *why)
{
	const struct sb_slot *sl = &sb->sb_slots[i];
	char		 buf[512];
	int		 st = sb_state(sb, i);

	if (st != SB_NEGOTIATE && st != SB_RELAY)
		return 0;
	log_warnx("worker %ld %s while %s: %s", (long)sl->sl_pid, why,
	    sb_state_name(st), sb_session_str(sl, buf, sizeof(buf)));
	return 1;
}

/*
 * SIGUSR1: one summary line (workers per state, sessions served, by
 * those alive and by those gone), then one line per live session.
 */
void
sb_dump(const struct scoreboard *sb, int gen, uint64_t served_gone)
{
	int		 count[SB_NSTATES] = { 0 }, i, st, n = 0, old = 0;
	uint64_t	 served = served_gone;

	for (i = 0; i < sb->sb_n; i++) {
		/* a state no worker writes counts only in workers= */
		if ((st = sb_state(sb, i)) == SB_FREE)
			continue;
		if (st > SB_FREE && st < SB_NSTATES)
			count[st]++;
		n++;
		old += sb->sb_slots[i].sl_gen != gen;
		served += sb_served(sb, i);
	}
	log_notice("scoreboard: generation=%d workers=%d old=%d starting=%d "
	    "idle=%d negotiating=%d relaying=%d served=%llu slots=%d", gen, n,
	    old, count[SB_STARTING], count[SB_IDLE], count[SB_NEGOTIATE],
	    count[SB_RELAY], (unsigned long long)served, sb->sb_n);
	for (i = 0; i < sb->sb_n; i++) {
		st = sb_state(sb, i);
		if (st == SB_NEGOTIATE || st == SB_RELAY)
			sb_dump_session(&sb->sb_slots[i]);
	}
}
