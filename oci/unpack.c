#include "oci/unpack.h"
#include "oci/fsat.h"
#include "oci/path.h"
#include "oci/whiteout.h"
#include "common/zerr.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SYMLINK_MAX 4095
#define XATTR_VALUE_MAX 65536

bool unpack_chardev_allowed(unsigned ma, unsigned mi)
{
	static const unsigned ok[][2] = {
		{ 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, /* null zero full random urandom */
		{ 5, 0 }, { 5, 1 }, { 5, 2 },                     /* tty console ptmx */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i][0] == ma && ok[i][1] == mi)
			return true;
	return false;
}

static bool xattr_allowed(const char *name)
{
	if (!strncmp(name, "user.", 5))
		return true;
	if (!strncmp(name, "trusted.", 8))
		return strncmp(name, "trusted.overlay.", 16) != 0;
	return !strcmp(name, "security.capability");
}

static int push(char ***arr, size_t *n, size_t *cap, char *s)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **a = realloc(*arr, nc * sizeof(*a));
		if (!a) {
			free(s);
			return zerr(ENOMEM, "unpack");
		}
		*arr = a;
		*cap = nc;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

int unpack_init(struct unpack *u, const char *rootdir, uint64_t max_bytes)
{
	memset(u, 0, sizeof(*u));
	u->max_bytes = max_bytes ? max_bytes : UNPACK_DEFAULT_MAX_BYTES;
	u->rootfd = open(rootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->rootfd < 0)
		return zerr(errno, "open %s", rootdir);
	/* a root no layer describes: reproducible owner, mode and mtime */
	if (fchown(u->rootfd, 0, 0) < 0 || fchmod(u->rootfd, 0755) < 0 ||
	    futimens(u->rootfd, (struct timespec[2]){ { 0, 0 }, { 0, 0 } }) < 0)
		return zerr(errno, "set up %s", rootdir);
	return 0;
}

static void layer_reset(struct unpack *u)
{
	strset_clear(&u->written);
	strset_clear(&u->mt_seen);
	for (size_t i = 0; i < u->nwh; i++)
		free(u->wh[i]);
	for (size_t i = 0; i < u->nopq; i++)
		free(u->opq[i]);
	for (size_t i = 0; i < u->nmt; i++)
		free(u->mt[i].path);
	u->nwh = u->nopq = u->nmt = 0;
}

void unpack_free(struct unpack *u)
{
	layer_reset(u);
	free(u->wh);
	free(u->opq);
	free(u->mt);
	u->wh = u->opq = NULL;
	u->mt = NULL;
	u->cwh = u->copq = u->cmt = 0;
	if (u->rootfd >= 0)
		close(u->rootfd);
	u->rootfd = -1;
}

/* Remembers the mtime a directory must have at the end of the layer. */
static int mt_add(struct unpack *u, const char *path, struct timespec ts)
{
	if (u->nmt == u->cmt) {
		size_t nc = u->cmt ? u->cmt * 2 : 64;
		struct unpack_mtime *m = realloc(u->mt, nc * sizeof(*m));
		if (!m)
			return zerr(ENOMEM, "unpack");
		u->mt = m;
		u->cmt = nc;
	}
	u->mt[u->nmt].path = strdup(path);
	if (!u->mt[u->nmt].path)
		return zerr(ENOMEM, "unpack");
	u->mt[u->nmt++].ts = ts;
	return strset_add(&u->mt_seen, path);
}

/* Before changing a directory's contents, keep its current mtime so that
 * the layer end restores it (unless the layer sets its own). */
static int mt_keep(struct unpack *u, const char *path, int dfd)
{
	struct stat st;

	if (strset_has(&u->mt_seen, path))
		return 0;
	if (fstat(dfd, &st) < 0)
		return zerr(errno, "stat '%.200s'", path);
	return mt_add(u, path, st.st_mtim);
}

