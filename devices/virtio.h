/* A virtio device as the transport sees it.  Devices (console, blk, rng,
 * vsock, ...) fill in virtio_dev_ops and never touch transport registers;
 * the virtio-mmio transport (virtio_mmio.c) owns feature negotiation,
 * queue setup, status and interrupts. */
#ifndef ZONE_DEVICES_VIRTIO_H
#define ZONE_DEVICES_VIRTIO_H

#include <pthread.h>
#include <stdint.h>
#include "devices/virtqueue.h"
#include "base/event_loop.h"

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	uint64_t features;   /* device features; the transport adds VERSION_1 */
	unsigned num_queues;
	uint16_t queue_max;  /* max queue size offered */
	/* Called on the loop thread with d->lock held when the driver
	 * notifies queue q. */
	void (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* Optional: DRIVER_OK was set (queues are live). lock held. */
	void (*activate)(struct virtio_dev *d);
	/* Optional: the driver reset the device. lock held. */
	void (*reset)(struct virtio_dev *d);
	/* Optional: the driver wrote config space (config bytes already updated). */
	void (*config_write)(struct virtio_dev *d, uint32_t off, uint32_t len);
	/* Frees the device (and its host resources) when the VM goes away. */
	void (*destroy)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	uint8_t *config;     /* device config space, config_len bytes */
	uint32_t config_len;
	uint32_t config_generation;

	/* transport state, guarded by lock */
	pthread_mutex_t lock;
	uint32_t status;
	uint32_t isr;
	/* ISR bits always reported: set while a vhost-user back end raises
	 * the interrupt through the irqfd itself and so cannot set isr */
	uint32_t isr_sticky;
	uint64_t driver_features;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	struct virtq vqs[VIRTIO_MAX_QUEUES];

	const struct guest_mem *mem;
	struct loop *loop;
	int irqfd;	    /* eventfd wired to the guest interrupt (KVM irqfd) */
	uint32_t irq;	    /* GSI */
	uint64_t mmio_base; /* where the transport sits */
	int notify_fds[VIRTIO_MAX_QUEUES]; /* ioeventfds, -1 when unused */
};

/* Raise the used-buffer interrupt for queue q if the driver wants it.
 * old_used is q's used_idx before the pushes being signalled. lock held. */
void virtio_signal_used(struct virtio_dev *d, unsigned q, uint16_t old_used);
/* Raise a config-change interrupt. lock held. */
void virtio_signal_config(struct virtio_dev *d);
/* The guest sent input we refuse: mark the device NEEDS_RESET and log
 * one line; the VMM keeps running. lock held. */
void virtio_device_error(struct virtio_dev *d, const char *why);
/* Run queue_notify from outside the loop thread's notify path (e.g. when
 * a host fd becomes readable and the device wants to refill rx). Takes the
 * lock itself. */
void virtio_kick_device(struct virtio_dev *d, unsigned q);
bool virtio_driver_ok(const struct virtio_dev *d);

#endif
