/* conf_text.h: sockd.conf's text with the comments blanked out. */
#ifndef SOCKD_CONF_TEXT_H
#define SOCKD_CONF_TEXT_H

#include <stddef.h>

#define CONF_MAX_SIZE	(1024 * 1024)

void	conf_blank_comments(char *, size_t);
char	*conf_read_text(const char *, size_t *);

#endif
