/* cmd_connect.c: the CONNECT command: connect, reply, relay. */
#include "config.h"

#include <sys/socket.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "connect.h"
#include "netio.h"
#include "proto.h"
#include "scoreboard.h"
#include "session.h"

/*
 * A CONNECT to one of this proxy's own listeners takes a second worker,
 * and a client that pipelines requests can chain every worker into one
 * loop: refused, as 0.0.0.0 is.  Before connecting (src NULL) the
 * listen addresses, loopback and the host's interface addresses are
 * known; once connected, the source address is checked again.  What
 * neither shows (an address routed to this host but on no interface)
 * the scoreboard catches at the other end (session_run()).
 */
#define LOOP_WHY	"destination is this proxy's own listener"

/* Refused whatever the rules say: logged at notice, as a block is. */
static void
session_refused(struct session *s, const char *why)
{
	session_why(s, "refused: %s", why);
	s->s_notice = 1;
}

struct connect_arg {
	struct session	*ca_s;
	int		 ca_looped;	/* an address was this proxy */
};

/* Each address before it is tried: not this proxy, then the rules. */
static int
connect_filter(const struct sockaddr *sa, void *arg)
{
	struct connect_arg	*ca = arg;

	if (connect_is_self(ca->ca_s->s_conf, sa, NULL)) {
		ca->ca_looped = 1;
		return 1;
	}
	return session_addr_filter(sa, ca->ca_s);
}

void
cmd_connect(struct session *s)
{
	struct connect_arg	 ca = { s, 0 };
	struct connect_result	 cr;
	struct sockaddr_storage	 bnd;
	socklen_t		 sl = sizeof(bnd);
	int64_t			 deadline;

	deadline = now_ms() + s->s_conf->c_connect_timeout * 1000LL;
	connect_dst(&s->s_dst, deadline, connect_filter, &ca, &cr);
	memcpy(&s->s_peer, &cr.cr_peer, sizeof(s->s_peer));
	addr_unmap(&s->s_peer);		/* logged as it was reached */
	if (cr.cr_fd == -1) {
		/* the rules left nothing to try: that is the reason */
		if (cr.cr_tried == 0 && cr.cr_nowhere == 0 && !ca.ca_looped)
			session_addr_blocks(s, AB_END);
		/* only this proxy's addresses, or 0.0.0.0, were left */
		if (ca.ca_looped && cr.cr_rep == S5_REP_NOTALLOWED)
			session_refused(s, LOOP_WHY);
		if (cr.cr_nowhere > 0 && cr.cr_tried == 0 &&
		    cr.cr_rep == S5_REP_NOTALLOWED)
			session_refused(s, cr.cr_why);
		if (strcmp(cr.cr_why, WHY_SHUTDOWN) == 0)
			session_why(s, "%s", WHY_SHUTDOWN);
		else
			session_why(s, "connect failed: %s", cr.cr_why);
		session_addr_blocks(s, AB_ALSO);
		session_reply(s, cr.cr_rep, NULL);
		return;
	}
	s->s_tfd = cr.cr_fd;	/* set_relay_opts() done */
	memset(&bnd, 0, sizeof(bnd));
	getsockname(s->s_tfd, (struct sockaddr *)&bnd, &sl);
	addr_unmap(&bnd);	/* ::ffff:a.b.c.d goes back as ATYP 1 */
	if (connect_is_self(s->s_conf, (struct sockaddr *)&s->s_peer,
	    (struct sockaddr *)&bnd)) {
		session_refused(s, LOOP_WHY);
		session_addr_blocks(s, AB_ALSO);
		session_reply(s, S5_REP_NOTALLOWED, NULL);
		return;
	}
	session_addr_blocks(s, AB_EVENT);
	sb_session_out(&bnd, &s->s_peer);
	if (session_reply(s, S5_REP_OK, (struct sockaddr *)&bnd) == -1)
		return;
	session_relay(s);
}
