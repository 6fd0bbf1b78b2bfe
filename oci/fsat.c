#include "oci/fsat.h"
#include "oci/path.h"
#include "common/util.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int openat2_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return (int)fd;
}

static int explain(const char *path)
{
	if (errno == EXDEV || errno == ELOOP)
		return zerr(0, "'%.200s' goes through a symlink that leaves the image root: refused",
			    path);
	return zerr(errno, "open '%.200s'", path);
}

int fsat_open_dir(int rootfd, const char *path, bool create, int flags)
{
	char *buf, *p;
	int fd;

	fd = openat2_beneath(rootfd, path, flags | O_DIRECTORY);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd >= 0 ? fd : explain(path);
	/* Walk from the top, creating what is missing. */
	buf = strdup(path);
	if (!buf)
		return zerr(ENOMEM, "path");
	for (p = buf;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char saved = *p;
		*p = 0;
		fd = openat2_beneath(rootfd, buf, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			size_t pl = path_parent_len(buf);
			char c = buf[pl];
			int pfd;

			buf[pl] = 0;
			pfd = openat2_beneath(rootfd, buf, O_PATH | O_DIRECTORY);
			buf[pl] = c;
			if (pfd < 0) {
				explain(buf);
				free(buf);
				return -1;
			}
			if (mkdirat(pfd, path_base(buf), 0755) < 0 && errno != EEXIST) {
				zerr(errno, "mkdir '%.200s'", buf);
				close(pfd);
				free(buf);
				return -1;
			}
			close(pfd);
			fd = openat2_beneath(rootfd, buf, O_PATH | O_DIRECTORY);
		}
		if (fd < 0) {
			explain(buf);
			free(buf);
			return -1;
		}
		close(fd);
		*p = saved;
		if (!saved)
			break;
	}
	free(buf);
	fd = openat2_beneath(rootfd, path, flags | O_DIRECTORY);
	return fd >= 0 ? fd : explain(path);
}

static int rm_children(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(fd);
		return zerr(errno, "fdopendir");
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fsat_rm_rf(dirfd(d), de->d_name) < 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

int fsat_rm_rf(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : zerr(errno, "stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return zerr(errno, "unlink '%s'", name);
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return zerr(errno, "open '%s'", name);
	if (rm_children(fd) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return zerr(errno, "rmdir '%s'", name);
	return 0;
}

int fsat_rm_tree(const char *path)
{
	return fsat_rm_rf(AT_FDCWD, path);
}

int fsat_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return zerr(errno, "open %s", path);
	if (fsync(fd) < 0) {
		close(fd);
		return zerr(errno, "fsync %s", path);
	}
	close(fd);
	return 0;
}

int fsat_write_atomic(const char *path, const char *tmpdir, const void *buf, size_t len)
{
	z_autofree char *tmp = NULL, *dir = NULL;
	int fd;

	if ((tmpdir ? asprintf(&tmp, "%s/atomic.%d.%s", tmpdir, (int)getpid(), path_base(path))
		    : asprintf(&tmp, "%s.tmp.%d", path, (int)getpid())) < 0)
		return zerr(ENOMEM, "path");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return zerr(errno, "create %s", tmp);
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		zerr(errno, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		zerr(errno, "rename %s", tmp);
		unlink(tmp);
		return -1;
	}
	dir = strdup(path);
	if (!dir)
		return zerr(ENOMEM, "path");
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	return fsat_sync_dir(slash ? dir : ".");
}
