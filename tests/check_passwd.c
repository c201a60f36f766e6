/*
 * check_passwd.c: the password file parser line by line and as a whole
 * (line numbers, duplicates, weak hashes), the keyed hash, and the
 * credential cache shared across fork().
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "capture.h"
#include "credcache.h"
#include "passwd.h"
#include "siphash.h"

#define YESCRYPT "$y$j9T$abcdefghijklmnop$3dL1LkYnZM.OVXuVdnnaKVDlLYT92dRwOzDZ5XiVCe."
#define SHA512 "$6$267OuUd6ZeATgB5W$alJRf3fnWQwLL6BTA0eU6Lz4/6m2ENLNVZNaagKS6Y4B4CPN9HMfjPjB7UwDUoop7YBi2hmTxQcbbIQ2R1pjB."
#define BCRYPT "$2b$05$gHpRTpM6a1jwlfxdcfwRBO22mpY6L98OprMq5UV4OZSt3Cz3OvY9e"
#define MD5 "$1$ifYco2af$MW5hmjtK/sH5ggaUHNPkx1"

static const struct {
	const char		*line;
	enum pw_line_kind	 want;
	const char		*method;	/* when accepted */
} lines[] = {
	{ "", PL_BLANK, NULL },
	{ "   \t", PL_BLANK, NULL },
	{ "# a comment: with a colon", PL_BLANK, NULL },
	{ "  # indented comment", PL_BLANK, NULL },
	{ "alice:" YESCRYPT, PL_OK, "yescrypt" },
	{ "bob:" SHA512, PL_OK, "sha512-crypt" },
	{ "carol:" BCRYPT, PL_OK, "bcrypt" },
	{ "carol:$2y$05$gHpRTpM6a1jwlfxdcfwRBO22mpY6L98OprMq5UV4OZSt3Cz3OvY9e",
	    PL_OK, "bcrypt" },
	{ "sha256:$5$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
	    PL_OK, "sha256-crypt" },
	{ "crlf:" SHA512 "\r", PL_OK, "sha512-crypt" },
	{ "trailing:" SHA512 "  \t", PL_OK, "sha512-crypt" },
	{ "utf8-\xc3\xa9l\xc3\xa8ve:" SHA512, PL_OK, "sha512-crypt" },
	{ "dave:" MD5, PL_WEAK, "md5-crypt" },
	{ "erin:abJnggxhB/yWI", PL_WEAK, "des" },
	{ "frank:_J9..CCCCXBrJUJV154M", PL_WEAK, "bsdi-des" },
	{ "no colon at all", PL_NOCOLON, NULL },
	{ ":" SHA512, PL_EMPTYNAME, NULL },
	{ "has space:" SHA512, PL_BADNAME, NULL },
	{ " lead:" SHA512, PL_BADNAME, NULL },
	{ "tab\there:" SHA512, PL_BADNAME, NULL },
	{ "ctl\x01:" SHA512, PL_BADNAME, NULL },
	{ "del\x7f:" SHA512, PL_BADNAME, NULL },
	{ "gina:", PL_EMPTYHASH, NULL },
	{ "gina:   ", PL_EMPTYHASH, NULL },
	{ "hank:plaintext", PL_BADHASH, NULL },
	{ "hank:!", PL_LOCKED, NULL },
	{ "hank:*", PL_LOCKED, NULL },
	{ "hank:!$y$j9T$salt$hash", PL_LOCKED, NULL },	/* passwd -l */
	{ "hank:*LK*", PL_LOCKED, NULL },
	{ "hank:$6$", PL_BADHASH, NULL },
	{ "hank:$6$salt$", PL_BADHASH, NULL },
	{ "hank:$9$salt$hash", PL_BADHASH, NULL },
	{ "hank:$6$salt$ha sh", PL_BADHASH, NULL },
	{ "hank:$6$salt$ha:sh", PL_BADHASH, NULL },
	{ "hank:abJnggxhB/yW", PL_BADHASH, NULL },	/* 12: not DES */
	{ "hank:abJnggxhB/yW!", PL_BADHASH, NULL },
};

