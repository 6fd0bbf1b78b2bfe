/* Packs a directory tree into a read-only erofs disk image (mkfs.erofs). */
#ifndef ZONE_OCI_EROFS_H
#define ZONE_OCI_EROFS_H

#include <stdbool.h>

/* Compression comes from $ZONE_EROFS_COMPRESS: "lz4" (default: 4x faster
 * to build than lz4hc for ~7% more bytes on Debian), "lz4hc" or "none".
 * The filesystem UUID derives from uuid_seed (a digest) so the same image
 * always gives the same superblock.  Output is fsync()ed. */
int erofs_build(const char *tree, const char *out, const char *uuid_seed);

/* True when the file starts like an erofs image (superblock magic). */
bool erofs_looks_valid(const char *path);

#endif
