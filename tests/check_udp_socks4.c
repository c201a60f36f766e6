/*
 * check_udp_socks4.c: the UDP ASSOCIATE datagram header (RFC 1928
 * section 7) and SOCKS4/4a requests and replies on byte vectors, with
 * the dissection beside each.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "proto.h"
#include "udppeer.h"

struct vec {
	const char	*name;
	const uint8_t	*bytes;
	size_t		 len;
	ssize_t		 want;	/* full-length result */
};

#define V(name, want, ...) { name, (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ }), want }

static const struct vec udphdrs[] = {
	/* RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA */
	V("ipv4, no data", 10, 0, 0, 0, 0x01, 127, 0, 0, 1, 0x00, 0x35),
	V("ipv4 and data", 10, 0, 0, 0, 0x01, 10, 1, 2, 3, 0x1f, 0x90, 'h',
	    'i'),
	V("ipv6 ::1", 22, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 1, 0x00, 0x35, 'd'),
	V("name localhost", 16, 0, 0, 0, 0x03, 9, 'l', 'o', 'c', 'a', 'l',
	    'h', 'o', 's', 't', 0x00, 0x35, 'q'),
	V("one-byte name", 8, 0, 0, 0, 0x03, 1, 'a', 0x00, 0x07),
	V("frag 1 parses", 10, 0, 0, 0x01, 0x01, 127, 0, 0, 1, 0x00, 0x35),
	V("frag 0x80 (last) parses", 10, 0, 0, 0x80, 0x01, 1, 1, 1, 1, 0, 1),
	V("rsv 0x0100", P_BAD, 1, 0, 0, 0x01, 127, 0, 0, 1, 0x00, 0x35),
	V("rsv 0x0001", P_BAD, 0, 1, 0, 0x01, 127, 0, 0, 1, 0x00, 0x35),
	V("atyp 2", P_BADATYP, 0, 0, 0, 0x02, 127, 0, 0, 1, 0x00, 0x35),
	V("atyp 0", P_BADATYP, 0, 0, 0, 0x00, 127, 0, 0, 1, 0x00, 0x35),
	V("empty name", P_BAD, 0, 0, 0, 0x03, 0, 0x00, 0x35),
	V("NUL in name", P_BAD, 0, 0, 0, 0x03, 3, 'a', 0, 'b', 0x00, 0x35),
	V("ipv4 without port", P_BAD, 0, 0, 0, 0x01, 127, 0, 0, 1),
	V("ipv4 one port byte", P_BAD, 0, 0, 0, 0x01, 127, 0, 0, 1, 0x00),
	V("ipv6 15 bytes", P_BAD, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 1, 0x00),
	V("name longer than the datagram", P_BAD, 0, 0, 0, 0x03, 9, 'l', 'o',
	    'c', 0x00, 0x35),
	V("only RSV FRAG ATYP", P_BAD, 0, 0, 0, 0x01),
	V("three bytes", P_BAD, 0, 0, 0),
};

static const struct vec s4reqs[] = {
	/* VN CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL] */
	V("connect, empty userid", 9, 0x04, 0x01, 0x00, 0x50, 10, 0, 0, 1, 0),
	V("bind, userid ftp", 12, 0x04, 0x02, 0x00, 0x15, 192, 0, 2, 1, 'f',
	    't', 'p', 0),
	V("4a connect name", 18, 0x04, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 'u', 0,
	    'e', 'x', 'a', 'm', 'p', 'l', 'e', 0),
	V("4a bind name", 14, 0x04, 0x02, 0x00, 0x15, 0, 0, 0, 255, 0, 'h',
	    'o', 's', 't', 0),
	V("0.0.0.0 is plain 4", 9, 0x04, 0x02, 0x00, 0x00, 0, 0, 0, 0, 0),
	V("0.0.1.1 is plain 4", 9, 0x04, 0x01, 0x00, 0x50, 0, 0, 1, 1, 0),
	V("4a empty name", P_BAD, 0x04, 0x01, 0x00, 0x50, 0, 0, 0, 1, 0, 0),
	V("version 5", P_BADVER, 0x05, 0x01, 0x00, 0x50, 127, 0, 0, 1, 0),
	V("trailing data not taken", 9, 0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1,
	    0, 'G', 'E', 'T'),
};

static ssize_t
p_udphdr(const uint8_t *b, size_t l)
{
	struct s5_udphdr u;

	return s5_parse_udphdr(b, l, &u);
}

static ssize_t
p_socks4(const uint8_t *b, size_t l)
{
	struct s4_request r;

	return s4_parse_request(b, l, &r);
}

