/*
 * resolve.c: getaddrinfo() for a name, bounded by a deadline.
 *
 * getaddrinfo() itself waits as long as resolv.conf says (5 s a try, 2
 * tries, for each nameserver), so a dead DNS server would pin a worker
 * for half a minute, past connect-timeout.  Where glibc's getaddrinfo_a()
 * exists, the lookup runs in its helper thread (which blocks every
 * signal) and the worker waits for it with gai_suspend() until the
 * deadline.  A lookup given up on cannot be cancelled once it runs: its
 * request stays on a short list until it ends, and is freed at a later
 * call; with ABANDONED_MAX of those, lookups fail at once.  Without
 * getaddrinfo_a(), or when it cannot start a thread, the plain call is
 * used.
 */
#include "config.h"

#include <sys/socket.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netio.h"
#include "resolve.h"

#ifdef HAVE_GETADDRINFO_A
/*
 * Lookups given up on and still running, per worker, past which new ones
 * fail at once: DNS is dead, and each holds a thread (a task for
 * TasksMax).  glibc runs at most 20 and queues the rest, and a queued
 * one is cancelled, not abandoned, so the bound must stay below that.
 */
#define ABANDONED_MAX	4
#define LOOKUP_SLICE_MS	100	/* the longest a stop signal waits */

struct lookup {
	struct gaicb	 l_cb;
	struct addrinfo	 l_hints;
	char		 l_host[NI_MAXHOST];
	char		 l_port[NI_MAXSERV];
	struct lookup	*l_next;
};

static struct lookup	*abandoned;
static int		 nabandoned;

/* Free the lookups given up on that have ended since. */
static void
reap(void)
{
	struct lookup	**lp = &abandoned, *l;

	while ((l = *lp) != NULL) {
		if (gai_error(&l->l_cb) == EAI_INPROGRESS) {
			lp = &l->l_next;
			continue;
		}
		*lp = l->l_next;
		if (l->l_cb.ar_result != NULL)
			freeaddrinfo(l->l_cb.ar_result);
		free(l);
		nabandoned--;
	}
}

static void
abandon(struct lookup *l)
{
	l->l_next = abandoned;
	abandoned = l;
	nabandoned++;
}

static struct lookup *
lookup_new(const char *host, const char *port, const struct addrinfo *hints)
{
	struct lookup	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	strncpy(l->l_host, host, sizeof(l->l_host) - 1);
	strncpy(l->l_port, port, sizeof(l->l_port) - 1);
	l->l_hints = *hints;
	l->l_cb.ar_name = l->l_host;
	l->l_cb.ar_service = l->l_port;
	l->l_cb.ar_request = &l->l_hints;
	return l;
}

/*
 * Wait for l until the deadline: its gai_error(), or EAI_INPROGRESS
 * (*stop set when a stop signal ended the wait).  The worker's stop
 * signals are open while it waits (netio_waitmask()), in slices, so one
 * that came just before the wait is seen at the slice's end.
 */
static int
lookup_wait(struct lookup *l, int64_t deadline, int *stop)
{
	const struct gaicb	*list[1] = { &l->l_cb };
	const sigset_t		*open = netio_getmask();
	struct timespec		 ts;
	sigset_t		 saved;
	int			 ms, rc;

	*stop = 0;
	while ((rc = gai_error(&l->l_cb)) == EAI_INPROGRESS &&
	    (ms = ms_left(deadline)) > 0) {
		if (ms > LOOKUP_SLICE_MS)
			ms = LOOKUP_SLICE_MS;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		if (open != NULL)
			pthread_sigmask(SIG_SETMASK, open, &saved);
		(void)gai_suspend(list, 1, &ts);
		if (open != NULL)
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
		if (netio_interrupted() == -1) {
			*stop = 1;
			return gai_error(&l->l_cb);
		}
	}
	return rc;
}

/*
 * Lookups given up on are still running at the bound, so the next one
 * would fail at once, whoever asks: a client whose names the nameservers
 * never answer (a domain of its own, say) has worn this process out for
 * its next sessions.  The worker leaves after its session (worker.c).
 */
int
resolve_worn(void)
{
	reap();
	return nabandoned >= ABANDONED_MAX;
}

int
resolve_timed(const char *host, const char *port,
    const struct addrinfo *hints, int64_t deadline, struct addrinfo **res)
{
	struct gaicb	*req[1];
	struct lookup	*l;
	int		 rc, stop;

	reap();
	if (nabandoned >= ABANDONED_MAX)
		return RESOLVE_TIMEOUT;
	if ((l = lookup_new(host, port, hints)) == NULL)
		return getaddrinfo(host, port, hints, res);
	req[0] = &l->l_cb;
	if (getaddrinfo_a(GAI_NOWAIT, req, 1, NULL) != 0) {
		free(l);	/* no thread to be had: wait in the call */
		return getaddrinfo(host, port, hints, res);
	}
	if ((rc = lookup_wait(l, deadline, &stop)) == EAI_INPROGRESS) {
		switch (gai_cancel(&l->l_cb)) {
		case EAI_CANCELED:	/* still queued */
			free(l);
			return stop ? RESOLVE_CANCELED : RESOLVE_TIMEOUT;
		case EAI_ALLDONE:	/* just ended */
			rc = gai_error(&l->l_cb);
			break;
		default:		/* running: let it end on its own */
			abandon(l);
			return stop ? RESOLVE_CANCELED : RESOLVE_TIMEOUT;
		}
	}
	if (stop) {
		/* the stop signal is spent: say so, even with an answer */
		if (rc == 0)
			freeaddrinfo(l->l_cb.ar_result);
		free(l);
		return RESOLVE_CANCELED;
	}
	*res = l->l_cb.ar_result;
	free(l);
	return rc;
}
#else
int
resolve_worn(void)
{
	return 0;
}

int
resolve_timed(const char *host, const char *port,
    const struct addrinfo *hints, int64_t deadline, struct addrinfo **res)
{
	(void)deadline;
	return getaddrinfo(host, port, hints, res);
}
#endif
