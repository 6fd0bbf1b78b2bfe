#include "vmm/pvh.h"
#include "vmm/layout.h"
#include "common/zerr.h"

#include <errno.h>
#include <string.h>

#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

int e820_build(const struct guest_mem *m, struct e820_entry *out, int max)
{
	int n = 0;

	if (max < 4 || m->low_size <= HIGH_MEM_START)
		return zerr(EINVAL, "guest memory too small for a memory map");
	/* base memory up to the EBDA, where the MP table lives */
	out[n++] = (struct e820_entry){ 0, EBDA_START, E820_RAM };
	out[n++] = (struct e820_entry){ EBDA_START, HIGH_MEM_START - EBDA_START, E820_RESERVED };
	out[n++] = (struct e820_entry){ HIGH_MEM_START, m->low_size - HIGH_MEM_START, E820_RAM };
	if (m->size > m->low_size)
		out[n++] = (struct e820_entry){ HIGH_RAM_START, m->size - m->low_size, E820_RAM };
	return n;
}

int pvh_setup(struct guest_mem *m, const char *cmdline, uint64_t initrd_gpa,
	      uint64_t initrd_size)
{
	struct hvm_start_info *si = gmem_ptr(m, PVH_START_INFO_ADDR, sizeof(*si));
	struct hvm_modlist_entry *mod = gmem_ptr(m, PVH_MODLIST_ADDR, sizeof(*mod));
	struct hvm_memmap_entry *mm =
		gmem_ptr(m, PVH_MEMMAP_ADDR, PVH_MEMMAP_MAX * sizeof(struct hvm_memmap_entry));
	size_t clen = strlen(cmdline) + 1;
	char *cl = gmem_ptr(m, CMDLINE_ADDR, CMDLINE_MAX);
	struct e820_entry e[PVH_MEMMAP_MAX];
	int n;

	if (!si || !mod || !mm || !cl)
		return zerr(EINVAL, "guest memory too small for boot data");
	if (clen > CMDLINE_MAX)
		return zerr(E2BIG, "kernel command line is %zu bytes (max %d)", clen - 1,
			    CMDLINE_MAX - 1);
	n = e820_build(m, e, PVH_MEMMAP_MAX);
	if (n < 0)
		return -1;
	memcpy(cl, cmdline, clen);
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ e[i].addr, e[i].size, e[i].type, 0 };
	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = CMDLINE_ADDR;
	si->memmap_paddr = PVH_MEMMAP_ADDR;
	si->memmap_entries = n;
	if (initrd_size) {
		*mod = (struct hvm_modlist_entry){ initrd_gpa, initrd_size, 0, 0 };
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST_ADDR;
	}
	return 0;
}
