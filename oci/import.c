#include "oci/erofs.h"
#include "oci/image.h"
#include "oci/layer.h"
#include "oci/manifest.h"
#include "oci/name.h"
#include "oci/progress.h"
#include "oci/source.h"
#include "oci/unpack.h"
#include "oci/fsat.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
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
	char **local;       /* per layer: a verified copy of the blob */
	struct pending *pend;
	size_t npend;
};

/* Makes a verified local copy of layer i available: the store's own, a
 * staged archive member, or a copy in the work dir checked against the
 * digest on the way.  libarchive only ever reads checked bytes. */
static int fetch_layer(struct import *im, size_t i, bool progress)
{
	const struct layer_desc *ld = &im->im.layers[i];
	const char *staged = im->src->staged_blob ? im->src->staged_blob(im->src, ld->digest) : NULL;
	bool have = store_has_blob(im->st, ld->digest);
	struct layer_in in = { .fd = -1, .digest = ld->digest, .size = ld->size, .tee_fd = -1 };
	struct progress pr;
	char label[96];
	char *local;
	int rc;

	if (have)
		local = store_blob_path(im->st, ld->digest);
	else if (staged)
		local = strdup(staged);
	else if (asprintf(&local, "%s/blob.%zu", im->work, i) < 0)
		local = NULL;
	if (!local)
		return zerr(ENOMEM, "import");
	im->local[i] = local;
	if (have)
		return 0;
	im->pend[im->npend].tmp = strdup(local);
	im->pend[im->npend].digest = ld->digest;
	if (!im->pend[im->npend++].tmp)
		return zerr(ENOMEM, "import");
	if (staged)
		return 0;
	in.tee_fd = open(local, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (in.tee_fd < 0)
		return zerr(errno, "create %s", local);
	if (im->src->open_blob(im->src, ld->digest, &in.fd) < 0) {
		close(in.tee_fd);
		return zerr_prefix("layer %zu", i + 1);
	}
	snprintf(label, sizeof(label), "layer %zu/%zu %.19s copy", i + 1, im->im.nlayers, ld->digest);
	progress_start(&pr, progress, label);
	in.progress = progress_update;
	in.progress_arg = &pr;
	rc = blob_copy_verify(&in);
	progress_end(&pr, rc == 0 ? (uint64_t)ld->size : 0, ld->size);
	close(in.fd);
	close(in.tee_fd);
	return rc < 0 ? zerr_prefix("layer %zu", i + 1) : 0;
}

static int unpack_layers(struct import *im, const char *rootfs)
{
	struct unpack u;
	int rc = 0;

	if (unpack_init(&u, rootfs, im->o->max_bytes) < 0)
		return -1;
	for (size_t i = 0; i < im->im.nlayers && rc == 0; i++) {
		const struct layer_desc *ld = &im->im.layers[i];
		struct layer_in in = { .digest = ld->digest, .size = ld->size,
				       .diff_id = ld->diff_id, .tee_fd = -1 };
		struct progress pr;
		char label[96];

		in.fd = open(im->local[i], O_RDONLY | O_CLOEXEC);
		if (in.fd < 0) {
			rc = zerr(errno, "open %s", im->local[i]);
			break;
		}
		snprintf(label, sizeof(label), "layer %zu/%zu %.19s", i + 1, im->im.nlayers,
			 ld->digest);
		progress_start(&pr, im->o->progress, label);
		in.progress = progress_update;
		in.progress_arg = &pr;
		rc = layer_apply(&u, &in);
		progress_end(&pr, rc == 0 ? (uint64_t)ld->size : 0, ld->size);
		close(in.fd);
		if (rc < 0)
			zerr_prefix("layer %zu (%s)", i + 1, ld->digest);
	}
	unpack_free(&u);
	return rc;
}

static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* Creating files costs ~1 ms each on the ext4 (with discard) of these
 * hosts, 7x more than on tmpfs.  So the tree is built on a tmpfs mounted
 * in a mount namespace private to this process: it disappears with the
 * process, whatever kills it.  Not used when ZONE_UNPACK_TMPFS=0, without
 * CAP_SYS_ADMIN, or when the image may not fit in half the free memory
 * (then the import retries on disk).  ZONE_UNPACK_TMPFS=SIZE caps the
 * tmpfs (tests use it to force the retry). */
static bool mount_tmpfs(const char *dir, uint64_t max_bytes)
{
	const char *env = getenv("ZONE_UNPACK_TMPFS");
	uint64_t size = max_bytes + max_bytes / 8 + (64 << 20), avail = mem_available() / 2;
	char opts[64];

	if (env && !strcmp(env, "0"))
		return false;
	if (size > avail)
		size = avail;
	if (size < (64 << 20))
		return false;
	if (env && *env && parse_size(env, &size) < 0) {
		zerr_clear();
		return false;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return false;
	snprintf(opts, sizeof(opts), "size=%llu,mode=0755", (unsigned long long)size);
	return mount("zone-unpack", dir, "tmpfs", MS_NOSUID, opts) == 0;
}

/* Flattens the layers into rootfs and packs it into disk. */
static int build_disk(struct import *im, const char *rootfs, const char *disk)
{
	bool tmpfs;
	int rc;

	if (mkdir(rootfs, 0755) < 0)
		return zerr(errno, "mkdir %s", rootfs);
	tmpfs = mount_tmpfs(rootfs, im->o->max_bytes ? im->o->max_bytes : UNPACK_DEFAULT_MAX_BYTES);
	rc = unpack_layers(im, rootfs);
	if (rc < 0 && tmpfs && (zerr_errno() == ENOSPC || zerr_errno() == EOPNOTSUPP)) {
		/* too big for memory, or an xattr tmpfs lacks: again on disk */
		umount2(rootfs, MNT_DETACH);
		tmpfs = false;
		if (fsat_rm_tree(rootfs) < 0 || mkdir(rootfs, 0755) < 0)
			return zerr_prefix("retry on disk");
		rc = unpack_layers(im, rootfs);
	}
	if (rc == 0) {
		progress_note(im->o->progress, "packing erofs image");
		rc = erofs_build(rootfs, disk, im->im.config_digest);
	}
	if (tmpfs)
		umount2(rootfs, MNT_DETACH);
	fsat_rm_tree(rootfs);
	return rc;
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
	bool unpacking;
	size_t mlen, clen;
	json_t *sz;
	int rc = -1;

	if (manifest_resolve_platform(im->src, im->o->ref, im->o->platform, &mdesc, &annotated,
				      &ref_tag) < 0)
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

	/* 1. check every layer, and for a new config flatten them */
	im->local = calloc(im->im.nlayers + 1, sizeof(*im->local));
	if (!im->local) {
		zerr(ENOMEM, "import");
		goto out;
	}
	unpacking = !store_has_disk(im->st, im->im.config_digest);
	if (im->src->prefetch &&
	    im->src->prefetch(im->src, &im->im, im->st, im->work, im->o->progress) < 0)
		goto out;
	for (size_t i = 0; i < im->im.nlayers; i++)
		if (fetch_layer(im, i, im->o->progress && !unpacking) < 0)
			goto out;
	if (unpacking) {
		if (asprintf(&rootfs, "%s/rootfs", im->work) < 0 ||
		    asprintf(&disk, "%s/disk.erofs", im->work) < 0) {
			zerr(ENOMEM, "import");
			goto out;
		}
		if (build_disk(im, rootfs, disk) < 0)
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
	json_decref(mdesc);
	return rc;
}

int image_import(struct store *st, const char *path, const struct import_opts *o,
		 char **name_out)
{
	struct oci_source *src;

	if (source_open(path, st, &src) < 0)
		return zerr_prefix("import %s", path);
	return image_import_from(st, src, path, o, name_out);
}

int image_import_from(struct store *st, struct oci_source *src, const char *what,
		      const struct import_opts *o, char **name_out)
{
	struct import im = { .st = st, .o = o, .src = src };
	int rc = run(&im, what, name_out);

	if (rc < 0)
		zerr_prefix("%s %s", strcmp(src->kind, "registry") ? "import" : "pull", what);
	for (size_t i = 0; i < im.npend; i++)
		free(im.pend[i].tmp);
	free(im.pend);
	for (size_t i = 0; im.local && i < im.im.nlayers; i++)
		free(im.local[i]);
	free(im.local);
	if (im.work) {
		fsat_rm_tree(im.work);
		free(im.work);
	}
	source_free(im.src);
	manifest_free(&im.im);
	return rc;
}
