/* The monitor owns one container's zone for its whole life: it starts
 * zone-vmm, sets up the container root over IDM, runs the container's
 * process, relays its stdio (to the attached terminal and the log), records
 * the exit in the state and shuts the zone down.  `zone run` is the monitor
 * itself, or forks one that outlives it (-d). */
#ifndef ZONE_RUNTIME_MONITOR_H
#define ZONE_RUNTIME_MONITOR_H

#include "runtime/state.h"

#include <stdbool.h>

struct monitor_io {
	int in_fd;    /* stdin to relay (-i), else -1 */
	int out_fd;   /* where stdout/stderr also go (attached), else -1 */
	int err_fd;
	int ready_fd; /* gets "ok\n" once the process runs, or the error line */
	bool no_log;  /* no ctr.log: the caller keeps the output (zone-runc) */
};

struct idm_start;
struct idm_rootfs;

/* What zone-runc adds to the life of a container (NULL for zone run). */
struct monitor_hooks {
	/* With wait_start, the monitor stops once the zone is up and the
	 * root in place: the state says "created" with this monitor's pid,
	 * created() runs (hooks; -1 fails the creation), ready_fd gets "ok",
	 * and wait_start() returns when the process is to start. */
	int (*created)(void *arg, struct ctr_state *st);
	int (*wait_start)(void *arg, struct ctr_state *st);
	/* Fill in what the state does not carry (uid/gid, groups, rlimits,
	 * capabilities, no_new_privs, umask, console size). */
	void (*prepare)(void *arg, struct idm_start *start);
	/* The same for the container root (masked and read-only paths). */
	void (*prepare_rootfs)(void *arg, struct idm_rootfs *rf);
	void *arg;
};

/* Returns the container's exit status, or -1 (zerr) when it could not be
 * started; *start_errno tells why (ENOENT: command not found...). */
int monitor_run(const char *root, struct ctr_state *st, const struct monitor_io *io,
		const struct monitor_hooks *hooks, int *start_errno);

#endif
