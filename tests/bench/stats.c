/*
 * stats.c: clocks and counters: monotonic time, the process's own CPU
 * time, time-to-reply samples and their percentiles.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define LAT_MAXSAMPLES	(8 * 1024 * 1024)	/* per thread, 32 MB */

int64_t
mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* User plus system time of this process, all threads. */
double
cpu_seconds(void)
{
	struct rusage	 ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Keep one sample in microseconds; past the cap, samples are dropped. */
void
stats_add_lat(struct bench_stats *st, int64_t ns)
{
	uint32_t	*n;
	size_t		 cap;
	int64_t		 us = ns / 1000;

	if (st->st_nlat == st->st_latcap) {
		if (st->st_latcap >= LAT_MAXSAMPLES)
			return;
		cap = st->st_latcap == 0 ? 4096 : st->st_latcap * 2;
		if ((n = realloc(st->st_lat, cap * sizeof(*n))) == NULL)
			return;
		st->st_lat = n;
		st->st_latcap = cap;
	}
	st->st_lat[st->st_nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void
merge_lat(struct bench_stats *to, const struct bench_stats *from)
{
	uint32_t	*n;
	size_t		 cap = to->st_nlat + from->st_nlat;

	if (from->st_nlat == 0)
		return;
	if (cap > to->st_latcap) {
		if ((n = realloc(to->st_lat, cap * sizeof(*n))) == NULL)
			return;
		to->st_lat = n;
		to->st_latcap = cap;
	}
	memcpy(to->st_lat + to->st_nlat, from->st_lat,
	    from->st_nlat * sizeof(*n));
	to->st_nlat += from->st_nlat;
}

/* Append n samples, already in microseconds, to st. */
void
stats_add_us(struct bench_stats *st, const uint32_t *us, size_t n)
{
	struct bench_stats	 from;

	memset(&from, 0, sizeof(from));
	from.st_lat = (uint32_t *)us;
	from.st_nlat = n;
	merge_lat(st, &from);
}

void
stats_merge(struct bench_stats *to, const struct bench_stats *from)
{
	to->st_sessions += from->st_sessions;
	to->st_bytes += from->st_bytes;
	to->st_all_sessions += from->st_all_sessions;
	to->st_all_bytes += from->st_all_bytes;
	to->st_opened += from->st_opened;
	to->st_dropped += from->st_dropped;
	to->st_err_connect += from->st_err_connect;
	to->st_err_socks += from->st_err_socks;
	to->st_err_io += from->st_err_io;
	to->st_err_timeout += from->st_err_timeout;
	merge_lat(to, from);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, p in (0, 1]; sorts the samples in place. */
uint32_t
stats_pct(struct bench_stats *st, double p)
{
	size_t	 rank;

	if (st->st_nlat == 0)
		return 0;
	qsort(st->st_lat, st->st_nlat, sizeof(*st->st_lat), cmp_u32);
	rank = (size_t)(p * st->st_nlat + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > st->st_nlat)
		rank = st->st_nlat;
	return st->st_lat[rank - 1];
}

void
stats_free(struct bench_stats *st)
{
	free(st->st_lat);
	st->st_lat = NULL;
	st->st_nlat = st->st_latcap = 0;
}
