/* Wires a virtio-mmio device into the VM: MMIO window, GSI with a KVM
 * irqfd, an ioeventfd per queue so notifications never stall a vCPU, and
 * the virtio_mmio.device= kernel argument that tells the guest about it. */
#include "vmm/vm.h"
#include "vmm/layout.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/virtio_mmio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct notify_ctx {
	struct virtio_dev *dev;
	unsigned queue;
	int fd;
};

static void on_notify(void *arg, uint32_t events)
{
	struct notify_ctx *n = arg;
	uint64_t v;

	if (read(n->fd, &v, sizeof(v)) == sizeof(v))
		virtio_queue_notified(n->dev, n->queue);
}

void vm_free_virtio(struct vm *vm)
{
	for (int i = 0; i < vm->n_notify; i++) {
		struct notify_ctx *n = vm->notify_ctx[i];
		loop_del(vm->loop, n->fd);
		close(n->fd);
		free(n);
	}
	vm->n_notify = 0;
	for (int i = 0; i < vm->n_virtio; i++) {
		struct virtio_dev *d = vm->virtio[i];
		if (d->irqfd >= 0)
			close(d->irqfd);
		if (d->ops->destroy)
			d->ops->destroy(d);
	}
	vm->n_virtio = 0;
}

int vm_add_virtio(struct vm *vm, struct virtio_dev *d)
{
	int idx = vm->n_virtio;
	uint64_t base = VIRTIO_MMIO_BASE + 0x1000ULL * idx;
	uint32_t gsi = VIRTIO_IRQ_BASE + idx;
	struct kvm_irqfd irqfd = { 0 };
	size_t used = strlen(vm->virtio_cmdline);

	if (idx >= VM_MAX_VIRTIO || gsi > VIRTIO_IRQ_MAX)
		return zerr(ENOSPC, "too many virtio devices");
	d->mmio_base = base;
	d->irq = gsi;
	d->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irqfd < 0)
		return zerr(errno, "eventfd");
	irqfd.fd = d->irqfd;
	irqfd.gsi = gsi;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return zerr(errno, "KVM_IRQFD for virtio-%s", d->ops->name);

	for (unsigned q = 0; q < d->ops->num_queues; q++) {
		struct notify_ctx *n = calloc(1, sizeof(*n));
		struct kvm_ioeventfd io = { 0 };
		if (!n)
			return zerr(ENOMEM, "ioeventfd");
		n->dev = d;
		n->queue = q;
		n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->fd < 0) {
			free(n);
			return zerr(errno, "eventfd");
		}
		io.addr = base + VIRTIO_MMIO_QUEUE_NOTIFY;
		io.len = 4;
		io.datamatch = q;
		io.fd = n->fd;
		io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
			/* falls back to the MMIO exit path; slower but correct */
			close(n->fd);
			free(n);
			continue;
		}
		vm->notify_ctx[vm->n_notify++] = n;
		if (loop_add(vm->loop, n->fd, EPOLLIN, on_notify, n) < 0)
			return -1;
		d->notify_fds[q] = n->fd;
	}
	snprintf(vm->virtio_cmdline + used, sizeof(vm->virtio_cmdline) - used,
		 " virtio_mmio.device=0x%x@0x%llx:%u", VIRTIO_MMIO_SIZE, (unsigned long long)base,
		 gsi);
	vm->virtio[vm->n_virtio++] = d;
	return 0;
}
