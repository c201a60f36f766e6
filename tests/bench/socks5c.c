/*
 * socks5c.c: the client side of SOCKS5 (RFC 1928) and of username/password
 * authentication (RFC 1929) as pure functions.  Builders write into the
 * caller's buffer and return the length (0: does not fit); parsers take
 * (buf, len) and return the bytes consumed, 0 when more are needed, or -1
 * when the bytes are not a valid message.
 */
#include <string.h>

#include "bench.h"

#define S5_VER		0x05
#define S5_AUTH_VER	0x01
#define S5_CMD_CONNECT	0x01
#define S5_ATYP_V4	0x01
#define S5_ATYP_NAME	0x03
#define S5_ATYP_V6	0x04

/* VER NMETHODS METHODS: offer exactly one method, 0 or 2. */
size_t
s5_greeting(uint8_t *buf, size_t size, int password)
{
	if (size < 3)
		return 0;
	buf[0] = S5_VER;
	buf[1] = 1;
	buf[2] = password ? 0x02 : 0x00;
	return 3;
}

/* VER ULEN UNAME PLEN PASSWD */
size_t
s5_auth(uint8_t *buf, size_t size, const char *user, const char *pass)
{
	size_t	 ulen = strlen(user), plen = strlen(pass);

	if (ulen == 0 || ulen > 255 || plen == 0 || plen > 255 ||
	    3 + ulen + plen > size)
		return 0;
	buf[0] = S5_AUTH_VER;
	buf[1] = (uint8_t)ulen;
	memcpy(buf + 2, user, ulen);
	buf[2 + ulen] = (uint8_t)plen;
	memcpy(buf + 3 + ulen, pass, plen);
	return 3 + ulen + plen;
}

/* VER CMD RSV ATYP DST.ADDR DST.PORT, by IPv4 address. */
size_t
s5_connect(uint8_t *buf, size_t size, const struct sockaddr_in *sin)
{
	if (size < 10)
		return 0;
	buf[0] = S5_VER;
	buf[1] = S5_CMD_CONNECT;
	buf[2] = 0;
	buf[3] = S5_ATYP_V4;
	memcpy(buf + 4, &sin->sin_addr.s_addr, 4);
	memcpy(buf + 8, &sin->sin_port, 2);
	return 10;
}

/* The same by name (ATYP 3); port in network order.  0: no room. */
size_t
s5_connect_name(uint8_t *buf, size_t size, const char *name, uint16_t port)
{
	size_t	 n = strlen(name);

	if (n == 0 || n > 255 || size < 7 + n)
		return 0;
	buf[0] = S5_VER;
	buf[1] = S5_CMD_CONNECT;
	buf[2] = 0;
	buf[3] = S5_ATYP_NAME;
	buf[4] = (uint8_t)n;
	memcpy(buf + 5, name, n);
	memcpy(buf + 5 + n, &port, 2);
	return 7 + n;
}

/* VER METHOD */
int
s5_method_reply(const uint8_t *buf, size_t len, int *method)
{
	if (len < 2)
		return 0;
	if (buf[0] != S5_VER)
		return -1;
	*method = buf[1];
	return 2;
}

/* VER STATUS, VER being the sub-negotiation's version 1. */
int
s5_auth_reply(const uint8_t *buf, size_t len, int *status)
{
	if (len < 2)
		return 0;
	if (buf[0] != S5_AUTH_VER)
		return -1;
	*status = buf[1];
	return 2;
}

/* VER REP RSV ATYP BND.ADDR BND.PORT; the address length follows ATYP. */
int
s5_connect_reply(const uint8_t *buf, size_t len, int *rep)
{
	size_t	 need;

	if (len < 5)
		return 0;
	if (buf[0] != S5_VER || buf[2] != 0)
		return -1;
	switch (buf[3]) {
	case S5_ATYP_V4:
		need = 4 + 4 + 2;
		break;
	case S5_ATYP_V6:
		need = 4 + 16 + 2;
		break;
	case S5_ATYP_NAME:
		need = 4 + 1 + buf[4] + 2;
		break;
	default:
		return -1;
	}
	if (len < need)
		return 0;
	*rep = buf[1];
	return (int)need;
}
