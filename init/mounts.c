/* IDM MOUNT: the mount is built detached (fsopen/fsmount, open_tree for
 * one entry of a share) and moved onto a target opened inside the
 * container root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 * symlinks in the target path resolve as if the container root were "/"
 * and can never lead out of it, and there is no window in which a path is
 * looked up twice. */
#include "init/mounts.h"
#include "init/rootfs.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned)flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return (int)fd;
}

/* Open target (absolute) inside the root, creating what is missing: the
 * directories on the way and the last component as a directory or, for
 * a file mount, an empty file. */
static int open_target(int rootfd, const char *target, bool is_file)
{
	char *buf = strdup(target + 1), *p;
	int fd = -1;

	if (!buf)
		return zerr(ENOMEM, "mount target");
	for (p = buf;; p++) {
		bool last;
		char saved;
		if (*p != '/' && *p != 0)
			continue;
		last = *p == 0 || p[strspn(p, "/")] == 0;
		saved = *p;
		*p = 0;
		if (fd >= 0)
			close(fd);
		fd = open_in_root(rootfd, buf, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(buf, '/');
			const char *name = slash ? slash + 1 : buf;
			int pfd, r;
			if (slash)
				*slash = 0;
			pfd = open_in_root(rootfd, slash ? buf : "", O_PATH | O_DIRECTORY);
			if (slash)
				*slash = '/';
			if (pfd < 0) {
				zerr(errno, "mount target %s", target);
				break;
			}
			if (last && is_file)
				r = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					   0644);
			else
				r = mkdirat(pfd, name, 0755);
			if (r < 0 && errno != EEXIST) {
				zerr(errno, "creating mount target %s", target);
				close(pfd);
				break;
			}
			if (r >= 0 && last && is_file)
				close(r);
			close(pfd);
			fd = open_in_root(rootfd, buf, O_PATH);
		}
		if (fd < 0) {
			zerr(errno, "mount target %s", target);
			break;
		}
		*p = saved;
		if (last)
			break;
	}
	free(buf);
	return fd;
}

static unsigned attr_flags(const struct idm_mount *m)
{
	return (m->read_only ? MOUNT_ATTR_RDONLY : 0) | (m->nosuid ? MOUNT_ATTR_NOSUID : 0) |
	       (m->nodev ? MOUNT_ATTR_NODEV : 0) | (m->noexec ? MOUNT_ATTR_NOEXEC : 0);
}

/* A detached mount of the filesystem m describes. */
static int make_mount(const struct idm_mount *m)
{
	char num[32];
	int fsfd, mfd;
	bool tmpfs = !strcmp(m->fstype, "tmpfs");

	if (!tmpfs && strcmp(m->fstype, "virtiofs"))
		return zerr(EINVAL, "mount type %s: only virtiofs and tmpfs", m->fstype);
	if (!tmpfs && (!m->source || !*m->source))
		return zerr(EINVAL, "virtiofs mount without a tag");
	fsfd = fsopen(m->fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return zerr(errno, "fsopen %s", m->fstype);
	if (!tmpfs && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", m->source, 0) < 0)
		goto fail;
	if (tmpfs) {
		/* named like runc's tmpfs mounts in /proc/mounts, not "none" */
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0)
			goto fail;
		snprintf(num, sizeof(num), "%o", m->mode ? m->mode : 01777);
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", num, 0) < 0)
			goto fail;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)m->size);
		if (m->size && fsconfig(fsfd, FSCONFIG_SET_STRING, "size", num, 0) < 0)
			goto fail;
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attr_flags(m));
	if (mfd < 0)
		goto fail;
	close(fsfd);
	return mfd;
fail:
	zerr(errno, "%s %s", m->fstype, m->source ? m->source : "");
	close(fsfd);
	return -1;
}

/* Where a share is attached for a moment when the kernel will not clone
 * from a detached mount (before Linux 6.15): the container's /dev, a tmpfs
 * zone-init made, before any container process runs. */
