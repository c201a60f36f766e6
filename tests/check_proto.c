/*
 * check_proto.c: the SOCKS parsers and builders on byte vectors, with
 * the RFC's dissection beside each.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "connect.h"
#include "proto.h"

struct vec {
	const char	*name;
	const uint8_t	*bytes;
	size_t		 len;
	ssize_t		 want;	/* full-length result */
};

#define V(name, want, ...) { name, (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ }), want }

static const struct vec greetings[] = {
	/* VER NMETHODS METHODS */
	V("no auth", 3, 0x05, 0x01, 0x00),
	V("none and password", 4, 0x05, 0x02, 0x00, 0x02),
	V("gssapi only", 3, 0x05, 0x01, 0x01),
	V("socks4 byte", P_BADVER, 0x04, 0x01, 0x00),
	V("http", P_BADVER, 'G', 'E', 'T'),
	V("zero methods", P_BAD, 0x05, 0x00),
};

static const struct vec requests[] = {
	/* VER CMD RSV ATYP DST.ADDR DST.PORT */
	V("connect ipv4", 10, 0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0x00, 0x50),
	V("connect name", 16, 0x05, 0x01, 0x00, 0x03, 9, 'l', 'o', 'c', 'a',
	    'l', 'h', 'o', 's', 't', 0x01, 0xbb),
	V("connect ipv6", 22, 0x05, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90),
	V("bind", 10, 0x05, 0x02, 0x00, 0x01, 10, 0, 0, 1, 0x00, 0x15),
	V("udp", 10, 0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x00),
	V("unknown cmd parses", 10, 0x05, 0x09, 0x00, 0x01, 1, 2, 3, 4, 0, 1),
	V("bad version", P_BADVER, 0x04, 0x01, 0x00, 0x01, 1, 2, 3, 4, 0, 1),
	V("bad atyp", P_BADATYP, 0x05, 0x01, 0x00, 0x02, 1, 2, 3, 4, 0, 1),
	V("empty name", P_BAD, 0x05, 0x01, 0x00, 0x03, 0, 0x00, 0x50),
	V("NUL in name", P_BAD, 0x05, 0x01, 0x00, 0x03, 3, 'a', 0, 'b', 0, 80),
};

static const struct vec userpass[] = {
	/* VER ULEN UNAME PLEN PASSWD */
	V("alice/secret", 14, 0x01, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e',
	    'c', 'r', 'e', 't'),
	V("version 2", P_BADVER, 0x02, 1, 'a', 1, 'b'),
	V("empty user", P_BAD, 0x01, 0, 1, 'b'),
	V("empty password", P_BAD, 0x01, 1, 'a', 0),
	V("empty both", P_BAD, 0x01, 0, 0),
	V("version 5", P_BADVER, 0x05, 1, 'a', 1, 'b'),
	V("version 0", P_BADVER, 0x00, 1, 'a', 1, 'b'),
	V("one byte each", 5, 0x01, 1, 'u', 1, 'p'),
	V("binary password", 7, 0x01, 1, 'u', 3, 0x00, 0xff, ':'),
};

/* Method selection: our list in our order, what the client offers. */
static const struct {
	const char	*name;
	uint8_t		 ours[2];
	size_t		 nours;
	uint8_t		 offer[4];
	size_t		 noffer;
	uint8_t		 want;
} choices[] = {
	{ "none/none", { 0x00 }, 1, { 0x00 }, 1, 0x00 },
	{ "password/none", { 0x02 }, 1, { 0x00 }, 1, 0xff },
	{ "none/password", { 0x00 }, 1, { 0x02 }, 1, 0xff },
	{ "password/both", { 0x02 }, 1, { 0x00, 0x02 }, 2, 0x02 },
	{ "ours prefer password", { 0x02, 0x00 }, 2, { 0x00, 0x02 }, 2, 0x02 },
	{ "ours prefer none", { 0x00, 0x02 }, 2, { 0x02, 0x00 }, 2, 0x00 },
	{ "both/password only", { 0x00, 0x02 }, 2, { 0x02 }, 1, 0x02 },
	{ "both/gssapi only", { 0x00, 0x02 }, 2, { 0x01 }, 1, 0xff },
	{ "client offers 0xff", { 0x00 }, 1, { 0xff, 0x03 }, 2, 0xff },
};