/* An exactly sized heap copy, so that ASan sees a read past the end. */
static ssize_t
parse_copy(const struct vec *v, size_t len,
    ssize_t (*parse)(const uint8_t *, size_t))
{
	uint8_t	*copy = malloc(len ? len : 1);
	ssize_t	 n;

	memcpy(copy, v->bytes, len);
	n = parse(copy, len);
	free(copy);
	return n;
}

/*
 * A datagram is whole or nothing: a prefix shorter than the header is
 * P_BAD (never P_MORE); one with the whole header parses the same.
 */
START_TEST(test_udphdr_vectors)
{
	const struct vec	*v = &udphdrs[_i];
	size_t			 i;
	ssize_t			 n;

	n = parse_copy(v, v->len, p_udphdr);
	ck_assert_msg(n == v->want, "%s: got %zd want %zd", v->name, n,
	    v->want);
	for (i = 0; i < v->len && v->want > 0; i++) {
		n = parse_copy(v, i, p_udphdr);
		ck_assert_msg(i < (size_t)v->want ? n == P_BAD : n == v->want,
		    "%s: prefix %zu gave %zd", v->name, i, n);
	}
}
END_TEST

/* A stream: every proper prefix is P_MORE until the bad byte is in. */
START_TEST(test_socks4_vectors)
{
	const struct vec	*v = &s4reqs[_i];
	size_t			 i;
	ssize_t			 n;

	for (i = 0; i < v->len; i++) {
		n = parse_copy(v, i, p_socks4);
		ck_assert_msg(n == P_MORE || n == v->want,
		    "%s: prefix %zu gave %zd", v->name, i, n);
	}
	n = parse_copy(v, v->len, p_socks4);
	ck_assert_msg(n == v->want, "%s: got %zd want %zd", v->name, n,
	    v->want);
}
END_TEST

START_TEST(test_udphdr_fields)
{
	const struct vec	*v6 = &udphdrs[2], *nm = &udphdrs[3];
	const struct sockaddr_in6 *sin6;
	struct s5_udphdr	 u;
	struct in6_addr		 lo = IN6ADDR_LOOPBACK_INIT;

	ck_assert_int_eq(s5_parse_udphdr(v6->bytes, v6->len, &u), 22);
	ck_assert_int_eq(u.u_frag, 0);
	ck_assert_int_eq(u.u_dst.sa_atyp, S5_ATYP_IPV6);
	ck_assert_int_eq(u.u_dst.sa_port, 53);
	sin6 = (const struct sockaddr_in6 *)&u.u_dst.sa_addr;
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_mem_eq(&sin6->sin6_addr, &lo, 16);
	ck_assert_int_eq(ntohs(sin6->sin6_port), 53);
	ck_assert_int_eq(s5_parse_udphdr(nm->bytes, nm->len, &u), 16);
	ck_assert_int_eq(u.u_dst.sa_atyp, S5_ATYP_NAME);
	ck_assert_str_eq(u.u_dst.sa_name, "localhost");
	ck_assert_int_eq(u.u_dst.sa_port, 53);
	ck_assert_int_eq(s5_parse_udphdr(udphdrs[6].bytes, udphdrs[6].len,
	    &u), 10);
	ck_assert_int_eq(u.u_frag, 0x80);
}
END_TEST

/* The longest name, 255 bytes: header 3 + 1 + 1 + 255 + 2 = 262. */
START_TEST(test_udphdr_name_255)
{
	uint8_t			 b[S5_UDPHDR_MAX + 4];
	struct s5_udphdr	 u;

	memset(b, 0, sizeof(b));
	b[3] = S5_ATYP_NAME;
	b[4] = 255;
	memset(b + 5, 'n', 255);
	b[260] = 0x12;
	b[261] = 0x34;
	memcpy(b + 262, "data", 4);
	ck_assert_int_eq(S5_UDPHDR_MAX, 262);
	ck_assert_int_eq(s5_parse_udphdr(b, sizeof(b), &u), 262);
	ck_assert_uint_eq(strlen(u.u_dst.sa_name), 255);
	ck_assert_int_eq(u.u_dst.sa_port, 0x1234);
	ck_assert_int_eq(s5_parse_udphdr(b, 262, &u), 262);
	ck_assert_int_eq(s5_parse_udphdr(b, 261, &u), P_BAD);
	ck_assert_int_eq(s5_parse_udphdr(b, 260, &u), P_BAD);
}
END_TEST

