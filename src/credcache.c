/*
 * credcache.c: remembered logins.  The master maps a table shared with
 * the workers it forks (MAP_SHARED|MAP_ANONYMOUS); a slot holds SipHash
 * of (user, password, stored hash) under a key drawn at start, an epoch
 * and an expiry.  Each slot is a seqlock: a writer takes it by moving
 * the sequence to odd with a compare-and-swap (or gives up: it is only a
 * cache), a reader retries nothing and counts a torn read as a miss.
 * Flushing bumps the shared epoch, so every older slot misses.  The
 * stored hash is in the key, so a changed password misses by itself.
 *
 * A slot also says which login a worker is checking right now (a claim
 * with a deadline), so that a burst of clients with the same login,
 * after a start or a reload, costs one crypt(3) and not one each: the
 * others wait for the result, a bounded time, then look again.
 */
#include "config.h"

#include <sys/mman.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "credcache.h"
#include "siphash.h"

struct cc_slot {
	uint32_t	 cs_seq;	/* odd: being written */
	uint32_t	 cs_epoch;
	uint64_t	 cs_tag[2];
	int64_t		 cs_expiry;	/* CLOCK_MONOTONIC seconds */
	uint64_t	 cs_claim;	/* tag[0] | 1 being checked; 0: none */
	int64_t		 cs_claim_end;	/* CLOCK_MONOTONIC ms */
};

struct cc_shared {
	uint32_t	 ch_epoch;
	struct cc_slot	 ch_slot[];
};

struct credcache {
	struct cc_shared *cc_map;
	size_t		 cc_maplen;
	size_t		 cc_nslots;
	int		 cc_ttl;
	uint8_t		 cc_key[SIPHASH_KEYLEN];
};

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

