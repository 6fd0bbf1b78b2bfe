/* Image manifests, configs and indexes (OCI and Docker schema 2). */
#ifndef ZONE_OCI_MANIFEST_H
#define ZONE_OCI_MANIFEST_H

#include "oci/digest.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX (4 << 20) /* manifests, configs and indexes */

struct oci_source;

struct layer_desc {
	const char *digest;
	const char *media_type;
	int64_t size;
	const char *diff_id;
};

struct image_manifest {
	json_t *manifest, *config;
	char manifest_digest[DIGEST_STR_LEN + 1];
	char config_digest[DIGEST_STR_LEN + 1];
	int64_t config_size;
	size_t nlayers;
	struct layer_desc *layers;
};

/* Parses a manifest (digest given by the caller, already verified). */
int manifest_parse(const char *buf, size_t len, const char *digest, struct image_manifest *im);
/* Parses the config: diff_ids must match the layers one to one. */
int manifest_set_config(struct image_manifest *im, const char *buf, size_t len);
void manifest_free(struct image_manifest *im);

struct platform {
	char os[32], arch[32], variant[32];
};
/* "OS/ARCH[/VARIANT]"; NULL: this host's (linux/amd64 here). */
int platform_parse(const char *s, struct platform *p);

/* Chooses the image manifest to import from the source's index: by ref
 * (annotation org.opencontainers.image.ref.name or io.containerd.image.name)
 * when given, else the only one; nested indexes are followed to the entry
 * for this host's platform.  *desc is a new reference; *annotated and
 * *ref_tag (may be NULL) point into it. */
int manifest_resolve(struct oci_source *s, const char *ref, json_t **desc,
		     const char **annotated, const char **ref_tag);
/* The same for platform ("OS/ARCH[/VARIANT]"; NULL: this host's). */
int manifest_resolve_platform(struct oci_source *s, const char *ref, const char *platform,
			      json_t **desc, const char **annotated, const char **ref_tag);

#endif
