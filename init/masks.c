#include "init/masks.h"
#include "common/zerr.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

static int path_ok(const char *p)
{
	const char *c = p;

	if (*p != '/')
		return zerr(EINVAL, "masked or read-only path %s is not absolute", p);
	while ((c = strchr(c, '/'))) {
		c++;
		if ((c[0] == '.' && (c[1] == '/' || !c[1])) ||
		    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2])))
			return zerr(EINVAL, "masked or read-only path %s has a . or .. part", p);
	}
	return 0;
}

static int mask(const char *p)
{
	struct stat st;

	if (path_ok(p) < 0)
		return -1;
	if (stat(p, &st) < 0)
		return errno == ENOENT ? 0 : zerr(errno, "masking %s", p);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=0,mode=555") < 0)
			return zerr(errno, "masking %s", p);
	} else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
		return zerr(errno, "masking %s", p);
	}
	return 0;
}

static int read_only(const char *p)
{
	struct statvfs sv;
	unsigned long keep = 0;

	if (path_ok(p) < 0)
		return -1;
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : zerr(errno, "binding %s", p);
	if (statvfs(p, &sv) == 0)
		keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		return zerr(errno, "making %s read-only", p);
	return 0;
}

int masks_apply(char *const *masked, uint32_t nmasked, char *const *readonly,
		uint32_t nreadonly)
{
	/* runc's order: read-only paths first, then the masks (which may lie
	 * inside a read-only path and must stay on top) */
	for (uint32_t i = 0; i < nreadonly; i++)
		if (read_only(readonly[i]) < 0)
			return -1;
	for (uint32_t i = 0; i < nmasked; i++)
		if (mask(masked[i]) < 0)
			return -1;
	return 0;
}
