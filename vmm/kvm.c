#include "vmm/vm.h"
#include "vmm/layout.h"
#include "common/zerr.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KVM_TSS_ADDR 0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

const char *kvm_backend_name(enum kvm_backend b)
{
	switch (b) {
	case KVM_HW_VMX: return "hardware KVM (VMX)";
	case KVM_HW_SVM: return "hardware KVM (SVM)";
	case KVM_PVM: return "KVM-PVM";
	}
	return "?";
}

/* Hardware KVM needs VMX or SVM on the host CPU; PVM needs neither and
 * shows up as the kvm_pvm module. */
static enum kvm_backend detect_backend(void)
{
	unsigned a, b, c, d;

	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return KVM_PVM;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5)))
		return KVM_HW_VMX;
	if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 2)))
		return KVM_HW_SVM;
	return KVM_PVM;
}

int vm_create(struct vm *vm, uint64_t mem_size, int ncpus, struct loop *loop)
{
	struct kvm_userspace_memory_region region;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int api;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.fd = -1;
	vm->loop = loop;
	vm->ncpus = ncpus;
	pthread_mutex_init(&vm->serial_lock, NULL);
	serial_init(&vm->serial, -1);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0 && errno == ENOENT && access("/sys/module/kvm_pvm", F_OK) == 0)
		return zerr(errno, "cannot open /dev/kvm: the kvm_pvm module is loaded but "
				   "registered no device (dmesg says why; a host that is itself "
				   "a PVM guest cannot run zones)");
	if (vm->kvm_fd < 0)
		return zerr(errno, "cannot open /dev/kvm");
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return zerr(0, "/dev/kvm has API version %d, want %d", api, KVM_API_VERSION);
	vm->backend = detect_backend();
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return zerr(errno, "KVM_CREATE_VM");
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return zerr(errno, "KVM_GET_VCPU_MMAP_SIZE");

	/* VMX needs these before vCPUs exist; PVM and SVM may refuse them. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 && vm->backend == KVM_HW_VMX)
		return zerr(errno, "KVM_SET_TSS_ADDR");
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 && vm->backend == KVM_HW_VMX)
		return zerr(errno, "KVM_SET_IDENTITY_MAP_ADDR");

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return zerr(errno, "KVM_CREATE_IRQCHIP");
	/* The PIT is a fallback timer for calibration; the guest copes
	 * without it, so a refusal is not fatal. */
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0 && vm->backend != KVM_PVM)
		return zerr(errno, "KVM_CREATE_PIT2");

	if (gmem_create(&vm->mem, mem_size) < 0)
		return -1;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem.low_size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return zerr(errno, "KVM_SET_USER_MEMORY_REGION (low)");
	if (vm->mem.size > vm->mem.low_size) {
		region.slot = 1;
		region.guest_phys_addr = HIGH_RAM_START;
		region.memory_size = vm->mem.size - vm->mem.low_size;
		region.userspace_addr = (uintptr_t)(vm->mem.host + vm->mem.low_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return zerr(errno, "KVM_SET_USER_MEMORY_REGION (high)");
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	vm_free_virtio(vm);
	for (int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i].run && vm->vcpus[i].run != MAP_FAILED)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd > 0)
			close(vm->vcpus[i].fd);
	}
	gmem_destroy(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
