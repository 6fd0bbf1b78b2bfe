#include "oci/layer.h"
#include "oci/digest.h"
#include "oci/unpack.h"
#include "common/util.h"
#include "common/zerr.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

struct rd {
	const struct layer_in *in;
	struct digest_ctx *dg;
	uint64_t done;
	bool failed;
	char buf[CHUNK];
};

static ssize_t raw_read(struct archive *a, void *arg, const void **out)
{
	struct rd *r = arg;
	ssize_t n;

	do
		n = read(r->in->fd, r->buf, sizeof(r->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read layer: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	if (r->in->size >= 0 && r->done + n > (uint64_t)r->in->size) {
		/* longer than the manifest says: the digest will not match */
		archive_set_error(a, EINVAL, "blob is longer than its descriptor's size %lld",
				  (long long)r->in->size);
		r->failed = true;
		return -1;
	}
	digest_update(r->dg, r->buf, n);
	if (r->in->tee_fd >= 0 && write_all(r->in->tee_fd, r->buf, n) < 0) {
		archive_set_error(a, errno, "write blob: %s", strerror(errno));
		return -1;
	}
	r->done += n;
	if (r->in->progress)
		r->in->progress(r->in->progress_arg, r->done, r->in->size > 0 ? r->in->size : 0);
	*out = r->buf;
	return n;
}

/* The uncompressed tar, read out of the "raw" outer archive. */
struct tr {
	struct archive *outer;
	struct digest_ctx *dg;
	uint64_t bytes;
	char buf[CHUNK];
};

static ssize_t tar_read(struct archive *a, void *arg, const void **out)
{
	struct tr *t = arg;
	la_ssize_t n = archive_read_data(t->outer, t->buf, sizeof(t->buf));

	if (n < 0) {
		archive_set_error(a, archive_errno(t->outer), "%s",
				  archive_error_string(t->outer));
		return -1;
	}
	digest_update(t->dg, t->buf, n);
	t->bytes += n;
	*out = t->buf;
	return n;
}

static int check_digest(struct digest_ctx *dg, const char *want, const char *what)
{
	char got[DIGEST_STR_LEN + 1];

	digest_final(dg, got);
	if (strcmp(got, want) != 0)
		return zerr(0, "%s digest mismatch: expected %s, got %s", what, want, got);
	return 0;
}

static int check_size(const struct layer_in *in, uint64_t done)
{
	if (in->size >= 0 && done != (uint64_t)in->size)
		return zerr(0, "blob %s: size %llu, descriptor says %lld", in->digest,
			    (unsigned long long)done, (long long)in->size);
	return 0;
}

int layer_apply(struct unpack *u, const struct layer_in *in)
{
	struct rd *r = calloc(1, sizeof(*r));
	struct tr *t = calloc(1, sizeof(*t));
	struct archive *outer = NULL, *inner = NULL;
	struct archive_entry *e;
	int rc = -1;

	if (!r || !t) {
		zerr(ENOMEM, "layer");
		goto out;
	}
	r->in = in;
	r->dg = digest_new();
	t->dg = digest_new();
	outer = archive_read_new();
	inner = archive_read_new();
	if (!r->dg || !t->dg || !outer || !inner) {
		zerr(ENOMEM, "layer");
		goto out;
	}
	archive_read_support_filter_gzip(outer);
	archive_read_support_filter_zstd(outer);
	archive_read_support_format_raw(outer);
	if (archive_read_open(outer, r, NULL, raw_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(outer, &e) != ARCHIVE_OK) {
		zerr(0, "%s", archive_error_string(outer) ? archive_error_string(outer)
							  : "cannot read layer");
		goto out;
	}
	t->outer = outer;
	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, t, NULL, tar_read, NULL) != ARCHIVE_OK) {
		zerr(0, "%s", archive_error_string(inner));
		goto out;
	}
	if (unpack_layer(u, inner) < 0)
		goto out;
	/* Hash what the tar reader left (end-of-archive padding) and the rest
	 * of the compressed stream. */
	for (;;) {
		la_ssize_t n = archive_read_data(outer, t->buf, sizeof(t->buf));
		if (n < 0) {
			zerr(0, "%s", archive_error_string(outer));
			goto out;
		}
		if (n == 0)
			break;
		digest_update(t->dg, t->buf, n);
	}
	for (;;) {
		const void *p;
		ssize_t n = raw_read(outer, r, &p);
		if (n < 0) {
			zerr(0, "%s", archive_error_string(outer));
			goto out;
		}
		if (n == 0)
			break;
	}
	if (check_size(in, r->done) < 0 || check_digest(r->dg, in->digest, "layer") < 0)
		goto out;
	if (in->diff_id && check_digest(t->dg, in->diff_id, "layer diff_id") < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && r && r->failed && r->dg) {
		/* say "digest mismatch" rather than a libarchive read error */
		zerr(0, "blob %s: longer than its descriptor's size %lld", in->digest,
		     (long long)in->size);
	}
	if (inner)
		archive_read_free(inner);
	if (outer)
		archive_read_free(outer);
	if (r)
		digest_free(r->dg);
	if (t)
		digest_free(t->dg);
	free(r);
	free(t);
	return rc;
}

int blob_copy_verify(const struct layer_in *in)
{
	struct rd *r = calloc(1, sizeof(*r));
	struct archive *dummy = archive_read_new();
	int rc = -1;

	if (!r || !dummy || !(r->dg = digest_new())) {
		zerr(ENOMEM, "blob");
		goto out;
	}
	r->in = in;
	for (;;) {
		const void *p;
		ssize_t n = raw_read(dummy, r, &p);
		if (n < 0) {
			zerr(0, "blob %s: %s", in->digest, archive_error_string(dummy));
			goto out;
		}
		if (n == 0)
			break;
	}
	if (check_size(in, r->done) < 0 || check_digest(r->dg, in->digest, "blob") < 0)
		goto out;
	rc = 0;
out:
	if (dummy)
		archive_read_free(dummy);
	if (r)
		digest_free(r->dg);
	free(r);
	return rc;
}