START_TEST(test_line)
{
	struct pw_line		 pl;
	enum pw_line_kind	 k;

	k = passwd_parse_line(lines[_i].line, strlen(lines[_i].line), &pl);
	ck_assert_msg(k == lines[_i].want, "'%s': got %d want %d",
	    lines[_i].line, k, lines[_i].want);
	if (lines[_i].method != NULL)
		ck_assert_str_eq(pl.pl_method, lines[_i].method);
	ck_assert_str_ne(passwd_kind_str(k), "?");
}
END_TEST

/* Lengths: a 255-byte name is fine, 256 is not; lines over 1024 are not. */
/* What sockpasswd may add: a name its file can hold as a user's line. */
START_TEST(test_name_ok)
{
	ck_assert(passwd_name_ok("alice", 5));
	ck_assert(passwd_name_ok("a#b", 3));
	ck_assert(!passwd_name_ok("#x", 2));
	ck_assert(!passwd_name_ok("bad:name", 8));
	ck_assert(!passwd_name_ok("a b", 3));
	ck_assert(!passwd_name_ok("", 0));
}
END_TEST

START_TEST(test_lengths)
{
	char		 buf[2048];
	struct pw_line	 pl;

	memset(buf, 'n', 255);
	strcpy(buf + 255, ":" SHA512);
	ck_assert_int_eq(passwd_parse_line(buf, strlen(buf), &pl), PL_OK);
	ck_assert_uint_eq(pl.pl_namelen, 255);
	memset(buf, 'n', 256);
	strcpy(buf + 256, ":" SHA512);
	ck_assert_int_eq(passwd_parse_line(buf, strlen(buf), &pl),
	    PL_LONGNAME);
	memset(buf, 'n', 1100);
	strcpy(buf + 1100, ":" SHA512);
	ck_assert_int_eq(passwd_parse_line(buf, strlen(buf), &pl),
	    PL_LONGLINE);
	memcpy(buf, "nul\0x:" SHA512, 6 + strlen(SHA512));
	ck_assert_int_eq(passwd_parse_line(buf, 6 + strlen(SHA512), &pl),
	    PL_BADNAME);
	memcpy(buf, "nul:$6$s\0lt$h", 13);
	ck_assert_int_eq(passwd_parse_line(buf, 13, &pl), PL_BADHASH);
}
END_TEST

struct reports {
	int			 n;
	int			 line[16];
	enum pw_line_kind	 kind[16];
	char			 name[16][32];
};

static void
collect(void *arg, int line, enum pw_line_kind k, const char *name)
{
	struct reports	*r = arg;

	ck_assert_int_lt(r->n, 16);
	r->line[r->n] = line;
	r->kind[r->n] = k;
	snprintf(r->name[r->n], sizeof(r->name[0]), "%s", name ? name : "");
	r->n++;
}

static int
reported(const struct reports *r, int line, enum pw_line_kind k)
{
	int	 i;

	for (i = 0; i < r->n; i++)
		if (r->line[i] == line && r->kind[i] == k)
			return 1;
	return 0;
}

static const char file[] =
	"# sockd users\n"			/* 1 */
	"\n"					/* 2 */
	"alice:" YESCRYPT "\n"			/* 3 */
	"bob:" SHA512 "\n"			/* 4 */
	"broken line\n"				/* 5 */
	"alice:" SHA512 "\n"			/* 6: duplicate */
	"dave:" MD5 "\n"			/* 7: weak */
	":" SHA512 "\n"				/* 8 */
	"erin:nothash\n"			/* 9 */
	"carol:" BCRYPT;			/* 10, no newline */

