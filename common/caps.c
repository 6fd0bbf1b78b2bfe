#include "common/caps.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>

static const char *const names[CAPS_LAST + 1] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

uint64_t caps_default(void)
{
	static const int set[] = {
		CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
		CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
		CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
	};
	uint64_t m = 0;

	for (size_t i = 0; i < ARRAY_SIZE(set); i++)
		m |= 1ULL << set[i];
	return m;
}

int cap_from_name(const char *name, int strict_prefix)
{
	if (strict_prefix) {
		if (strncmp(name, "CAP_", 4))
			return -1;
		name += 4;
		for (int i = 0; i <= CAPS_LAST; i++)
			if (!strcmp(names[i], name))
				return i;
		return -1;
	}
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (int i = 0; i <= CAPS_LAST; i++)
		if (!strcasecmp(names[i], name))
			return i;
	return -1;
}

const char *cap_name(int cap)
{
	return cap >= 0 && cap <= CAPS_LAST ? names[cap] : NULL;
}

static int parse_one(const char *flag, const char *name, uint64_t *mask, bool *all)
{
	int c;

	if (!strcasecmp(name, "ALL")) {
		*all = true;
		return 0;
	}
	c = cap_from_name(name, 0);
	if (c < 0)
		return zerr(EINVAL, "%s %s: unknown capability (want a name such as NET_RAW or "
				    "CAP_NET_RAW, or ALL)", flag, name);
	*mask |= 1ULL << c;
	return 0;
}

int caps_flag_add(struct caps_flags *f, const char *name)
{
	return parse_one("--cap-add", name, &f->add, &f->add_all);
}

int caps_flag_drop(struct caps_flags *f, const char *name)
{
	return parse_one("--cap-drop", name, &f->drop, &f->drop_all);
}

uint64_t caps_resolve(const struct caps_flags *f)
{
	if (f->add_all)
		return CAPS_ALL & ~f->drop;
	if (f->drop_all)
		return f->add;
	return (caps_default() & ~f->drop) | f->add;
}
