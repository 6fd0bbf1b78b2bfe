#include "cli/mount_flags.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* zone-vmm --fs shares per zone (virtio devices are limited too) */
#define MAX_BIND_MOUNTS 8

/* Lexically clean an absolute container path ("//a/./b/../c/" -> "/a/c"). */
static int clean_target(const char *flag, const char *in, char *out, size_t n)
{
	char buf[PATH_MAX];
	size_t len = 0;
	const char *p = in;

	if (in[0] != '/')
		return zerr(0, "%s: container path '%s' is not absolute", flag, in);
	if (strlen(in) >= sizeof(buf))
		return zerr(0, "%s: container path too long", flag);
	while (*p) {
		size_t seg;
		p += strspn(p, "/");
		seg = strcspn(p, "/");
		if (seg == 0 || (seg == 1 && p[0] == '.')) {
		} else if (seg == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && buf[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else {
			buf[len++] = '/';
			memcpy(buf + len, p, seg);
			len += seg;
		}
		p += seg;
	}
	buf[len] = 0;
	if (len == 0)
		return zerr(0, "%s: cannot mount over the container's root '/'", flag);
	if (!strcmp(buf, "/proc") || !strncmp(buf, "/proc/", 6) || !strcmp(buf, "/sys") ||
	    !strncmp(buf, "/sys/", 5))
		return zerr(0, "%s: mounting over %s is not allowed (/proc and /sys belong to the "
			       "zone)", flag, buf);
	snprintf(out, n, "%s", buf);
	return 0;
}

static int add(json_t *mounts, const char *flag, json_t *m)
{
	const char *target = json_string_value(json_object_get(m, "target"));
	size_t i, binds = 0;
	json_t *e;

	json_array_foreach(mounts, i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "target")), target)) {
			zerr(0, "%s: %s is already a mount target", flag, target);
			json_decref(m);
			return -1;
		}
		binds += !strcmp(json_string_value(json_object_get(e, "type")), "bind");
	}
	if (!strcmp(json_string_value(json_object_get(m, "type")), "bind") &&
	    binds == MAX_BIND_MOUNTS) {
		json_decref(m);
		return zerr(0, "%s: at most %d host paths per container", flag, MAX_BIND_MOUNTS);
	}
	return json_array_append_new(mounts, m) < 0 ? zerr(ENOMEM, "mounts") : 0;
}

/* Mount flags a bind mount gets inside: nosuid and nodev unless asked
 * (the host path is the host's; its setuid files and devices are not the
 * container's to use). */
struct bind_opts {
	bool ro, suid, dev, noexec;
};

static int add_bind(json_t *mounts, const char *flag, const char *src, const char *dst,
		    const struct bind_opts *o)
{
	char target[PATH_MAX], *real;
	struct stat st;
	json_t *m;

	if (!*src)
		return zerr(0, "%s: no host path given", flag);
	if (src[0] != '/') {
		if (!strchr(src, '/') && src[0] != '.')
			return zerr(0, "%s: '%s': named volumes are not supported, give an absolute "
				       "host path", flag, src);
		return zerr(0, "%s: host path '%s' is relative: give an absolute path", flag, src);
	}
	if (stat(src, &st) < 0)
		return zerr(0, "%s: host path %s: %s", flag, src, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return zerr(0, "%s: host path %s is neither a directory nor a regular file", flag,
			    src);
	if (clean_target(flag, dst, target, sizeof(target)) < 0)
		return -1;
	/* the share is what the path names now: later symlink swaps on the
	 * host do not move it */
	real = realpath(src, NULL);
	if (!real)
		return zerr(errno, "%s: %s", flag, src);
	m = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b}", "type", "bind", "source", real,
		      "target", target, "ro", o->ro, "file", S_ISREG(st.st_mode), "nosuid",
		      !o->suid, "nodev", !o->dev, "noexec", o->noexec);
	free(real);
	if (!m)
		return zerr(ENOMEM, "mounts");
	return add(mounts, flag, m);
}

int mount_flag_volume(json_t *mounts, const char *arg)
{
	z_autofree char *copy = strdup(arg);
	char *src, *dst, *opts;
	struct bind_opts bo = { 0 };

	if (!copy)
		return zerr(ENOMEM, "-v");
	src = copy;
	dst = strchr(src, ':');
	if (!dst)
		return zerr(0, "-v %s: expected HOSTPATH:CTRPATH[:ro|rw]", arg);
	*dst++ = 0;
	opts = strchr(dst, ':');
	if (opts) {
		*opts++ = 0;
		for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
			if (!strcmp(o, "ro") || !strcmp(o, "rw"))
				bo.ro = o[1] == 'o';
			else if (!strcmp(o, "suid") || !strcmp(o, "nosuid"))
				bo.suid = o[0] == 's';
			else if (!strcmp(o, "dev") || !strcmp(o, "nodev"))
				bo.dev = o[0] == 'd';
			else if (!strcmp(o, "exec") || !strcmp(o, "noexec"))
				bo.noexec = o[0] == 'n';
			else if (!strcmp(o, "z") || !strcmp(o, "Z"))
				; /* SELinux relabeling: no SELinux labels in a zone */
			else
				return zerr(0, "-v %s: unknown option '%s' (ro, rw, [no]suid, [no]dev, "
					       "[no]exec, z, Z)", arg, o);
	}
	return add_bind(mounts, "-v", src, dst, &bo);
}

