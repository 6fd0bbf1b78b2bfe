/* An OCI image layout directory: oci-layout, index.json, blobs/<alg>/<hex>. */
#include "oci/digest.h"
#include "oci/source.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INDEX_MAX (4 << 20)

struct layout {
	int dirfd;
};

static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

static int layout_open_blob(struct oci_source *s, const char *digest, int *fd)
{
	struct layout *l = s->priv;
	char rel[16 + DIGEST_STR_LEN];

	if (digest_check(digest, "blob") < 0)
		return -1;
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest_hex(digest));
	*fd = open_beneath(l->dirfd, rel);
	if (*fd < 0) {
		if (errno == ENOENT)
			return zerr(0, "blob %s is missing from %s", digest, s->path);
		return zerr(errno, "%s/%s", s->path, rel);
	}
	return 0;
}

static void layout_free(struct oci_source *s)
{
	struct layout *l = s->priv;

	if (l && l->dirfd >= 0)
		close(l->dirfd);
	free(l);
}

static json_t *load_json_at(int dirfd, const char *dir, const char *name)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *j;
	int fd = open_beneath(dirfd, name);
	ssize_t n;

	if (fd < 0) {
		zerr(errno, "%s/%s", dir, name);
		return NULL;
	}
	buf = malloc(INDEX_MAX + 1);
	if (!buf) {
		close(fd);
		zerr(ENOMEM, "read");
		return NULL;
	}
	n = read_all(fd, buf, INDEX_MAX + 1);
	close(fd);
	if (n < 0 || n > INDEX_MAX) {
		free(buf);
		zerr(n < 0 ? errno : 0, "%s/%s: unreadable or too large", dir, name);
		return NULL;
	}
	len = n;
	j = json_loadb((char *)buf, len, 0, &je);
	free(buf);
	if (!j)
		zerr(0, "%s/%s: %s", dir, name, je.text);
	return j;
}

int source_open_layout(const char *dir, struct oci_source **out)
{
	struct oci_source *s = source_new("oci layout", dir);
	struct layout *l = calloc(1, sizeof(*l));
	json_t *lay;

	if (!s || !l) {
		free(l);
		source_free(s);
		return zerr(ENOMEM, "layout");
	}
	l->dirfd = -1;
	s->priv = l;
	s->open_blob = layout_open_blob;
	s->free_priv = layout_free;
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0) {
		zerr(errno, "%s", dir);
		goto fail;
	}
	lay = load_json_at(l->dirfd, dir, "oci-layout");
	if (!lay) {
		zerr_prefix("not an OCI image layout");
		goto fail;
	}
	if (!json_is_string(json_object_get(lay, "imageLayoutVersion"))) {
		json_decref(lay);
		zerr(0, "%s/oci-layout: no imageLayoutVersion", dir);
		goto fail;
	}
	json_decref(lay);
	s->index = load_json_at(l->dirfd, dir, "index.json");
	if (!s->index)
		goto fail;
	*out = s;
	return 0;
fail:
	source_free(s);
	return -1;
}