START_TEST(test_file)
{
	struct reports	 r;
	struct passwd_db *db;
	const struct passwd_entry *e;

	memset(&r, 0, sizeof(r));
	db = passwd_parse(file, strlen(file), collect, &r);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(db->pd_n, 4);
	ck_assert_int_eq(r.n, 5);
	ck_assert(reported(&r, 5, PL_NOCOLON));
	ck_assert(reported(&r, 6, PL_DUPLICATE));
	ck_assert(reported(&r, 7, PL_WEAK));
	ck_assert(reported(&r, 8, PL_EMPTYNAME));
	ck_assert(reported(&r, 9, PL_BADHASH));
	ck_assert_int_eq(db->pd_warnings, 1);
	ck_assert_int_eq(db->pd_errors, 4);
	e = passwd_find(db, "alice");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->pe_hash, YESCRYPT);	/* the first one counts */
	ck_assert_int_eq(e->pe_line, 3);
	ck_assert_str_eq(passwd_find(db, "carol")->pe_hash, BCRYPT);
	ck_assert_int_eq(passwd_find(db, "carol")->pe_line, 10);
	ck_assert_ptr_nonnull(passwd_find(db, "dave"));
	ck_assert_ptr_null(passwd_find(db, "erin"));
	ck_assert_ptr_null(passwd_find(db, "alic"));
	ck_assert_ptr_null(passwd_find(db, ""));
	passwd_free(db);
}
END_TEST

START_TEST(test_empty_file)
{
	struct reports	 r;
	struct passwd_db *db;

	memset(&r, 0, sizeof(r));
	db = passwd_parse("", 0, collect, &r);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(db->pd_n, 0);
	ck_assert_ptr_null(passwd_find(db, "alice"));
	passwd_free(db);
	db = passwd_parse("# only\n\n", 8, collect, &r);
	ck_assert_uint_eq(db->pd_n, 0);
	ck_assert_int_eq(r.n, 0);
	passwd_free(db);
}
END_TEST

/* SipHash-2-4-128 reference vectors: key 00..0f, input 00..(n-1). */
/* Load text from a file of the given mode: what passwd_load() logged. */
static const char *
load_mode(const char *text, mode_t mode)
{
	char			 path[] = "/tmp/check_passwd.XXXXXX";
	struct passwd_db	*db;
	int			 fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	capture_start();
	db = passwd_load(path, NULL);
	unlink(path);
	ck_assert_ptr_nonnull(db);
	passwd_free(db);
	return capture_end();
}

/*
 * Hashes others may read, or others or the group write: a warning, with
 * the group of the process that loads it (the run-as group, in sockd).
 */
START_TEST(test_file_mode)
{
	const struct group	*gr = getgrgid(getegid());
	const char		*e;
	char			 fix[96];

	ck_assert_ptr_nonnull(gr);
	snprintf(fix, sizeof(fix), ": every user of this host may read its "
	    "hashes: use root:%s mode 0640", gr->gr_name);
	e = load_mode("alice:" SHA512 "\n", 0644);
	ck_assert_msg(strstr(e, fix) != NULL, "%s", e);
	e = load_mode("alice:" SHA512 "\n", 0666);
	ck_assert_msg(strstr(e, ": anyone may write it") != NULL &&
	    strstr(e, "may read") == NULL, "%s", e);
	e = load_mode("alice:" SHA512 "\n", 0660);
	ck_assert_msg(strstr(e, ": its group may write it") != NULL, "%s", e);
	e = load_mode("alice:" SHA512 "\n", 0640);
	ck_assert_msg(strstr(e, "0640") == NULL, "%s", e);
	e = load_mode("# no users yet\n", 0644);
	ck_assert_msg(strstr(e, "may read") == NULL, "%s", e);
}
END_TEST

START_TEST(test_siphash)
{
	static const uint8_t want0[16] = { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25,
	    0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 };
	static const uint8_t want1[16] = { 0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99,
	    0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45 };
	static const uint8_t want8[16] = { 0x3b, 0x62, 0xa9, 0xba, 0x62, 0x58,
	    0xf5, 0x61, 0x0f, 0x83, 0xe2, 0x64, 0xf3, 0x14, 0x97, 0xb4 };
	uint8_t		 key[16], in[16], got[16];
	uint64_t	 out[2];
	int		 i, j;

	for (i = 0; i < 16; i++)
		key[i] = in[i] = i;
	siphash128(key, in, 0, out);
	for (j = 0; j < 16; j++)
		got[j] = out[j / 8] >> (8 * (j % 8));
	ck_assert_mem_eq(got, want0, 16);
	siphash128(key, in, 1, out);
	for (j = 0; j < 16; j++)
		got[j] = out[j / 8] >> (8 * (j % 8));
	ck_assert_mem_eq(got, want1, 16);
	siphash128(key, in, 8, out);
	for (j = 0; j < 16; j++)
		got[j] = out[j / 8] >> (8 * (j % 8));
	ck_assert_mem_eq(got, want8, 16);
}
END_TEST

