/*
 * conf_text.h: sockd.conf's text: what a truncated file left open, the
 * comments blanked out, where the sections and empty lists are.
 */
#ifndef SOCKD_CONF_TEXT_H
#define SOCKD_CONF_TEXT_H

#include <stddef.h>

#define CONF_MAX_SIZE	(1024 * 1024)

/* a top-level section "name [title] { ... }": where it opens and closes */
struct conf_span {
	char		 cs_name[16];
	int		 cs_open;	/* the line of its name */
	int		 cs_close;	/* the line of its closing brace */
	int		 cs_used;
};

#define CONF_KEYLEN	32

/* a key set twice in one section (conf_dup_key) */
struct conf_dup {
	char		 cd_key[CONF_KEYLEN];
	int		 cd_first;	/* the line of the first "key =" */
};

const char *conf_unclosed(const char *, size_t, int *);
void	conf_blank_comments(char *, size_t);
int	conf_sections(const char *, size_t, struct conf_span *, int);
int	conf_empty_list(const char *, size_t, const char *, int);
int	conf_empty_add(const char *, size_t, const char *, int);
int	conf_key_add(const char *, size_t, const char *);
int	conf_env_ref(const char *, size_t);
int	conf_nul_line(const char *, size_t);
int	conf_titled_section(const char *, size_t, const char *);
int	conf_dup_key(const char *, size_t, struct conf_dup *);
int	conf_key_line(const char *, size_t, const char *);
char	*conf_read_text(const char *, size_t *);

#endif
