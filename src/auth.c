/* auth.c: RFC 1929 username/password sub-negotiation for a session. */
#include "config.h"

#include "session.h"

int
auth_userpass(struct session *s)
{
	session_why(s, "password authentication is not available");
	return -1;
}
