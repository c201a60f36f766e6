/*
 * priv.c: drop root in a fixed order (setgroups, setresgid, setresuid),
 * check each step, then prove that root cannot be regained.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/*
 * Look up the user, and the group (its primary group when NULL): 0, or
 * PRIV_NOUSER or PRIV_NOGROUP for the one that does not exist.
 */
int
priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;

	if ((pw = getpwnam(user)) == NULL)
		return PRIV_NOUSER;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group == NULL)
		return 0;
	if ((gr = getgrnam(group)) == NULL)
		return PRIV_NOGROUP;
	*gid = gr->gr_gid;
	return 0;
}

void
priv_drop(const char *user, const char *group)
{
	uid_t	 uid, ruid, euid, suid;
	gid_t	 gid;

	if (geteuid() != 0) {
		log_info("not started as root: keeping user %ld",
		    (long)geteuid());
		return;
	}
	if (user == NULL)
		fatalx("cannot drop privileges: no user to become");
	switch (priv_lookup(user, group, &uid, &gid)) {
	case PRIV_NOUSER:
		fatalx("cannot drop privileges: no user \"%s\"", user);
	case PRIV_NOGROUP:
		fatalx("cannot drop privileges: no group \"%s\"", group);
	}
	if (uid == 0)
		fatalx("refusing to run as root: set \"user\" in the config");
	if (gid == 0)
		fatalx("refusing to run as group root: set \"group\" in the "
		    "config");
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("privileges could be regained after dropping them");
	if (getresuid(&ruid, &euid, &suid) == -1 || ruid != uid ||
	    euid != uid || suid != uid)
		fatalx("user ids did not change as asked");
	log_info("running as user %s (uid %ld, gid %ld)", user, (long)uid,
	    (long)gid);
}
