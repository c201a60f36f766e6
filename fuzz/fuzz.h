/*
 * fuzz.h: what every harness in fuzz/ shares: the libFuzzer entry point,
 * which fuzz/replay.c also calls, and a check that a parser's result
 * stays within the bytes it was given.
 */
#ifndef SOCKD_FUZZ_H
#define SOCKD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A parser may consume at most what it was given; anything else is a bug. */
#define FUZZ_ASSERT_LEN(n, len) do {					\
	if ((n) > 0 && (size_t)(n) > (len))				\
		abort();						\
} while (0)

#endif
