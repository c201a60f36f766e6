/*
 * client.c: "sockbench client": read the options, split the connections
 * over the threads, run one timed scenario and print one result line
 * (idle and burst runs are in idle.c and burst.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const struct {
	const char	*name;
	enum bench_mode	 mode;
} modes[] = {
	{ "sessions", MODE_SESSIONS },
	{ "up", MODE_UP },
	{ "down", MODE_DOWN },
	{ "idle", MODE_IDLE },
	{ "burst", MODE_BURST },
};

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "proxy", required_argument, NULL, 'x' },
	{ "target", required_argument, NULL, 't' },
	{ "name", required_argument, NULL, 'n' },
	{ "user", required_argument, NULL, 'u' },
	{ "pass", required_argument, NULL, 'p' },
	{ "threads", required_argument, NULL, 'T' },
	{ "conc", required_argument, NULL, 'c' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "duration", required_argument, NULL, 'd' },
	{ "timeout", required_argument, NULL, 'o' },
	{ "max-sessions", required_argument, NULL, 'M' },
	{ "hold", required_argument, NULL, 'H' },
	{ "sources", required_argument, NULL, 'S' },
	{ "spread", required_argument, NULL, 's' },
	{ "pause", required_argument, NULL, 'P' },
	{ "bursts", required_argument, NULL, 'B' },
	{ "warm-bursts", required_argument, NULL, 'W' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(void)
{
	fprintf(stderr, "usage: sockbench client "
	    "--mode sessions|up|down|idle|burst --target 127.0.0.1:PORT\n"
	    "\t[--proxy 127.0.0.1:PORT] [--name HOST] [--user U --pass P]\n"
	    "\t[--threads N] [--conc N] [--warmup S] [--duration S]\n"
	    "\t[--timeout S] [--max-sessions N] [--hold S] [--sources N]\n"
	    "\t[--spread S] [--pause S] [--bursts N] [--warm-bursts N]\n"
	    "--name: CONNECT by that name (to --target's port), not by "
	    "address\n"
	    "idle reads \"open N\" and \"close\" on stdin; --duration bounds "
	    "each open\n"
	    "burst: --conc clients (256) over --spread (0.25 s), each held "
	    "--hold (1 s);\n\t--bursts (3) runs --pause (1 s) apart, the first "
	    "--warm-bursts (1) not counted\n");
	exit(2);
}

static void
parse_mode(struct bench_opts *o, const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, s) == 0) {
			o->o_mode = modes[i].mode;
			return;
		}
	usage();
}

static double
num(const char *s, double min, double max)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (*end != '\0' || v < min || v > max)
		usage();
	return v;
}

static void
parse_addr(struct sockaddr_in *sin, const char *arg)
{
	if (parse_inet(arg, sin) == -1)
		usage();
}

static void
parse_opt(struct bench_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'm':
		parse_mode(o, arg);
		break;
	case 'x':
		parse_addr(&o->o_proxy, arg);
		break;
	case 't':
		parse_addr(&o->o_target, arg);
		break;
	case 'n':
		if (strlen(arg) == 0 || strlen(arg) > 255)
			usage();
		o->o_name = arg;
		break;
	case 'u':
		o->o_user = arg;
		break;
	case 'p':
		o->o_pass = arg;
		break;
	case 'T':
		o->o_threads = (int)num(arg, 1, BENCH_MAXTHREADS);
		break;
	case 'c':
		o->o_conc = (int)num(arg, 1, BENCH_MAXCONNS);
		break;
	case 'w':
		o->o_warmup = num(arg, 0, 600);
		break;
	case 'd':
		o->o_duration = num(arg, 0.01, 600);
		break;
	case 'o':
		o->o_timeout = num(arg, 0.01, 600);
		break;
	case 'M':
		o->o_maxsessions = (uint64_t)num(arg, 1, 1e12);
		break;
	case 'H':
		o->o_hold = num(arg, 0.01, 3600);
		break;
	case 'S':
		o->o_sources = (int)num(arg, 1, 254);
		break;
	case 's':
		o->o_spread = num(arg, 0, 60);
		break;
	case 'P':
		o->o_pause = num(arg, 0, 60);
		break;
	case 'B':
		o->o_bursts = (int)num(arg, 1, 100);
		break;
	case 'W':
		o->o_warm_bursts = (int)num(arg, 0, 99);
		break;
	default:
		usage();
	}
}

static void
parse_args(struct bench_opts *o, int argc, char **argv)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->o_mode = MODE_SESSIONS;
	o->o_threads = ncpu();
	o->o_warmup = 0.5;
	o->o_duration = 2;
	o->o_timeout = 5;
	o->o_maxsessions = 100000000;
	o->o_sources = 1;
	o->o_spread = 0.25;
	o->o_pause = 1;
	o->o_bursts = 3;
	o->o_warm_bursts = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		parse_opt(o, ch, optarg);
	if (optind != argc || o->o_target.sin_port == 0 ||
	    (o->o_user == NULL) != (o->o_pass == NULL) ||
	    o->o_warm_bursts >= o->o_bursts)
		usage();
	if (o->o_conc == 0)
		o->o_conc = o->o_mode == MODE_BURST ? 256 : 1;
	if (o->o_hold == 0)
		o->o_hold = o->o_mode == MODE_BURST ? 1 : 300;
	if (o->o_threads > o->o_conc)
		o->o_threads = o->o_conc;
}

static void
report(const struct bench_opts *o, struct bench_stats *st, double cpu,
    double wall)
{
	const char	*name = modes[o->o_mode].name;
	uint32_t	 p50 = stats_pct(st, 0.50), p99 = stats_pct(st, 0.99);

	printf("result mode=%s conc=%d threads=%d sessions=%llu rate=%.1f "
	    "p50_us=%u p99_us=%u samples=%zu bytes=%llu gbps=%.4f "
	    "all_sessions=%llu all_bytes=%llu "
	    "err_connect=%llu err_socks=%llu err_io=%llu err_timeout=%llu "
	    "cpu_s=%.3f wall_s=%.3f cpu_pct=%.1f\n", name, o->o_conc,
	    o->o_threads, (unsigned long long)st->st_sessions,
	    st->st_sessions / o->o_duration, p50, p99, st->st_nlat,
	    (unsigned long long)st->st_bytes, st->st_bytes / o->o_duration / 1e9,
	    (unsigned long long)st->st_all_sessions,
	    (unsigned long long)st->st_all_bytes,
	    (unsigned long long)st->st_err_connect,
	    (unsigned long long)st->st_err_socks,
	    (unsigned long long)st->st_err_io,
	    (unsigned long long)st->st_err_timeout, cpu, wall,
	    wall > 0 ? 100 * cpu / wall : 0);
}

/* Give thread i its share of total, as evenly as it divides. */
static int
share(int total, int n, int i)
{
	return total / n + (i < total % n);
}

static int
run_timed(const struct bench_opts *o)
{
	struct worker		 ws[BENCH_MAXTHREADS];
	struct bench_stats	 total;
	double			 cpu0 = cpu_seconds();
	int64_t			 t0 = mono_ns();
	int			 i;

	memset(ws, 0, sizeof(ws));
	memset(&total, 0, sizeof(total));
	for (i = 0; i < o->o_threads; i++)
		ws[i].w_max = ws[i].w_target = share(o->o_conc, o->o_threads, i);
	if (loop_start(o, ws, o->o_threads,
	    (int64_t)((o->o_warmup + o->o_duration) * 1e9)) == -1)
		return 1;
	loop_join(ws, o->o_threads, &total);
	report(o, &total, cpu_seconds() - cpu0, (mono_ns() - t0) / 1e9);
	stats_free(&total);
	return 0;
}

int
client_main(int argc, char **argv)
{
	struct bench_opts	 o;

	parse_args(&o, argc, argv);
	if (o.o_mode == MODE_IDLE)
		return idle_run(&o, o.o_threads);
	if (o.o_mode == MODE_BURST)
		return burst_run(&o);
	return run_timed(&o);
}