START_TEST(test_udphdr_build)
{
	const uint8_t	 want6[] = { 0, 0, 0, 0x04, 0x20, 0x01, 0x0d, 0xb8,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x30, 0x39 };
	const uint8_t	 want0[] = { 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0 };
	struct sockaddr_storage ss;
	struct s5_udphdr u;
	uint8_t		 out[S5_UDPHDR_MAX];
	socklen_t	 sl;

	ck_assert_int_eq(addr_parse_hostport("[2001:db8::1]:12345", &ss, &sl),
	    0);
	ck_assert_uint_eq(s5_build_udphdr(out, sizeof(out),
	    (struct sockaddr *)&ss), 22);
	ck_assert_mem_eq(out, want6, 22);
	/* round trip */
	ck_assert_int_eq(s5_parse_udphdr(out, 22, &u), 22);
	ck_assert_int_eq(u.u_dst.sa_port, 12345);
	ck_assert_int_eq(addr_equal_host((struct sockaddr *)&u.u_dst.sa_addr,
	    (struct sockaddr *)&ss), 1);
	/* no address: 0.0.0.0:0 */
	ck_assert_uint_eq(s5_build_udphdr(out, sizeof(out), NULL), 10);
	ck_assert_mem_eq(out, want0, 10);
	/* too small a buffer: 0, for IPv6 and IPv4 */
	ck_assert_uint_eq(s5_build_udphdr(out, 21, (struct sockaddr *)&ss), 0);
	ck_assert_uint_eq(s5_build_udphdr(out, 9, NULL), 0);
	ck_assert_uint_eq(s5_build_udphdr(out, 2, NULL), 0);
}
END_TEST

