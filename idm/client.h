/* Host side of IDM: connect to a zone's zone-init, start processes and
 * relay their stdio.  One connection can carry many processes; the
 * library is single-threaded and blocking (poll-based). */
#ifndef ZONE_IDM_CLIENT_H
#define ZONE_IDM_CLIENT_H

#include "idm/messages.h"

#include <stdbool.h>
#include <stdint.h>

struct idm_conn;

/* Hybrid vsock (Firecracker model): connect to the zone's Unix socket,
 * send "CONNECT <port>\n", expect "OK <hostport>\n", then HELLO. */
int idm_conn_connect(const char *uds_path, unsigned port, struct idm_conn **out);
/* Use an already-connected stream socket (tests, socketpairs); takes
 * ownership of fd (closed on failure too) and does HELLO. */
int idm_conn_open_fd(int fd, struct idm_conn **out);
void idm_conn_close(struct idm_conn *c);
int idm_conn_fd(const struct idm_conn *c);

/* Requests; each blocks until its reply.  Messages that arrive
 * meanwhile (output, exits) are queued for idm_recv. */
int idm_ping(struct idm_conn *c);
int idm_start(struct idm_conn *c, const struct idm_start *s, uint32_t *proc, uint32_t *pid);
int idm_signal(struct idm_conn *c, uint32_t proc, int signo);
int idm_resize(struct idm_conn *c, uint32_t proc, unsigned rows, unsigned cols);
/* reply->u.list holds the processes; idm_msg_free(reply) afterwards. */
int idm_list(struct idm_conn *c, struct idm_msg *reply);
int idm_stats(struct idm_conn *c, uint32_t proc, struct idm_stats *out);
int idm_shutdown(struct idm_conn *c);
/* Mount the container root in the zone and make it zone-init's root. */
int idm_rootfs(struct idm_conn *c, const struct idm_rootfs *r);
/* A volume or tmpfs in the container root (after idm_rootfs). */
int idm_mount(struct idm_conn *c, const struct idm_mount *m);

/* Asynchronous WAIT: the EXIT arrives through idm_recv with m.id == *req. */
int idm_send_wait(struct idm_conn *c, uint32_t proc, uint32_t *req);
/* Send stdin bytes, blocking while the stream has no credit. */
int idm_write_stdin(struct idm_conn *c, uint32_t proc, const void *buf, size_t len);
int idm_close_stdin(struct idm_conn *c, uint32_t proc);
/* Next queued or incoming message (DATA, EOF, EXIT...): 1, 0 on timeout,
 * -1 on error or a closed connection.  After consuming DATA, return its
 * bytes with idm_credit or the process stalls once its window is used. */
int idm_recv(struct idm_conn *c, struct idm_msg *m, int timeout_ms);
int idm_credit(struct idm_conn *c, uint32_t proc, int stream, uint32_t bytes);

/* Start a process and relay in_fd -> stdin, stdout -> out_fd, stderr ->
 * err_fd (any may be -1: no stdin / discard) until it exits.  tty:
 * request a pty; if in_fd is a terminal it is put in raw mode and
 * SIGWINCH is forwarded as RESIZE (rows/cols of start, when 0, are taken
 * from the local terminal).  *exit_code is the status, 128+N for signal
 * N.  Returns -2 (zerr, zerr_errno() = zone-init's errno, e.g. ENOENT)
 * when the process could not be started, -1 (zerr) when the connection
 * failed.  Expects to be the only user of c while it runs. */
int idm_run_process(struct idm_conn *c, const struct idm_start *start, int in_fd, int out_fd,
		    int err_fd, bool tty, int *exit_code);
/* idm_run_process with hooks: started() runs once the process exists
 * (proc = its handle, valid on any connection to the zone); returning -1
 * from it abandons the relay (the process keeps its kill_on_close fate). */
struct idm_run_hooks {
	int (*started)(void *arg, uint32_t proc);
	void *arg;
};
int idm_run_process_ex(struct idm_conn *c, const struct idm_start *start, int in_fd, int out_fd,
		       int err_fd, bool tty, int *exit_code, const struct idm_run_hooks *hooks);

/* From now on, idm_run_process passes SIGHUP, SIGINT, SIGQUIT, SIGTERM,
 * SIGUSR1 and SIGUSR2 received by this process on to the process in the
 * zone (for CLIs like `zone exec`; off by default). */
void idm_forward_signals(bool on);

#endif
