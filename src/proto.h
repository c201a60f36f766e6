/*
 * proto.h: the SOCKS wire formats (RFC 1928, RFC 1929, SOCKS4/4a).
 * Every function here is pure: bytes in, a struct and a count out.
 */
#ifndef SOCKD_PROTO_H
#define SOCKD_PROTO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define SOCKS5_VERSION		0x05
#define SOCKS4_VERSION		0x04
#define SOCKS5_AUTH_VERSION	0x01

/* Methods (RFC 1928 section 3) */
#define S5_METHOD_NONE		0x00
#define S5_METHOD_GSSAPI	0x01
#define S5_METHOD_PASSWORD	0x02
#define S5_METHOD_NOACCEPT	0xff

/* Commands */
#define S5_CMD_CONNECT		0x01
#define S5_CMD_BIND		0x02
#define S5_CMD_UDP		0x03

/* Address types */
#define S5_ATYP_IPV4		0x01
#define S5_ATYP_NAME		0x03
#define S5_ATYP_IPV6		0x04

/* Replies */
#define S5_REP_OK		0x00
#define S5_REP_FAIL		0x01
#define S5_REP_NOTALLOWED	0x02
#define S5_REP_NETUNREACH	0x03
#define S5_REP_HOSTUNREACH	0x04
#define S5_REP_REFUSED		0x05
#define S5_REP_TTLEXPIRED	0x06
#define S5_REP_BADCMD		0x07
#define S5_REP_BADATYP		0x08

/* SOCKS4 replies */
#define S4_REP_OK		90
#define S4_REP_FAIL		91
#define S4_REP_NOIDENTD		92
#define S4_REP_BADUSER		93

/* Parser results: >0 is the number of bytes consumed. */
#define P_MORE		0	/* incomplete: read more and call again */
#define P_BADVER	(-1)	/* wrong protocol version */
#define P_BADATYP	(-2)	/* unknown address type */
#define P_BAD		(-3)	/* malformed */

#define S5_MAXNAME	255
#define S5_GREETING_MAX	(2 + 255)
#define S5_REQUEST_MAX	(4 + 1 + 255 + 2)
#define S5_REPLY_MAX	(4 + 16 + 2)
#define S5_UDPHDR_MAX	(4 + 1 + 255 + 2)
#define S4_REQUEST_MAX	(8 + 256 + 256)

/* A destination as the client gave it: an address or a host name. */
struct socks_addr {
	uint8_t			 sa_atyp;	/* S5_ATYP_* */
	uint16_t		 sa_port;
	char			 sa_name[S5_MAXNAME + 1];
	struct sockaddr_storage	 sa_addr;	/* when not a name */
};

struct s5_greeting {
	uint8_t		g_nmethods;
	uint8_t		g_methods[255];
};

struct s5_request {
	uint8_t			r_cmd;
	struct socks_addr	r_dst;
};

struct s5_userpass {
	uint8_t		u_ulen;
	uint8_t		u_plen;
	char		u_user[256];
	char		u_pass[256];
};

struct s5_udphdr {
	uint8_t			u_frag;
	struct socks_addr	u_dst;
};

#define S4_USERID_MAX	1024	/* bytes of USERID read; 255 kept */

struct s4_request {
	uint8_t			r_cmd;
	struct socks_addr	r_dst;	/* IPv4 or, for 4a, a name */
	char			r_userid[256];	/* the first 255 bytes */
	const char		*r_bad;	/* why, when parsing gave P_BAD */
};

ssize_t	s5_parse_greeting(const uint8_t *, size_t, struct s5_greeting *);
int	s5_greeting_has(const struct s5_greeting *, uint8_t);
uint8_t	s5_choose_method(const uint8_t *, size_t, const struct s5_greeting *);
ssize_t	s5_parse_request(const uint8_t *, size_t, struct s5_request *);
ssize_t	s5_parse_userpass(const uint8_t *, size_t, struct s5_userpass *);
ssize_t	s5_parse_udphdr(const uint8_t *, size_t, struct s5_udphdr *);
size_t	s5_build_reply(uint8_t *, size_t, uint8_t, const struct sockaddr *);
size_t	s5_build_udphdr(uint8_t *, size_t, const struct sockaddr *);
ssize_t	s4_parse_request(const uint8_t *, size_t, struct s4_request *);
size_t	s4_build_reply(uint8_t *, size_t, uint8_t, const struct sockaddr *);

const char *s5_rep_str(uint8_t);
const char *s5_cmd_str(uint8_t);
const char *s4_cmd_str(uint8_t);
char	*socks_addr_str(const struct socks_addr *, char *, size_t);

#endif
