#include "oci/store.h"
#include "oci/digest.h"
#include "oci/fsat.h"
#include "common/util.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *path)
{
	z_autofree char *buf = strdup(path);

	if (!buf)
		return zerr(ENOMEM, "path");
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return zerr(errno, "mkdir %s", buf);
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int empty_tmp(const struct store *s)
{
	DIR *d = opendir(s->tmp);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return zerr(errno, "open %s", s->tmp);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    fsat_rm_rf(dirfd(d), de->d_name) < 0) {
			rc = zerr_prefix("cleaning %s", s->tmp);
			break;
		}
	closedir(d);
	return rc;
}

int store_open(struct store *s, const char *root, int mode)
{
	z_autofree char *lock = NULL;

	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
	if (!root || !*root)
		root = getenv("ZONE_ROOT");
	if (!root || !*root)
		root = ZONE_DEFAULT_ROOT;
	if (asprintf(&s->dir, "%s/images", root) < 0 ||
	    asprintf(&s->blobs, "%s/blobs/sha256", s->dir) < 0 ||
	    asprintf(&s->disks, "%s/disks", s->dir) < 0 || asprintf(&s->tmp, "%s/tmp", s->dir) < 0 ||
	    asprintf(&s->partial, "%s/partial", s->dir) < 0 ||
	    asprintf(&lock, "%s/lock", s->dir) < 0)
		return zerr(ENOMEM, "store");
	if (!(mode & STORE_LOCK))
		return 0;
	if (mkdir_p(s->blobs) < 0 || mkdir_p(s->disks) < 0 || mkdir_p(s->tmp) < 0 ||
	    mkdir_p(s->partial) < 0)
		return zerr_prefix("store %s", s->dir);
	s->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return zerr(errno, "open %s", lock);
	if (flock(s->lockfd, LOCK_EX) < 0)
		return zerr(errno, "lock %s", lock);
	return mode == STORE_WRITE ? empty_tmp(s) : 0;
}

void store_close(struct store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the lock */
	free(s->dir);
	free(s->blobs);
	free(s->disks);
	free(s->tmp);
	free(s->partial);
	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
}

char *store_blob_path(const struct store *s, const char *digest)
{
	char *p;

	if (!digest_valid(digest) || asprintf(&p, "%s/%s", s->blobs, digest_hex(digest)) < 0)
		return NULL;
	return p;
}

char *store_partial_path(const struct store *s, const char *digest)
{
	char *p;

	if (!digest_valid(digest) || asprintf(&p, "%s/%s", s->partial, digest_hex(digest)) < 0)
		return NULL;
	return p;
}

char *store_disk_path(const struct store *s, const char *config_digest)
{
	char *p;

	if (!digest_valid(config_digest) ||
	    asprintf(&p, "%s/%s.erofs", s->disks, digest_hex(config_digest)) < 0)
		return NULL;
	return p;
}

bool store_has_blob(const struct store *s, const char *digest)
{
	z_autofree char *p = store_blob_path(s, digest);

	return p && access(p, F_OK) == 0;
}

bool store_has_disk(const struct store *s, const char *config_digest)
{
	z_autofree char *p = store_disk_path(s, config_digest);

	return p && access(p, F_OK) == 0;
}

int store_read_blob(const struct store *s, const char *digest, size_t max, char **buf,
		    size_t *len)
{
	z_autofree char *p = store_blob_path(s, digest);
	char got[DIGEST_STR_LEN + 1];
	uint8_t *b;

	if (!p)
		return zerr(0, "bad digest '%.80s'", digest);
	if (read_file(p, max, &b, len) < 0)
		return zerr_prefix("blob %s", digest);
	digest_buf(b, *len, got);
	if (strcmp(got, digest)) {
		free(b);
		return zerr(0, "blob %s is corrupt (content hashes to %s)", digest, got);
	}
	*buf = (char *)b;
	return 0;
}

