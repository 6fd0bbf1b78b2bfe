/* zone pull: an image from a registry into the store, through the import
 * pipeline (oci/import.c), so a pulled image appears only once every
 * blob is verified and its disk is built. */
#ifndef ZONE_OCI_PULL_H
#define ZONE_OCI_PULL_H

#include "oci/store.h"

#include <stdbool.h>
#include <stdint.h>

struct pull_opts {
	const char *platform;  /* OS/ARCH[/VARIANT]; NULL: the host's */
	bool tls_verify;       /* false: --tls-verify=false (also plain HTTP) */
	const char *ca_file;   /* --ca-file */
	bool progress;         /* per-layer bars on stdout */
	uint64_t max_bytes;    /* unpacked size limit, 0: the default */
};

/* Pulls ref ("debian:bookworm", "HOST:PORT/app@sha256:...") into st
 * (opened STORE_WRITE).  Mirrors and insecure registries come from
 * oci/registry_conf.h, credentials from oci/registry_auth.h.  *name_out
 * (may be NULL) gets the image's name in the store. */
int image_pull(struct store *st, const char *ref, const struct pull_opts *o, char **name_out);

/* Opens a registry source for ref's repository on reg (which it then
 * owns): fetches the manifest (or index) that ref names. */
struct registry;
struct image_ref;
struct oci_source;
int source_open_registry(struct registry *reg, const struct image_ref *ref,
			 const struct store *st, struct oci_source **out);

#endif
