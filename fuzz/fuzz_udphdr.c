/* fuzz_udphdr.c: the SOCKS5 UDP datagram header (RFC 1928 section 7). */
#include "config.h"

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct s5_udphdr	 u;
	char			 dst[4 * S5_MAXNAME + 8];
	ssize_t			 n;

	n = s5_parse_udphdr(buf, len, &u);
	FUZZ_ASSERT_LEN(n, len);
	if (n > 0)
		socks_addr_str(&u.u_dst, dst, sizeof(dst));
	return 0;
}
