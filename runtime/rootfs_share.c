#include "runtime/rootfs_share.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "runtime/state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int zone_share_rootfs_vmm_arg(const struct ctr_state *st, char *buf, size_t len)
{
	int n;

	if (!st->rootfs || *st->rootfs != '/')
		return zerr(EINVAL, "the container has no absolute root directory");
	/* zone-vmm splits the option at ',' and '=' */
	if (strpbrk(st->rootfs, ",="))
		return zerr(EINVAL, "rootfs path %s: ',' and '=' cannot be shared", st->rootfs);
	n = snprintf(buf, len, "%s=%s%s", ROOTFS_SHARE_TAG, st->rootfs,
		     st->config.read_only ? ",ro" : "");
	if (n < 0 || (size_t)n >= len)
		return zerr(ENAMETOOLONG, "rootfs path too long");
	return 0;
}

int zone_share_rootfs(struct idm_conn *c, const struct idm_rootfs *base)
{
	struct idm_rootfs rf = *base;

	/* ROOTFS with fstype virtiofs mounts the tag itself as the root:
	 * writes go to the bundle's directory on the host, as with runc */
	rf.device = ROOTFS_SHARE_TAG;
	rf.fstype = "virtiofs";
	return idm_rootfs(c, &rf);
}