static const struct vec socks4[] = {
	/* VN CD DSTPORT DSTIP USERID NULL [HOST NULL] */
	V("socks4 connect", 9, 0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1, 0),
	V("socks4 userid", 12, 0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1, 'b',
	    'o', 'b', 0),
	V("socks4a name", 14, 0x04, 0x01, 0x00, 0x50, 0, 0, 0, 1, 0, 'h',
	    'o', 's', 't', 0),
	V("socks4a empty name", P_BAD, 0x04, 0x01, 0x00, 0x50, 0, 0, 0, 1, 0,
	    0),
	V("socks5 byte", P_BADVER, 0x05, 0x01, 0x00, 0x50, 127, 0, 0, 1, 0),
};

static ssize_t
p_greeting(const uint8_t *b, size_t l)
{
	struct s5_greeting g;

	return s5_parse_greeting(b, l, &g);
}

static ssize_t
p_request(const uint8_t *b, size_t l)
{
	struct s5_request r;

	return s5_parse_request(b, l, &r);
}

static ssize_t
p_userpass(const uint8_t *b, size_t l)
{
	struct s5_userpass u;

	return s5_parse_userpass(b, l, &u);
}

static ssize_t
p_socks4(const uint8_t *b, size_t l)
{
	struct s4_request r;

	return s4_parse_request(b, l, &r);
}

/*
 * Whole message: the expected result.  Every proper prefix: P_MORE, or
 * the same error once the bad byte is in.  Each copy is exactly sized on
 * the heap so that a read past the end is caught by ASan.
 */
static void
run_vec(const struct vec *v, ssize_t (*parse)(const uint8_t *, size_t))
{
	size_t	 i;
	ssize_t	 n;
	uint8_t	*copy;

	for (i = 0; i <= v->len; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, v->bytes, i);
		n = parse(copy, i);
		free(copy);
		if (i == v->len)
			ck_assert_msg(n == v->want, "%s: got %zd want %zd",
			    v->name, n, v->want);
		else
			ck_assert_msg(n == P_MORE || (v->want < 0 && n == v->want),
			    "%s: prefix %zu gave %zd", v->name, i, n);
	}
}

START_TEST(test_greetings)
{
	run_vec(&greetings[_i], p_greeting);
}
END_TEST

START_TEST(test_requests)
{
	run_vec(&requests[_i], p_request);
}
END_TEST

START_TEST(test_userpass)
{
	run_vec(&userpass[_i], p_userpass);
}
END_TEST

START_TEST(test_choose_method)
{
	struct s5_greeting g;

	g.g_nmethods = choices[_i].noffer;
	memcpy(g.g_methods, choices[_i].offer, choices[_i].noffer);
	ck_assert_msg(s5_choose_method(choices[_i].ours, choices[_i].nours,
	    &g) == choices[_i].want, "%s", choices[_i].name);
}
END_TEST

/* ULEN 255 and PLEN 255, the largest; the strings come out whole. */
START_TEST(test_userpass_255)
{
	uint8_t		 b[3 + 255 + 255];
	struct s5_userpass u;

	b[0] = 0x01;
	b[1] = 255;
	memset(b + 2, 'u', 255);
	b[257] = 255;
	memset(b + 258, 'p', 255);
	ck_assert_int_eq(s5_parse_userpass(b, sizeof(b), &u), sizeof(b));
	ck_assert_uint_eq(strlen(u.u_user), 255);
	ck_assert_uint_eq(strlen(u.u_pass), 255);
	ck_assert_int_eq(u.u_ulen, 255);
	ck_assert_int_eq(u.u_plen, 255);
	ck_assert_int_eq(s5_parse_userpass(b, sizeof(b) - 1, &u), P_MORE);
}
END_TEST

/* An empty password is P_BAD, the name kept for the log; none empty. */
START_TEST(test_userpass_empty)
{
	const uint8_t	 nopass[] = { 0x01, 5, 'a', 'l', 'i', 'c', 'e', 0 };
	const uint8_t	 noname[] = { 0x01, 0, 3, 'p', 'w', 'd' };
	struct s5_userpass u;

	memset(&u, 'x', sizeof(u));
	ck_assert_int_eq(s5_parse_userpass(nopass, sizeof(nopass), &u), P_BAD);
	ck_assert_str_eq(u.u_user, "alice");
	ck_assert_int_eq(u.u_ulen, 5);
	ck_assert_str_eq(u.u_pass, "");
	memset(&u, 'x', sizeof(u));
	ck_assert_int_eq(s5_parse_userpass(noname, sizeof(noname), &u), P_BAD);
	ck_assert_str_eq(u.u_user, "");
	ck_assert_str_eq(u.u_pass, "");
}
END_TEST

