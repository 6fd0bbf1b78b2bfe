#include "oci/source.h"
#include "oci/digest.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct oci_source *source_new(const char *kind, const char *path)
{
	struct oci_source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = kind;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return NULL;
	}
	return s;
}

void source_free(struct oci_source *s)
{
	if (!s)
		return;
	if (s->free_priv)
		s->free_priv(s);
	json_decref(s->index);
	free(s->path);
	free(s);
}

int source_open(const char *path, const struct store *st, struct oci_source **out)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return zerr(errno, "%s", path);
	if (S_ISDIR(sb.st_mode))
		return source_open_layout(path, out);
	if (S_ISREG(sb.st_mode))
		return source_open_archive(path, st, out);
	return zerr(0, "%s is neither an OCI layout directory nor an archive", path);
}

int source_read_blob(struct oci_source *s, const char *digest, int64_t size, size_t max,
		     char **buf, size_t *len)
{
	char got[DIGEST_STR_LEN + 1];
	size_t cap = 4096, n = 0;
	char *b;
	int fd;

	if (digest_check(digest, "blob") < 0)
		return -1;
	if (size > (int64_t)max)
		return zerr(0, "blob %s is too large (%lld bytes, limit %zu)", digest,
			    (long long)size, max);
	if (s->open_blob(s, digest, &fd) < 0)
		return -1;
	b = malloc(cap);
	if (!b) {
		close(fd);
		return zerr(ENOMEM, "blob");
	}
	for (;;) {
		ssize_t r;
		if (n == cap) {
			char *nb;
			if (cap > max) {
				free(b);
				close(fd);
				return zerr(0, "blob %s is larger than %zu bytes", digest, max);
			}
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				close(fd);
				return zerr(ENOMEM, "blob");
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			zerr(errno, "read blob %s", digest);
			free(b);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	if (n > max) {
		free(b);
		return zerr(0, "blob %s is larger than %zu bytes", digest, max);
	}
	digest_buf(b, n, got);
	if (strcmp(got, digest)) {
		free(b);
		return zerr(0, "blob %s: digest mismatch (content hashes to %s)", digest, got);
	}
	if (size >= 0 && (uint64_t)size != n) {
		free(b);
		return zerr(0, "blob %s: size %zu, descriptor says %lld", digest, n, (long long)size);
	}
	*buf = b;
	*len = n;
	return 0;
}
