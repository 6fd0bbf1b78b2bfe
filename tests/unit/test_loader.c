/* vmm/loader.c: synthetic ELF vmlinux images built in memory (valid and
 * hostile), plus the real PVM guest kernel. */
#include "tests/unit/check.h"
#include "vmm/loader.h"
#include "base/guest_memory.h"
#include "common/zerr.h"

#include <elf.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEM_SIZE   (4u << 20)
#define IMG_LEN    0x1180
#define TEXT_OFF   0x1000
#define TEXT_PADDR 0x100000ULL
#define TEXT_SIZE  0x100
#define DATA_OFF   0x1100
#define DATA_PADDR 0x200000ULL
#define DATA_FILE  0x80
#define DATA_MEM   0x1000
#define NOTE_OFF   0x800
#define ENTRY      0x100010ULL

static _Alignas(16) uint8_t img[IMG_LEN];
static size_t note_len;
static size_t pvh_note_off; /* offset of the PHYS32_ENTRY Nhdr */

static Elf64_Ehdr *eh(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + 64) + i; }

static size_t put_note(size_t off, uint32_t type, const char *name, const void *desc,
		       uint32_t descsz)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, descsz, type };

	memcpy(img + off, &nh, sizeof(nh));
	off += sizeof(nh);
	memcpy(img + off, name, nh.n_namesz);
	off += (nh.n_namesz + 3) & ~3u;
	memcpy(img + off, desc, descsz);
	off += (descsz + 3) & ~3u;
	return off;
}

/* A small valid vmlinux: text, data+bss, and a note segment with an
 * unrelated Xen note, a GNU build-id note and the PVH entry note. */
static void build_image(void)
{
	uint64_t entry = ENTRY;
	uint8_t junk[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	size_t off;

	memset(img, 0, sizeof(img));
	memcpy(eh()->e_ident, ELFMAG, SELFMAG);
	eh()->e_ident[EI_CLASS] = ELFCLASS64;
	eh()->e_ident[EI_DATA] = ELFDATA2LSB;
	eh()->e_ident[EI_VERSION] = EV_CURRENT;
	eh()->e_type = ET_EXEC;
	eh()->e_machine = EM_X86_64;
	eh()->e_version = EV_CURRENT;
	eh()->e_entry = 0xffffffff81000000ULL;
	eh()->e_phoff = 64;
	eh()->e_ehsize = sizeof(Elf64_Ehdr);
	eh()->e_phentsize = sizeof(Elf64_Phdr);
	eh()->e_phnum = 3;

	*ph(0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = TEXT_OFF, .p_paddr = TEXT_PADDR,
			       .p_vaddr = 0xffffffff81000000ULL, .p_filesz = TEXT_SIZE,
			       .p_memsz = TEXT_SIZE };
	*ph(1) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = DATA_OFF, .p_paddr = DATA_PADDR,
			       .p_filesz = DATA_FILE, .p_memsz = DATA_MEM };
	off = put_note(NOTE_OFF, 0x13, "Xen", junk, sizeof(junk));
	off = put_note(off, NT_GNU_BUILD_ID, "GNU", junk, 8);
	pvh_note_off = off;
	off = put_note(off, 18, "Xen", &entry, sizeof(entry));
	note_len = off - NOTE_OFF;
	*ph(2) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF, .p_filesz = note_len,
			       .p_memsz = note_len };
	for (int i = 0; i < TEXT_SIZE; i++)
		img[TEXT_OFF + i] = (uint8_t)(0x90 + i);
	for (int i = 0; i < DATA_FILE; i++)
		img[DATA_OFF + i] = (uint8_t)(0x40 ^ i) | 1;
}

static uint8_t *mem_buf;
static struct guest_mem mem;

