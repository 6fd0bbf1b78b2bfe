#include "runtime/security.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/seccomp_json.h"

#include <string.h>

/* runc's and docker's defaults (moby's oci/defaults.go): what in /proc and
 * /sys tells about or reaches the kernel and the hardware beyond the
 * container's business. */
static char *masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
};
static char *readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

int security_start(const struct ctr_security *s, struct security_start *tmp,
		   struct idm_start *start)
{
	memset(tmp, 0, sizeof(*tmp));
	if (!s->confined)
		return 0;
	start->no_new_privs = s->no_new_privs;
	if (s->privileged)
		return 0; /* root keeps every capability; no filter */
	/* Inheritable stays empty, as docker and podman do since
	 * CVE-2022-24769: a non-root exec of a file with inheritable file
	 * capabilities must not gain them. */
	tmp->caps = (struct idm_caps){ .effective = s->caps, .permitted = s->caps,
				       .bounding = s->caps };
	start->caps = &tmp->caps;
	start->caps_root_only = true;
	if (s->seccomp_unconfined)
		return 0;
	if (s->seccomp) {
		if (seccomp_json_profile(s->seccomp, s->caps, &tmp->custom) < 0)
			return zerr_prefix("the container's seccomp profile");
		start->seccomp = &tmp->custom;
	} else {
		start->seccomp = (struct sc_profile *)sc_default_profile();
	}
	return 0;
}

void security_start_done(struct security_start *tmp)
{
	sc_profile_free(&tmp->custom);
}

void security_rootfs(const struct ctr_security *s, struct idm_rootfs *rf)
{
	if (!s->confined || s->privileged)
		return;
	rf->masked_paths = masked;
	rf->nmasked_paths = ARRAY_SIZE(masked);
	rf->readonly_paths = readonly;
	rf->nreadonly_paths = ARRAY_SIZE(readonly);
}
