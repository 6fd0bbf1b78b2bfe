#include "vmm/vm.h"
#include "vmm/layout.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GDT_ADDR 0x500ULL
#define SIG_VCPU_KICK SIGUSR1

static int setup_cpuid(struct vm *vm, struct vcpu *v)
{
	int nent = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));
	int r;

	if (!c)
		return zerr(ENOMEM, "cpuid");
	c->nent = nent;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		free(c);
		return zerr(errno, "KVM_GET_SUPPORTED_CPUID");
	}
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			/* initial APIC id; we are a hypervisor guest */
			e->ebx = (e->ebx & 0x00ffffff) | ((uint32_t)v->id << 24);
			e->ecx |= 1u << 31;
			break;
		case 0xb:
		case 0x1f:
			e->edx = v->id; /* x2APIC id */
			break;
		}
	}
	r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? zerr(errno, "KVM_SET_CPUID2") : 0;
}

/* LINT0 = ExtINT, LINT1 = NMI, like a PC's BIOS leaves them. */
static int setup_lapic(struct vcpu *v)
{
	struct kvm_lapic_state l;
	uint32_t *lint0 = (uint32_t *)&l.regs[0x350], *lint1 = (uint32_t *)&l.regs[0x360];

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return zerr(errno, "KVM_GET_LAPIC");
	*lint0 = (*lint0 & ~0x700u) | (7u << 8);
	*lint1 = (*lint1 & ~0x700u) | (4u << 8);
	if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
		return zerr(errno, "KVM_SET_LAPIC");
	return 0;
}

/* PVH entry state: 32-bit protected mode, flat segments, paging off,
 * %ebx = hvm_start_info. */
static int setup_boot_regs(struct vm *vm, struct vcpu *v, uint64_t entry, uint64_t start_info)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	uint64_t *gdt = gmem_ptr(&vm->mem, GDT_ADDR, 4 * sizeof(uint64_t));
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 11,
				    .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
	struct kvm_segment data = code;
	struct kvm_segment tss = { .base = 0, .limit = 0x67, .selector = 0x18, .type = 11,
				   .present = 1, .s = 0, .g = 0 };

	if (!gdt)
		return zerr(EINVAL, "no room for the boot GDT");
	/* null, code, data, tss: only for a guest that reloads selectors
	 * before installing its own GDT */
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	gdt[3] = 0x00008b0000000067ULL;
	data.selector = 0x10;
	data.type = 3;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return zerr(errno, "KVM_GET_SREGS");
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = tss;
	s.gdt.base = GDT_ADDR;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x11; /* PE | ET */
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return zerr(errno, "KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	r.rip = entry;
	r.rbx = start_info;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return zerr(errno, "KVM_SET_REGS");
	return 0;
}

int vm_create_vcpus(struct vm *vm, uint64_t entry, uint64_t start_info)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return zerr(errno, "KVM_CREATE_VCPU %d", i);
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			return zerr(errno, "mapping vCPU %d state", i);
		if (setup_cpuid(vm, v) < 0 || setup_lapic(v) < 0)
			return zerr_prefix("vCPU %d", i);
		/* APs wait for INIT/SIPI from the boot CPU, as on a PC */
		if (i == 0 && setup_boot_regs(vm, v, entry, start_info) < 0)
			return -1;
	}
	vm->entry = entry;
	return 0;
}

static struct virtio_dev *mmio_device(struct vm *vm, uint64_t addr, uint64_t *off)
{
	if (addr < VIRTIO_MMIO_BASE)
		return NULL;
	uint64_t idx = (addr - VIRTIO_MMIO_BASE) / 0x1000;
	if (idx >= (uint64_t)vm->n_virtio)
		return NULL;
	*off = (addr - VIRTIO_MMIO_BASE) % 0x1000;
	return *off < VIRTIO_MMIO_SIZE ? vm->virtio[idx] : NULL;
}

