/*
 * main.c: sockbench, the load generator of sockd's benchmark.  One program,
 * three roles: "client" drives a SOCKS5 proxy (or the targets directly)
 * and prints one result line; "targets" runs the echo, sink and source
 * servers; "floor" is the least a prefork SOCKS5 server can do, a column
 * to read the proxies against.
 * It talks to 127.0.0.0/8 only.  tests/bench/run-bench drives all three.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const struct {
	const char	*name;
	int		(*main)(int, char **);
} roles[] = {
	{ "client", client_main },
	{ "targets", targets_main },
	{ "floor", floor_main },
};

int
main(int argc, char **argv)
{
	size_t	 i;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2)
		for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (strcmp(argv[1], roles[i].name) == 0)
				return roles[i].main(argc - 1, argv + 1);
	fprintf(stderr, "usage: sockbench client|targets|floor [options]\n");
	return 2;
}
