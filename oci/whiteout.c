#include "oci/whiteout.h"
#include "oci/fsat.h"
#include "oci/path.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int whiteout_classify(const char *path, enum wh_kind *kind, char **target)
{
	const char *base = path_base(path);
	size_t plen = path_parent_len(path);
	const char *name;

	*kind = WH_NONE;
	*target = NULL;
	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) != 0)
		return 0;
	if (!strcmp(base, WH_OPAQUE)) {
		*target = strndup(path, plen);
		if (!*target)
			return zerr(ENOMEM, "whiteout");
		*kind = WH_OPAQUE_DIR;
		return 0;
	}
	if (!strncmp(base, WH_PREFIX WH_PREFIX, 2 * strlen(WH_PREFIX))) {
		*kind = WH_META;
		return 0;
	}
	name = base + strlen(WH_PREFIX);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return zerr(0, "bad whiteout '%.200s'", path);
	*target = malloc(plen + 1 + strlen(name) + 1);
	if (!*target)
		return zerr(ENOMEM, "whiteout");
	memcpy(*target, path, plen);
	if (plen)
		(*target)[plen++] = '/';
	strcpy(*target + plen, name);
	*kind = WH_FILE;
	return 0;
}

static int opaque_at(int dfd, const char *dir, const struct strset *written)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return zerr(errno, "opendir '%.200s'", dir);
	}
	while ((de = readdir(d)) && rc == 0) {
		char *child;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = path_join(dir, de->d_name);
		if (!child) {
			rc = zerr(ENOMEM, "whiteout");
			break;
		}
		if (!strset_has(written, child)) {
			rc = fsat_rm_rf(dirfd(d), de->d_name);
		} else if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			   S_ISDIR(st.st_mode)) {
			int cfd = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = cfd < 0 ? zerr(errno, "open '%.200s'", child)
				     : opaque_at(cfd, child, written);
		}
		free(child);
	}
	closedir(d);
	return rc;
}

int whiteout_apply_opaque(int rootfd, const char *dir, const struct strset *written)
{
	int fd = fsat_open_dir(rootfd, dir, false, O_RDONLY);

	if (fd < 0) {
		if (zerr_errno() == ENOENT || zerr_errno() == ENOTDIR) {
			zerr_clear();
			return 0; /* nothing below to hide */
		}
		return zerr_prefix("opaque directory '%.200s'", dir);
	}
	return opaque_at(fd, dir, written);
}

int whiteout_apply(int rootfd, const char *target, const struct strset *written)
{
	z_autofree char *parent = strndup(target, path_parent_len(target));
	struct stat st;
	int pfd, rc;

	if (!parent)
		return zerr(ENOMEM, "whiteout");
	pfd = fsat_open_dir(rootfd, parent, false, O_PATH);
	if (pfd < 0) {
		if (zerr_errno() == ENOENT || zerr_errno() == ENOTDIR) {
			zerr_clear();
			return 0;
		}
		return zerr_prefix("whiteout '%.200s'", target);
	}
	if (strset_has(written, target)) {
		rc = 0;
		if (fstatat(pfd, path_base(target), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			rc = whiteout_apply_opaque(rootfd, target, written);
	} else {
		rc = fsat_rm_rf(pfd, path_base(target));
	}
	close(pfd);
	return rc;
}
