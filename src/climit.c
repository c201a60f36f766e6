/*
 * climit.c: per-client limits, checked by a worker right after accept.
 * Sessions at once are counted on the scoreboard; new sessions per
 * interval live in a fixed table in shared memory (a fixed window per
 * client address, a process-shared robust mutex, open addressing with a
 * short probe; a client that no probe finds evicts the oldest window, so
 * a flood of many addresses can only loosen the limit, never block a
 * stranger).  Over a limit, the session is marked: it is answered with
 * a general failure (REP 0x01, SOCKS4 91) once its request is read,
 * within a short deadline, and its log line says which limit.
 */
#include "config.h"

#include <sys/mman.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "climit.h"
#include "conf.h"
#include "netio.h"
#include "scoreboard.h"
#include "session.h"

#define RATE_SLOTS	4096
#define RATE_PROBE	16
#define REFUSE_MS	1000	/* negotiation time left to a refused client */

struct rate_ent {
	int64_t		 re_start;	/* window start, ms */
	uint32_t	 re_count;	/* sessions in the window */
	uint8_t		 re_family;	/* 0: free */
	uint8_t		 re_addr[16];
};

struct ratetab {
	pthread_mutex_t	 rt_mtx;
	struct rate_ent	 rt_ent[RATE_SLOTS];
};

static struct ratetab	*climit_rates;

struct ratetab *
ratetab_new(void)
{
	pthread_mutexattr_t	 a;
	struct ratetab		*t;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pthread_mutex_init(&t->rt_mtx, &a) != 0) {
		munmap(t, sizeof(*t));
		t = NULL;
	}
	pthread_mutexattr_destroy(&a);
	return t;
}

int
climit_init(void)
{
	return (climit_rates = ratetab_new()) == NULL ? -1 : 0;
}

/* The host part of sa: family and address bytes; -1 for other families. */
static int
rate_key(const struct sockaddr *sa, uint8_t *fam, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*fam = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -1;
	return 0;
}

static uint32_t
rate_hash(uint8_t fam, const uint8_t addr[16])
{
	uint32_t h = 2166136261u ^ fam;
	int	 i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

/* The entry for the key: its own, else a free or stale one, else the oldest. */
static struct rate_ent *
rate_find(struct ratetab *t, uint8_t fam, const uint8_t addr[16],
    int64_t now, int64_t interval)
{
	struct rate_ent	*e, *spare = NULL, *oldest = NULL;
	uint32_t	 h = rate_hash(fam, addr);
	int		 i;

	for (i = 0; i < RATE_PROBE; i++) {
		e = &t->rt_ent[(h + i) % RATE_SLOTS];
		if (e->re_family == fam && memcmp(e->re_addr, addr, 16) == 0)
			return e;
		if (spare == NULL && (e->re_family == 0 ||
		    now - e->re_start >= interval))
			spare = e;
		if (oldest == NULL || e->re_start < oldest->re_start)
			oldest = e;
	}
	e = spare != NULL ? spare : oldest;
	e->re_family = fam;
	memcpy(e->re_addr, addr, 16);
	e->re_start = now;
	e->re_count = 0;
	return e;
}

/*
 * A new session from sa at now (ms): 0 if it is within rate sessions
 * per interval (ms) and is counted, -1 if it is over.  Fails open.
 */
int
ratetab_hit(struct ratetab *t, const struct sockaddr *sa, int64_t now,
    int rate, int64_t interval)
{
	struct rate_ent	*e;
	uint8_t		 fam, addr[16];
	int		 rc = 0;

	if (rate_key(sa, &fam, addr) == -1)
		return 0;
	switch (pthread_mutex_lock(&t->rt_mtx)) {
	case 0:
		break;
	case EOWNERDEAD:	/* a worker died holding it: the table is fine */
		pthread_mutex_consistent(&t->rt_mtx);
		break;
	default:
		return 0;
	}
	e = rate_find(t, fam, addr, now, interval);
	if (now - e->re_start >= interval) {
		e->re_start = now;
		e->re_count = 0;
	}
	if (e->re_count >= (uint32_t)rate)
		rc = -1;
	else
		e->re_count++;
	pthread_mutex_unlock(&t->rt_mtx);
	return rc;
}

/* Mark the session over a limit (s_limit says which). */
static void
climit_refuse(struct session *s)
{
	int64_t	 deadline = s->s_start + REFUSE_MS;

	session_why(s, "%s", s->s_limit);
	sb_session_refused();
	if (deadline < s->s_deadline)
		s->s_deadline = deadline;
}

void
climit_check(struct session *s)
{
	const struct sockd_conf	*c = s->s_conf;
	const struct sockaddr	*sa = (const struct sockaddr *)&s->s_client;
	int			 n;

	if (c->c_client_max_sessions > 0 &&
	    (n = sb_count_client(sa)) > c->c_client_max_sessions) {
		snprintf(s->s_limit, sizeof(s->s_limit), "client limit: %d "
		    "sessions at once (client-max-sessions %d)", n,
		    c->c_client_max_sessions);
		climit_refuse(s);
	} else if (c->c_client_rate > 0 && climit_rates != NULL &&
	    ratetab_hit(climit_rates, sa, now_ms(), c->c_client_rate,
	    c->c_client_rate_interval * 1000LL) == -1) {
		snprintf(s->s_limit, sizeof(s->s_limit), "client limit: more "
		    "than %d new sessions in %d s (client-rate)",
		    c->c_client_rate, c->c_client_rate_interval);
		climit_refuse(s);
	}
}