/*
 * A NUL inside UNAME or PASSWD parses (RFC 1929 allows any byte), and
 * ULEN and PLEN say how long each really is: auth.c refuses the login
 * where strlen() would say less.
 */
START_TEST(test_userpass_nul)
{
	const uint8_t	 b[] = { 0x01, 6, 'a', 'l', 'i', 'c', 'e', 0, 6,
	    's', 'e', 'c', 0, 'x', 'y' };
	struct s5_userpass u;

	ck_assert_int_eq(s5_parse_userpass(b, sizeof(b), &u), sizeof(b));
	ck_assert_int_eq(u.u_ulen, 6);
	ck_assert_uint_eq(strlen(u.u_user), 5);
	ck_assert_int_eq(u.u_plen, 6);
	ck_assert_uint_eq(strlen(u.u_pass), 3);
	ck_assert_int_eq(memcmp(u.u_pass, "sec\0xy", 7), 0);
}
END_TEST

START_TEST(test_socks4)
{
	run_vec(&socks4[_i], p_socks4);
}
END_TEST

/*
 * The USERID comes out raw, as sent (escaping is the logger's job): its
 * first 255 bytes of up to 1024; more than that without a NUL is
 * malformed.
 */
START_TEST(test_socks4_userid)
{
	const uint8_t	 b[] = { 0x04, 0x01, 0x5d, 0xc1, 127, 0, 0, 1, 'a',
	    '\n', 'b', 0x1b, '[', '3', '1', 'm', '\\', 'x', '"', '%', 'n', 0 };
	uint8_t		 big[8 + S4_USERID_MAX + 2];
	struct s4_request r;

	ck_assert_int_eq(s4_parse_request(b, sizeof(b), &r), sizeof(b));
	ck_assert_str_eq(r.r_userid, "a\nb\x1b[31m\\x\"%n");
	ck_assert_int_eq(r.r_dst.sa_port, 24001);
	memcpy(big, b, 8);
	memset(big + 8, 0x01, 255);
	big[8 + 255] = 0;
	ck_assert_int_eq(s4_parse_request(big, 8 + 256, &r), 8 + 256);
	ck_assert_uint_eq(strlen(r.r_userid), 255);
	memset(big + 8, 0x01, S4_USERID_MAX);
	big[8 + S4_USERID_MAX] = 0;
	ck_assert_int_eq(s4_parse_request(big, 8 + S4_USERID_MAX + 1, &r),
	    8 + S4_USERID_MAX + 1);
	ck_assert_uint_eq(strlen(r.r_userid), 255);
	big[8 + S4_USERID_MAX] = 0x01;
	big[8 + S4_USERID_MAX + 1] = 0;
	ck_assert_int_eq(s4_parse_request(big, sizeof(big), &r), P_BAD);
	ck_assert_str_eq(r.r_bad, "USERID longer than 1024 bytes");
	ck_assert_int_eq(s4_parse_request(big, 8 + 300, &r), P_MORE);
}
END_TEST

/* A 4a name: empty, or with no NUL within 256 bytes, is P_BAD and says so. */
START_TEST(test_socks4a_bad_name)
{
	uint8_t		 b[8 + 2 + 300];
	struct s4_request r;

	memcpy(b, "\x04\x01\x00\x50\x00\x00\x00\x01" "u\0", 10);
	b[10] = 0;
	ck_assert_int_eq(s4_parse_request(b, 11, &r), P_BAD);
	ck_assert_str_eq(r.r_bad, "empty 4a host name");
	memset(b + 10, 'a', 300);
	ck_assert_int_eq(s4_parse_request(b, 10 + 255, &r), P_MORE);
	ck_assert_int_eq(s4_parse_request(b, 10 + 300, &r), P_BAD);
	ck_assert_str_eq(r.r_bad, "4a host name longer than 255 bytes");
	b[10 + 255] = 0;
	ck_assert_int_eq(s4_parse_request(b, 10 + 256, &r), 10 + 256);
	ck_assert_uint_eq(strlen(r.r_dst.sa_name), 255);
}
END_TEST

/*
 * Command words for the log: SOCKS5 has 1-3, SOCKS4 1-2; every other
 * byte (0x00 too) is "unknown" in both.
 */
