/* zone run's confinement (struct ctr_security) turned into what zone-init
 * applies: the capability sets, no_new_privs and the seccomp profile of
 * IDM START, and the masked and read-only paths of IDM ROOTFS. */
#ifndef ZONE_RUNTIME_SECURITY_H
#define ZONE_RUNTIME_SECURITY_H

#include "idm/messages.h"
#include "runtime/state.h"

/* Storage that start points into until security_start_done. */
struct security_start {
	struct idm_caps caps;
	struct sc_profile custom;
};

/* Fill start's caps, caps_root_only, no_new_privs and seccomp from s (a
 * confined container) or leave them as they are (not confined).  -1
 * (zerr) if the stored custom profile does not convert. */
int security_start(const struct ctr_security *s, struct security_start *tmp,
		   struct idm_start *start);
void security_start_done(struct security_start *tmp);

/* runc's default masked and read-only paths in rf (none when privileged
 * or not confined). */
void security_rootfs(const struct ctr_security *s, struct idm_rootfs *rf);

#endif
