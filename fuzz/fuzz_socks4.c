/* fuzz_socks4.c: the SOCKS4 and SOCKS4a request. */
#include "config.h"

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct s4_request	 r;
	char			 dst[4 * S5_MAXNAME + 8];
	ssize_t			 n;

	n = s4_parse_request(buf, len, &r);
	FUZZ_ASSERT_LEN(n, len);
	if (n > 0)
		socks_addr_str(&r.r_dst, dst, sizeof(dst));
	return 0;
}