#define SHARE_STAGE "/dev/.zone-share-XXXXXX"

/* One entry of a share (a shared file sits alone in its share). */
static int sub_mount(int mfd, const char *subpath)
{
	char stage[] = SHARE_STAGE, path[sizeof(stage) + NAME_MAX + 2];
	int fd, e;

	if (!*subpath || strchr(subpath, '/') || !strcmp(subpath, ".") || !strcmp(subpath, ".."))
		return zerr(EINVAL, "bad subpath '%s'", subpath);
	fd = open_tree(mfd, subpath, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (fd >= 0 || errno != EINVAL)
		return fd >= 0 ? fd : zerr(errno, "%s in the share", subpath);
	if (!mkdtemp(stage))
		return zerr(errno, "%s in the share: staging directory", subpath);
	if (move_mount(mfd, "", AT_FDCWD, stage, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		e = errno;
		rmdir(stage);
		return zerr(e, "%s in the share: staging", subpath);
	}
	snprintf(path, sizeof(path), "%s/%s", stage, subpath);
	fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	e = errno;
	umount2(stage, MNT_DETACH);
	rmdir(stage);
	return fd >= 0 ? fd : zerr(e, "%s in the share", subpath);
}

int mount_in_root(const struct idm_mount *m)
{
	int rootfd, r;

	if (!rootfs_ready())
		return zerr(EINVAL, "MOUNT before ROOTFS");
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return zerr(errno, "open /");
	r = mount_at(rootfd, m);
	close(rootfd);
	return r;
}

int mount_at(int rootfd, const struct idm_mount *m)
{
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	int mfd = -1, src = -1, tfd = -1, r = -1;
	struct stat sst, tst;
	struct statfs tfs;

	if (m->target[0] != '/' || !strcmp(m->target + strspn(m->target, "/"), ""))
		return zerr(EINVAL, "mount target '%s' must be an absolute path below /", m->target);
	mfd = make_mount(m);
	if (mfd < 0)
		goto out;
	src = m->subpath ? sub_mount(mfd, m->subpath) : mfd;
	if (src < 0)
		goto out;
	if (fstat(src, &sst) < 0) {
		zerr(errno, "stat of the mount source");
		goto out;
	}
	if (!S_ISDIR(sst.st_mode) && !S_ISREG(sst.st_mode)) {
		zerr(EINVAL, "%s: only a directory or a regular file can be mounted", m->target);
		goto out;
	}
	tfd = open_target(rootfd, m->target, S_ISREG(sst.st_mode));
	if (tfd < 0)
		goto out;
	if (fstat(tfd, &tst) < 0 || fstatfs(tfd, &tfs) < 0) {
		zerr(errno, "stat %s", m->target);
		goto out;
	}
	if (tfs.f_type == PROC_SUPER_MAGIC || tfs.f_type == SYSFS_MAGIC) {
		zerr(EPERM, "mount target %s is on /proc or /sys: refused", m->target);
		goto out;
	}
	if (S_ISDIR(sst.st_mode) != S_ISDIR(tst.st_mode)) {
		zerr(S_ISDIR(tst.st_mode) ? EISDIR : ENOTDIR, "cannot mount a %s onto the %s %s",
		     S_ISDIR(sst.st_mode) ? "directory" : "file",
		     S_ISDIR(tst.st_mode) ? "directory" : "file", m->target);
		goto out;
	}
	if (mount_setattr(src, "", AT_EMPTY_PATH, &priv, sizeof(priv)) < 0 ||
	    move_mount(src, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		zerr(errno, "mounting on %s", m->target);
		goto out;
	}
	r = 0;
out:
	if (src >= 0 && src != mfd)
		close(src);
	if (mfd >= 0)
		close(mfd);
	if (tfd >= 0)
		close(tfd);
	return r;
}
