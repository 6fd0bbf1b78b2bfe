/* runc's maskedPaths and readonlyPaths, applied by zone-init in the
 * container root (after ROOTFS made it zone-init's root). */
#ifndef ZONE_INIT_MASKS_H
#define ZONE_INIT_MASKS_H

#include <stdint.h>

/* Each path absolute, without "." or ".." components; one that does not
 * exist is skipped.  A masked file gets /dev/null bound over it, a masked
 * directory an empty read-only tmpfs; a read-only path is bound onto
 * itself and made read-only (its nosuid/nodev/noexec kept). */
int masks_apply(char *const *masked, uint32_t nmasked, char *const *readonly,
		uint32_t nreadonly);

#endif
