/* The container root inside a zone (IDM ROOTFS request). */
#ifndef ZONE_INIT_ROOTFS_H
#define ZONE_INIT_ROOTFS_H

#include "idm/messages.h"

/* Mount r->device (r->fstype, read-only) under an overlay with a tmpfs
 * upper layer (or alone when r->read_only), give it /proc, /sys, /dev,
 * /dev/pts, /dev/shm and the etc files, then make it zone-init's root:
 * every process started afterwards lives in it.  Once only. */
int rootfs_setup(const struct idm_rootfs *r);
/* true once rootfs_setup succeeded (zone-init's root is the container's) */
bool rootfs_ready(void);

#endif
