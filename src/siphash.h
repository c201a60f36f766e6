/* siphash.h: SipHash-2-4 with a 128-bit output, a keyed fast hash. */
#ifndef SOCKD_SIPHASH_H
#define SOCKD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEYLEN	16

void	siphash128(const uint8_t key[SIPHASH_KEYLEN], const void *, size_t,
	    uint64_t out[2]);

#endif