/* "ro", "readonly", "ro=true", "readonly=false"...: 1, 0, or -1 if it is
 * not that option. */
static int readonly_opt(const char *key, const char *val)
{
	if (strcmp(key, "ro") && strcmp(key, "readonly"))
		return -1;
	if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
		return 1;
	if (!strcmp(val, "false") || !strcmp(val, "0"))
		return 0;
	return -2;
}

int mount_flag_mount(json_t *mounts, const char *arg)
{
	z_autofree char *copy = strdup(arg);
	const char *type = NULL, *src = NULL, *dst = NULL;
	uint64_t size = 0, mode = 0;
	bool ro = false;

	if (!copy)
		return zerr(ENOMEM, "--mount");
	for (char *kv = strtok(copy, ","); kv; kv = strtok(NULL, ",")) {
		char *val = strchr(kv, '=');
		int r;
		if (val)
			*val++ = 0;
		r = readonly_opt(kv, val);
		if (r >= 0) {
			ro = r;
			continue;
		}
		if (r == -2 || (!val && strcmp(kv, "ro")))
			return zerr(0, "--mount %s: bad option '%s'", arg, kv);
		if (!strcmp(kv, "type"))
			type = val;
		else if (!strcmp(kv, "src") || !strcmp(kv, "source"))
			src = val;
		else if (!strcmp(kv, "dst") || !strcmp(kv, "destination") || !strcmp(kv, "target"))
			dst = val;
		else if (!strcmp(kv, "tmpfs-size")) {
			if (parse_size(val, &size) < 0)
				return zerr_prefix("--mount %s", arg);
		} else if (!strcmp(kv, "tmpfs-mode")) {
			char *end;
			mode = strtoul(val, &end, 8);
			if (*end || !*val || mode > 07777)
				return zerr(0, "--mount %s: tmpfs-mode is octal, up to 7777", arg);
		} else
			return zerr(0, "--mount %s: unknown option '%s'", arg, kv);
	}
	if (!type)
		return zerr(0, "--mount %s: no type= (bind or tmpfs)", arg);
	if (!dst)
		return zerr(0, "--mount %s: no dst= (the path in the container)", arg);
	if (!strcmp(type, "bind")) {
		if (!src)
			return zerr(0, "--mount %s: type=bind needs src=HOSTPATH", arg);
		if (size || mode)
			return zerr(0, "--mount %s: tmpfs options on a bind mount", arg);
		return add_bind(mounts, "--mount", src, dst, &(struct bind_opts){ .ro = ro });
	}
	if (!strcmp(type, "tmpfs")) {
		char target[PATH_MAX];
		json_t *m;
		if (src)
			return zerr(0, "--mount %s: type=tmpfs takes no src=", arg);
		if (clean_target("--mount", dst, target, sizeof(target)) < 0)
			return -1;
		m = json_pack("{s:s, s:s, s:b, s:I, s:I, s:b, s:b, s:b}", "type", "tmpfs", "target",
			      target, "ro", ro, "size", (json_int_t)size, "mode", (json_int_t)mode,
			      "nosuid", 1, "nodev", 1, "noexec", 1);
		return m ? add(mounts, "--mount", m) : zerr(ENOMEM, "mounts");
	}
	return zerr(0, "--mount %s: type=%s is not supported (bind or tmpfs)", arg, type);
}

int mount_flag_tmpfs(json_t *mounts, const char *arg)
{
	z_autofree char *copy = strdup(arg);
	char target[PATH_MAX], *opts;
	bool ro = false, noexec = true, nosuid = true, nodev = true;
	uint64_t size = 0, mode = 0;
	json_t *m;

	if (!copy)
		return zerr(ENOMEM, "--tmpfs");
	opts = strchr(copy, ':');
	if (opts)
		*opts++ = 0;
	for (char *o = opts ? strtok(opts, ",") : NULL; o; o = strtok(NULL, ",")) {
		if (!strncmp(o, "size=", 5)) {
			if (parse_size(o + 5, &size) < 0)
				return zerr_prefix("--tmpfs %s", arg);
		} else if (!strncmp(o, "mode=", 5)) {
			char *end;
			mode = strtoul(o + 5, &end, 8);
			if (*end || !o[5] || mode > 07777)
				return zerr(0, "--tmpfs %s: mode is octal, up to 7777", arg);
		} else if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
			ro = o[1] == 'o';
		} else if (!strcmp(o, "exec") || !strcmp(o, "noexec")) {
			noexec = o[0] == 'n';
		} else if (!strcmp(o, "suid") || !strcmp(o, "nosuid")) {
			nosuid = o[0] == 'n';
		} else if (!strcmp(o, "dev") || !strcmp(o, "nodev")) {
			nodev = o[0] == 'n';
		} else {
			return zerr(0, "--tmpfs %s: unknown option '%s'", arg, o);
		}
	}
	if (clean_target("--tmpfs", copy, target, sizeof(target)) < 0)
		return -1;
	m = json_pack("{s:s, s:s, s:b, s:I, s:I, s:b, s:b, s:b}", "type", "tmpfs", "target", target,
		      "ro", ro, "size", (json_int_t)size, "mode", (json_int_t)mode, "nosuid", nosuid,
		      "nodev", nodev, "noexec", noexec);
	return m ? add(mounts, "--tmpfs", m) : zerr(ENOMEM, "mounts");
}
