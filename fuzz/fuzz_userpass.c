/* fuzz_userpass.c: the RFC 1929 username/password sub-negotiation. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct s5_userpass	 u;
	ssize_t			 n;

	n = s5_parse_userpass(buf, len, &u);
	FUZZ_ASSERT_LEN(n, len);
	if (n > 0 && (strlen(u.u_user) > u.u_ulen ||
	    strlen(u.u_pass) > u.u_plen))
		abort();
	return 0;
}