START_TEST(test_cmd_str)
{
	ck_assert_str_eq(s5_cmd_str(0x01), "connect");
	ck_assert_str_eq(s5_cmd_str(0x02), "bind");
	ck_assert_str_eq(s5_cmd_str(0x03), "udpassociate");
	ck_assert_str_eq(s5_cmd_str(0x00), "unknown");
	ck_assert_str_eq(s5_cmd_str(0x04), "unknown");
	ck_assert_str_eq(s5_cmd_str(0xff), "unknown");
	ck_assert_str_eq(s4_cmd_str(0x01), "connect");
	ck_assert_str_eq(s4_cmd_str(0x02), "bind");
	ck_assert_str_eq(s4_cmd_str(0x03), "unknown");
	ck_assert_str_eq(s4_cmd_str(0x00), "unknown");
	ck_assert_str_eq(s4_cmd_str(0xff), "unknown");
}
END_TEST

START_TEST(test_request_fields)
{
	const uint8_t	 b[] = { 0x05, 0x01, 0x00, 0x03, 9, 'l', 'o', 'c',
	    'a', 'l', 'h', 'o', 's', 't', 0x01, 0xbb, 'x', 'y' };
	struct s5_request r;

	/* trailing (pipelined) bytes are not consumed */
	ck_assert_int_eq(s5_parse_request(b, sizeof(b), &r), 16);
	ck_assert_int_eq(r.r_cmd, S5_CMD_CONNECT);
	ck_assert_int_eq(r.r_dst.sa_atyp, S5_ATYP_NAME);
	ck_assert_str_eq(r.r_dst.sa_name, "localhost");
	ck_assert_int_eq(r.r_dst.sa_port, 443);
}
END_TEST

START_TEST(test_name_255)
{
	uint8_t			 b[4 + 1 + 255 + 2];
	struct s5_request	 r;

	memcpy(b, "\x05\x01\x00\x03", 4);
	b[4] = 255;
	memset(b + 5, 'a', 255);
	b[260] = 0;
	b[261] = 80;
	ck_assert_int_eq(s5_parse_request(b, sizeof(b), &r), sizeof(b));
	ck_assert_uint_eq(strlen(r.r_dst.sa_name), 255);
	ck_assert_int_eq(s5_parse_request(b, sizeof(b) - 1, &r), P_MORE);
}
END_TEST

START_TEST(test_ipv6_fields)
{
	const uint8_t	 b[] = { 0x05, 0x01, 0x00, 0x04, 0x20, 0x01, 0x0d,
	    0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90 };
	struct s5_request r;
	char		 s[ADDR_STRLEN];

	ck_assert_int_eq(s5_parse_request(b, sizeof(b), &r), sizeof(b));
	addr_ntop((struct sockaddr *)&r.r_dst.sa_addr, s, sizeof(s));
	ck_assert_str_eq(s, "[2001:db8::1]:8080");
}
END_TEST

START_TEST(test_reply_ipv4)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	uint8_t			 buf[S5_REPLY_MAX];
	const uint8_t		 want[] = { 0x05, 0x00, 0x00, 0x01, 10, 1, 2,
	    3, 0x04, 0x38 };

	ck_assert_int_eq(addr_parse_hostport("10.1.2.3:1080", &ss, &sl), 0);
	ck_assert_uint_eq(s5_build_reply(buf, sizeof(buf), 0,
	    (struct sockaddr *)&ss), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(test_reply_ipv6_and_none)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	uint8_t			 buf[S5_REPLY_MAX];
	const uint8_t		 none[] = { 0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0,
	    0, 0 };

	ck_assert_int_eq(addr_parse_hostport("[::1]:80", &ss, &sl), 0);
	ck_assert_uint_eq(s5_build_reply(buf, sizeof(buf), 0,
	    (struct sockaddr *)&ss), 22);
	ck_assert_int_eq(buf[3], S5_ATYP_IPV6);
	ck_assert_int_eq(buf[19], 1);
	ck_assert_int_eq(buf[21], 80);
	ck_assert_uint_eq(s5_build_reply(buf, sizeof(buf), 5, NULL), 10);
	ck_assert_mem_eq(buf, none, sizeof(none));
	ck_assert_uint_eq(s5_build_reply(buf, 5, 0, NULL), 0);
}
END_TEST

START_TEST(test_socks4_reply)
{
	uint8_t	 buf[8];
	const uint8_t want[] = { 0, 91, 0, 0, 0, 0, 0, 0 };

	ck_assert_uint_eq(s4_build_reply(buf, sizeof(buf), S4_REP_FAIL, NULL),
	    8);
	ck_assert_mem_eq(buf, want, 8);
}
END_TEST