int store_mktemp(const struct store *s, const char *prefix, char **path, int *fd)
{
	if (asprintf(path, "%s/%s.XXXXXX", s->tmp, prefix) < 0)
		return zerr(ENOMEM, "store");
	*fd = mkostemp(*path, O_CLOEXEC);
	if (*fd < 0) {
		zerr(errno, "create %s", *path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

int store_mkdtemp(const struct store *s, const char *prefix, char **path)
{
	if (asprintf(path, "%s/%s.XXXXXX", s->tmp, prefix) < 0)
		return zerr(ENOMEM, "store");
	if (!mkdtemp(*path)) {
		zerr(errno, "create %s", *path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

static int commit(const char *tmp_path, const char *dest, const char *dir)
{
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return zerr(errno, "open %s", tmp_path);
	if (fsync(fd) < 0) {
		close(fd);
		return zerr(errno, "fsync %s", tmp_path);
	}
	close(fd);
	if (chmod(tmp_path, 0644) < 0)
		return zerr(errno, "chmod %s", tmp_path);
	if (rename(tmp_path, dest) < 0)
		return zerr(errno, "rename %s to %s", tmp_path, dest);
	return fsat_sync_dir(dir);
}

int store_commit_blob(const struct store *s, const char *tmp_path, const char *digest)
{
	z_autofree char *dest = store_blob_path(s, digest);

	if (!dest)
		return zerr(0, "bad digest '%.80s'", digest);
	if (access(dest, F_OK) == 0) {
		unlink(tmp_path);
		return 0;
	}
	return commit(tmp_path, dest, s->blobs);
}

int store_put_blob(const struct store *s, const char *digest, const void *buf, size_t len)
{
	z_autofree char *tmp = NULL;
	char got[DIGEST_STR_LEN + 1];
	int fd;

	digest_buf(buf, len, got);
	if (strcmp(got, digest))
		return zerr(0, "blob digest mismatch: expected %s, got %s", digest, got);
	if (store_has_blob(s, digest))
		return 0;
	if (store_mktemp(s, "blob", &tmp, &fd) < 0)
		return -1;
	if (write_all(fd, buf, len) < 0) {
		zerr(errno, "write %s", tmp);
		close(fd);
		return -1;
	}
	close(fd);
	return store_commit_blob(s, tmp, digest);
}

int store_commit_disk(const struct store *s, const char *tmp_path, const char *config_digest)
{
	z_autofree char *dest = store_disk_path(s, config_digest);

	if (!dest)
		return zerr(0, "bad digest '%.80s'", config_digest);
	return commit(tmp_path, dest, s->disks);
}

int store_refs_load(const struct store *s, json_t **refs)
{
	z_autofree char *p = NULL;
	json_error_t je;
	json_t *j, *r;

	if (asprintf(&p, "%s/refs.json", s->dir) < 0)
		return zerr(ENOMEM, "store");
	j = json_load_file(p, 0, &je);
	if (!j) {
		if (access(p, F_OK) < 0 && errno == ENOENT) {
			*refs = json_object();
			return *refs ? 0 : zerr(ENOMEM, "store");
		}
		return zerr(0, "%s: %s", p, je.text);
	}
	r = json_object_get(j, "refs");
	if (!json_is_object(r)) {
		json_decref(j);
		return zerr(0, "%s: no \"refs\" object", p);
	}
	*refs = json_incref(r);
	json_decref(j);
	return 0;
}

int store_refs_save(const struct store *s, json_t *refs)
{
	z_autofree char *p = NULL, *text = NULL;
	json_t *j = json_pack("{s:O}", "refs", refs);
	int rc;

	if (!j || asprintf(&p, "%s/refs.json", s->dir) < 0)
		return zerr(ENOMEM, "store");
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return zerr(ENOMEM, "store");
	rc = fsat_write_atomic(p, s->tmp, text, strlen(text));
	return rc;
}
