/* vmm/pvh.c and vmm/mptable.c: the e820 map, the PVH start info and the
 * Intel MP table that the guest reads at boot. */
#include "tests/unit/check.h"
#include "vmm/layout.h"
#include "base/guest_memory.h"
#include "vmm/mptable.h"
#include "vmm/pvh.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* The Xen PVH ABI (xen/include/public/arch-x86/hvm/start_info.h),
 * written out independently of vmm/pvh.c. */
struct xen_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct xen_mod {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct xen_memmap {
	uint64_t addr, size;
	uint32_t type, reserved;
};
_Static_assert(sizeof(struct xen_start_info) == 56, "start_info layout");
_Static_assert(sizeof(struct xen_memmap) == 24, "memmap layout");

static void test_e820_size(uint64_t size, const char *label)
{
	struct guest_mem m;
	struct e820_entry e[8];
	uint64_t ram = 0, hole = HIGH_MEM_START - EBDA_START;
	bool sorted = true, no_overlap = true, no_hole = true, ebda = false, covers = true;
	char name[128];
	int n;

	gmem_wrap(&m, NULL, size); /* e820_build never touches guest memory */
	n = e820_build(&m, e, 8);
	snprintf(name, sizeof(name), "e820 %s: builds", label);
	CHECK(n >= 3, name);
	if (n < 3)
		return;
	for (int i = 0; i < n; i++) {
		uint64_t end = e[i].addr + e[i].size;
		if (e[i].size == 0)
			covers = false;
		if (i && e[i].addr < e[i - 1].addr)
			sorted = false;
		if (i && e[i].addr < e[i - 1].addr + e[i - 1].size)
			no_overlap = false;
		if (e[i].addr < HIGH_RAM_START && end > MMIO_HOLE_START)
			no_hole = false;
		if (e[i].type == E820_RAM)
			ram += e[i].size;
		else if (e[i].type == E820_RESERVED && e[i].addr <= EBDA_START &&
			 end >= HIGH_MEM_START)
			ebda = true;
	}
	snprintf(name, sizeof(name), "e820 %s: sorted, no empty entries", label);
	CHECK(sorted && covers, name);
	snprintf(name, sizeof(name), "e820 %s: entries don't overlap", label);
	CHECK(no_overlap, name);
	snprintf(name, sizeof(name), "e820 %s: nothing in the 3-4 GiB MMIO hole", label);
	CHECK(no_hole, name);
	snprintf(name, sizeof(name), "e820 %s: EBDA..1 MiB reserved", label);
	CHECK(ebda, name);
	snprintf(name, sizeof(name), "e820 %s: RAM total == size - EBDA hole", label);
	CHECK(ram == size - hole, name);
	snprintf(name, sizeof(name), "e820 %s: RAM starts at 0 and ends at the right place",
		 label);
	if (size <= MMIO_HOLE_START)
		CHECK(n == 3 && e[0].addr == 0 && e[0].type == E820_RAM &&
			      e[2].addr + e[2].size == size && e[2].type == E820_RAM,
		      name);
	else
		CHECK(n == 4 && e[0].addr == 0 && e[2].addr + e[2].size == MMIO_HOLE_START &&
			      e[3].addr == HIGH_RAM_START &&
			      e[3].size == size - MMIO_HOLE_START && e[3].type == E820_RAM,
		      name);
}

static void test_e820(void)
{
	struct guest_mem m;
	struct e820_entry e[8];

	test_e820_size(64 * MiB, "64 MiB");
	test_e820_size(256 * MiB, "256 MiB");
	test_e820_size(3 * GiB, "3 GiB");
	test_e820_size(5 * GiB, "5 GiB");
	test_e820_size(3 * GiB + 4096, "3 GiB + 4 KiB");

	gmem_wrap(&m, NULL, 64 * MiB);
	zerr_clear();
	CHECK(e820_build(&m, e, 3) == -1 && zerr_msg()[0], "e820 refuses a too-small output array");
	gmem_wrap(&m, NULL, MiB);
	zerr_clear();
	CHECK(e820_build(&m, e, 8) == -1 && zerr_msg()[0], "e820 refuses 1 MiB of RAM");
}

static void test_pvh(void)
{
	const uint64_t size = 64 * MiB;
	uint8_t *buf = calloc(1, size);
	struct guest_mem m;
	struct xen_start_info si;
	struct xen_mod mod;
	struct xen_memmap mm[8];
	struct e820_entry e[8];
	char cmdline[CMDLINE_MAX + 1];
	int n, r;
	bool same = true;

	if (!buf) {
		CHECK(0, "allocating test guest memory");
		return;
	}
	gmem_wrap(&m, buf, size);
	r = pvh_setup(&m, "console=hvc0 quiet", 0x3000000, 12345);
	CHECK(r == 0, "pvh_setup succeeds");
	memcpy(&si, buf + PVH_START_INFO_ADDR, sizeof(si));
	CHECK(si.magic == 0x336ec578, "start_info magic");
	CHECK(si.version >= 1, "start_info version has a memory map");
	CHECK(si.cmdline_paddr && si.cmdline_paddr < size &&
		      !strcmp((char *)buf + si.cmdline_paddr, "console=hvc0 quiet"),
	      "command line copied to cmdline_paddr");
	CHECK(si.nr_modules == 1 && si.modlist_paddr && si.modlist_paddr < size, "one module");
	memcpy(&mod, buf + si.modlist_paddr, sizeof(mod));
	CHECK(mod.paddr == 0x3000000 && mod.size == 12345, "module entry describes the initrd");
	n = e820_build(&m, e, 8);
	CHECK(si.memmap_entries == (uint32_t)n && si.memmap_paddr, "memmap entry count");
	memcpy(mm, buf + si.memmap_paddr, n * sizeof(mm[0]));
	for (int i = 0; i < n; i++)
		if (mm[i].addr != e[i].addr || mm[i].size != e[i].size || mm[i].type != e[i].type)
			same = false;
	CHECK(same, "PVH memory map equals the e820 map");
	/* the boot data must not overlap each other */
	CHECK(si.modlist_paddr >= PVH_START_INFO_ADDR + sizeof(si) &&
		      si.memmap_paddr >= si.modlist_paddr + sizeof(mod) &&
		      si.cmdline_paddr >= si.memmap_paddr + n * sizeof(mm[0]) &&
		      si.cmdline_paddr + CMDLINE_MAX <= EBDA_START,
	      "start_info, modlist, memmap and cmdline are disjoint and below the EBDA");

	/* no initrd: no module */
	memset(buf, 0, HIGH_MEM_START);
	CHECK(pvh_setup(&m, "", 0, 0) == 0, "pvh_setup without initrd");
	memcpy(&si, buf + PVH_START_INFO_ADDR, sizeof(si));
	CHECK(si.magic == 0x336ec578 && si.nr_modules == 0 && si.modlist_paddr == 0,
	      "no initrd -> nr_modules 0");
	CHECK(buf[si.cmdline_paddr] == 0, "empty command line");

	/* 2047 characters fit (COMMAND_LINE_SIZE incl. NUL), 2048 don't */
	memset(cmdline, 'x', CMDLINE_MAX - 1);
	cmdline[CMDLINE_MAX - 1] = 0;
	memset(buf, 0, HIGH_MEM_START);
	CHECK(pvh_setup(&m, cmdline, 0, 0) == 0, "2047-byte command line accepted");
	memcpy(&si, buf + PVH_START_INFO_ADDR, sizeof(si));
	CHECK(strlen((char *)buf + si.cmdline_paddr) == CMDLINE_MAX - 1,
	      "2047-byte command line copied whole");
	memset(cmdline, 'y', CMDLINE_MAX);
	cmdline[CMDLINE_MAX] = 0;
	memset(buf, 0, HIGH_MEM_START);
	zerr_clear();
	r = pvh_setup(&m, cmdline, 0, 0);
	CHECK(r == -1 && zerr_errno() == E2BIG && zerr_msg()[0], "2048-byte command line refused");
	CHECK(buf[CMDLINE_ADDR] == 0 && buf[PVH_START_INFO_ADDR] == 0,
	      "refused command line leaves guest memory alone");

	/* guest memory too small for the boot data */
	gmem_wrap(&m, buf, 0x6010);
	zerr_clear();
	CHECK(pvh_setup(&m, "x", 0, 0) == -1 && zerr_msg()[0], "pvh_setup in 24 KiB is refused");
	free(buf);
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

/* Size of the MP table the guest will parse, from the spec: floating
 * pointer, header, one entry per CPU, bus, IOAPIC, 24 IRQs, 2 LINTs. */
static size_t mp_size(int ncpus)
{
	return 16 + 44 + 20 * (size_t)ncpus + 8 * (1 + 1 + 24 + 2);
}

static void test_mptable_n(int ncpus)
{
	const size_t size = 2 * MiB;
	uint8_t *buf = calloc(1, size), *mpf, *t, *p, *end;
	struct guest_mem m;
	uint32_t physptr;
	uint16_t len, count;
	int cpus = 0, bsp = 0, entries = 0, ioapics = 0;
	bool walk_ok = true, ids_unique = true, enabled = true;
	uint8_t ids[256] = { 0 };
	char name[128];

	if (!buf) {
		CHECK(0, "allocating test guest memory");
		return;
	}
	gmem_wrap(&m, buf, size);
	snprintf(name, sizeof(name), "mptable %d CPUs: written", ncpus);
	CHECK(mptable_write(&m, ncpus) == 0, name);
	mpf = buf + EBDA_START;
	snprintf(name, sizeof(name), "mptable %d CPUs: floating pointer signature/checksum",
		 ncpus);
	CHECK(!memcmp(mpf, "_MP_", 4) && mpf[8] == 1 && sum8(mpf, 16) == 0, name);
	memcpy(&physptr, mpf + 4, 4);
	if (physptr < EBDA_START || physptr + 44 > size) {
		CHECK(0, "mptable physptr inside guest memory");
		free(buf);
		return;
	}
	t = buf + physptr;
	memcpy(&len, t + 4, 2);
	memcpy(&count, t + 34, 2);
	snprintf(name, sizeof(name), "mptable %d CPUs: table signature/checksum", ncpus);
	CHECK(!memcmp(t, "PCMP", 4) && physptr + len <= size && sum8(t, len) == 0, name);
	snprintf(name, sizeof(name), "mptable %d CPUs: length as the spec sizes it", ncpus);
	CHECK((size_t)len + 16 == mp_size(ncpus), name);
	p = t + 44;
	end = t + len;
	while (p < end) {
		size_t esz = p[0] == 0 ? 20 : 8;
		if (p[0] > 4 || p + esz > end) {
			walk_ok = false;
			break;
		}
		if (p[0] == 0) {
			cpus++;
			if (p[3] & 2)
				bsp++;
			if (!(p[3] & 1))
				enabled = false;
			if (ids[p[1]]++)
				ids_unique = false;
		} else if (p[0] == 2) {
			ioapics++;
			if (ids[p[1]]++)
				ids_unique = false;
		}
		entries++;
		p += esz;
	}
	snprintf(name, sizeof(name), "mptable %d CPUs: entries walk to exactly the length",
		 ncpus);
	CHECK(walk_ok && p == end && entries == count, name);
	snprintf(name, sizeof(name), "mptable %d CPUs: processor entries == ncpus", ncpus);
	CHECK(cpus == ncpus && enabled, name);
	snprintf(name, sizeof(name), "mptable %d CPUs: exactly one BSP", ncpus);
	CHECK(bsp == 1 && (t[44 + 3] & 2), name);
	snprintf(name, sizeof(name), "mptable %d CPUs: one IOAPIC, APIC ids unique", ncpus);
	CHECK(ioapics == 1 && ids_unique, name);
	free(buf);
}

/* Guest memory ending exactly at the table's end: written in bounds; one
 * byte less: refused (ASan catches a write past the buffer). */
static void test_mptable_fit(int ncpus)
{
	size_t need = EBDA_START + mp_size(ncpus);
	uint8_t *buf = malloc(need);
	struct guest_mem m;
	char name[128];

	if (!buf)
		return;
	gmem_wrap(&m, buf, need);
	snprintf(name, sizeof(name), "mptable %d CPUs fits memory ending at its last byte", ncpus);
	CHECK(mptable_write(&m, ncpus) == 0, name);
	free(buf);
	buf = malloc(need - 1);
	if (!buf)
		return;
	gmem_wrap(&m, buf, need - 1);
	zerr_clear();
	snprintf(name, sizeof(name), "mptable %d CPUs refused when memory is 1 byte short", ncpus);
	CHECK(mptable_write(&m, ncpus) == -1 && zerr_msg()[0], name);
	free(buf);
}

static void test_mptable(void)
{
	uint8_t *buf = calloc(1, 2 * MiB);
	struct guest_mem m;

	test_mptable_n(1);
	test_mptable_n(2);
	test_mptable_n(64);
	test_mptable_n(254);
	test_mptable_fit(1);
	test_mptable_fit(64);
	if (!buf)
		return;
	gmem_wrap(&m, buf, 2 * MiB);
	zerr_clear();
	CHECK(mptable_write(&m, 0) == -1 && zerr_msg()[0], "mptable refuses 0 CPUs");
	CHECK(mptable_write(&m, -1) == -1, "mptable refuses -1 CPUs");
	CHECK(mptable_write(&m, 255) == -1, "mptable refuses 255 CPUs");
	gmem_wrap(&m, buf, 64 * 1024);
	CHECK(mptable_write(&m, 1) == -1, "mptable refuses memory without the EBDA");
	free(buf);
}

int main(void)
{
	test_e820();
	test_pvh();
	test_mptable();
	CHECK_DONE();
}
