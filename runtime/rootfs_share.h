/* A zone-runc container's root is the bundle's rootfs directory on the
 * host, shared into the zone with virtio-fs (zone-vmm --fs TAG=DIR[,ro]).
 * The one place that knows how: the rest of the monitor stays the same
 * for image disks and shared directories. */
#ifndef ZONE_RUNTIME_ROOTFS_SHARE_H
#define ZONE_RUNTIME_ROOTFS_SHARE_H

#include <stddef.h>

struct ctr_state;
struct idm_conn;
struct idm_rootfs;

#define ROOTFS_SHARE_TAG "rootfs"

/* zone-vmm's --fs argument for the container's root: "rootfs=DIR[,ro]". */
int zone_share_rootfs_vmm_arg(const struct ctr_state *st, char *buf, size_t len);
/* Make the shared directory the container's root in the zone; base holds
 * read_only, hostname, hosts and resolv.conf as for an image disk. */
int zone_share_rootfs(struct idm_conn *c, const struct idm_rootfs *base);

#endif
