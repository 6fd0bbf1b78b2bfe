/* Filesystem access confined to a directory tree (openat2 RESOLVE_BENEATH). */
#ifndef ZONE_OCI_FSAT_H
#define ZONE_OCI_FSAT_H

#include <stdbool.h>
#include <stddef.h>

/* Opens the directory `path` (sanitized, relative; "" is the root itself)
 * beneath rootfd.  Symlinks among its components are followed only while
 * they stay inside the tree: an absolute symlink or one climbing above the
 * root fails with EXDEV, magic links and mount crossings are refused.
 * With create, missing components are made (mode 0755).  flags is
 * O_PATH or O_RDONLY (O_DIRECTORY|O_CLOEXEC are added). */
int fsat_open_dir(int rootfd, const char *path, bool create, int flags);

/* Removes dirfd/name and, for a directory, everything under it, never
 * following symlinks.  A missing name is not an error. */
int fsat_rm_rf(int dirfd, const char *name);

/* Removes the whole tree at path (helper for temp dirs). */
int fsat_rm_tree(const char *path);

/* Writes a file atomically: a temp file (in tmpdir, on the same
 * filesystem, or next to path when tmpdir is NULL), fsync, rename, fsync
 * of the directory. */
int fsat_write_atomic(const char *path, const char *tmpdir, const void *buf, size_t len);

/* fsync a directory by path. */
int fsat_sync_dir(const char *path);

#endif
