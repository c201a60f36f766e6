/* fuzz_request.c: the SOCKS5 request (RFC 1928 section 4), then its log form. */
#include "config.h"

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct s5_request	 r;
	char			 dst[4 * S5_MAXNAME + 8];
	ssize_t			 n;

	n = s5_parse_request(buf, len, &r);
	FUZZ_ASSERT_LEN(n, len);
	if (n > 0) {
		socks_addr_str(&r.r_dst, dst, sizeof(dst));
		(void)s5_cmd_str(r.r_cmd);
	}
	return 0;
}