static void reset_mem(void)
{
	memset(mem_buf, 0xAA, MEM_SIZE);
	gmem_wrap(&mem, mem_buf, MEM_SIZE);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Load the (mutated) image; expect failure with a message containing want. */
static void expect_reject(const char *name, size_t len, const char *want)
{
	struct kernel_info ki;
	char label[256];
	int r;

	reset_mem();
	zerr_clear();
	r = elf_load(img, len, &mem, &ki);
	snprintf(label, sizeof(label), "rejects %s (got: %s)", name, zerr_msg());
	CHECK(r == -1 && zerr_msg()[0] && strstr(zerr_msg(), want), label);
}

static void test_valid(void)
{
	struct kernel_info ki;
	int r;

	build_image();
	reset_mem();
	zerr_clear();
	r = elf_load(img, IMG_LEN, &mem, &ki);
	CHECK(r == 0, "valid image loads");
	CHECK(ki.pvh_entry == ENTRY, "PVH entry taken from the PHYS32_ENTRY note");
	CHECK(ki.load_start == TEXT_PADDR, "load_start is the lowest p_paddr");
	CHECK(ki.load_end == DATA_PADDR + DATA_MEM, "load_end includes bss");
	CHECK(!memcmp(mem_buf + TEXT_PADDR, img + TEXT_OFF, TEXT_SIZE), "text lands at p_paddr");
	CHECK(!memcmp(mem_buf + DATA_PADDR, img + DATA_OFF, DATA_FILE), "data lands at p_paddr");
	CHECK(all_bytes(mem_buf + DATA_PADDR + DATA_FILE, DATA_MEM - DATA_FILE, 0), "bss zeroed");
	CHECK(mem_buf[TEXT_PADDR - 1] == 0xAA && mem_buf[TEXT_PADDR + TEXT_SIZE] == 0xAA &&
		      mem_buf[DATA_PADDR - 1] == 0xAA && mem_buf[DATA_PADDR + DATA_MEM] == 0xAA,
	      "nothing written outside the segments");

	/* a 4-byte PHYS32_ENTRY descriptor (older kernels) works as well */
	build_image();
	{
		Elf64_Nhdr nh;
		uint32_t e32 = 0x100020;
		memcpy(&nh, img + pvh_note_off, sizeof(nh));
		nh.n_descsz = 4;
		memcpy(img + pvh_note_off, &nh, sizeof(nh));
		memcpy(img + pvh_note_off + sizeof(nh) + 4, &e32, 4);
		ph(2)->p_filesz -= 4;
	}
	reset_mem();
	r = elf_load(img, IMG_LEN, &mem, &ki);
	CHECK(r == 0 && ki.pvh_entry == 0x100020, "4-byte PVH entry note");

	/* memsz 0 segments are ignored */
	build_image();
	eh()->e_phnum = 4;
	memmove(ph(3), ph(2), sizeof(Elf64_Phdr));
	*ph(2) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = UINT64_MAX, .p_paddr = UINT64_MAX };
	reset_mem();
	r = elf_load(img, IMG_LEN, &mem, &ki);
	CHECK(r == 0 && ki.load_end == DATA_PADDR + DATA_MEM, "empty PT_LOAD ignored");
}