static int mt_apply(struct unpack *u)
{
	for (size_t i = 0; i < u->nmt; i++) {
		struct timespec ts[2] = { u->mt[i].ts, u->mt[i].ts };
		int fd = fsat_open_dir(u->rootfd, u->mt[i].path, false, O_RDONLY);

		if (fd < 0) {
			zerr_clear(); /* removed later in the layer */
			continue;
		}
		if (futimens(fd, ts) < 0) {
			close(fd);
			return zerr(errno, "set mtime of '%.200s'", u->mt[i].path);
		}
		close(fd);
	}
	return 0;
}

static int set_xattrs(struct archive_entry *e, int fd, const char *procpath, const char *path)
{
	const char *name;
	const void *val;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		int rc;

		if (!name || !xattr_allowed(name))
			continue;
		if (size > XATTR_VALUE_MAX)
			return zerr(0, "'%.200s': xattr %s is too large", path, name);
		rc = fd >= 0 ? fsetxattr(fd, name, val, size, 0)
			     : lsetxattr(procpath, name, val, size, 0);
		if (rc < 0)
			return zerr(errno, "'%.200s': set xattr %s", path, name);
	}
	return 0;
}

struct meta {
	uid_t uid;
	gid_t gid;
	mode_t perm;
	struct timespec mtime;
};

static int get_meta(struct archive_entry *e, const char *path, struct meta *m)
{
	int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	if (uid < 0 || uid > 0xfffffffeLL || gid < 0 || gid > 0xfffffffeLL)
		return zerr(0, "'%.200s': owner %lld:%lld out of range", path, (long long)uid,
			    (long long)gid);
	m->uid = (uid_t)uid;
	m->gid = (gid_t)gid;
	m->perm = archive_entry_perm(e) & 07777;
	m->mtime.tv_sec = archive_entry_mtime(e);
	m->mtime.tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
	if (m->mtime.tv_nsec < 0 || m->mtime.tv_nsec >= 1000000000)
		m->mtime.tv_nsec = 0;
	return 0;
}

/* Owner, mode, xattrs (after chown, which clears file capabilities) and,
 * unless it is a directory, mtime.  fd >= 0: an open file/directory;
 * otherwise the name in pfd (symlinks, devices, FIFOs). */
static int set_meta(struct archive_entry *e, const struct meta *m, int fd, int pfd,
		    const char *base, const char *path, bool is_link, bool is_dir)
{
	char procpath[64];
	struct timespec ts[2] = { m->mtime, m->mtime };

	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d/", pfd);
	if (fd >= 0) {
		if (fchown(fd, m->uid, m->gid) < 0)
			return zerr(errno, "'%.200s': chown", path);
		if (fchmod(fd, m->perm) < 0)
			return zerr(errno, "'%.200s': chmod", path);
		if (set_xattrs(e, fd, NULL, path) < 0)
			return -1;
		if (!is_dir && futimens(fd, ts) < 0)
			return zerr(errno, "'%.200s': set mtime", path);
		return 0;
	}
	if (fchownat(pfd, base, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return zerr(errno, "'%.200s': chown", path);
	if (!is_link && fchmodat(pfd, base, m->perm, 0) < 0)
		return zerr(errno, "'%.200s': chmod", path);
	if (archive_entry_xattr_count(e) > 0) {
		char full[64 + 256];
		snprintf(full, sizeof(full), "%s%s", procpath, base);
		if (set_xattrs(e, -1, full, path) < 0)
			return -1;
	}
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return zerr(errno, "'%.200s': set mtime", path);
	return 0;
}

static int write_data(struct unpack *u, struct archive *a, int fd, int64_t size, const char *path)
{
	const void *buf;
	size_t len;
	int64_t off;
	int r;

	for (;;) {
		r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return zerr(0, "'%.200s': %s", path, archive_error_string(a));
		if (off < 0 || (uint64_t)off + len > (uint64_t)size)
			return zerr(0, "'%.200s': data beyond the declared size", path);
		for (size_t done = 0; done < len;) {
			ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + done);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return zerr(errno, "'%.200s': write", path);
			}
			done += n;
		}
	}
	if (ftruncate(fd, size) < 0)
		return zerr(errno, "'%.200s': truncate", path);
	(void)u;
	return 0;
}

