/* libFuzzer target: image manifests, configs and indexes (OCI and Docker
 * schema 2) as a registry or an archive would hand them over.
 *
 * Input: three documents separated by NUL bytes: a manifest, its config,
 * an index.  The manifest goes through manifest_parse, the config through
 * manifest_set_config; the index becomes a source's index for
 * manifest_resolve, whose blobs (nested indexes) are the input itself, so
 * digest checks and the nesting limit run too.  Invariants checked: a
 * parsed manifest has one layer descriptor per entry with a digest and a
 * size >= 0; a config that is accepted gives every layer a diff_id; a
 * resolved descriptor is a JSON object.
 * With ZONE_FUZZ_SEEDS=dir set, writes well-formed seed inputs there and
 * exits. */
#include "oci/manifest.h"
#include "oci/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint8_t *blob;
static size_t blob_len;

static int open_input(struct oci_source *s, const char *digest, int *fd)
{
	int f = memfd_create("blob", MFD_CLOEXEC);

	if (f < 0 || (blob_len && write(f, blob, blob_len) != (ssize_t)blob_len) ||
	    lseek(f, 0, SEEK_SET) < 0) {
		if (f >= 0)
			close(f);
		return -1;
	}
	*fd = f;
	return 0;
}

/* Splits data at the first NUL into *part (NUL-terminated copy) and the rest. */
static char *take(const uint8_t **data, size_t *size, size_t *len)
{
	const uint8_t *nul = memchr(*data, 0, *size);
	size_t n = nul ? (size_t)(nul - *data) : *size;
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, *data, n);
	p[n] = 0;
	*len = n;
	*data += nul ? n + 1 : n;
	*size -= nul ? n + 1 : n;
	return p;
}

static void fuzz_manifest(const char *m, size_t mlen, const char *c, size_t clen)
{
	struct image_manifest im;
	size_t i;

	if (manifest_parse(m, mlen, "sha256:" "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcdef", &im) == 0) {
		for (i = 0; i < im.nlayers; i++)
			if (!im.layers[i].digest || im.layers[i].size < 0 || !im.layers[i].media_type)
				abort();
		if (manifest_set_config(&im, c, clen) == 0)
			for (i = 0; i < im.nlayers; i++)
				if (!im.layers[i].diff_id)
					abort();
	}
	manifest_free(&im);
}

static void fuzz_index(const char *x, size_t xlen, const char *ref)
{
	struct oci_source *s = source_new("fuzz", "fuzz");
	json_t *desc = NULL;
	const char *annotated, *tag;

	if (!s)
		abort();
	s->index = json_loadb(x, xlen, 0, NULL);
	s->open_blob = open_input;
	if (s->index && manifest_resolve(s, ref, &desc, &annotated, &tag) == 0) {
		if (!json_is_object(desc))
			abort();
		json_decref(desc);
	}
	source_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t mlen, clen, xlen;
	char *m, *c, *x;

	blob = data;
	blob_len = size;
	m = take(&data, &size, &mlen);
	c = take(&data, &size, &clen);
	x = take(&data, &size, &xlen);
	fuzz_manifest(m, mlen, c, clen);
	fuzz_index(x, xlen, NULL);
	fuzz_index(x, xlen, "latest");
	free(m);
	free(c);
	free(x);
	return 0;
}

static void seed(const char *dir, const char *name, const char *m, const char *c, const char *x)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(m, 1, strlen(m) + 1, f);
	fwrite(c, 1, strlen(c) + 1, f);
	fwrite(x, 1, strlen(x), f);
	fclose(f);
}

#define D64 "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define E64 "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");

	if (!dir)
		return 0;
	seed(dir, "oci",
	     "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	     "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D64
	     "\",\"size\":10},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	     "\"digest\":\"" E64 "\",\"size\":20}]}",
	     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
	     "\"diff_ids\":[\"" D64 "\"]},\"config\":{\"Cmd\":[\"/bin/sh\"]}}",
	     "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	     "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D64 "\",\"size\":300,"
	     "\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"},"
	     "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}");
	seed(dir, "docker-list",
	     "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	     "\"config\":{\"digest\":\"" D64 "\",\"size\":10},\"layers\":[]}",
	     "{\"rootfs\":{\"diff_ids\":[]}}",
	     "{\"manifests\":[{\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
	     "\"digest\":\"" E64 "\",\"size\":100},{\"mediaType\":"
	     "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D64 "\",\"size\":1,"
	     "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}");
	exit(0);
}
