/* config.json's seccomp profile and masked/read-only paths for zone-init. */
#include "runtime/runc.h"
#include "common/zerr.h"
#include "runtime/seccomp_json.h"

int runc_seccomp(const struct oci_spec *spec, struct sc_profile *out)
{
	/* includes/excludes by caps (docker's form) are resolved against the
	 * bounding set; the OCI form has none */
	uint64_t caps = spec->process.has_caps ? spec->process.caps.bounding : 0;

	if (!spec->seccomp)
		return 0;
	if (seccomp_json_profile(spec->seccomp, caps, out) < 0)
		return zerr_prefix("linux.seccomp");
	return 1;
}

void runc_rootfs_paths(const struct oci_spec *spec, struct idm_rootfs *rf)
{
	rf->masked_paths = spec->masked_paths;
	rf->nmasked_paths = spec->masked_paths ? strv_len(spec->masked_paths) : 0;
	rf->readonly_paths = spec->readonly_paths;
	rf->nreadonly_paths = spec->readonly_paths ? strv_len(spec->readonly_paths) : 0;
}
