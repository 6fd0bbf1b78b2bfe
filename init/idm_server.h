/* zone-init's IDM server: accepts host connections (AF_VSOCK in the zone,
 * AF_UNIX in host tests), starts and supervises container processes and
 * relays their stdio with per-stream credit.  Single-threaded (epoll).
 *
 * Process-wide effects while it runs: SIGCHLD is blocked and consumed
 * through a signalfd, SIGPIPE is ignored, the process becomes a child
 * subreaper, and EVERY child is reaped (zone-init is PID 1): do not wait
 * for your own children while the server runs. */
#ifndef ZONE_INIT_IDM_SERVER_H
#define ZONE_INIT_IDM_SERVER_H

#include "idm/ports.h" /* IDM_VSOCK_PORT */

struct idm_server;

struct idm_server *idm_server_new(void);
/* Accept connections on a listening socket (made nonblocking, close-on-exec). */
int idm_server_listen(struct idm_server *s, int listen_fd);
/* Serve one already-connected socket (ownership passes to the server). */
int idm_server_add_conn(struct idm_server *s, int fd);
/* Run until a SHUTDOWN request (returns 0; processes still running got
 * SIGKILL and were reaped) or a fatal error (-1, zerr).  Errors of one
 * connection close that connection, log one line and never end the loop. */
int idm_server_run(struct idm_server *s);
void idm_server_free(struct idm_server *s);

/* new + listen + run + free: what zone-init calls, e.g.
 *     int fd = idm_vsock_listen(IDM_VSOCK_PORT);
 *     if (fd < 0 || idm_serve(fd) < 0) zerr_print("zone-init");
 *     sync(); reboot(RB_POWER_OFF);                                      */
int idm_serve(int listen_fd);
/* An AF_VSOCK stream socket listening on port for any CID. */
int idm_vsock_listen(unsigned port);

#endif