static int64_t
mono_sec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* nslots slots kept ttl seconds; NULL when out of memory or randomness. */
struct credcache *
credcache_new(size_t nslots, int ttl)
{
	struct credcache *cc;

	if (nslots == 0 || (cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	cc->cc_nslots = nslots;
	cc->cc_ttl = ttl;
	cc->cc_maplen = sizeof(struct cc_shared) + nslots *
	    sizeof(struct cc_slot);
	if (getentropy(cc->cc_key, sizeof(cc->cc_key)) == -1) {
		free(cc);
		return NULL;
	}
	cc->cc_map = mmap(NULL, cc->cc_maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cc->cc_map == MAP_FAILED) {
		explicit_bzero(cc, sizeof(*cc));
		free(cc);
		return NULL;
	}
	return cc;
}

void
credcache_free(struct credcache *cc)
{
	if (cc == NULL)
		return;
	munmap(cc->cc_map, cc->cc_maplen);
	explicit_bzero(cc, sizeof(*cc));
	free(cc);
}

void
credcache_flush(struct credcache *cc)
{
	if (cc != NULL)
		__atomic_add_fetch(&cc->cc_map->ch_epoch, 1, __ATOMIC_RELEASE);
}

/* The tag of a login: ULEN user PLEN password hash, hashed with our key. */
static void
cc_tag(const struct credcache *cc, const char *user, const char *pass,
    const char *hash, uint64_t tag[2])
{
	uint8_t	 buf[1 + 255 + 1 + 255 + 1024];
	size_t	 ul = strlen(user), pl = strlen(pass), hl = strlen(hash);
	size_t	 n = 0;

	if (ul > 255 || pl > 255 || hl > 1024) {
		tag[0] = tag[1] = 0;
		return;
	}
	buf[n++] = ul;
	memcpy(buf + n, user, ul);
	n += ul;
	buf[n++] = pl;
	memcpy(buf + n, pass, pl);
	n += pl;
	memcpy(buf + n, hash, hl);
	n += hl;
	siphash128(cc->cc_key, buf, n, tag);
	explicit_bzero(buf, n);
}

/* 1 when this login passed lately and nothing was flushed since. */
int
credcache_lookup(struct credcache *cc, const char *user, const char *pass,
    const char *hash)
{
	struct cc_slot	*sl;
	uint64_t	 tag[2], t0, t1;
	uint32_t	 seq, epoch;
	int64_t		 expiry;

	if (cc == NULL)
		return 0;
	cc_tag(cc, user, pass, hash, tag);
	sl = &cc->cc_map->ch_slot[tag[0] % cc->cc_nslots];
	seq = __atomic_load_n(&sl->cs_seq, __ATOMIC_ACQUIRE);
	if (seq & 1)
		return 0;
	epoch = LOAD(&sl->cs_epoch);
	t0 = LOAD(&sl->cs_tag[0]);
	t1 = LOAD(&sl->cs_tag[1]);
	expiry = LOAD(&sl->cs_expiry);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (LOAD(&sl->cs_seq) != seq)
		return 0;
	if (epoch != __atomic_load_n(&cc->cc_map->ch_epoch, __ATOMIC_ACQUIRE))
		return 0;
	return ((t0 ^ tag[0]) | (t1 ^ tag[1])) == 0 && expiry > mono_sec();
}

void
credcache_store(struct credcache *cc, const char *user, const char *pass,
    const char *hash)
{
	struct cc_slot	*sl;
	uint64_t	 tag[2];
	uint32_t	 seq;

	if (cc == NULL)
		return;
	cc_tag(cc, user, pass, hash, tag);
	sl = &cc->cc_map->ch_slot[tag[0] % cc->cc_nslots];
	seq = LOAD(&sl->cs_seq);
	if ((seq & 1) || !__atomic_compare_exchange_n(&sl->cs_seq, &seq,
	    seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another worker is writing it */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	STORE(&sl->cs_epoch, __atomic_load_n(&cc->cc_map->ch_epoch,
	    __ATOMIC_ACQUIRE));
	STORE(&sl->cs_tag[0], tag[0]);
	STORE(&sl->cs_tag[1], tag[1]);
	STORE(&sl->cs_expiry, mono_sec() + cc->cc_ttl);
	__atomic_store_n(&sl->cs_seq, seq + 2, __ATOMIC_RELEASE);
	credcache_release(cc, user, pass, hash);
}

static struct cc_slot *
cc_claim_slot(struct credcache *cc, const char *user, const char *pass,
    const char *hash, uint64_t *claim)
{
	uint64_t	 tag[2];

	cc_tag(cc, user, pass, hash, tag);
	*claim = tag[0] | 1;
	return &cc->cc_map->ch_slot[tag[0] % cc->cc_nslots];
}

/*
 * Say that this worker checks the login now, for at most ms.  1: done
 * (or no one else is on it); 0: another worker is checking the same
 * login: credcache_wait() for it.
 */
int
credcache_claim(struct credcache *cc, const char *user, const char *pass,
    const char *hash, int ms)
{
	struct cc_slot	*sl;
	uint64_t	 claim, cur;

	if (cc == NULL)
		return 1;
	sl = cc_claim_slot(cc, user, pass, hash, &claim);
	cur = __atomic_load_n(&sl->cs_claim, __ATOMIC_ACQUIRE);
	if (cur != 0 && LOAD(&sl->cs_claim_end) > mono_ms())
		return cur != claim;	/* another login in the slot: go on */
	if (__atomic_compare_exchange_n(&sl->cs_claim, &cur, claim, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		STORE(&sl->cs_claim_end, mono_ms() + ms);
	return 1;
}

/* The check is over, passed or not: no one need wait for it. */
void
credcache_release(struct credcache *cc, const char *user, const char *pass,
    const char *hash)
{
	struct cc_slot	*sl;
	uint64_t	 claim;

	if (cc == NULL)
		return;
	sl = cc_claim_slot(cc, user, pass, hash, &claim);
	__atomic_compare_exchange_n(&sl->cs_claim, &claim, 0, 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/*
 * Wait, at most ms, while another worker checks this login; 1 when it
 * passed meanwhile.  0: it failed, its claim ran out, or ms passed.
 */
int
credcache_wait(struct credcache *cc, const char *user, const char *pass,
    const char *hash, int ms)
{
	struct timespec	 ts = { 0, 2 * 1000 * 1000 };
	struct cc_slot	*sl;
	uint64_t	 claim;
	int64_t		 end = mono_ms() + ms;

	if (cc == NULL)
		return 0;
	sl = cc_claim_slot(cc, user, pass, hash, &claim);
	while (mono_ms() < end &&
	    __atomic_load_n(&sl->cs_claim, __ATOMIC_ACQUIRE) == claim &&
	    LOAD(&sl->cs_claim_end) > mono_ms())
		nanosleep(&ts, NULL);
	return credcache_lookup(cc, user, pass, hash);
}