START_TEST(test_socks4_fields)
{
	const struct vec	*bind = &s4reqs[1], *a = &s4reqs[2];
	const struct sockaddr_in *sin;
	struct s4_request	 r;

	ck_assert_int_eq(s4_parse_request(bind->bytes, bind->len, &r), 12);
	ck_assert_int_eq(r.r_cmd, S5_CMD_BIND);
	ck_assert_int_eq(r.r_dst.sa_atyp, S5_ATYP_IPV4);
	ck_assert_int_eq(r.r_dst.sa_port, 21);
	ck_assert_str_eq(r.r_userid, "ftp");
	sin = (const struct sockaddr_in *)&r.r_dst.sa_addr;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_int_eq(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	ck_assert_int_eq(ntohs(sin->sin_port), 21);
	ck_assert_int_eq(s4_parse_request(a->bytes, a->len, &r), 18);
	ck_assert_int_eq(r.r_cmd, S5_CMD_CONNECT);
	ck_assert_int_eq(r.r_dst.sa_atyp, S5_ATYP_NAME);
	ck_assert_str_eq(r.r_dst.sa_name, "example");
	ck_assert_int_eq(r.r_dst.sa_port, 443);
	ck_assert_str_eq(r.r_userid, "u");
}
END_TEST

/*
 * USERID up to 1024 bytes and a NUL (255 kept); a 4a host name up to 255
 * and a NUL.
 */
START_TEST(test_socks4_limits)
{
	uint8_t			 b[8 + S4_USERID_MAX + 257];
	struct s4_request	 r;

	memset(b, 'u', sizeof(b));
	memcpy(b, "\x04\x01\x00\x50\x7f\x00\x00\x01", 8);
	b[8 + 255] = 0;
	ck_assert_int_eq(s4_parse_request(b, 8 + 256, &r), 8 + 256);
	ck_assert_uint_eq(strlen(r.r_userid), 255);
	b[8 + 255] = 'u';	/* 256 bytes so far and no NUL: more */
	ck_assert_int_eq(s4_parse_request(b, 8 + 256, &r), P_MORE);
	b[8 + S4_USERID_MAX] = 0;
	ck_assert_int_eq(s4_parse_request(b, 8 + S4_USERID_MAX + 1, &r),
	    8 + S4_USERID_MAX + 1);
	ck_assert_uint_eq(strlen(r.r_userid), 255);
	b[8 + S4_USERID_MAX] = 'u';	/* 1025 and no NUL: too long */
	ck_assert_int_eq(s4_parse_request(b, 8 + S4_USERID_MAX + 1, &r),
	    P_BAD);

	memcpy(b, "\x04\x01\x00\x50\x00\x00\x00\x07", 8);
	b[8] = 0;		/* empty USERID, then the name */
	memset(b + 9, 'h', 256);
	b[9 + 255] = 0;
	ck_assert_int_eq(s4_parse_request(b, 9 + 256, &r), 9 + 256);
	ck_assert_uint_eq(strlen(r.r_dst.sa_name), 255);
	b[9 + 255] = 'h';	/* a 256-byte name */
	ck_assert_int_eq(s4_parse_request(b, 9 + 257, &r), P_BAD);
}
END_TEST

/* VN 0, CD, DSTPORT, DSTIP: BIND's replies carry an address. */
START_TEST(test_socks4_replies)
{
	const uint8_t	 want90[] = { 0, 90, 0x04, 0xd2, 127, 0, 0, 1 };
	const uint8_t	 want91[] = { 0, 91, 0, 0, 0, 0, 0, 0 };
	struct sockaddr_storage ss;
	uint8_t		 out[8];
	socklen_t	 sl;

	ck_assert_int_eq(addr_parse_hostport("127.0.0.1:1234", &ss, &sl), 0);
	ck_assert_uint_eq(s4_build_reply(out, sizeof(out), S4_REP_OK,
	    (struct sockaddr *)&ss), 8);
	ck_assert_mem_eq(out, want90, 8);
	ck_assert_uint_eq(s4_build_reply(out, sizeof(out), S4_REP_FAIL, NULL),
	    8);
	ck_assert_mem_eq(out, want91, 8);
	/* SOCKS4 has no room for IPv6: the address is left 0 */
	ck_assert_int_eq(addr_parse_hostport("[::1]:1234", &ss, &sl), 0);
	ck_assert_uint_eq(s4_build_reply(out, sizeof(out), S4_REP_FAIL,
	    (struct sockaddr *)&ss), 8);
	ck_assert_mem_eq(out, want91, 8);
	ck_assert_uint_eq(s4_build_reply(out, 7, S4_REP_OK, NULL), 0);
	ck_assert_int_eq(S4_REP_NOIDENTD, 92);
	ck_assert_int_eq(S4_REP_BADUSER, 93);
}
END_TEST

static const struct sockaddr *
hp(const char *s, struct sockaddr_storage *ss)
{
	socklen_t	 len;

	ck_assert_int_eq(addr_parse_hostport(s, ss, &len), 0);
	return (const struct sockaddr *)ss;
}

/* Only a host sent to may answer, from any port; mapped IPv4 is IPv4. */
START_TEST(test_udp_peers)
{
	static struct udp_peers	 ps;
	struct sockaddr_storage	 a, b;
	char			 name[64];
	int			 i;

	udp_peers_init(&ps);
	ck_assert(!udp_peers_has(&ps, hp("127.0.0.1:53", &a)));
	udp_peers_add(&ps, hp("127.0.0.1:53", &a));
	ck_assert(udp_peers_has(&ps, hp("127.0.0.1:53", &a)));
	ck_assert(udp_peers_has(&ps, hp("[::ffff:127.0.0.1]:53", &b)));
	ck_assert(udp_peers_has(&ps, hp("127.0.0.1:54", &b)));	/* TFTP */
	ck_assert(!udp_peers_has(&ps, hp("127.0.0.2:53", &b)));
	ck_assert(!udp_peers_has(&ps, hp("[::1]:53", &b)));
	udp_peers_add(&ps, hp("[2001:db8::1]:443", &a));
	ck_assert(udp_peers_has(&ps, hp("[2001:db8::1]:443", &b)));
	ck_assert(!udp_peers_has(&ps, hp("[2001:db8::2]:443", &b)));
	/* adding one again does not take a slot: both survive 254 more */
	udp_peers_add(&ps, hp("127.0.0.1:53", &a));
	for (i = 0; i < UDP_PEERS - 2; i++) {
		snprintf(name, sizeof(name), "10.0.%d.%d:1000", i / 256, i % 256);
		udp_peers_add(&ps, hp(name, &a));
	}
	ck_assert(udp_peers_has(&ps, hp("127.0.0.1:53", &a)));
	ck_assert(udp_peers_has(&ps, hp("10.0.0.0:1000", &a)));
	/* one more: the oldest (127.0.0.1:53) goes */
	udp_peers_add(&ps, hp("10.1.0.0:1000", &a));
	ck_assert(!udp_peers_has(&ps, hp("127.0.0.1:53", &a)));
	ck_assert(udp_peers_has(&ps, hp("[2001:db8::1]:443", &b)));
	ck_assert(udp_peers_has(&ps, hp("10.1.0.0:1000", &a)));
}
END_TEST

static Suite *
udp_socks4_suite(void)
{
	Suite	*s = suite_create("udp_socks4");
	TCase	*tc = tcase_create("udp header");

	tcase_add_loop_test(tc, test_udphdr_vectors, 0,
	    sizeof(udphdrs) / sizeof(udphdrs[0]));
	tcase_add_test(tc, test_udphdr_fields);
	tcase_add_test(tc, test_udphdr_name_255);
	tcase_add_test(tc, test_udphdr_build);
	tcase_add_test(tc, test_udp_peers);
	suite_add_tcase(s, tc);
	tc = tcase_create("socks4");
	tcase_add_loop_test(tc, test_socks4_vectors, 0,
	    sizeof(s4reqs) / sizeof(s4reqs[0]));
	tcase_add_test(tc, test_socks4_fields);
	tcase_add_test(tc, test_socks4_limits);
	tcase_add_test(tc, test_socks4_replies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(udp_socks4_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
