/* zone run's --cap-add, --cap-drop, --security-opt and --privileged, as
 * docker and podman read them, turned into the container's confinement
 * (struct ctr_security, applied by zone-init). */
#ifndef ZONE_CLI_SECURITY_FLAGS_H
#define ZONE_CLI_SECURITY_FLAGS_H

#include "common/caps.h"
#include "runtime/state.h"

#include <stdbool.h>

struct security_flags {
	struct caps_flags caps;
	bool privileged, no_new_privs, seccomp_unconfined;
	const char *seccomp_file;
};

/* --security-opt: seccomp=unconfined, seccomp=FILE (docker's JSON
 * profile), no-new-privileges[=true|false] (also docker's older
 * "no-new-privileges:true").  -1 (zerr) on anything else. */
int security_flag_opt(struct security_flags *f, const char *opt);

/* The confinement the flags give: docker's default capabilities and the
 * default seccomp profile unless told otherwise; --privileged gives every
 * capability and no seccomp whatever the other flags say (as docker).
 * Reads and checks the seccomp FILE.  -1 (zerr) on a bad profile. */
int security_flags_build(const struct security_flags *f, struct ctr_security *out);

#endif
