/* Reading one layer blob: compressed bytes are hashed against the layer
 * digest (and optionally copied to a file for the store) while libarchive
 * decompresses them (none, gzip or zstd); the uncompressed tar stream is
 * hashed against the config's diff_id while the tar is applied. */
#ifndef ZONE_OCI_LAYER_H
#define ZONE_OCI_LAYER_H

#include <stdint.h>

struct unpack;

typedef void (*progress_fn)(void *arg, uint64_t done, uint64_t total);

struct layer_in {
	int fd;               /* the blob's bytes */
	const char *digest;   /* expected sha256 of those bytes */
	int64_t size;         /* expected length */
	const char *diff_id;  /* expected sha256 of the uncompressed tar */
	int tee_fd;           /* >= 0: also copy the blob bytes there */
	progress_fn progress;
	void *progress_arg;
};

/* Applies the layer to u.  Any mismatch or unpack error returns -1. */
int layer_apply(struct unpack *u, const struct layer_in *in);

/* Copies fd to tee_fd while checking digest and size (no unpacking). */
int blob_copy_verify(const struct layer_in *in);

#endif
