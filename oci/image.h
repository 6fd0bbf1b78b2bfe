/* What the zone CLI does with images: import, list, inspect, remove,
 * prune, check.  Names are NAME[:TAG] (oci/name.h). */
#ifndef ZONE_OCI_IMAGE_H
#define ZONE_OCI_IMAGE_H

#include "oci/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct import_opts {
	const char *name;   /* NULL: the source's name, else derived from the path */
	const char *ref;    /* pick this image from a source holding several */
	uint64_t max_bytes; /* unpacked size limit, 0: UNPACK_DEFAULT_MAX_BYTES */
	const char *platform; /* OS/ARCH[/VARIANT] to pick from an index; NULL: the host's */
	bool progress;      /* draw progress bars on stdout */
};

struct oci_source;

/* Imports into a store opened with STORE_WRITE.  Reads and checks every
 * blob, flattens the layers and packs the erofs disk (unless one exists
 * for this config), and only then moves blobs, disk and ref into place.
 * *name_out (may be NULL) gets the ref. */
int image_import(struct store *st, const char *path, const struct import_opts *o,
		 char **name_out);
/* The same from an open source (which it frees); what names it in errors. */
int image_import_from(struct store *st, struct oci_source *src, const char *what,
		      const struct import_opts *o, char **name_out);

/* {"name", "manifest_digest", "config_digest"} of name (after the same
 * lookup as image_inspect); *out NULL when there is no such image. */
int image_lookup(const struct store *st, const char *name, json_t **out);

/* {"name", "manifest_digest", "config_digest", "layers": [...], "size",
 *  "disk", "disk_size", "architecture", "os", "created", "config": {...}} */
int image_inspect(const struct store *st, const char *name, json_t **out);
/* Array of {"name", "manifest_digest", "config_digest", "disk_size", "size", "created"}. */
int image_list(const struct store *st, json_t **out);
/* Drops the ref, then frees what no other ref needs (STORE_WRITE). */
int image_remove(struct store *st, const char *name);
/* Frees blobs and disks no ref needs (STORE_WRITE). */
int image_prune(struct store *st, uint64_t *freed_files, uint64_t *freed_bytes);
/* Checks every ref, blob and disk; problems go to *problems (array of
 * strings).  Returns -1 only when the check itself cannot run. */
int image_fsck(const struct store *st, json_t **problems);

#endif
