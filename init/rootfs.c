#include "init/rootfs.h"
#include "init/masks.h"
#include "common/util.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#define IMAGE_MNT   "/zone/image"
#define UPPER_MNT   "/zone/rw"
#define NEWROOT     "/zone/root"
#define ETC_FILES   "/zone/etc"

static int done;

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
	       const char *data)
{
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return zerr(errno, "mkdir %s", dst);
	if (mount(src, dst, type, flags, data) < 0)
		return zerr(errno, "mount %s on %s", type ? type : src, dst);
	return 0;
}

/* A file of the new root that must exist for a bind mount over it. */
static int ensure_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* /etc/hostname, hosts, resolv.conf: written on a tmpfs and bound over the
 * image's files (as docker does), so they also work on a read-only root. */
static int etc_file(const char *name, const char *content, bool read_only)
{
	char src[128], dst[256];
	int fd;

	if (!content)
		return 0;
	snprintf(src, sizeof(src), ETC_FILES "/%s", name);
	snprintf(dst, sizeof(dst), NEWROOT "/etc/%s", name);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, content, strlen(content)) < 0) {
		if (fd >= 0)
			close(fd);
		return zerr(errno, "writing %s", src);
	}
	close(fd);
	/* a symlinked or missing target on a read-only image is left alone */
	struct stat st;
	if (lstat(dst, &st) == 0 ? !S_ISREG(st.st_mode) : (read_only || ensure_file(dst) < 0))
		return 0;
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return zerr(errno, "bind %s", dst);
	return 0;
}

static int mknod_dev(const char *name, mode_t mode, unsigned maj, unsigned min)
{
	char path[64];

	snprintf(path, sizeof(path), NEWROOT "/dev/%s", name);
	if (mknod(path, S_IFCHR | mode, makedev(maj, min)) < 0 && errno != EEXIST)
		return zerr(errno, "mknod %s", path);
	chmod(path, mode); /* not subject to umask */
	return 0;
}

/* A minimal /dev like runc's: no disks, no host consoles. */
static int setup_dev(void)
{
	static const struct { const char *name; unsigned maj, min; } devs[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct { const char *link, *target; } links[] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
		{ "core", "/proc/kcore" },
	};
	char path[64];

	if (mnt("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
		if (mknod_dev(devs[i].name, 0666, devs[i].maj, devs[i].min) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), NEWROOT "/dev/%s", links[i].link);
		if (symlink(links[i].target, path) < 0 && errno != EEXIST)
			return zerr(errno, "symlink %s", path);
	}
	if (mnt("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		"newinstance,ptmxmode=0666,mode=0620,gid=5") < 0 ||
	    mnt("shm", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		"mode=1777,size=65536k") < 0 ||
	    mnt("mqueue", NEWROOT "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	return 0;
}

/* Free the initramfs (switch_root does the same): nothing of it stays
 * reachable or in memory once the container root is in place. */
static void remove_tree(int dirfd, dev_t rootdev)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != rootdev)
			continue; /* a mount point: not ours to delete */
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				remove_tree(sub, rootdev);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static int switch_root(void)
{
	struct stat st;
	int fd;

	if (stat("/", &st) < 0)
		return zerr(errno, "stat /");
	/* the zone's own /proc, /sys, /dev, /run, /tmp go with the old root */
	umount2("/proc", MNT_DETACH);
	umount2("/sys", MNT_DETACH);
	umount2("/dev", MNT_DETACH);
	umount2("/run", MNT_DETACH);
	umount2("/tmp", MNT_DETACH);
	if (chdir(NEWROOT) < 0)
		return zerr(errno, "chdir %s", NEWROOT);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		remove_tree(fd, st.st_dev); /* skips /zone/... mounts */
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return zerr(errno, "moving the container root to /");
	if (chroot(".") < 0 || chdir("/") < 0)
		return zerr(errno, "chroot");
	return 0;
}

bool rootfs_ready(void)
{
	return done;
}

int rootfs_setup(const struct idm_rootfs *r)
{
	char opts[256];

	if (done)
		return zerr(EBUSY, "the container root is already set up");
	if (strchr(r->fstype, ',') || strchr(r->device, ','))
		return zerr(EINVAL, "bad device or filesystem type");
	if (!strcmp(r->fstype, "virtiofs")) {
		/* a bundle's root shared from the host (device is the tag):
		 * used as it is, writes go to the host directory like runc's */
		if (mnt(r->device, NEWROOT, "virtiofs", MS_NODEV | (r->read_only ? MS_RDONLY : 0),
			NULL) < 0)
			return -1;
	} else if (mnt(r->device, IMAGE_MNT, r->fstype, MS_RDONLY | MS_NODEV, NULL) < 0) {
		return -1;
	} else if (r->read_only) {
		if (mnt(IMAGE_MNT, NEWROOT, NULL, MS_BIND, NULL) < 0)
			return -1;
	} else {
		if (mnt("tmpfs", UPPER_MNT, "tmpfs", MS_NODEV, "mode=755") < 0 ||
		    mkdir(UPPER_MNT "/upper", 0755) < 0 || mkdir(UPPER_MNT "/work", 0755) < 0)
			return zerr_prefix("container upper layer");
		snprintf(opts, sizeof(opts),
			 "lowerdir=" IMAGE_MNT ",upperdir=" UPPER_MNT "/upper,workdir=" UPPER_MNT "/work");
		if (mnt("overlay", NEWROOT, "overlay", 0, opts) < 0)
			return -1;
	}
	if (mnt("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    mnt("sysfs", NEWROOT "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
		NULL) < 0 ||
	    setup_dev() < 0)
		return -1;
	if (mnt("tmpfs", ETC_FILES, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return -1;
	char hostname_line[80];
	snprintf(hostname_line, sizeof(hostname_line), "%s\n", r->hostname);
	if (etc_file("hostname", hostname_line, r->read_only) < 0 ||
	    etc_file("hosts", r->hosts, r->read_only) < 0 ||
	    etc_file("resolv.conf", r->resolv_conf, r->read_only) < 0)
		return -1;
	if (sethostname(r->hostname, strlen(r->hostname)) < 0)
		return zerr(errno, "sethostname");
	if (r->read_only) {
		/* like podman --read-only: scratch space stays writable */
		static const char *const scratch[] = { "/tmp", "/var/tmp", "/run" };
		char path[64];
		struct stat st;
		for (size_t i = 0; i < ARRAY_SIZE(scratch); i++) {
			snprintf(path, sizeof(path), NEWROOT "%s", scratch[i]);
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
			    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
				  i == 2 ? "mode=755" : "mode=1777") < 0)
				return zerr(errno, "tmpfs on %s", scratch[i]);
		}
	}
	if (switch_root() < 0)
		return -1;
	/* in the container's own /proc and /sys, now that they are at / */
	if (masks_apply(r->masked_paths, r->nmasked_paths, r->readonly_paths,
			r->nreadonly_paths) < 0)
		return -1;
	done = 1;
	return 0;
}
