/*
 * auth.c: RFC 1929 username/password sub-negotiation for a session, and
 * the check of a login against the password table: crypt(3) unless the
 * shared cache remembers it.
 */
#include "config.h"

#ifdef HAVE_CRYPT_H
#include <crypt.h>
#endif
#include <errno.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "conf.h"
#include "credcache.h"
#include "log.h"
#include "netio.h"
#include "passwd.h"
#include "session.h"

#define AUTH_CLAIM_MS		2000	/* the longest wait for another's check */
#define AUTH_STATUS_OK		0x00
#define AUTH_STATUS_FAIL	0x01

static struct crypt_data	 auth_cd;	/* 32 KiB: not on the stack */

static const char *auth_why[] = {
	[AUTH_UNKNOWN] = "unknown user",
	[AUTH_WRONG] = "wrong password",
};

/* Compare two strings in time that depends on their lengths only. */
static int
ct_streq(const char *a, const char *b)
{
	size_t		 la = strlen(a), lb = strlen(b), i;
	unsigned char	 d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)(i < lb ? b[i] : 0);
	return d == 0;
}

/* Does pass hash to hash?  The work crypt(3) does is the same for all. */
static int
crypt_check(const char *pass, const char *hash)
{
	int	 ok;

	ok = crypt_r(pass, hash, &auth_cd) != NULL &&
	    auth_cd.output[0] != '*' && ct_streq(auth_cd.output, hash);
	explicit_bzero(&auth_cd, sizeof(auth_cd));
	return ok;
}

/* AUTH_OK, AUTH_CACHED, AUTH_UNKNOWN or AUTH_WRONG. */
int
auth_verify(const struct auth_db *ad, const char *user, const char *pass)
{
	const struct passwd_entry *e;

	if ((e = passwd_find(ad->ad_passwd, user)) == NULL) {
		crypt_check(pass, ad->ad_dummy);	/* spend the same time */
		return AUTH_UNKNOWN;
	}
	if (credcache_lookup(ad->ad_cache, user, pass, e->pe_hash))
		return AUTH_CACHED;
	/* another worker checks this very login: its answer will do */
	if (!credcache_claim(ad->ad_cache, user, pass, e->pe_hash,
	    AUTH_CLAIM_MS) && credcache_wait(ad->ad_cache, user, pass,
	    e->pe_hash, AUTH_CLAIM_MS))
		return AUTH_CACHED;
	if (!crypt_check(pass, e->pe_hash)) {
		credcache_release(ad->ad_cache, user, pass, e->pe_hash);
		return AUTH_WRONG;
	}
	credcache_store(ad->ad_cache, user, pass, e->pe_hash);
	return AUTH_OK;
}

static ssize_t
parse_userpass(const uint8_t *buf, size_t len, void *out)
{
	return s5_parse_userpass(buf, len, out);
}

/*
 * Slow down guessing: answer a failure the configured delay after the
 * login came (since).  Counted from then, not from the end of the
 * check, so a hash cheaper or dearer than another (an unknown user's,
 * which costs what the file's first user's does) does not show in the
 * time the answer takes; and in full, even past the negotiate deadline,
 * which would otherwise cut it to less than a check's cost for a login
 * sent just before it.  conf_check() keeps it below negotiate-timeout.
 */
static void
fail_delay(struct session *s, int64_t since)
{
	int64_t		 end = since + s->s_conf->c_pw_fail_delay;
	int		 left;

	/* a sleep that sees the stop signals, as every wait of a worker */
	while ((left = ms_left(end)) > 0)
		if (netio_poll(NULL, 0, left) == -1 && errno == EINTR &&
		    netio_interrupted() == -1)
			break;
}

static int
auth_answer(struct session *s, uint8_t status)
{
	uint8_t	 reply[2] = { SOCKS5_AUTH_VERSION, status };

	return session_send(s, reply, sizeof(reply));
}

/* The name for the log: not one cut short at a NUL (not the name sent). */
static void
auth_keep_user(struct session *s, const struct s5_userpass *u)
{
	if (u->u_ulen > 0 && strlen(u->u_user) == u->u_ulen)
		memcpy(s->s_user, u->u_user, u->u_ulen + 1);
}

/* Read the login; -1 after answering (and saying why) when it is bad. */
static int
auth_read(struct session *s, struct s5_userpass *u)
{
	size_t	 start = s->s_off;
	ssize_t	 n;

	n = session_read_msg(s, parse_userpass, u);
	/* the password stays in no buffer but u */
	if (n > 0) {
		explicit_bzero(s->s_buf + start, n);
		return 0;
	}
	explicit_bzero(s->s_buf + start, s->s_len - start);
	if (n == P_BADVER)
		session_why(s, "bad version in password negotiation");
	else if (n == P_BAD) {
		session_why(s, "empty user name or password");
		auth_keep_user(s, u);
	}
	if (n == P_BADVER || n == P_BAD)
		auth_answer(s, AUTH_STATUS_FAIL);
	return -1;
}

/*
 * RFC 1929 allows any byte, but the table and crypt(3) compare C strings:
 * "alice\0x" would be alice, "secret\0x" secret.  The reason, or NULL.
 */
static const char *
auth_nul(const struct s5_userpass *u)
{
	if (memchr(u->u_user, '\0', u->u_ulen) != NULL)
		return "NUL byte in username";
	if (memchr(u->u_pass, '\0', u->u_plen) != NULL)
		return "NUL byte in password";
	return NULL;
}

/* The login against the table: AUTH_*. */
static int
auth_check(struct session *s, const struct s5_userpass *u)
{
	const struct auth_db *ad = s->s_conf->c_auth;
	int64_t		 t0 = now_ms();
	int		 rc;

	if (ad == NULL) {
		log_warnx("password offered but no password file loaded");
		return AUTH_UNKNOWN;
	}
	rc = auth_verify(ad, u->u_user, u->u_pass);
	log_debug("session %016llx: login checked in %lld ms%s",
	    (unsigned long long)s->s_id, (long long)(now_ms() - t0),
	    rc == AUTH_CACHED ? " (cached)" : "");
	return rc;
}

/* A failed login: say why, wait as for any failure, answer; -1. */
static int
auth_fail(struct session *s, const char *why, int64_t since)
{
	session_why(s, "authentication failed: %s", why);
	s->s_notice = 1;	/* what fail2ban and the like watch for */
	fail_delay(s, since);
	auth_answer(s, AUTH_STATUS_FAIL);
	return -1;
}

int
auth_userpass(struct session *s)
{
	struct s5_userpass u;
	const char	*nul;
	int64_t		 t0;
	int		 rc;

	if (auth_read(s, &u) == -1) {
		explicit_bzero(&u, sizeof(u));
		return -1;
	}
	t0 = now_ms();
	auth_keep_user(s, &u);
	/* over a client limit: refused unchecked, so no guess is told */
	if (s->s_limit[0] != '\0') {
		explicit_bzero(&u, sizeof(u));
		auth_answer(s, AUTH_STATUS_FAIL);
		return -1;
	}
	if ((nul = auth_nul(&u)) != NULL) {
		explicit_bzero(&u, sizeof(u));
		return auth_fail(s, nul, t0);
	}
	rc = auth_check(s, &u);
	explicit_bzero(&u, sizeof(u));
	if (rc == AUTH_OK || rc == AUTH_CACHED)
		return auth_answer(s, AUTH_STATUS_OK);
	return auth_fail(s, auth_why[rc], t0);
}