START_TEST(test_cache)
{
	struct credcache *cc = credcache_new(64, 60);
	pid_t		 pid;
	int		 status;

	ck_assert_ptr_nonnull(cc);
	ck_assert_int_eq(credcache_lookup(cc, "alice", "pw", SHA512), 0);
	/* a child stores; the parent sees it: the memory is shared */
	if ((pid = fork()) == 0) {
		credcache_store(cc, "alice", "pw", SHA512);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(credcache_lookup(cc, "alice", "pw", SHA512), 1);
	ck_assert_int_eq(credcache_lookup(cc, "alice", "pW", SHA512), 0);
	ck_assert_int_eq(credcache_lookup(cc, "alicE", "pw", SHA512), 0);
	ck_assert_int_eq(credcache_lookup(cc, "alice", "pw", YESCRYPT), 0);
	/* no ambiguity between user and password bytes */
	ck_assert_int_eq(credcache_lookup(cc, "alicep", "w", SHA512), 0);
	credcache_flush(cc);
	ck_assert_int_eq(credcache_lookup(cc, "alice", "pw", SHA512), 0);
	credcache_store(cc, "alice", "pw", SHA512);
	ck_assert_int_eq(credcache_lookup(cc, "alice", "pw", SHA512), 1);
	credcache_free(cc);
	ck_assert_int_eq(credcache_lookup(NULL, "alice", "pw", SHA512), 0);
}
END_TEST

/* One worker checks a login; another with the same login waits for it. */
START_TEST(test_cache_claim)
{
	struct credcache *cc = credcache_new(64, 60);
	pid_t		 pid;
	int		 status;

	ck_assert_int_eq(credcache_claim(cc, "carol", "pw", SHA512, 2000), 1);
	/* the same login waits; another login does not */
	ck_assert_int_eq(credcache_claim(cc, "carol", "pw", SHA512, 2000), 0);
	ck_assert_int_eq(credcache_claim(cc, "carol", "px", SHA512, 2000), 1);
	if ((pid = fork()) == 0) {
		usleep(100 * 1000);
		credcache_store(cc, "carol", "pw", SHA512);
		_exit(0);
	}
	ck_assert_int_eq(credcache_wait(cc, "carol", "pw", SHA512, 5000), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* stored: the claim is gone */
	ck_assert_int_eq(credcache_claim(cc, "carol", "pw", SHA512, 2000), 1);
	/* a failed check releases: the waiter returns at once, missing */
	credcache_flush(cc);
	credcache_release(cc, "carol", "pw", SHA512);
	ck_assert_int_eq(credcache_claim(cc, "dave", "pw", SHA512, 2000), 1);
	credcache_release(cc, "dave", "pw", SHA512);
	ck_assert_int_eq(credcache_wait(cc, "dave", "pw", SHA512, 5000), 0);
	/* a claim runs out: a worker that died holds no one up for long */
	ck_assert_int_eq(credcache_claim(cc, "erin", "pw", SHA512, 50), 1);
	ck_assert_int_eq(credcache_wait(cc, "erin", "pw", SHA512, 5000), 0);
	ck_assert_int_eq(credcache_claim(cc, "erin", "pw", SHA512, 50), 1);
	credcache_free(cc);
	ck_assert_int_eq(credcache_claim(NULL, "x", "y", SHA512, 50), 1);
}
END_TEST

START_TEST(test_cache_expiry)
{
	struct credcache *cc = credcache_new(8, 1);

	credcache_store(cc, "bob", "secret", SHA512);
	ck_assert_int_eq(credcache_lookup(cc, "bob", "secret", SHA512), 1);
	sleep(2);
	ck_assert_int_eq(credcache_lookup(cc, "bob", "secret", SHA512), 0);
	credcache_free(cc);
}
END_TEST

#define H_RIGHT "$6$rounds=1000$saltsaltsalt$S.AvNhjkZsCxpG13tAA7FQtZR7Auzs.ZHAEPFk8TDuoN1ZbZAiEdroTOEbTbm0uVxunbseYbgLrJ42cbu.fE5/"
#define H_OTHER "$6$rounds=1000$saltsaltsalt$wncoWLi.v7WNVg7CxKuHAfXJmznRiWiFX56LSfvGer62j/.fJugTA0T44ktOgcebcjKsQsOAjyTA46LzjCCwW1"
#define H_DUMMY "$6$rounds=1000$dummydummy$LUS.jrDFWFSyt70JBpT99KYVSf2DqgXAuthdqPelygCZujjg/7P0fPgIvdDWgYheZmuL4F97pL6sbJlxcKdLC0"

static void
no_report(void *arg, int line, enum pw_line_kind k, const char *name)
{
}

/*
 * auth_verify(): crypt(3) first, the cache after; a hash that changed
 * (as after sockpasswd and a reload) never matches a remembered login.
 */
START_TEST(test_verify)
{
	static const char one[] = "alice:" H_RIGHT "\n";
	static const char two[] = "alice:" H_OTHER "\n";
	struct auth_db	 ad;

	memset(&ad, 0, sizeof(ad));
	ad.ad_dummy = H_DUMMY;
	ad.ad_cache = credcache_new(16, 60);
	ad.ad_passwd = passwd_parse(one, strlen(one), no_report, NULL);
	ck_assert_int_eq(auth_verify(&ad, "alice", "right"), AUTH_OK);
	ck_assert_int_eq(auth_verify(&ad, "alice", "right"), AUTH_CACHED);
	ck_assert_int_eq(auth_verify(&ad, "alice", "Right"), AUTH_WRONG);
	ck_assert_int_eq(auth_verify(&ad, "bob", "right"), AUTH_UNKNOWN);
	ck_assert_int_eq(auth_verify(&ad, "alice", ""), AUTH_WRONG);
	passwd_free(ad.ad_passwd);
	/* the same cache, the password changed to "other" */
	ad.ad_passwd = passwd_parse(two, strlen(two), no_report, NULL);
	ck_assert_int_eq(auth_verify(&ad, "alice", "right"), AUTH_WRONG);
	ck_assert_int_eq(auth_verify(&ad, "alice", "other"), AUTH_OK);
	passwd_free(ad.ad_passwd);
	/* the user deleted */
	ad.ad_passwd = passwd_parse("", 0, no_report, NULL);
	ck_assert_int_eq(auth_verify(&ad, "alice", "other"), AUTH_UNKNOWN);
	passwd_free(ad.ad_passwd);
	credcache_free(ad.ad_cache);
}
END_TEST

static int64_t
median_ns(struct auth_db *ad, const char *user, const char *pass)
{
	struct timespec	 a, b;
	int64_t		 t[7], x;
	int		 i, j;

	for (i = 0; i < 7; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		auth_verify(ad, user, pass);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (b.tv_sec - a.tv_sec) * 1000000000LL +
		    (b.tv_nsec - a.tv_nsec);
		for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
			x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	}
	return t[3];
}

/* An unknown user pays a crypt(3) check (the dummy hash) too. */
START_TEST(test_unknown_costs)
{
	static const char one[] = "alice:" H_RIGHT "\n";
	struct auth_db	 ad;
	int64_t		 wrong, unknown;

	memset(&ad, 0, sizeof(ad));
	ad.ad_dummy = H_DUMMY;
	ad.ad_passwd = passwd_parse(one, strlen(one), no_report, NULL);
	wrong = median_ns(&ad, "alice", "guess");
	unknown = median_ns(&ad, "mallory", "guess");
	ck_assert_msg(unknown > wrong / 3, "unknown %lld ns, wrong %lld ns",
	    (long long)unknown, (long long)wrong);
	passwd_free(ad.ad_passwd);
}
END_TEST

static Suite *
passwd_suite(void)
{
	Suite	*s = suite_create("passwd");
	TCase	*tc = tcase_create("file");

	tcase_add_loop_test(tc, test_line, 0, sizeof(lines) / sizeof(lines[0]));
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_empty_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("cache");
	tcase_add_test(tc, test_file_mode);
	tcase_add_test(tc, test_siphash);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_cache_claim);
	tcase_add_test(tc, test_cache_expiry);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_unknown_costs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(passwd_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