START_TEST(test_udphdr)
{
	const uint8_t	 b[] = { 0, 0, 0, 0x01, 127, 0, 0, 1, 0, 53, 'q' };
	const uint8_t	 frag[] = { 0, 0, 1, 0x01, 127, 0, 0, 1, 0, 53 };
	const uint8_t	 rsv[] = { 0, 1, 0, 0x01, 127, 0, 0, 1, 0, 53 };
	struct s5_udphdr u;
	uint8_t		 out[S5_UDPHDR_MAX];

	ck_assert_int_eq(s5_parse_udphdr(b, sizeof(b), &u), 10);
	ck_assert_int_eq(u.u_frag, 0);
	ck_assert_int_eq(u.u_dst.sa_port, 53);
	ck_assert_int_eq(s5_parse_udphdr(frag, sizeof(frag), &u), 10);
	ck_assert_int_eq(u.u_frag, 1);
	ck_assert_int_eq(s5_parse_udphdr(rsv, sizeof(rsv), &u), P_BAD);
	ck_assert_uint_eq(s5_build_udphdr(out, sizeof(out),
	    (struct sockaddr *)&u.u_dst.sa_addr), 10);
	ck_assert_mem_eq(out, b, 10);
	ck_assert_int_eq(s5_parse_udphdr(b, 9, &u), P_BAD);
}
END_TEST

struct cidr_case {
	const char	*cidr;
	const char	*addr;
	int		 match;
};

static const struct cidr_case cidrs[] = {
	{ "10.0.0.0/8", "10.255.1.2", 1 },
	{ "10.0.0.0/8", "11.0.0.1", 0 },
	{ "192.168.1.0/25", "192.168.1.127", 1 },
	{ "192.168.1.0/25", "192.168.1.128", 0 },
	{ "127.0.0.1", "127.0.0.1", 1 },
	{ "127.0.0.1", "127.0.0.2", 0 },
	{ "0/0", "1.2.3.4", 1 },
	{ "0/0", "2001:db8::1", 1 },
	{ "10.0.0.0/8", "::ffff:10.1.1.1", 1 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "::1", "::1", 1 },
	{ "::1", "127.0.0.1", 0 },
	/* a family's zero block is that family only, as in Dante */
	{ "0.0.0.0/0", "::1", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "::ffff:203.0.113.9", 1 },
	{ "::/0", "2001:db8::1", 1 },
	{ "::/0", "127.0.0.1", 0 },
	{ "any", "::1", 1 },
	/* an IPv4-mapped block is the IPv4 block it maps */
	{ "::ffff:127.0.0.0/104", "127.9.9.9", 1 },
	{ "::ffff:127.0.0.0/104", "::ffff:127.0.0.1", 1 },
	{ "::ffff:127.0.0.0/104", "128.0.0.1", 0 },
	{ "::ffff:10.1.0.0/112", "10.1.255.1", 1 },
};

START_TEST(test_cidr)
{
	const struct cidr_case	*c = &cidrs[_i];
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct cidr		 cd;

	ck_assert_int_eq(cidr_parse(c->cidr, &cd), 0);
	ck_assert_int_eq(addr_parse_ip(c->addr, &ss, &sl), 0);
	ck_assert_msg(cidr_match(&cd, (struct sockaddr *)&ss) == c->match,
	    "%s in %s", c->addr, c->cidr);
}
END_TEST

START_TEST(test_cidr_bad)
{
	static const char *bad[] = { "10.0.0.0/33", "10.0.0/8", "::/129",
	    "x", "10.0.0.0/", "10.0.0.0/-1", "", "::ffff:0.0.0.0/95",
	    "::ffff:10.0.0.0/129" };
	struct cidr	 cd;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cidr_parse(bad[i], &cd) == -1, "%s", bad[i]);
}
END_TEST