static void test_rejects(void)
{
	static const char hello[128] = "hello, this is not a kernel image at all";
	Elf64_Nhdr nh;

	/* not ELF at all */
	memcpy(img, hello, sizeof(hello));
	expect_reject("non-ELF data", sizeof(hello), "not an ELF");
	/* a bzImage: MZ stub and the "HdrS" setup header */
	memset(img, 0, sizeof(img));
	img[0] = 'M', img[1] = 'Z';
	memcpy(img + 0x202, "HdrS", 4);
	expect_reject("bzImage", IMG_LEN, "bzImage");
	build_image();
	expect_reject("truncated ELF header", 40, "not an ELF");
	expect_reject("empty file", 0, "not an ELF");

	build_image();
	eh()->e_ident[EI_CLASS] = ELFCLASS32;
	expect_reject("ELF32", IMG_LEN, "x86-64");
	build_image();
	eh()->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_reject("big-endian ELF", IMG_LEN, "x86-64");
	build_image();
	eh()->e_machine = EM_AARCH64;
	expect_reject("wrong machine", IMG_LEN, "x86-64");
	build_image();
	eh()->e_type = ET_DYN;
	expect_reject("ET_DYN", IMG_LEN, "not an executable");
	build_image();
	eh()->e_type = ET_REL;
	expect_reject("ET_REL", IMG_LEN, "not an executable");

	build_image();
	eh()->e_phnum = 0;
	expect_reject("phnum 0", IMG_LEN, "program headers");
	build_image();
	eh()->e_phentsize = 32;
	expect_reject("phentsize 32", IMG_LEN, "program headers");
	build_image();
	eh()->e_phnum = 65;
	expect_reject("phnum 65", IMG_LEN, "program headers");
	build_image();
	eh()->e_phoff = IMG_LEN;
	expect_reject("phoff past the file", IMG_LEN, "program headers");
	build_image();
	eh()->e_phoff = IMG_LEN - 3 * sizeof(Elf64_Phdr) + 1;
	expect_reject("phdrs end past the file", IMG_LEN, "program headers");
	build_image();
	eh()->e_phoff = UINT64_MAX - 8;
	expect_reject("phoff overflow", IMG_LEN, "program headers");
	build_image();
	expect_reject("file cut inside the phdrs", 64 + 100, "program headers");

	build_image();
	ph(0)->p_offset = IMG_LEN - 0x10;
	expect_reject("segment data past the file", IMG_LEN, "outside the file");
	build_image();
	ph(0)->p_offset = UINT64_MAX;
	expect_reject("p_offset UINT64_MAX", IMG_LEN, "outside the file");
	build_image();
	ph(0)->p_offset = UINT64_MAX - TEXT_SIZE + 2;
	expect_reject("p_offset + p_filesz wraps", IMG_LEN, "outside the file");
	build_image();
	ph(0)->p_filesz = ph(0)->p_memsz = UINT64_MAX;
	expect_reject("p_filesz UINT64_MAX", IMG_LEN, "outside the file");
	build_image();
	ph(1)->p_filesz = DATA_MEM + 1;
	expect_reject("filesz > memsz", IMG_LEN, "segment 1");
	build_image();
	ph(1)->p_paddr = UINT64_MAX - 0x10;
	expect_reject("p_paddr + memsz overflow", IMG_LEN, "overflows");
	build_image();
	ph(1)->p_memsz = UINT64_MAX;
	expect_reject("memsz UINT64_MAX", IMG_LEN, "overflows");
	build_image();
	ph(1)->p_paddr = MEM_SIZE - 0x800;
	expect_reject("segment crossing the end of RAM", IMG_LEN, "guest memory");
	build_image();
	ph(0)->p_paddr = 0x10000000;
	expect_reject("segment beyond RAM", IMG_LEN, "guest memory");
	build_image();
	ph(0)->p_paddr = MMIO_HOLE_START;
	expect_reject("segment in the MMIO hole", IMG_LEN, "guest memory");

	build_image();
	ph(0)->p_type = ph(1)->p_type = PT_NULL;
	expect_reject("no loadable segment", IMG_LEN, "no loadable");
	build_image();
	ph(2)->p_type = PT_NULL;
	expect_reject("no note segment", IMG_LEN, "PVH");
	build_image();
	memcpy(&nh, img + pvh_note_off, sizeof(nh));
	nh.n_type = 17;
	memcpy(img + pvh_note_off, &nh, sizeof(nh));
	expect_reject("no PHYS32_ENTRY note", IMG_LEN, "PVH");
	build_image();
	memcpy(img + pvh_note_off + sizeof(nh), "Xeo", 4);
	expect_reject("entry note with the wrong owner", IMG_LEN, "PVH");
	build_image();
	memcpy(&nh, img + pvh_note_off, sizeof(nh));
	nh.n_descsz = 2;
	memcpy(img + pvh_note_off, &nh, sizeof(nh));
	ph(2)->p_filesz -= 4;
	expect_reject("entry note with a 2-byte descriptor", IMG_LEN, "PVH");

	build_image();
	memcpy(&nh, img + NOTE_OFF, sizeof(nh));
	nh.n_namesz = UINT32_MAX;
	memcpy(img + NOTE_OFF, &nh, sizeof(nh));
	expect_reject("note namesz UINT32_MAX", IMG_LEN, "malformed ELF note");
	build_image();
	memcpy(&nh, img + NOTE_OFF, sizeof(nh));
	nh.n_descsz = UINT32_MAX - 2;
	memcpy(img + NOTE_OFF, &nh, sizeof(nh));
	expect_reject("note descsz huge", IMG_LEN, "malformed ELF note");
	build_image();
	memcpy(&nh, img + pvh_note_off, sizeof(nh));
	nh.n_descsz = 12;
	memcpy(img + pvh_note_off, &nh, sizeof(nh));
	expect_reject("last note runs past its segment", IMG_LEN, "malformed ELF note");
	build_image();
	ph(2)->p_offset = IMG_LEN - 8;
	expect_reject("note segment past the file", IMG_LEN, "note segment");
	build_image();
	ph(2)->p_offset = UINT64_MAX - 4;
	expect_reject("note segment offset wraps", IMG_LEN, "note segment");

	build_image();
	{
		uint64_t bad = 0x10000000;
		memcpy(img + pvh_note_off + sizeof(nh) + 4, &bad, 8);
	}
	expect_reject("entry outside guest memory", IMG_LEN, "outside guest memory");
}