static void handle_io(struct vm *vm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	uint16_t port = run->io.port;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (port >= SERIAL_BASE && port < SERIAL_BASE + SERIAL_PORTS && run->io.size == 1) {
			pthread_mutex_lock(&vm->serial_lock);
			serial_io(&vm->serial, port, data, wr);
			pthread_mutex_unlock(&vm->serial_lock);
		} else if (!wr) {
			memset(data, 0xff, run->io.size); /* nothing there */
		}
	}
}

static void handle_mmio(struct vm *vm, struct kvm_run *run)
{
	uint64_t off;
	struct virtio_dev *d = mmio_device(vm, run->mmio.phys_addr, &off);
	uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;

	if (d)
		virtio_mmio_access(d, off, run->mmio.data, len, run->mmio.is_write);
	else if (!run->mmio.is_write)
		memset(run->mmio.data, 0, len);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vm->shutdown_reason) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = vm->shutdown_reason ? 1 : 0;
				continue;
			}
			fprintf(stderr, "zone-vmm: vCPU %d: KVM_RUN: %s\n", v->id, strerror(errno));
			vm_stop(vm, VM_STOP_ERROR);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(vm, run);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(vm, run);
			break;
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			break;
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_SYSTEM_EVENT:
			vm_stop(vm, VM_STOP_SHUTDOWN);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "zone-vmm: vCPU %d: entry failed (reason 0x%llx)\n", v->id,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vm_stop(vm, VM_STOP_ERROR);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "zone-vmm: vCPU %d: KVM internal error %u\n", v->id,
				run->internal.suberror);
			vm_stop(vm, VM_STOP_ERROR);
			break;
		default:
			fprintf(stderr, "zone-vmm: vCPU %d: unhandled exit %u\n", v->id,
				run->exit_reason);
			vm_stop(vm, VM_STOP_ERROR);
		}
	}
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int vm_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set, old;

	sigaction(SIG_VCPU_KICK, &sa, NULL);
	/* vCPU threads unblock the kick signal themselves; everything else
	 * stays with the main thread (signalfd). */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < vm->ncpus; i++) {
		int r = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (r) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			vm_stop(vm, VM_STOP_ERROR);
			return zerr(r, "starting vCPU %d", i);
		}
		vm->vcpus[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void vm_stop(struct vm *vm, int reason)
{
	if (!__sync_bool_compare_and_swap(&vm->shutdown_reason, 0, reason))
		return;
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run && v->run != MAP_FAILED)
			v->run->immediate_exit = 1;
		if (v->started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, SIG_VCPU_KICK);
	}
	loop_stop(vm->loop, reason);
}

void vm_join(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
}

void vm_dump_vcpus(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct kvm_regs r;
		struct kvm_sregs s;
		if (vm->vcpus[i].fd <= 0 || ioctl(vm->vcpus[i].fd, KVM_GET_REGS, &r) < 0 ||
		    ioctl(vm->vcpus[i].fd, KVM_GET_SREGS, &s) < 0)
			continue;
		fprintf(stderr,
			"zone-vmm: vCPU %d rip=%llx rsp=%llx rax=%llx rbx=%llx rcx=%llx rdx=%llx "
			"rflags=%llx cr0=%llx cr3=%llx cr4=%llx efer=%llx cs=%x\n",
			i, r.rip, r.rsp, r.rax, r.rbx, r.rcx, r.rdx, r.rflags, s.cr0, s.cr3, s.cr4,
			s.efer, s.cs.selector);
		/* kernel text mapping: a best-effort backtrace of return addresses */
		if (r.rsp >= 0xffffffff80000000ULL) {
			uint64_t *stk = gmem_ptr(&vm->mem, r.rsp - 0xffffffff80000000ULL, 512);
			for (int k = 0; stk && k < 64; k++)
				if (stk[k] >= 0xffffffff81000000ULL && stk[k] < 0xffffffff83000000ULL)
					fprintf(stderr, "  [%d] %llx\n", k, (unsigned long long)stk[k]);
		}
	}
}