static int hardlink(struct unpack *u, const char *target_name, int pfd, const char *base,
		    const char *path)
{
	z_autofree char *t = NULL, *tparent = NULL;
	int tpfd, rc;

	if (path_sanitize(target_name, &t) < 0)
		return zerr_prefix("'%.200s': hard link target", path);
	if (!*t)
		return zerr(0, "'%.200s': hard link to the root refused", path);
	tparent = strndup(t, path_parent_len(t));
	if (!tparent)
		return zerr(ENOMEM, "unpack");
	tpfd = fsat_open_dir(u->rootfd, tparent, false, O_PATH);
	if (tpfd < 0)
		return zerr_prefix("'%.200s': hard link target '%.200s'", path, t);
	rc = linkat(tpfd, path_base(t), pfd, base, 0);
	if (rc < 0)
		rc = zerr(errno, "'%.200s': hard link to '%.200s'", path, t);
	close(tpfd);
	return rc;
}

/* Records path and its ancestors as written by this layer: an opaque
 * marker or whiteout must not remove a directory that holds new entries,
 * even when the layer has no entry for the directory itself. */
static int mark_written(struct unpack *u, const char *path)
{
	z_autofree char *p = strdup(path);
	size_t n;

	if (!p)
		return zerr(ENOMEM, "unpack");
	for (;;) {
		if (strset_has(&u->written, p))
			return 0;
		if (strset_add(&u->written, p) < 0)
			return -1;
		n = path_parent_len(p);
		if (n == 0)
			return 0;
		p[n] = 0;
	}
}

static int entry_root(struct unpack *u, struct archive_entry *e)
{
	struct meta m;

	if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
		return zerr(0, "the root entry '.' is not a directory");
	if (get_meta(e, ".", &m) < 0 || set_meta(e, &m, u->rootfd, -1, NULL, ".", false, true) < 0)
		return -1;
	return mt_add(u, "", m.mtime);
}

