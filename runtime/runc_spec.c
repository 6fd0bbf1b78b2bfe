/* zone-runc spec [--bundle B] [--rootless]   zone-runc features */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int runc_cmd_spec(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'R' },
		{ 0 },
	};
	const char *bundle = ".";
	json_t *def;
	char *text;
	int c, dir, fd, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c != 'R') /* a zone's root is its own: rootless changes nothing */
			return runc_bad_flag(r, argv[optind - 1]);
	}
	if (runc_nargs(r, argc, optind, 0, true) < 0)
		return -1;
	dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return zerr(errno, "open %s", bundle);
	if (faccessat(dir, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		close(dir);
		return zerr(0, "File config.json exists. Remove it first");
	}
	def = oci_spec_default();
	text = def ? json_dumps(def, JSON_INDENT(8) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(def);
	if (!text) {
		close(dir);
		return zerr(ENOMEM, "default spec");
	}
	fd = openat(dir, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
		rc = zerr(errno, "writing config.json");
	if (fd >= 0)
		close(fd);
	close(dir);
	free(text);
	return rc;
}

int runc_cmd_features(struct runc *r, int argc, char **argv)
{
	static const char *const mount_options[] = {
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
		"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
		"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
		"rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev",
		"rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow",
		"ro", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime",
		"rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime",
		"suid", "symfollow", "sync", "unbindable",
	};
	static const char *const caps[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
		"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
		"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
		"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
		"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
		"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
		"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
		"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
		"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
	};
	static const char *const actions[] = {
		"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRAP", /* no NOTIFY, TRACE */
	};
	static const char *const ops[] = {
		"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
		"SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
	};
	const struct scmp_version *v = seccomp_version();
	char libseccomp[32];
	json_t *j, *a;

	if (runc_nargs(r, argc, 1, 0, true) < 0)
		return -1;
	snprintf(libseccomp, sizeof(libseccomp), "%u.%u.%u", v->major, v->minor, v->micro);
	j = json_pack("{s:s, s:s, s:[s,s,s,s,s,s], s:{s:[s,s,s,s,s,s,s], s:{s:b, s:b, s:b, s:b}, s:{s:b}, s:{s:b}},"
		      " s:{s:s, s:s}}",
		      "ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION, "hooks", "prestart",
		      "createRuntime", "createContainer", "startContainer", "poststart", "poststop", "linux",
		      "namespaces", "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "cgroup", "v1",
		      0, "v2", 1, "systemd", 0, "systemdUser", 0, "apparmor", "enabled", 0, "selinux",
		      "enabled", 0, "annotations", "io.github.seccomp.libseccomp.version", libseccomp,
		      "org.opencontainers.runc.version", RUNC_VERSION);
	if (!j)
		return zerr(ENOMEM, "features");
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(mount_options); i++)
		json_array_append_new(a, json_string(mount_options[i]));
	json_object_set_new(j, "mountOptions", a);
	json_t *lx = json_object_get(j, "linux"), *sc = json_object();
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		json_array_append_new(a, json_string(caps[i]));
	json_object_set_new(lx, "capabilities", a);
	/* zone-init loads config.json's profile (runtime/runc_security.c) */
	json_object_set_new(sc, "enabled", json_true());
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		json_array_append_new(a, json_string(actions[i]));
	json_object_set_new(sc, "actions", a);
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		json_array_append_new(a, json_string(ops[i]));
	json_object_set_new(sc, "operators", a);
	/* the filter is built for the zone's own architecture */
	json_object_set_new(sc, "archs", json_pack("[s]", "SCMP_ARCH_X86_64"));
	json_object_set_new(lx, "seccomp", sc);
	json_dumpf(j, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
	return 0;
}
