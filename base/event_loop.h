/* The event loop, a base layer below devices/ and vmm/: one epoll thread
 * that runs device work (queue notifications via ioeventfd, host-side fds
 * such as stdin or sockets). */
#ifndef ZONE_BASE_EVENT_LOOP_H
#define ZONE_BASE_EVENT_LOOP_H

#include <stdint.h>

typedef void (*loop_cb)(void *arg, uint32_t events);

struct loop;

struct loop *loop_new(void);
void loop_free(struct loop *l);
/* Watch fd for epoll events; cb runs on the loop thread. */
int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *arg);
int loop_mod(struct loop *l, int fd, uint32_t events);
void loop_del(struct loop *l, int fd);
/* Run until loop_stop(); returns the value passed to loop_stop. */
int loop_run(struct loop *l);
/* Thread-safe: makes loop_run return rc (first call wins). */
void loop_stop(struct loop *l, int rc);
int loop_stopping(struct loop *l);

#endif