/* Host bits past the prefix: cleared, and said to have been set. */
START_TEST(test_cidr_host_bits)
{
	static const struct {
		const char	*in, *out;
		int		 set;
	} t[] = {
		{ "10.0.0.1/8", "10.0.0.0/8", 1 },
		{ "10.0.0.0/8", "10.0.0.0/8", 0 },
		{ "192.168.1.129/25", "192.168.1.128/25", 1 },
		{ "192.168.1.128/25", "192.168.1.128/25", 0 },
		{ "10.1.2.3", "10.1.2.3/32", 0 },
		{ "10.1.2.3/0", "0.0.0.0/0", 1 },
		{ "2001:db8::1/32", "2001:db8::/32", 1 },
		{ "2001:db8:8000::/33", "2001:db8:8000::/33", 0 },
		{ "::1", "::1/128", 0 },
		{ "0/0", "0/0", 0 },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8", 0 },
		{ "::ffff:10.0.0.1/104", "10.0.0.0/8", 1 },
	};
	struct cidr	 c;
	char		 buf[64];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(cidr_parse(t[i].in, &c), 0);
		ck_assert_msg(cidr_clear_host(&c) == t[i].set, "%s", t[i].in);
		ck_assert_str_eq(cidr_ntop(&c, buf, sizeof(buf)), t[i].out);
	}
}
END_TEST

/* Destinations that are no one host, and the hosts next to them. */
/* socks_addr_str(): a name that looks like an IPv6 address is bracketed. */
START_TEST(test_addr_str)
{
	static const struct { const char *name, *want; } c[] = {
		{ "example.org", "example.org:80" },
		{ "::1", "[::1]:80" },
		{ "[::1]", "[[::1]]:80" },
		{ "a\nb", "a\\x0ab:80" },
	};
	struct socks_addr	 a;
	char			 buf[64];
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.sa_atyp = S5_ATYP_NAME;
		a.sa_port = 80;
		strcpy(a.sa_name, c[i].name);
		ck_assert_str_eq(socks_addr_str(&a, buf, sizeof(buf)),
		    c[i].want);
	}
}
END_TEST

START_TEST(test_nowhere)
{
	static const struct { const char *a; int nowhere; } c[] = {
		{ "0.0.0.0", ADDR_THISHOST }, { "::", ADDR_THISHOST },
		{ "::ffff:0.0.0.0", ADDR_THISHOST }, { "0.0.0.1", ADDR_THISNET },
		{ "0.255.255.255", ADDR_THISNET },
		{ "::ffff:0.1.2.3", ADDR_THISNET }, { "::0.0.0.1", 0 },
		{ "1.0.0.0", 0 }, { "127.0.0.1", 0 }, { "::1", 0 },
		{ "::ffff:127.0.0.1", 0 }, { "1.2.3.4", 0 },
	};
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(addr_parse_ip(c[i].a, &ss, &sl), 0);
		ck_assert_msg(addr_is_nowhere((struct sockaddr *)&ss) ==
		    c[i].nowhere, "%s", c[i].a);
	}
}
END_TEST

/* addr_reaches(): is a connection to peer (from src) one to listener la? */
START_TEST(test_reaches)
{
	static const struct {
		const char *peer, *src, *la;
		int reaches;
	} c[] = {
		{ "127.0.0.1:1080", "127.0.0.1:5000", "127.0.0.1:1080", 1 },
		{ "127.0.0.1:1081", "127.0.0.1:5000", "127.0.0.1:1080", 0 },
		{ "127.0.0.2:1080", "127.0.0.1:5000", "127.0.0.1:1080", 0 },
		{ "127.0.0.2:1080", "127.0.0.1:5000", "0.0.0.0:1080", 1 },
		{ "[::ffff:127.0.0.1]:1080", "127.0.0.1:5000", "127.0.0.1:1080", 1 },
		{ "[::1]:1080", "[::1]:5000", "[::]:1080", 1 },
		{ "[::1]:1080", "[::1]:5000", "[::1]:1080", 1 },
		{ "10.0.0.5:1080", "10.0.0.5:40000", "0.0.0.0:1080", 1 },
		{ "10.0.0.6:1080", "10.0.0.5:40000", "0.0.0.0:1080", 0 },
		{ "[2001:db8::1]:1080", "[2001:db8::2]:1", "[::]:1080", 0 },
		{ "[2001:db8::2]:1080", "[2001:db8::2]:1", "[::]:1080", 1 },
		{ "10.0.0.6:1080", "10.0.0.5:40000", "10.0.0.6:1080", 1 },
		/* wildcards are one family each (IPV6_V6ONLY) */
		{ "127.0.0.1:1080", "127.0.0.1:5000", "[::]:1080", 0 },
		{ "[::1]:1080", "[::1]:5000", "0.0.0.0:1080", 0 },
		{ "[::ffff:127.0.0.1]:1080", "127.0.0.1:5000", "0.0.0.0:1080", 1 },
	};
	struct sockaddr_storage	 p, s, l;
	socklen_t		 sl;
	size_t			 i;

	/* not connected yet (no source): the listen address or loopback */
	addr_parse_hostport("127.0.0.2:1080", &p, &sl);
	addr_parse_hostport("0.0.0.0:1080", &l, &sl);
	ck_assert_int_eq(addr_reaches((struct sockaddr *)&p, NULL,
	    (struct sockaddr *)&l), 1);
	addr_parse_hostport("10.0.0.5:1080", &p, &sl);
	ck_assert_int_eq(addr_reaches((struct sockaddr *)&p, NULL,
	    (struct sockaddr *)&l), 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(addr_parse_hostport(c[i].peer, &p, &sl), 0);
		ck_assert_int_eq(addr_parse_hostport(c[i].src, &s, &sl), 0);
		ck_assert_int_eq(addr_parse_hostport(c[i].la, &l, &sl), 0);
		ck_assert_msg(addr_reaches((struct sockaddr *)&p,
		    (struct sockaddr *)&s, (struct sockaddr *)&l) ==
		    c[i].reaches, "%s from %s to %s", c[i].peer, c[i].src,
		    c[i].la);
	}
}
END_TEST

