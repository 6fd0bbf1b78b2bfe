/* ls, inspect, rm, prune and fsck over the image store. */
#include "oci/digest.h"
#include "oci/erofs.h"
#include "oci/image.h"
#include "oci/manifest.h"
#include "oci/name.h"
#include "oci/reference.h"
#include "oci/strset.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Loads the manifest and config a ref points to. */
static int load_image(const struct store *st, json_t *ref, struct image_manifest *im)
{
	const char *md = json_string_value(json_object_get(ref, "manifest"));
	const char *cd = json_string_value(json_object_get(ref, "config"));
	z_autofree char *mbuf = NULL, *cbuf = NULL;
	size_t mlen, clen;

	memset(im, 0, sizeof(*im));
	if (digest_check(md, "manifest") < 0 || digest_check(cd, "config") < 0)
		return -1;
	if (store_read_blob(st, md, MANIFEST_MAX, &mbuf, &mlen) < 0 ||
	    manifest_parse(mbuf, mlen, md, im) < 0)
		return -1;
	if (strcmp(im->config_digest, cd))
		return zerr(0, "manifest %s names config %s, the ref says %s", md, im->config_digest,
			    cd);
	if (store_read_blob(st, cd, MANIFEST_MAX, &cbuf, &clen) < 0 ||
	    manifest_set_config(im, cbuf, clen) < 0)
		return -1;
	return 0;
}

/* The ref for name as given ("demo" -> "demo:latest"), else for the
 * reference it means to a pull ("debian" -> "docker.io/library/debian:latest"). */
static int find_ref(const struct store *st, const char *name, json_t **refs, json_t **ref,
		    char **norm)
{
	struct image_ref r;

	if (image_name_normalize(name, norm) < 0 || store_refs_load(st, refs) < 0)
		return -1;
	*ref = json_object_get(*refs, *norm);
	if (*ref)
		return 0;
	if (image_ref_parse(name, &r) == 0) {
		char *full = image_ref_string(&r);
		image_ref_free(&r);
		if (full && (*ref = json_object_get(*refs, full))) {
			free(*norm);
			*norm = full;
			return 0;
		}
		free(full);
	}
	return zerr(ENOENT, "no image named %s", *norm);
}

int image_lookup(const struct store *st, const char *name, json_t **out)
{
	z_autofree char *norm = NULL;
	json_t *refs = NULL, *ref;

	*out = NULL;
	if (find_ref(st, name, &refs, &ref, &norm) < 0) {
		json_decref(refs);
		if (zerr_errno() != ENOENT)
			return -1;
		zerr_clear();
		return 0;
	}
	*out = json_pack("{s:s, s:O, s:O}", "name", norm, "manifest_digest",
			 json_object_get(ref, "manifest"), "config_digest",
			 json_object_get(ref, "config"));
	json_decref(refs);
	return *out ? 0 : zerr(ENOMEM, "lookup");
}

static int64_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

int image_inspect(const struct store *st, const char *name, json_t **out)
{
	z_autofree char *norm = NULL, *disk = NULL;
	json_t *refs = NULL, *ref, *layers, *j;
	struct image_manifest im;
	json_int_t total = 0;
	int rc = -1;

	memset(&im, 0, sizeof(im));
	if (find_ref(st, name, &refs, &ref, &norm) < 0 || load_image(st, ref, &im) < 0)
		goto out;
	layers = json_array();
	for (size_t i = 0; i < im.nlayers; i++) {
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:s, s:I}", "digest", im.layers[i].digest,
						"diff_id", im.layers[i].diff_id, "media_type",
						im.layers[i].media_type, "size",
						(json_int_t)im.layers[i].size));
		total += im.layers[i].size;
	}
	disk = store_disk_path(st, im.config_digest);
	j = json_pack("{s:s, s:s, s:s, s:o, s:I, s:s, s:I}", "name", norm, "manifest_digest",
		      im.manifest_digest, "config_digest", im.config_digest, "layers", layers,
		      "size", total, "disk", disk, "disk_size", (json_int_t)file_size(disk));
	if (!j) {
		zerr(ENOMEM, "inspect");
		goto out;
	}
	const char *keys[] = { "architecture", "os", "created", "author" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(im.config, keys[i]);
		if (v)
			json_object_set(j, keys[i], v);
	}
	json_object_set_new(j, "config", json_deep_copy(json_object_get(im.config, "config")
							    ?: json_object()));
	*out = j;
	rc = 0;
out:
	manifest_free(&im);
	json_decref(refs);
	return rc;
}

int image_list(const struct store *st, json_t **out)
{
	json_t *refs = NULL, *ref, *arr = json_array();
	const char *name;

	if (!arr || store_refs_load(st, &refs) < 0) {
		json_decref(arr);
		return -1;
	}
	json_object_foreach(refs, name, ref) {
		struct image_manifest im;
		z_autofree char *disk = NULL;
		json_int_t total = 0;
		const char *created = NULL;

		if (load_image(st, ref, &im) < 0) {
			manifest_free(&im);
			json_array_append_new(arr, json_pack("{s:s, s:s}", "name", name, "error",
							     zerr_msg()));
			zerr_clear();
			continue;
		}
		for (size_t i = 0; i < im.nlayers; i++)
			total += im.layers[i].size;
		disk = store_disk_path(st, im.config_digest);
		created = json_string_value(json_object_get(im.config, "created"));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "name", name,
						     "manifest_digest", im.manifest_digest,
						     "config_digest", im.config_digest, "size", total,
						     "disk_size", (json_int_t)file_size(disk),
						     "created", created ? created : ""));
		manifest_free(&im);
	}
	json_decref(refs);
	*out = arr;
	return 0;
}

