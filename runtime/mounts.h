/* The container's mounts (config "mounts", from zone run -v/--mount/--tmpfs):
 * each host path becomes a zone-vmm --fs share with its own virtiofsd,
 * and every mount an IDM MOUNT request once the container root is set up. */
#ifndef ZONE_RUNTIME_MOUNTS_H
#define ZONE_RUNTIME_MOUNTS_H

#include <jansson.h>
#include "idm/client.h"

/* zone-vmm arguments ("--fs", "TAG=HOSTPATH[,ro]", ...) for the host
 * paths of mounts (the config's "mounts" array; NULL: none), as a
 * NULL-terminated array (mounts_free_args), or NULL (zerr). */
char **mounts_vmm_args(json_t *mounts);
void mounts_free_args(char **args);
/* Send one IDM MOUNT per mount, in the order given. */
int mounts_apply(struct idm_conn *c, json_t *mounts);

#endif
