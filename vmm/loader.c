#include "vmm/loader.h"
#include "common/zerr.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Scan one PT_NOTE segment for the Xen PVH entry note. */
static int find_pvh_note(const uint8_t *img, size_t len, const Elf64_Phdr *ph, uint64_t *entry)
{
	uint64_t off = ph->p_offset, end;

	if (__builtin_add_overflow(off, ph->p_filesz, &end) || end > len)
		return zerr(0, "ELF note segment outside the file");
	while (off + sizeof(Elf64_Nhdr) <= end) {
		Elf64_Nhdr nh;
		memcpy(&nh, img + off, sizeof(nh));
		uint64_t name_off = off + sizeof(nh);
		uint64_t desc_off = name_off + ((nh.n_namesz + 3ULL) & ~3ULL);
		uint64_t next = desc_off + ((nh.n_descsz + 3ULL) & ~3ULL);
		if (next > end || next <= off)
			return zerr(0, "malformed ELF note");
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(img + name_off, "Xen", 4) && (nh.n_descsz == 4 || nh.n_descsz == 8)) {
			uint64_t v = 0;
			memcpy(&v, img + desc_off, nh.n_descsz);
			*entry = v;
			return 1;
		}
		off = next;
	}
	return 0;
}

int elf_load(const uint8_t *img, size_t len, struct guest_mem *m, struct kernel_info *ki)
{
	Elf64_Ehdr eh;
	uint64_t phend;
	int found = 0;

	memset(ki, 0, sizeof(*ki));
	ki->load_start = UINT64_MAX;
	if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG))
		return zerr(0, "not an ELF file (want an uncompressed vmlinux, not a bzImage)");
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return zerr(0, "not an x86-64 ELF vmlinux");
	if (eh.e_type != ET_EXEC)
		return zerr(0, "ELF is not an executable kernel image");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64 ||
	    __builtin_mul_overflow((uint64_t)eh.e_phnum, sizeof(Elf64_Phdr), &phend) ||
	    __builtin_add_overflow(phend, eh.e_phoff, &phend) || phend > len)
		return zerr(0, "ELF program headers are malformed");

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t fend, mend;
		uint8_t *dst;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE && !found) {
			int r = find_pvh_note(img, len, &ph, &ki->pvh_entry);
			if (r < 0)
				return -1;
			found = r;
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    __builtin_add_overflow(ph.p_offset, ph.p_filesz, &fend) || fend > len)
			return zerr(0, "ELF segment %u lies outside the file", i);
		if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &mend))
			return zerr(0, "ELF segment %u address overflows", i);
		dst = gmem_ptr(m, ph.p_paddr, ph.p_memsz);
		if (!dst)
			return zerr(0, "ELF segment %u [0x%llx, 0x%llx) does not fit in guest memory",
				    i, (unsigned long long)ph.p_paddr, (unsigned long long)mend);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (ph.p_paddr < ki->load_start)
			ki->load_start = ph.p_paddr;
		if (mend > ki->load_end)
			ki->load_end = mend;
	}
	if (ki->load_end == 0)
		return zerr(0, "ELF has no loadable segments");
	if (!found)
		return zerr(0, "kernel has no PVH entry point (needs CONFIG_PVH=y)");
	if (!gmem_ptr(m, ki->pvh_entry, 1))
		return zerr(0, "PVH entry 0x%llx is outside guest memory",
			    (unsigned long long)ki->pvh_entry);
	return 0;
}

int elf_load_file(const char *path, struct guest_mem *m, struct kernel_info *ki)
{
	z_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *img;
	int r;

	if (fd < 0)
		return zerr(errno, "cannot open kernel %s", path);
	if (fstat(fd, &st) < 0)
		return zerr(errno, "cannot stat kernel %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return zerr(0, "kernel %s is not a non-empty regular file", path);
	img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img == MAP_FAILED)
		return zerr(errno, "cannot map kernel %s", path);
	r = elf_load(img, st.st_size, m, ki);
	munmap(img, st.st_size);
	if (r < 0)
		return zerr_prefix("kernel %s", path);
	return 0;
}
