/*
 * policy.c: the session's questions to the rule sets: may this request
 * go ahead, and may this resolved address be connected to.
 */
#include "config.h"

#include "session.h"

int
session_allowed(struct session *s)
{
	return 0;
}

int
session_addr_filter(const struct sockaddr *sa, void *arg)
{
	return 0;
}

/*
 * Traffic coming back in: a connection to a BIND socket (cmd is
 * RULE_CMD_BINDREPLY) or a datagram to a UDP association
 * (RULE_CMD_UDPREPLY) from the address from.  0: allowed.
 */
int
session_reply_allowed(struct session *s, int cmd, const struct sockaddr *from)
{
	return 0;
}

/*
 * A UDP association's datagram from the client to the resolved address
 * dst: checked against the socks rules as command udpassociate, once per
 * datagram.  0: allowed.  (Stub: the rules fill it in.)
 */
int
session_udp_dst_allowed(struct session *s, const struct sockaddr *dst)
{
	return 0;
}
