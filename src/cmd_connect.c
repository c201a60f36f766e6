/* cmd_connect.c: the CONNECT command: connect, reply, relay. */
#include "config.h"

#include <sys/socket.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "connect.h"
#include "netio.h"
#include "proto.h"
#include "session.h"

/*
 * A CONNECT to one of this proxy's own listeners takes a second worker,
 * and a client that pipelines requests can chain every worker into one
 * loop: refused, as 0.0.0.0 is.
 */
static int
connect_loops(const struct session *s, const struct sockaddr_storage *bnd)
{
	const struct sockd_conf	*c = s->s_conf;
	int			 i;

	for (i = 0; i < c->c_nlisten; i++)
		if (addr_reaches((const struct sockaddr *)&s->s_peer,
		    (const struct sockaddr *)bnd,
		    (const struct sockaddr *)&c->c_listen[i].la_addr))
			return 1;
	return 0;
}

void
cmd_connect(struct session *s)
{
	struct connect_result	 cr;
	struct sockaddr_storage	 bnd;
	socklen_t		 sl = sizeof(bnd);
	int64_t			 deadline;

	deadline = now_ms() + s->s_conf->c_connect_timeout * 1000LL;
	connect_dst(&s->s_dst, deadline, session_addr_filter, s, &cr);
	memcpy(&s->s_peer, &cr.cr_peer, sizeof(s->s_peer));
	addr_unmap(&s->s_peer);		/* logged as it was reached */
	if (cr.cr_fd == -1) {
		session_why(s, "connect failed: %s", cr.cr_why);
		session_reply(s, cr.cr_rep, NULL);
		return;
	}
	s->s_tfd = cr.cr_fd;
	set_nodelay(s->s_tfd);
	memset(&bnd, 0, sizeof(bnd));
	getsockname(s->s_tfd, (struct sockaddr *)&bnd, &sl);
	addr_unmap(&bnd);	/* ::ffff:a.b.c.d goes back as ATYP 1 */
	if (connect_loops(s, &bnd)) {
		session_why(s, "destination is this proxy's own listener");
		session_reply(s, S5_REP_NOTALLOWED, NULL);
		return;
	}
	if (session_reply(s, S5_REP_OK, (struct sockaddr *)&bnd) == -1)
		return;
	session_relay(s);
}
