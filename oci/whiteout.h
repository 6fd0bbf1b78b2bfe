/* OCI whiteouts: ".wh.<name>" deletes <name> from lower layers,
 * ".wh..wh..opq" in a directory hides everything lower layers put there.
 * Both only act on lower layers: a path the same layer wrote survives,
 * whatever the order of the entries in the tar. */
#ifndef ZONE_OCI_WHITEOUT_H
#define ZONE_OCI_WHITEOUT_H

#include "oci/strset.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

enum wh_kind {
	WH_NONE,   /* an ordinary entry */
	WH_FILE,   /* *target: the path to delete */
	WH_OPAQUE_DIR, /* *target: the directory made opaque ("" for the root) */
	WH_META,   /* other ".wh..wh.*" names (aufs bookkeeping): ignored */
};

/* Classifies a sanitized path.  For WH_FILE and WH_OPAQUE_DIR, *target is
 * malloc'd.  Refuses (-1) ".wh." alone or ".wh..", ".wh..." style names
 * that would target "", "." or "..". */
int whiteout_classify(const char *path, enum wh_kind *kind, char **target);

/* Applies a whiteout of `target` below rootfd once the layer is read:
 * removes it unless this layer wrote it (`written`); a directory this
 * layer wrote is made opaque instead (the layer replaced it). */
int whiteout_apply(int rootfd, const char *target, const struct strset *written);

/* Removes from `dir` everything this layer did not write, recursing into
 * the directories it did write. */
int whiteout_apply_opaque(int rootfd, const char *dir, const struct strset *written);

#endif
