#include "oci/erofs.h"
#include "oci/image.h"
#include "oci/layer.h"
#include "oci/manifest.h"
#include "oci/name.h"
#include "oci/progress.h"
#include "oci/source.h"
#include "oci/unpack.h"
#include "oci/fsat.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pending {
	char *tmp;          /* file to rename into blobs/ */
	const char *digest;
};

struct import {
	struct store *st;
	const struct import_opts *o;
	struct oci_source *src;
	struct image_manifest im;
	char *work;         /* tmp/import.XXXXXX */
	struct pending *pend;
	size_t npend;
};

/* Makes a verified local copy of layer i available (the store's own,
 * a staged archive member, or a copy in the work dir checked against the
 * digest on the way) and, when unpacking, applies it: libarchive only
 * ever reads bytes whose digest has been checked. */
static int fetch_layer(struct import *im, size_t i, struct unpack *u)
{
	const struct layer_desc *ld = &im->im.layers[i];
	const char *staged = im->src->staged_blob ? im->src->staged_blob(im->src, ld->digest) : NULL;
	bool have = store_has_blob(im->st, ld->digest);
	struct layer_in in = { .fd = -1, .digest = ld->digest, .size = ld->size,
			       .diff_id = ld->diff_id, .tee_fd = -1 };
	z_autofree char *local = NULL;
	struct progress pr;
	char label[96];
	int rc;

	if (have)
		local = store_blob_path(im->st, ld->digest);
	else if (staged)
		local = strdup(staged);
	if (!have && !staged) {
		if (asprintf(&local, "%s/blob.%zu", im->work, i) < 0) {
			local = NULL;
			return zerr(ENOMEM, "import");
		}
		in.tee_fd = open(local, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (in.tee_fd < 0)
			return zerr(errno, "create %s", local);
		if (im->src->open_blob(im->src, ld->digest, &in.fd) < 0) {
			close(in.tee_fd);
			return zerr_prefix("layer %zu", i + 1);
		}
		snprintf(label, sizeof(label), "layer %zu/%zu %.19s copy", i + 1, im->im.nlayers,
			 ld->digest);
		progress_start(&pr, im->o->progress && !u, label);
		in.progress = progress_update;
		in.progress_arg = &pr;
		rc = blob_copy_verify(&in);
		progress_end(&pr, rc == 0 ? (uint64_t)ld->size : 0, ld->size);
		close(in.fd);
		close(in.tee_fd);
		in.tee_fd = in.fd = -1;
		if (rc < 0)
			return zerr_prefix("layer %zu", i + 1);
	}
	if (!local)
		return zerr(ENOMEM, "import");
	if (u) {
		in.fd = open(local, O_RDONLY | O_CLOEXEC);
		if (in.fd < 0)
			return zerr(errno, "open %s", local);
		snprintf(label, sizeof(label), "layer %zu/%zu %.19s", i + 1, im->im.nlayers,
			 ld->digest);
		progress_start(&pr, im->o->progress, label);
		in.progress = progress_update;
		in.progress_arg = &pr;
		rc = layer_apply(u, &in);
		progress_end(&pr, rc == 0 ? (uint64_t)ld->size : 0, ld->size);
		close(in.fd);
		if (rc < 0)
			return zerr_prefix("layer %zu (%s)", i + 1, ld->digest);
	}
	if (!have) {
		im->pend[im->npend].tmp = local;
		im->pend[im->npend++].digest = ld->digest;
		local = NULL;
	}
	return 0;
}

static int set_ref(struct import *im, const char *name)
{
	json_t *refs = NULL;
	int rc;

	if (store_refs_load(im->st, &refs) < 0)
		return -1;
	json_object_set_new(refs, name,
			    json_pack("{s:s, s:s}", "manifest", im->im.manifest_digest, "config",
				      im->im.config_digest));
	rc = store_refs_save(im->st, refs);
	json_decref(refs);
	return rc;
}

static int run(struct import *im, const char *path, char **name_out)
{
	z_autofree char *name = NULL, *mbuf = NULL, *cbuf = NULL, *rootfs = NULL, *disk = NULL;
	const char *annotated = NULL, *ref_tag = NULL, *mdigest;
	json_t *mdesc = NULL;
	struct unpack u = { .rootfd = -1 };
	bool unpacking;
	size_t mlen, clen;
	json_t *sz;
	int rc = -1;

	if (source_open(path, im->st, &im->src) < 0)
		return -1;
	if (manifest_resolve(im->src, im->o->ref, &mdesc, &annotated, &ref_tag) < 0)
		return -1;
	if (im->o->name ? image_name_normalize(im->o->name, &name) < 0
			: image_name_default(annotated, ref_tag, path, &name) < 0)
		goto out;
	mdigest = json_string_value(json_object_get(mdesc, "digest"));
	sz = json_object_get(mdesc, "size");
	if (digest_check(mdigest, "manifest") < 0 ||
	    source_read_blob(im->src, mdigest, json_is_integer(sz) ? json_integer_value(sz) : -1,
			     MANIFEST_MAX, &mbuf, &mlen) < 0 ||
	    manifest_parse(mbuf, mlen, mdigest, &im->im) < 0)
		goto out;
	if (source_read_blob(im->src, im->im.config_digest, im->im.config_size, MANIFEST_MAX, &cbuf,
			     &clen) < 0 ||
	    manifest_set_config(&im->im, cbuf, clen) < 0)
		goto out;
	im->pend = calloc(im->im.nlayers + 1, sizeof(*im->pend));
	if (!im->pend || store_mkdtemp(im->st, "import", &im->work) < 0)
		goto out;

	/* 1. read, check and (for a new config) flatten every layer */
	unpacking = !store_has_disk(im->st, im->im.config_digest);
	if (unpacking) {
		if (asprintf(&rootfs, "%s/rootfs", im->work) < 0 ||
		    asprintf(&disk, "%s/disk.erofs", im->work) < 0) {
			zerr(ENOMEM, "import");
			goto out;
		}
		if (mkdir(rootfs, 0755) < 0) {
			zerr(errno, "mkdir %s", rootfs);
			goto out;
		}
		if (unpack_init(&u, rootfs, im->o->max_bytes) < 0)
			goto out;
	}
	for (size_t i = 0; i < im->im.nlayers; i++)
		if (fetch_layer(im, i, unpacking ? &u : NULL) < 0)
			goto out;
	if (unpacking) {
		unpack_free(&u);
		progress_note(im->o->progress, "packing erofs image");
		if (erofs_build(rootfs, disk, im->im.config_digest) < 0)
			goto out;
		if (fsat_rm_tree(rootfs) < 0)
			goto out;
	}

	/* 2. move into place: blobs, then the disk, then the ref */
	for (size_t i = 0; i < im->npend; i++)
		if (store_commit_blob(im->st, im->pend[i].tmp, im->pend[i].digest) < 0)
			goto out;
	if (store_put_blob(im->st, im->im.config_digest, cbuf, clen) < 0 ||
	    store_put_blob(im->st, mdigest, mbuf, mlen) < 0)
		goto out;
	if (unpacking && store_commit_disk(im->st, disk, im->im.config_digest) < 0)
		goto out;
	if (set_ref(im, name) < 0)
		goto out;
	if (name_out) {
		*name_out = name;
		name = NULL;
	}
	rc = 0;
out:
	unpack_free(&u);
	json_decref(mdesc);
	return rc;
}

int image_import(struct store *st, const char *path, const struct import_opts *o,
		 char **name_out)
{
	struct import im = { .st = st, .o = o };
	int rc = run(&im, path, name_out);

	if (rc < 0)
		zerr_prefix("import %s", path);
	for (size_t i = 0; i < im.npend; i++)
		free(im.pend[i].tmp);
	free(im.pend);
	if (im.work) {
		fsat_rm_tree(im.work);
		free(im.work);
	}
	source_free(im.src);
	manifest_free(&im.im);
	return rc;
}
