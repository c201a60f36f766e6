/* detach.h: going into the background, with the starter told how it went. */
#ifndef SOCKD_DETACH_H
#define SOCKD_DETACH_H

void	detach_stdio(void);
int	detach_start(int timeout_s);
void	detach_done(int fd);

#endif
