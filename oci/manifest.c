#include "oci/manifest.h"
#include "oci/source.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define ANN_REF "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD "io.containerd.image.name"

static bool layer_type_ok(const char *t)
{
	static const char *ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(t, ok[i]))
			return true;
	return false;
}

static int desc_fields(json_t *d, const char *what, const char **digest, int64_t *size)
{
	json_t *sz = json_object_get(d, "size");

	*digest = json_string_value(json_object_get(d, "digest"));
	if (digest_check(*digest, what) < 0)
		return -1;
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return zerr(0, "%s %s: bad size", what, *digest);
	*size = json_integer_value(sz);
	return 0;
}

int manifest_parse(const char *buf, size_t len, const char *digest, struct image_manifest *im)
{
	json_error_t je;
	json_t *layers, *l;
	const char *mt, *cd;
	size_t i;

	memset(im, 0, sizeof(*im));
	im->manifest = json_loadb(buf, len, 0, &je);
	if (!im->manifest)
		return zerr(0, "manifest %s: %s", digest, je.text);
	snprintf(im->manifest_digest, sizeof(im->manifest_digest), "%s", digest);
	if (json_integer_value(json_object_get(im->manifest, "schemaVersion")) != 2)
		return zerr(0, "manifest %s: schemaVersion is not 2", digest);
	mt = json_string_value(json_object_get(im->manifest, "mediaType"));
	if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
		return zerr(0, "manifest %s: unsupported media type %s", digest, mt);
	if (desc_fields(json_object_get(im->manifest, "config"), "config", &cd,
			&im->config_size) < 0)
		return zerr_prefix("manifest %s", digest);
	snprintf(im->config_digest, sizeof(im->config_digest), "%s", cd);
	layers = json_object_get(im->manifest, "layers");
	if (!json_is_array(layers))
		return zerr(0, "manifest %s: no layers", digest);
	if (json_array_size(layers) > 1000)
		return zerr(0, "manifest %s: more than 1000 layers", digest);
	im->nlayers = json_array_size(layers);
	im->layers = calloc(im->nlayers ? im->nlayers : 1, sizeof(*im->layers));
	if (!im->layers)
		return zerr(ENOMEM, "manifest");
	json_array_foreach(layers, i, l) {
		struct layer_desc *ld = &im->layers[i];
		if (desc_fields(l, "layer", &ld->digest, &ld->size) < 0)
			return zerr_prefix("manifest %s", digest);
		ld->media_type = json_string_value(json_object_get(l, "mediaType"));
		if (!ld->media_type || !layer_type_ok(ld->media_type))
			return zerr(0, "layer %s: unsupported media type %s", ld->digest,
				    ld->media_type ? ld->media_type : "(none)");
	}
	return 0;
}

int manifest_set_config(struct image_manifest *im, const char *buf, size_t len)
{
	json_error_t je;
	json_t *ids, *id;
	size_t i;

	im->config = json_loadb(buf, len, 0, &je);
	if (!im->config)
		return zerr(0, "config %s: %s", im->config_digest, je.text);
	ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");
	if (!json_is_array(ids) || json_array_size(ids) != im->nlayers)
		return zerr(0, "config %s: rootfs.diff_ids does not list the %zu layers",
			    im->config_digest, im->nlayers);
	json_array_foreach(ids, i, id) {
		im->layers[i].diff_id = json_string_value(id);
		if (digest_check(im->layers[i].diff_id, "diff_id") < 0)
			return zerr_prefix("config %s", im->config_digest);
	}
	return 0;
}

void manifest_free(struct image_manifest *im)
{
	json_decref(im->manifest);
	json_decref(im->config);
	free(im->layers);
	memset(im, 0, sizeof(*im));
}

static const char *host_arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

static bool platform_ok(json_t *d)
{
	json_t *p = json_object_get(d, "platform");
	const char *os, *arch;

	if (!p)
		return true;
	os = json_string_value(json_object_get(p, "os"));
	arch = json_string_value(json_object_get(p, "architecture"));
	return (!os || !strcmp(os, "linux")) && (!arch || !strcmp(arch, host_arch()));
}

static bool is_index(json_t *d)
{
	const char *mt = json_string_value(json_object_get(d, "mediaType"));

	return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST));
}

static const char *ann(json_t *d, const char *key)
{
	return json_string_value(json_object_get(json_object_get(d, "annotations"), key));
}

static int pick(json_t *list, const char *ref, bool by_platform, json_t **out)
{
	json_t *d, *hit = NULL;
	size_t i, n = 0;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return zerr(0, "the index lists no manifests");
	json_array_foreach(list, i, d) {
		const char *r = ann(d, ANN_REF), *c = ann(d, ANN_CONTAINERD);
		if (!json_is_object(d))
			return zerr(0, "index entry %zu is not a descriptor", i);
		if (ref && !(r && !strcmp(r, ref)) && !(c && !strcmp(c, ref)))
			continue;
		if (by_platform && !platform_ok(d))
			continue;
		hit = d;
		n++;
	}
	if (n == 0)
		return ref ? zerr(0, "no image named '%.200s' in the index", ref)
			   : zerr(0, "no manifest for linux/%s in the index", host_arch());
	if (n > 1 && !by_platform)
		return pick(list, ref, true, out);
	if (n > 1)
		return zerr(0, "the index holds %zu images: choose one with --ref", n);
	*out = hit;
	return 0;
}

int manifest_resolve(struct oci_source *s, const char *ref, json_t **desc, const char **annotated,
		     const char **ref_tag)
{
	json_t *d, *top;
	int depth;

	if (pick(json_object_get(s->index, "manifests"), ref, false, &top) < 0)
		return zerr_prefix("%s", s->path);
	*annotated = ann(top, ANN_CONTAINERD);
	*ref_tag = ann(top, ANN_REF);
	if (!*annotated && *ref_tag && (strchr(*ref_tag, '/') || strchr(*ref_tag, ':')))
		*annotated = *ref_tag;
	d = json_incref(top);
	for (depth = 0; is_index(d); depth++) {
		char *buf;
		size_t len;
		json_t *idx, *child;
		json_error_t je;
		const char *dg;
		int64_t sz;

		if (depth == 4 || desc_fields(d, "index", &dg, &sz) < 0 ||
		    source_read_blob(s, dg, sz, MANIFEST_MAX, &buf, &len) < 0) {
			if (depth == 4)
				zerr(0, "indexes nested too deep");
			json_decref(d);
			return -1;
		}
		idx = json_loadb(buf, len, 0, &je);
		free(buf);
		if (!idx) {
			json_decref(d);
			return zerr(0, "index %s: %s", dg, je.text);
		}
		if (pick(json_object_get(idx, "manifests"), NULL, true, &child) < 0) {
			json_decref(idx);
			json_decref(d);
			return zerr_prefix("index %s", dg);
		}
		json_incref(child);
		json_decref(idx);
		/* keep top alive for the annotation pointers */
		json_decref(d);
		d = child;
	}
	*desc = d;
	return 0;
}