START_TEST(test_hostport)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 s[ADDR_STRLEN];

	ck_assert_int_eq(addr_parse_hostport("127.0.0.1:1080", &ss, &sl), 0);
	ck_assert_str_eq(addr_ntop((struct sockaddr *)&ss, s, sizeof(s)),
	    "127.0.0.1:1080");
	ck_assert_int_eq(addr_parse_hostport("[::1]:1080", &ss, &sl), 0);
	ck_assert_str_eq(addr_ntop((struct sockaddr *)&ss, s, sizeof(s)),
	    "[::1]:1080");
	ck_assert_int_eq(addr_parse_hostport("*:1080", &ss, &sl), 0);
	ck_assert_int_eq(addr_parse_hostport("::1:1080", &ss, &sl), -1);
	ck_assert_int_eq(addr_parse_hostport("1.2.3.4:65536", &ss, &sl), -1);
	ck_assert_int_eq(addr_parse_hostport("1.2.3.4", &ss, &sl), -1);
	ck_assert_int_eq(addr_parse_hostport("name:80", &ss, &sl), -1);
}
END_TEST

/* Why a CONNECT failed, as the REP code a client gets. */
/* Names a resolver takes as they stand; escapes and the like are not. */
START_TEST(test_name_ok)
{
	ck_assert(addr_name_ok("www.example.org"));
	ck_assert(addr_name_ok("_dmarc.Example-1.org."));
	ck_assert(addr_name_ok("localhost"));
	ck_assert(addr_name_ok("::1"));
	ck_assert(addr_name_ok("fe80::1%eth0"));
	ck_assert(addr_name_ok("fe80::1%2"));
	ck_assert(!addr_name_ok("localhost%lo"));
	ck_assert(!addr_name_ok("a%b"));
	ck_assert(!addr_name_ok("%"));
	ck_assert(!addr_name_ok("fe80::1%"));
	ck_assert(!addr_name_ok("fe80::1%eth0%1"));
	ck_assert(!addr_name_ok("%eth0"));
	ck_assert(addr_name_ok("10.1.2.3"));
	ck_assert(!addr_name_ok(""));
	ck_assert(!addr_name_ok("www.bl\\ocked.example"));
	ck_assert(!addr_name_ok("www.blocked.exampl\\101"));
	ck_assert(!addr_name_ok("a b"));
	ck_assert(!addr_name_ok("x\ty"));
	ck_assert(!addr_name_ok("caf\xc3\xa9.example"));
	ck_assert(!addr_name_ok("a/b"));
}
END_TEST

/* "[v6 literal]" loses its brackets; nothing else changes. */
START_TEST(test_unbracket)
{
	static const struct { const char *in, *out; } c[] = {
		{ "[::1]", "::1" },
		{ "[2001:db8::7]", "2001:db8::7" },
		{ "[::ffff:10.0.0.1]", "::ffff:10.0.0.1" },
		{ "::1", "::1" },
		{ "[10.0.0.1]", "[10.0.0.1]" },
		{ "[example.org]", "[example.org]" },
		{ "[::1", "[::1" },
		{ "::1]", "::1]" },
		{ "[]", "[]" },
		{ "[[::1]]", "[[::1]]" },
		{ "[fe80::1%eth0]", "fe80::1%eth0" },
		{ "[fe80::1%1]", "fe80::1%1" },
		{ "[fe80::1%]", "[fe80::1%]" },
		{ "[example.org%eth0]", "[example.org%eth0]" },
		{ "[fe80::1%a%b]", "[fe80::1%a%b]" },
	};
	char	 buf[64];
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		strcpy(buf, c[i].in);
		addr_unbracket(buf);
		ck_assert_str_eq(buf, c[i].out);
	}
}
END_TEST

