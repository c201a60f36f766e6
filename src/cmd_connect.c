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
	if (session_reply(s, S5_REP_OK, (struct sockaddr *)&bnd) == -1)
		return;
	session_relay(s);
}
