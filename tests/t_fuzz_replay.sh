#!/bin/sh
# t_fuzz_replay.sh: run every fuzz corpus (fuzz/corpus/NAME) through its
# harness with the plain driver (fuzz/replay_NAME), so each build re-runs
# the inputs libFuzzer found, under whatever sanitizers the build has.
top_builddir=${TOP_BUILDDIR:-.}
top_srcdir=${TOP_SRCDIR:-.}
fail=0
for name in greeting request userpass udphdr socks4 conf passwd rules; do
	bin="$top_builddir/fuzz/replay_$name"
	dir="$top_srcdir/fuzz/corpus/$name"
	if "$bin" "$dir"; then
		echo "ok - corpus $name replays without a crash"
	else
		echo "FAIL - corpus $name: $bin exited with status $?"
		fail=1
	fi
done
exit $fail
