/* PVH boot: the hvm_start_info block, memory map and command line. */
#ifndef ZONE_VMM_PVH_H
#define ZONE_VMM_PVH_H

#include <stdint.h>
#include "base/guest_memory.h"

#define E820_RAM      1
#define E820_RESERVED 2

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

/* Fill the guest memory map for RAM of m; returns the number of entries. */
int e820_build(const struct guest_mem *m, struct e820_entry *out, int max);

/* Write start info, memory map, command line and the initrd module
 * descriptor.  initrd_size 0 means no initrd. */
int pvh_setup(struct guest_mem *m, const char *cmdline, uint64_t initrd_gpa,
	      uint64_t initrd_size);

#endif
