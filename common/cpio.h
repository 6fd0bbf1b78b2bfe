/* Minimal cpio "newc" writer into a growable memory buffer: used by the
 * build (initramfs) and by zone-vmm (the per-boot config archive that the
 * kernel unpacks over the initramfs). */
#ifndef ZONE_CPIO_H
#define ZONE_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cpio {
	uint8_t *buf;
	size_t len, cap;
	uint32_t ino;
};

int cpio_add(struct cpio *c, const char *name, mode_t mode, uint32_t uid, uint32_t gid,
	     const void *data, size_t size);
int cpio_add_dir(struct cpio *c, const char *name, mode_t perm);
int cpio_add_file(struct cpio *c, const char *name, mode_t perm, const void *data, size_t size);
int cpio_add_symlink(struct cpio *c, const char *name, const char *target);
int cpio_add_chardev(struct cpio *c, const char *name, mode_t perm, unsigned maj, unsigned min);
/* Writes the TRAILER!!! entry; the buffer is then a complete archive. */
int cpio_finish(struct cpio *c);
void cpio_free(struct cpio *c);

#endif

/* Check that buf holds complete newc archives (each ending in TRAILER!!!,
 * zero padding allowed between them).  Returns 0, or -1 (zerr) with what
 * is wrong.  Compressed archives (gzip, bzip2, lzma, xz, lzo, lz4, zstd
 * magic) are not checked (returns 1); anything else is an error. */
int cpio_validate(const uint8_t *buf, size_t len);
