#include "vmm/boot.h"
#include "vmm/layout.h"
#include "vmm/loader.h"
#include "vmm/mptable.h"
#include "vmm/pvh.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return ".";
	buf[n] = 0;
	snprintf(dir, sizeof(dir), "%s", dirname(buf));
	return dir;
}

char *find_boot_file(const char *explicit_path, const char *env, const char *const *cands,
			   const char *what)
{
	char found[PATH_MAX];
	const char *e;

	if (explicit_path)
		return strdup(explicit_path);
	e = env ? getenv(env) : NULL;
	if (e && *e)
		return strdup(e);
	for (; *cands; cands++) {
		if ((*cands)[0] == '/')
			snprintf(found, sizeof(found), "%s", *cands);
		else
			snprintf(found, sizeof(found), "%s/%s", exe_dir(), *cands);
		if (access(found, R_OK) == 0)
			return strdup(found);
	}
	zerr(0, "no %s found (use --%s or $%s)", what, what, env ? env : "");
	return NULL;
}

/* The initramfs goes at the top of low RAM, clear of the kernel image. */
static int load_initrd(struct vm *vm, const struct boot_config *bc, uint64_t kernel_end,
		       uint64_t *gpa, uint64_t *size)
{
	z_autoclose int fd = -1;
	struct stat st;
	uint64_t total, top, start;
	uint8_t *dst;

	*size = 0;
	if (bc->initrd) {
		fd = open(bc->initrd, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return zerr(errno, "cannot open initrd %s", bc->initrd);
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return zerr(errno, "initrd %s is not a regular file", bc->initrd);
	} else {
		st.st_size = 0;
	}
	total = st.st_size;
	if (!total)
		return 0;
	top = vm->mem.low_size & ~0xfffULL;
	if (total > top || (start = (top - total) & ~0xfffULL) < ALIGN_UP(kernel_end, 4096))
		return zerr(0, "initrd (%llu bytes) does not fit in guest memory next to the kernel",
			    (unsigned long long)total);
	dst = gmem_ptr(&vm->mem, start, total);
	if (!dst)
		return zerr(EFAULT, "initrd placement");
	if (st.st_size && read_all(fd, dst, st.st_size) != st.st_size)
		return zerr(errno, "short read on initrd %s", bc->initrd);
	*gpa = start;
	*size = total;
	return 0;
}

int vm_boot_setup(struct vm *vm, const struct boot_config *bc)
{
	struct kernel_info ki;
	uint64_t initrd_gpa = 0, initrd_size = 0;

	if (elf_load_file(bc->kernel, &vm->mem, &ki) < 0)
		return -1;
	if (load_initrd(vm, bc, ki.load_end, &initrd_gpa, &initrd_size) < 0)
		return -1;
	if (pvh_setup(&vm->mem, bc->cmdline, initrd_gpa, initrd_size) < 0)
		return -1;
	if (mptable_write(&vm->mem, vm->ncpus) < 0)
		return -1;
	return vm_create_vcpus(vm, ki.pvh_entry, PVH_START_INFO_ADDR);
}