/* The real kernel: $ZONE_KERNEL, else the project's build/vmlinux (make
 * kernel; the test binary is build/asan/tests/), else
 * shared/guest/vmlinux-pvm in some directory above the test binary. */
static bool find_kernel(char *out, size_t n)
{
	const char *env = getenv("ZONE_KERNEL");
	char exe[PATH_MAX], *dir;
	ssize_t l;

	if (env && *env) {
		snprintf(out, n, "%s", env);
		return access(out, R_OK) == 0;
	}
	l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l < 0)
		return false;
	exe[l] = 0;
	dir = dirname(exe);
	snprintf(out, n, "%s/../../vmlinux", dir);
	if (access(out, R_OK) == 0)
		return true;
	for (int up = 0; up < 8; up++) {
		snprintf(out, n, "%s/shared/guest/vmlinux-pvm", dir);
		if (access(out, R_OK) == 0)
			return true;
		if (!strcmp(dir, "/"))
			break;
		dir = dirname(dir);
	}
	snprintf(out, n, "shared/guest/vmlinux-pvm above the test binary");
	return false;
}

static void test_real_kernel(void)
{
	const uint64_t size = 128ULL << 20;
	char path[PATH_MAX + 64], label[PATH_MAX + 128];
	struct guest_mem gm;
	struct kernel_info ki;
	uint8_t *buf;
	int r;

	if (!find_kernel(path, sizeof(path))) {
		snprintf(label, sizeof(label),
			 "guest kernel missing: %s not found (set ZONE_KERNEL)", path);
		CHECK(0, label);
		return;
	}
	buf = calloc(1, size);
	if (!buf) {
		CHECK(0, "allocating 128 MiB of test guest memory");
		return;
	}
	gmem_wrap(&gm, buf, size);
	zerr_clear();
	r = elf_load_file(path, &gm, &ki);
	snprintf(label, sizeof(label), "real kernel %s loads (%s)", path, r ? zerr_msg() : "ok");
	CHECK(r == 0, label);
	CHECK(ki.pvh_entry >= 0x1000000 && ki.pvh_entry < 0x1000000 + (1 << 20),
	      "real kernel PVH entry near 16 MiB");
	CHECK(ki.load_start == 0x1000000, "real kernel loads at 16 MiB");
	CHECK(ki.load_end > ki.load_start && ki.load_end <= size, "real kernel load_end");
	CHECK(ki.pvh_entry >= ki.load_start && ki.pvh_entry < ki.load_end,
	      "PVH entry inside the loaded image");
	CHECK(!all_bytes(buf + ki.load_start, 4096, 0), "kernel text is in guest memory");

	/* too little memory for it */
	gmem_wrap(&gm, buf, 16ULL << 20);
	zerr_clear();
	r = elf_load_file(path, &gm, &ki);
	CHECK(r == -1 && strstr(zerr_msg(), "guest memory") && strstr(zerr_msg(), path),
	      "real kernel in 16 MiB is refused, message names the file");
	free(buf);
}

static void test_load_file_errors(void)
{
	char tmp[] = "/tmp/zone-test-loader-XXXXXX";
	struct kernel_info ki;
	int fd;

	reset_mem();
	zerr_clear();
	CHECK(elf_load_file("/nonexistent/vmlinux", &mem, &ki) == -1 &&
		      strstr(zerr_msg(), "/nonexistent/vmlinux"),
	      "missing kernel file");
	zerr_clear();
	CHECK(elf_load_file("/tmp", &mem, &ki) == -1 && zerr_msg()[0], "kernel path is a directory");
	fd = mkstemp(tmp);
	CHECK(fd >= 0, "temp file");
	if (fd < 0)
		return;
	zerr_clear();
	CHECK(elf_load_file(tmp, &mem, &ki) == -1 && strstr(zerr_msg(), "non-empty"),
	      "empty kernel file");
	build_image();
	CHECK(write(fd, img, IMG_LEN) == IMG_LEN, "write temp image");
	reset_mem();
	CHECK(elf_load_file(tmp, &mem, &ki) == 0 && ki.pvh_entry == ENTRY,
	      "synthetic image loads from a file");
	close(fd);
	unlink(tmp);
}

int main(void)
{
	mem_buf = malloc(MEM_SIZE);
	if (!mem_buf)
		return 2;
	test_valid();
	test_rejects();
	test_load_file_errors();
	test_real_kernel();
	free(mem_buf);
	CHECK_DONE();
}
