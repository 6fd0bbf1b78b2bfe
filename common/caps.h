/* Linux capability names and sets, shared by the host (zone run flags,
 * zone-runc's config.json) and zone-init. */
#ifndef ZONE_COMMON_CAPS_H
#define ZONE_COMMON_CAPS_H

#include <stdbool.h>
#include <stdint.h>

/* Highest capability number this table names (CAP_CHECKPOINT_RESTORE). */
#define CAPS_LAST 40
#define CAPS_ALL ((2ULL << CAPS_LAST) - 1)

/* docker's and podman's default set for a container (moby's
 * oci/caps/defaults.go, containers-common's containers.conf): CHOWN,
 * DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP,
 * SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE. */
uint64_t caps_default(void);

/* "CAP_NET_RAW", "NET_RAW" or "net_raw" -> 13; -1 if unknown.  With
 * strict_prefix, only the exact "CAP_NET_RAW" form (config.json). */
int cap_from_name(const char *name, int strict_prefix);
/* 13 -> "NET_RAW"; NULL past CAPS_LAST. */
const char *cap_name(int cap);

/* zone run --cap-add/--cap-drop, gathered in any order and resolved as
 * docker does (moby's TweakCapabilities): --cap-add ALL gives every
 * capability but the dropped ones; otherwise --cap-drop ALL starts from
 * none, else from the default set, drops the dropped ones and adds the
 * added ones (an added capability wins over the same one dropped). */
struct caps_flags {
	uint64_t add, drop;
	bool add_all, drop_all;
};
/* One flag value: a capability (with or without CAP_, any case) or ALL.
 * -1 (zerr naming the flag) on an unknown name. */
int caps_flag_add(struct caps_flags *f, const char *name);
int caps_flag_drop(struct caps_flags *f, const char *name);
uint64_t caps_resolve(const struct caps_flags *f);

#endif
