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
