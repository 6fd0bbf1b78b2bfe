/* Guest RAM: one memfd, mapped once in the VMM.  RAM below the 32-bit MMIO
 * hole sits at GPA 0; the rest (if any) starts at 4 GiB. */
#ifndef ZONE_BASE_GUEST_MEMORY_H
#define ZONE_BASE_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define MMIO_HOLE_START 0xC0000000ULL /* 3 GiB */
#define HIGH_RAM_START  0x100000000ULL

struct guest_mem {
	int fd;		   /* memfd backing all of RAM (-1 for test buffers) */
	uint8_t *host;	   /* host mapping of the whole memfd */
	uint64_t size;	   /* total RAM bytes */
	uint64_t low_size; /* bytes at GPA [0, low_size) */
};

int gmem_create(struct guest_mem *m, uint64_t size);
void gmem_destroy(struct guest_mem *m);
/* Host pointer for [gpa, gpa+len) when it lies wholly in guest RAM, else
 * NULL.  Every guest-supplied address goes through this. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Set up a guest_mem over an existing buffer (unit tests, fuzzers). */
void gmem_wrap(struct guest_mem *m, void *buf, uint64_t size);

#endif
