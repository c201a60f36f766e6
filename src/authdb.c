/*
 * authdb.c: the master's side of password authentication: load the
 * password file for a configuration (at start and on SIGHUP), make the
 * dummy hash and a fresh credential cache, and notice when the file
 * changes under a running configuration.
 */
#include "config.h"

#ifdef HAVE_CRYPT_H
#include <crypt.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "credcache.h"
#include "log.h"
#include "passwd.h"
#include "proto.h"

void
auth_free(struct auth_db *ad)
{
	if (ad == NULL)
		return;
	passwd_free(ad->ad_passwd);
	free(ad->ad_dummy);
	credcache_free(ad->ad_cache);
	free(ad);
}

/* The hash on the file's first user line (the entries are sorted). */
static const char *
first_hash(const struct passwd_db *db)
{
	const struct passwd_entry *first = NULL;
	size_t		 i;

	for (i = 0; i < db->pd_n; i++)
		if (first == NULL || db->pd_ent[i].pe_line < first->pe_line)
			first = &db->pd_ent[i];
	return first != NULL ? first->pe_hash : NULL;
}

/*
 * A hash of a random password made with the setting (method, cost, salt)
 * of the file's first user's hash, so that checking an unknown user
 * costs what checking a real one does.
 */
static char *
make_dummy(const struct passwd_db *db)
{
	struct crypt_data *cd;
	const char	*setting = first_hash(db);
	char		 pw[33], *out = NULL;
	uint8_t		 rnd[16];
	size_t		 i;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return NULL;
	if (getentropy(rnd, sizeof(rnd)) == -1)
		goto done;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
	if (setting == NULL &&
	    (setting = crypt_gensalt_rn("$y$", 0, NULL, 0, cd->setting,
	    sizeof(cd->setting))) == NULL)
		goto done;
	if (crypt_r(pw, setting, cd) != NULL && cd->output[0] != '*')
		out = strdup(cd->output);
done:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return out;
}

/* Load the password file for conf: a new auth_db, NULL after logging. */
static struct auth_db *
auth_db_new(const struct sockd_conf *c)
{
	struct auth_db	*ad;

	if ((ad = calloc(1, sizeof(*ad))) == NULL)
		return NULL;
	if ((ad->ad_passwd = passwd_load(c->c_passwd_file,
	    &ad->ad_stamp)) == NULL) {
		log_warn("password file %s", c->c_passwd_file);
		auth_free(ad);
		return NULL;
	}
	if (ad->ad_passwd->pd_n == 0)
		log_warnx("%s: no users: every login will fail",
		    c->c_passwd_file);
	return ad;
}

/* The dummy hash and a new, empty cache. */
static int
auth_db_finish(struct auth_db *ad, const struct sockd_conf *c)
{
	if (ad->ad_dummy == NULL &&
	    (ad->ad_dummy = make_dummy(ad->ad_passwd)) == NULL) {
		log_warnx("cannot make the dummy password hash");
		return -1;
	}
	if (c->c_pw_cache_ttl > 0 && (ad->ad_cache =
	    credcache_new(c->c_pw_cache_size, c->c_pw_cache_ttl)) == NULL) {
		log_warn("credential cache");
		return -1;
	}
	return 0;
}

/*
 * Make next->c_auth when next offers passwords.  When the file cannot
 * be read, a running configuration (old) of the same file lends its
 * users: a bad file keeps the old one.  Without one to fall back on (or
 * when passwd-file now names another file), -1; and when the loan cannot
 * be finished, old gets its users back (without its cache).  A loan
 * takes the file's stamp as it is now, so auth_watch() does not call the
 * same bad file a change.
 */
int
auth_load(struct sockd_conf *next, struct sockd_conf *old)
{
	struct auth_db	*ad;
	int		 lent = 0;

	if (!conf_uses_method(next, S5_METHOD_PASSWORD))
		return 0;
	if ((ad = auth_db_new(next)) == NULL) {
		if (old == NULL || old->c_auth == NULL ||
		    next->c_passwd_file == NULL ||
		    strcmp(old->c_passwd_file, next->c_passwd_file) != 0)
			return -1;
		log_warnx("%s: keeping the %zu users loaded before",
		    next->c_passwd_file, old->c_auth->ad_passwd->pd_n);
		ad = old->c_auth;
		old->c_auth = NULL;
		credcache_free(ad->ad_cache);
		ad->ad_cache = NULL;
		if (passwd_stamp(next->c_passwd_file, &ad->ad_stamp) == -1)
			memset(&ad->ad_stamp, 0, sizeof(ad->ad_stamp));
		lent = 1;
	} else
		log_info("%s: %zu users loaded", next->c_passwd_file,
		    ad->ad_passwd->pd_n);
	next->c_auth = ad;
	if (auth_db_finish(ad, next) == 0)
		return 0;
	if (lent) {
		next->c_auth = NULL;
		old->c_auth = ad;
	}
	return -1;
}

/* Called each tick: when the file changed, forget remembered logins. */
void
auth_watch(struct sockd_conf *c)
{
	struct passwd_stamp ps;
	struct auth_db	*ad = c->c_auth;

	if (ad == NULL || ad->ad_cache == NULL)
		return;
	if (passwd_stamp(c->c_passwd_file, &ps) == -1)
		memset(&ps, 0, sizeof(ps));
	if (passwd_stamp_equal(&ps, &ad->ad_stamp))
		return;
	ad->ad_stamp = ps;
	credcache_flush(ad->ad_cache);
	log_info("%s changed: credential cache emptied (SIGHUP loads it)",
	    c->c_passwd_file);
}
