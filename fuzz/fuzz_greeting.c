/* fuzz_greeting.c: the SOCKS5 greeting (RFC 1928 section 3). */
#include "config.h"

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct s5_greeting	 g;
	ssize_t			 n;

	n = s5_parse_greeting(buf, len, &g);
	FUZZ_ASSERT_LEN(n, len);
	if (n > 0)
		(void)s5_greeting_has(&g, S5_METHOD_PASSWORD);
	return 0;
}
