/* Volumes and tmpfs mounts in the container root (IDM MOUNT). */
#ifndef ZONE_INIT_MOUNTS_H
#define ZONE_INIT_MOUNTS_H

#include "idm/messages.h"

/* Mount m in the container root, which must already be zone-init's root
 * (after IDM ROOTFS).  0, or -1 with zerr set. */
int mount_in_root(const struct idm_mount *m);
/* The same below rootfd instead of "/" (tests). */
int mount_at(int rootfd, const struct idm_mount *m);

#endif