static int entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
	z_autofree char *path = NULL, *parent = NULL, *target = NULL;
	const char *name = archive_entry_pathname(e), *base, *hl;
	enum wh_kind wk;
	unsigned type = archive_entry_filetype(e);
	struct meta m;
	struct stat st;
	int pfd = -1, fd = -1, rc = -1;
	bool exists;

	if (!name)
		return zerr(0, "member without a name");
	if (path_sanitize(name, &path) < 0)
		return -1;
	if (whiteout_classify(path, &wk, &target) < 0)
		return -1;
	switch (wk) {
	case WH_FILE:
		rc = push(&u->wh, &u->nwh, &u->cwh, target);
		target = NULL;
		return rc;
	case WH_OPAQUE_DIR:
		rc = push(&u->opq, &u->nopq, &u->copq, target);
		target = NULL;
		return rc;
	case WH_META:
		return 0;
	case WH_NONE:
		break;
	}
	if (!*path)
		return entry_root(u, e);
	hl = archive_entry_hardlink(e);
	if (!hl && get_meta(e, path, &m) < 0)
		return -1;
	if (!hl && type == AE_IFREG) {
		int64_t size = archive_entry_size(e);
		if (size < 0)
			return zerr(0, "'%.200s': bad size", path);
		u->total_bytes += (uint64_t)size;
		if (u->total_bytes > u->max_bytes)
			return zerr(0, "'%.200s': image unpacks to more than %llu MiB (the limit; "
				       "see --max-size)", path,
				    (unsigned long long)(u->max_bytes >> 20));
	}
	if (!hl) {
		if (type == AE_IFBLK)
			return zerr(0, "'%.200s': block device refused", path);
		if (type == AE_IFCHR && !unpack_chardev_allowed(archive_entry_rdevmajor(e),
								archive_entry_rdevminor(e)))
			return zerr(0, "'%.200s': character device %u:%u refused (only null, zero, "
				       "full, random, urandom, tty, console, ptmx)", path,
				    (unsigned)archive_entry_rdevmajor(e),
				    (unsigned)archive_entry_rdevminor(e));
		if (type == AE_IFSOCK)
			return zerr(0, "'%.200s': socket refused", path);
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFCHR &&
		    type != AE_IFIFO)
			return zerr(0, "'%.200s': unknown entry type %o", path, type);
	}

	parent = strndup(path, path_parent_len(path));
	if (!parent)
		return zerr(ENOMEM, "unpack");
	base = path_base(path);
	pfd = fsat_open_dir(u->rootfd, parent, true, O_PATH);
	if (pfd < 0)
		return zerr_prefix("'%.200s'", path);
	if (mt_keep(u, parent, pfd) < 0)
		goto out;
	exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && !(type == AE_IFDIR && !hl && S_ISDIR(st.st_mode))) {
		if (fsat_rm_rf(pfd, base) < 0)
			goto out;
		exists = false;
	}

	if (hl) {
		if (hardlink(u, hl, pfd, base, path) < 0)
			goto out;
	} else {
		switch (type) {
		case AE_IFREG:
			fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0) {
				zerr(errno, "'%.200s': create", path);
				goto out;
			}
			if (write_data(u, a, fd, archive_entry_size(e), path) < 0 ||
			    set_meta(e, &m, fd, pfd, base, path, false, false) < 0)
				goto out;
			break;
		case AE_IFDIR:
			if (!exists && mkdirat(pfd, base, 0700) < 0) {
				zerr(errno, "'%.200s': mkdir", path);
				goto out;
			}
			fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				zerr(errno, "'%.200s': open", path);
				goto out;
			}
			if (set_meta(e, &m, fd, pfd, base, path, false, true) < 0 ||
			    mt_add(u, path, m.mtime) < 0)
				goto out;
			break;
		case AE_IFLNK: {
			const char *t = archive_entry_symlink(e);
			if (!t || !*t || strlen(t) > SYMLINK_MAX) {
				zerr(0, "'%.200s': bad symlink target", path);
				goto out;
			}
			if (symlinkat(t, pfd, base) < 0) {
				zerr(errno, "'%.200s': symlink", path);
				goto out;
			}
			if (set_meta(e, &m, -1, pfd, base, path, true, false) < 0)
				goto out;
			break;
		}
		default: { /* allowed character devices and FIFOs */
			mode_t fmt = type == AE_IFCHR ? S_IFCHR : S_IFIFO;
			dev_t dev = type == AE_IFCHR ? makedev(archive_entry_rdevmajor(e),
							      archive_entry_rdevminor(e)) : 0;
			if (mknodat(pfd, base, fmt | 0600, dev) < 0) {
				zerr(errno, "'%.200s': mknod", path);
				goto out;
			}
			if (set_meta(e, &m, -1, pfd, base, path, false, false) < 0)
				goto out;
		}
		}
	}
	if (mark_written(u, path) < 0)
		goto out;
	u->entries++;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return rc;
}

static int layer_end(struct unpack *u)
{
	for (size_t i = 0; i < u->nopq; i++) {
		int pfd = fsat_open_dir(u->rootfd, u->opq[i], false, O_PATH);
		if (pfd >= 0) {
			int rc = mt_keep(u, u->opq[i], pfd);
			close(pfd);
			if (rc < 0)
				return -1;
		} else {
			zerr_clear();
		}
		if (whiteout_apply_opaque(u->rootfd, u->opq[i], &u->written) < 0)
			return -1;
	}
	for (size_t i = 0; i < u->nwh; i++) {
		z_autofree char *parent = strndup(u->wh[i], path_parent_len(u->wh[i]));
		int pfd;

		if (!parent)
			return zerr(ENOMEM, "unpack");
		pfd = fsat_open_dir(u->rootfd, parent, false, O_PATH);
		if (pfd >= 0) {
			int rc = mt_keep(u, parent, pfd);
			close(pfd);
			if (rc < 0)
				return -1;
		} else {
			zerr_clear();
		}
		if (whiteout_apply(u->rootfd, u->wh[i], &u->written) < 0)
			return -1;
	}
	return mt_apply(u);
}

int unpack_layer(struct unpack *u, struct archive *a)
{
	struct archive_entry *e;
	int r, rc = 0;

	layer_reset(u);
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = zerr(0, "%s", archive_error_string(a) ? archive_error_string(a)
								  : "bad tar archive");
			break;
		}
		if (entry(u, a, e) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		rc = layer_end(u);
	layer_reset(u);
	return rc;
}