/* The blobs and disks the refs need. */
static int live_set(const struct store *st, json_t *refs, struct strset *blobs,
		    struct strset *disks)
{
	const char *name;
	json_t *ref;

	json_object_foreach(refs, name, ref) {
		struct image_manifest im;

		if (load_image(st, ref, &im) < 0) {
			manifest_free(&im);
			return zerr_prefix("image %s is damaged (remove it with zone image rm)", name);
		}
		if (strset_add(blobs, digest_hex(im.manifest_digest)) < 0 ||
		    strset_add(blobs, digest_hex(im.config_digest)) < 0 ||
		    strset_add(disks, digest_hex(im.config_digest)) < 0) {
			manifest_free(&im);
			return -1;
		}
		for (size_t i = 0; i < im.nlayers; i++)
			if (strset_add(blobs, digest_hex(im.layers[i].digest)) < 0) {
				manifest_free(&im);
				return -1;
			}
		manifest_free(&im);
	}
	return 0;
}

/* Removes the files of dir whose key (name minus suffix) is not live. */
static int sweep(const char *dir, const char *suffix, const struct strset *live,
		 uint64_t *files, uint64_t *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t sl = strlen(suffix);

	if (!d)
		return errno == ENOENT ? 0 : zerr(errno, "open %s", dir);
	while ((de = readdir(d))) {
		char key[256];
		size_t n = strlen(de->d_name);
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		if (n >= sl && !strcmp(de->d_name + n - sl, suffix))
			n -= sl;
		snprintf(key, sizeof(key), "%.*s", (int)n, de->d_name);
		if (strset_has(live, key))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			*bytes += sb.st_size;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			closedir(d);
			return zerr(errno, "remove %s/%s", dir, de->d_name);
		}
		(*files)++;
	}
	closedir(d);
	return 0;
}

int image_prune(struct store *st, uint64_t *files, uint64_t *bytes)
{
	struct strset blobs = { 0 }, disks = { 0 }, none = { 0 };
	json_t *refs = NULL;
	uint64_t f = 0, b = 0;
	int rc = -1;

	if (store_refs_load(st, &refs) < 0 || live_set(st, refs, &blobs, &disks) < 0)
		goto out;
	/* disks first: a disk never outlives the blobs it was made from */
	if (sweep(st->disks, ".erofs", &disks, &f, &b) < 0 || sweep(st->blobs, "", &blobs, &f, &b) < 0)
		goto out;
	/* unfinished downloads: nothing keeps them */
	if (sweep(st->partial, "", &none, &f, &b) < 0)
		goto out;
	if (files)
		*files = f;
	if (bytes)
		*bytes = b;
	rc = 0;
out:
	strset_clear(&blobs);
	strset_clear(&disks);
	json_decref(refs);
	return rc;
}

int image_remove(struct store *st, const char *name)
{
	z_autofree char *norm = NULL;
	json_t *refs = NULL, *ref;
	int rc = -1;

	if (find_ref(st, name, &refs, &ref, &norm) < 0)
		goto out;
	json_object_del(refs, norm);
	if (store_refs_save(st, refs) < 0)
		goto out;
	rc = image_prune(st, NULL, NULL);
out:
	json_decref(refs);
	return rc;
}

static void problem(json_t *arr, const char *fmt, const char *a, const char *b)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), fmt, a, b);
	json_array_append_new(arr, json_string(msg));
}

static void check_blob_file(const struct store *st, const char *hex, json_t *probs)
{
	char digest[DIGEST_STR_LEN + 8];
	z_autofree char *path = NULL;
	struct digest_ctx *dg;
	char got[DIGEST_STR_LEN + 1], buf[65536];
	ssize_t n;
	int fd;

	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (!digest_valid(digest)) {
		problem(probs, "blobs/sha256/%s: not a digest name%s", hex, "");
		return;
	}
	path = store_blob_path(st, digest);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !(dg = digest_new())) {
		problem(probs, "blob %s: %s", digest, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		digest_update(dg, buf, n);
	close(fd);
	digest_final(dg, got);
	digest_free(dg);
	if (n < 0 || strcmp(got, digest))
		problem(probs, "blob %s is corrupt (content hashes to %s)", digest, got);
}

int image_fsck(const struct store *st, json_t **out)
{
	json_t *refs = NULL, *ref, *probs = json_array();
	const char *name;
	DIR *d;
	struct dirent *de;

	if (!probs)
		return zerr(ENOMEM, "fsck");
	if (store_refs_load(st, &refs) < 0) {
		problem(probs, "refs.json: %s%s", zerr_msg(), "");
		refs = json_object();
	}
	json_object_foreach(refs, name, ref) {
		struct image_manifest im;
		z_autofree char *disk = NULL;

		if (load_image(st, ref, &im) < 0) {
			problem(probs, "image %s: %s", name, zerr_msg());
			manifest_free(&im);
			continue;
		}
		for (size_t i = 0; i < im.nlayers; i++)
			if (!store_has_blob(st, im.layers[i].digest))
				problem(probs, "image %s: layer %s is missing", name, im.layers[i].digest);
		disk = store_disk_path(st, im.config_digest);
		if (!erofs_looks_valid(disk))
			problem(probs, "image %s: disk %s is missing or not erofs", name, disk);
		manifest_free(&im);
	}
	json_decref(refs);
	d = opendir(st->blobs);
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				check_blob_file(st, de->d_name, probs);
		closedir(d);
	}
	d = opendir(st->disks);
	if (d) {
		while ((de = readdir(d))) {
			z_autofree char *p = NULL;
			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", st->disks, de->d_name) < 0)
				continue;
			if (!erofs_looks_valid(p))
				problem(probs, "disk %s is not an erofs image%s", p, "");
		}
		closedir(d);
	}
	zerr_clear();
	*out = probs;
	return 0;
}
