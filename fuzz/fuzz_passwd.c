/*
 * fuzz_passwd.c: the password file, "name:hash" a line, through
 * passwd_parse(); every kept name must then be found again.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "passwd.h"

static void
report(void *arg, int line, enum pw_line_kind kind, const char *name)
{
	(void)passwd_kind_str(kind);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct passwd_db	*db;
	size_t			 i;

	if ((db = passwd_parse((const char *)buf, len, report, NULL)) == NULL)
		return 0;
	for (i = 0; i < db->pd_n; i++)
		if (passwd_find(db, db->pd_ent[i].pe_name) == NULL)
			abort();
	passwd_free(db);
	return 0;
}
