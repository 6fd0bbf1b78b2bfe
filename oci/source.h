/* Where an import reads an image from.  Each kind (OCI layout directory,
 * oci-archive tar, docker-archive tar, registry) describes what it
 * holds as an OCI index and hands out blobs by digest; the import checks
 * every blob against its digest while reading it. */
#ifndef ZONE_OCI_SOURCE_H
#define ZONE_OCI_SOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct image_manifest;

struct oci_source {
	const char *kind;  /* "oci layout", "oci-archive", "docker-archive", "registry" */
	char *path;        /* what the user named */
	json_t *index;     /* {"manifests": [descriptor, ...]} */
	/* Opens the bytes of a blob (not yet verified). */
	int (*open_blob)(struct oci_source *s, const char *digest, int *fd);
	/* Optional: the path of an already verified copy under the store's
	 * tmp/ that may be renamed into the store; NULL when there is none. */
	const char *(*staged_blob)(struct oci_source *s, const char *digest);
	/* Optional: called once the manifest and config are known, before any
	 * layer is read: fetches the layers st lacks (a registry downloads
	 * them in parallel into dir, verified, for staged_blob to hand out). */
	int (*prefetch)(struct oci_source *s, const struct image_manifest *im,
			const struct store *st, const char *dir, bool progress);
	void (*free_priv)(struct oci_source *s);
	void *priv;
};

/* Picks the kind from what path is (directory or tar file).  Archives are
 * read once into a staging directory under the store's tmp/. */
int source_open(const char *path, const struct store *st, struct oci_source **out);
int source_open_layout(const char *dir, struct oci_source **out);
int source_open_archive(const char *file, const struct store *st, struct oci_source **out);
void source_free(struct oci_source *s);

/* Reads a small blob (manifest, config, index) checking digest and,
 * when size >= 0, length. */
int source_read_blob(struct oci_source *s, const char *digest, int64_t size, size_t max,
		     char **buf, size_t *len);

/* Allocates a source with the common fields set. */
struct oci_source *source_new(const char *kind, const char *path);

#endif
