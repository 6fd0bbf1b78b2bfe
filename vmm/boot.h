/* Putting a kernel, initramfs and command line into a fresh VM. */
#ifndef ZONE_VMM_BOOT_H
#define ZONE_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>
#include "vmm/vm.h"

struct boot_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline; /* full kernel command line */
};

/* Load everything and create vCPUs ready to run. */
int vm_boot_setup(struct vm *vm, const struct boot_config *bc);

/* Locate a file: explicit path, then $env, then each candidate
 * (relative ones are relative to the executable).  Caller frees. */
char *find_boot_file(const char *explicit_path, const char *env, const char *const *cands,
			   const char *what);
/* Directory holding the running executable, for locating siblings. */
const char *exe_dir(void);

#endif
