/* sha256 digests ("sha256:<64 hex>") computed while data streams past. */
#ifndef ZONE_OCI_DIGEST_H
#define ZONE_OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct digest_ctx;

struct digest_ctx *digest_new(void);
void digest_update(struct digest_ctx *d, const void *buf, size_t len);
/* Writes "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) into out and resets d. */
void digest_final(struct digest_ctx *d, char out[DIGEST_STR_LEN + 1]);
void digest_free(struct digest_ctx *d);

/* Digest of a buffer. */
void digest_buf(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1]);

/* True for a well-formed "sha256:<64 lowercase hex>". Other algorithms
 * are refused: the store only addresses content by sha256. */
bool digest_valid(const char *s);
/* Checks digest_valid() and records an error naming what when it fails. */
int digest_check(const char *s, const char *what);
/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *s) { return s + 7; }

#endif
