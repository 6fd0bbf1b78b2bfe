/* Loads an ELF vmlinux into guest memory and finds its PVH entry point. */
#ifndef ZONE_VMM_LOADER_H
#define ZONE_VMM_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include "base/guest_memory.h"

struct kernel_info {
	uint64_t pvh_entry;  /* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t load_start; /* lowest physical address loaded */
	uint64_t load_end;   /* first byte past the image (incl. bss) */
};

/* Parse and load the ELF in img[0..len).  Every header field is checked
 * against the buffer and against guest memory. */
int elf_load(const uint8_t *img, size_t len, struct guest_mem *m, struct kernel_info *ki);
int elf_load_file(const char *path, struct guest_mem *m, struct kernel_info *ki);

#endif