/* The parsers hand a bracketed IPv6 name on without brackets. */
START_TEST(test_parse_unbracket)
{
	static const uint8_t s5[] = { 5, 1, 0, 3, 5, '[', ':', ':', '1',
	    ']', 0, 80 };
	static const uint8_t s4a[] = { 4, 1, 0, 80, 0, 0, 0, 1, 0, '[', ':',
	    ':', '1', ']', 0 };
	struct s5_request	 r5;
	struct s4_request	 r4;

	ck_assert_int_eq(s5_parse_request(s5, sizeof(s5), &r5), sizeof(s5));
	ck_assert_str_eq(r5.r_dst.sa_name, "::1");
	ck_assert_int_eq(s4_parse_request(s4a, sizeof(s4a), &r4), sizeof(s4a));
	ck_assert_str_eq(r4.r_dst.sa_name, "::1");
}
END_TEST

START_TEST(test_errno_rep)
{
	ck_assert_int_eq(errno_to_rep(ECONNREFUSED), S5_REP_REFUSED);
	/* a target that accepted and reset at once refused too */
	ck_assert_int_eq(errno_to_rep(ECONNRESET), S5_REP_REFUSED);
	ck_assert_int_eq(errno_to_rep(EHOSTUNREACH), S5_REP_HOSTUNREACH);
	ck_assert_int_eq(errno_to_rep(ENETUNREACH), S5_REP_NETUNREACH);
	ck_assert_int_eq(errno_to_rep(ETIMEDOUT), S5_REP_TTLEXPIRED);
	ck_assert_int_eq(errno_to_rep(EACCES), S5_REP_NOTALLOWED);
	ck_assert_int_eq(errno_to_rep(EMFILE), S5_REP_FAIL);
	ck_assert_int_eq(errno_to_rep(0), S5_REP_FAIL);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite	*s = suite_create("proto");
	TCase	*tc = tcase_create("parsers");

	tcase_add_loop_test(tc, test_greetings, 0,
	    sizeof(greetings) / sizeof(greetings[0]));
	tcase_add_loop_test(tc, test_requests, 0,
	    sizeof(requests) / sizeof(requests[0]));
	tcase_add_loop_test(tc, test_userpass, 0,
	    sizeof(userpass) / sizeof(userpass[0]));
	tcase_add_loop_test(tc, test_socks4, 0,
	    sizeof(socks4) / sizeof(socks4[0]));
	tcase_add_loop_test(tc, test_choose_method, 0,
	    sizeof(choices) / sizeof(choices[0]));
	tcase_add_test(tc, test_userpass_255);
	tcase_add_test(tc, test_userpass_empty);
	tcase_add_test(tc, test_userpass_nul);
	tcase_add_test(tc, test_socks4_userid);
	tcase_add_test(tc, test_socks4a_bad_name);
	tcase_add_test(tc, test_cmd_str);
	tcase_add_test(tc, test_request_fields);
	tcase_add_test(tc, test_name_255);
	tcase_add_test(tc, test_ipv6_fields);
	tcase_add_test(tc, test_reply_ipv4);
	tcase_add_test(tc, test_reply_ipv6_and_none);
	tcase_add_test(tc, test_socks4_reply);
	tcase_add_test(tc, test_udphdr);
	tcase_add_test(tc, test_errno_rep);
	suite_add_tcase(s, tc);
	tc = tcase_create("addresses");
	tcase_add_loop_test(tc, test_cidr, 0, sizeof(cidrs) / sizeof(cidrs[0]));
	tcase_add_test(tc, test_cidr_bad);
	tcase_add_test(tc, test_cidr_host_bits);
	tcase_add_test(tc, test_nowhere);
	tcase_add_test(tc, test_addr_str);
	tcase_add_test(tc, test_reaches);
	tcase_add_test(tc, test_hostport);
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_unbracket);
	tcase_add_test(tc, test_parse_unbracket);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(proto_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
