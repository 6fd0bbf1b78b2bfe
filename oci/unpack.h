/* Applies OCI layer tars, one after the other, to a directory tree that
 * becomes the flattened rootfs.  Nothing is ever written outside the tree:
 * member names are sanitized (oci/path.h), parent directories are opened
 * with openat2(RESOLVE_BENEATH) and the last component is created with
 * O_EXCL/O_NOFOLLOW or *at(AT_SYMLINK_NOFOLLOW) calls.
 *
 * Policy (documented in oci/README.md):
 *  - the apparent size of all regular files of an image (sparse holes
 *    included) is limited (default UNPACK_DEFAULT_MAX_BYTES);
 *  - block devices are refused, and so are character devices other than
 *    the harmless standard ones (null, zero, full, random, urandom, tty,
 *    console, ptmx); FIFOs are kept; sockets are refused;
 *  - xattrs kept: user.*, trusted.* (but not trusted.overlay.*) and
 *    security.capability; others are dropped. */
#ifndef ZONE_OCI_UNPACK_H
#define ZONE_OCI_UNPACK_H

#include "oci/strset.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define UNPACK_DEFAULT_MAX_BYTES (8ULL << 30)

struct archive;

struct unpack_mtime {
	char *path;
	struct timespec ts;
};

struct unpack {
	int rootfd;
	uint64_t max_bytes, total_bytes, entries;
	struct strset written;       /* paths the current layer wrote */
	char **wh;                   /* whiteout targets of the current layer */
	size_t nwh, cwh;
	char **opq;                  /* opaque directories of the current layer */
	size_t nopq, copq;
	struct unpack_mtime *mt;     /* directory mtimes to set at layer end */
	size_t nmt, cmt;
	struct strset mt_seen;
};

/* rootdir must exist and be empty.  max_bytes 0 means the default. */
int unpack_init(struct unpack *u, const char *rootdir, uint64_t max_bytes);
/* Reads every entry of an opened tar reader and applies it, then the
 * layer's whiteouts, then its directory mtimes. */
int unpack_layer(struct unpack *u, struct archive *tar);
void unpack_free(struct unpack *u);

/* Exposed for tests: is this character device allowed? */
bool unpack_chardev_allowed(unsigned major, unsigned minor);

#endif
