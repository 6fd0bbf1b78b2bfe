/* One KVM virtual machine: its memory, vCPUs, MMIO/PIO dispatch and the
 * virtio devices attached to it. */
#ifndef ZONE_VMM_VM_H
#define ZONE_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "devices/serial.h"
#include "devices/virtio.h"
#include "base/event_loop.h"
#include "base/guest_memory.h"

#define VM_MAX_VIRTIO 16
#define VM_MAX_CPUS 64

enum kvm_backend { KVM_HW_VMX, KVM_HW_SVM, KVM_PVM };

struct vcpu {
	struct vm *vm;
	int id, fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

struct vm {
	int kvm_fd, vm_fd;
	enum kvm_backend backend;
	struct guest_mem mem;
	int ncpus;
	struct vcpu vcpus[VM_MAX_CPUS];
	int run_size;
	struct loop *loop;
	struct serial serial;
	pthread_mutex_t serial_lock;

	struct virtio_dev *virtio[VM_MAX_VIRTIO];
	int n_virtio;
	char virtio_cmdline[1024]; /* virtio_mmio.device=... for each device */
	void *notify_ctx[VM_MAX_VIRTIO * VIRTIO_MAX_QUEUES]; /* ioeventfd watches */
	int n_notify;

	/* how the guest stopped */
	volatile int shutdown_reason; /* 0 running, else a VM_STOP_* */
	uint64_t entry;		      /* PVH entry */
};

enum { VM_STOP_SHUTDOWN = 1, VM_STOP_ERROR = 2, VM_STOP_HOST = 3 };

const char *kvm_backend_name(enum kvm_backend b);
/* Open /dev/kvm, work out hardware vs PVM, create the VM with RAM,
 * irqchip and PIT.  No vCPUs yet. */
int vm_create(struct vm *vm, uint64_t mem_size, int ncpus, struct loop *loop);
/* Attach a virtio-mmio device: window, GSI, irqfd, ioeventfds, cmdline. */
int vm_add_virtio(struct vm *vm, struct virtio_dev *d);
/* Create vCPUs (CPUID, LAPIC, boot registers for vCPU 0 at entry). */
int vm_create_vcpus(struct vm *vm, uint64_t entry, uint64_t start_info);
/* Start vCPU threads; they run until vm_stop(). */
int vm_start(struct vm *vm);
/* Stop all vCPUs (any thread); reason is a VM_STOP_*. */
void vm_stop(struct vm *vm, int reason);
void vm_join(struct vm *vm);
/* Frees devices and closes everything the VM holds. */
void vm_destroy(struct vm *vm);
void vm_free_virtio(struct vm *vm);
/* Print each vCPU's registers to stderr (ZONE_VMM_DEBUG=1 at exit). */
void vm_dump_vcpus(struct vm *vm);

#endif
