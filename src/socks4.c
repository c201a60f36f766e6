/*
 * socks4.c: SOCKS4 and SOCKS4a requests and replies.  Pure, like socks5.c.
 *
 * +----+----+----+----+----+----+----+----+----+....+----+
 * | VN | CD | DSTPORT |      DSTIP        | USERID  |NULL|
 * +----+----+----+----+----+----+----+----+----+....+----+
 *    1    1      2              4           variable   1
 * 4a: DSTIP 0.0.0.x (x != 0), then the host name and a NUL after USERID.
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "proto.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/*
 * A NUL-terminated field of at most max bytes, its NUL included: its
 * length, P_MORE or P_BAD.  dst (keep bytes) gets as much as fits.
 */
static ssize_t
parse_cstr(const uint8_t *buf, size_t len, char *dst, size_t keep,
    size_t max)
{
	const uint8_t	*nul;
	size_t		 n, k;

	nul = memchr(buf, '\0', len < max ? len : max);
	if (nul == NULL)
		return len < max ? P_MORE : P_BAD;
	n = nul - buf;
	k = n < keep ? n : keep - 1;
	memcpy(dst, buf, k);
	dst[k] = '\0';
	return n + 1;
}

ssize_t
s4_parse_request(const uint8_t *buf, size_t len, struct s4_request *r)
{
	struct sockaddr_in	*sin;
	ssize_t			 u, h;
	int			 is4a;

	if (len < 1)
		return P_MORE;
	if (buf[0] != SOCKS4_VERSION)
		return P_BADVER;
	if (len < 8)
		return P_MORE;
	memset(r, 0, sizeof(*r));
	r->r_cmd = buf[1];
	r->r_dst.sa_port = (uint16_t)(buf[2] << 8 | buf[3]);
	/* the spec sets no limit; Dante takes long ones: keep 255 bytes */
	if ((u = parse_cstr(buf + 8, len - 8, r->r_userid,
	    sizeof(r->r_userid), S4_USERID_MAX + 1)) <= 0) {
		if (u == P_BAD)
			r->r_bad = "USERID longer than " STR(S4_USERID_MAX)
			    " bytes";
		return u;
	}
	is4a = buf[4] == 0 && buf[5] == 0 && buf[6] == 0 && buf[7] != 0;
	if (!is4a) {
		sin = (struct sockaddr_in *)&r->r_dst.sa_addr;
		r->r_dst.sa_atyp = S5_ATYP_IPV4;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, buf + 4, 4);
		sin->sin_port = htons(r->r_dst.sa_port);
		return 8 + u;
	}
	r->r_dst.sa_atyp = S5_ATYP_NAME;
	h = parse_cstr(buf + 8 + u, len - 8 - u, r->r_dst.sa_name,
	    S5_MAXNAME + 1, S5_MAXNAME + 1);
	if (h == P_BAD)
		r->r_bad = "4a host name longer than " STR(S5_MAXNAME) " bytes";
	if (h <= 0)
		return h;
	if (h == 1) {
		r->r_bad = "empty 4a host name";
		return P_BAD;
	}
	addr_unbracket(r->r_dst.sa_name);
	return 8 + u + h;
}

/* SOCKS4 has CONNECT (1) and BIND (2); 3 is no UDP ASSOCIATE here. */
const char *
s4_cmd_str(uint8_t cmd)
{
	if (cmd == S5_CMD_CONNECT || cmd == S5_CMD_BIND)
		return s5_cmd_str(cmd);
	return "unknown";
}

/*
 * +----+----+----+----+----+----+----+----+
 * | VN | CD | DSTPORT |      DSTIP        |
 * VN is 0 in replies; the address is meaningful for BIND only.
 */
size_t
s4_build_reply(uint8_t *buf, size_t len, uint8_t rep,
    const struct sockaddr *bnd)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)bnd;

	if (len < 8)
		return 0;
	memset(buf, 0, 8);
	buf[1] = rep;
	if (bnd != NULL && bnd->sa_family == AF_INET) {
		memcpy(buf + 2, &sin->sin_port, 2);
		memcpy(buf + 4, &sin->sin_addr, 4);
	}
	return 8;
}
