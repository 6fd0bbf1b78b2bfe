/* The virtio-fs back ends: one virtiofsd (Debian's, from qemu-system-common)
 * per shared directory or file, started by zone-vmm before its jail,
 * sandboxed by virtiofsd's own namespace sandbox inside a private mount
 * namespace of ours, killed with zone-vmm (PR_SET_PDEATHSIG) and reaped. */
#ifndef ZONE_VMM_VIRTIOFSD_H
#define ZONE_VMM_VIRTIOFSD_H

#include <stdbool.h>
#include <sys/types.h>

#define VIRTIOFSD_PATH "/usr/lib/qemu/virtiofsd"

struct fs_share {
	const char *tag;  /* the guest mounts -t virtiofs TAG */
	const char *path; /* absolute host directory or regular file */
	bool readonly;
};

/* Parse zone-vmm's --fs TAG=PATH[,ro|,rw].  Modifies arg in place. */
int fs_share_parse(char *arg, struct fs_share *s);

/* Start a virtiofsd serving s and connect to it.  Returns the connected
 * vhost-user socket (pass it to virtio_fs_new) and sets *pid, or -1
 * (zerr).  A directory is shared as it is; a regular file is shared as
 * the only entry (under its own name) of a private tmpfs directory, so
 * nothing else of its parent directory reaches the guest.  Read-only
 * shares are read-only bind mounts in virtiofsd's mount namespace: writes
 * fail with EROFS on the host side whatever the guest does. */
int virtiofsd_start(const struct fs_share *s, pid_t *pid);

/* Wait (up to timeout_ms) for a virtiofsd whose socket is closed to exit;
 * 0 once reaped. */
int virtiofsd_reap(pid_t pid, int timeout_ms);

#endif
