/* virtio-mmio transport (virtio 1.x "modern", version 2 register layout). */
#ifndef ZONE_DEVICES_VIRTIO_MMIO_H
#define ZONE_DEVICES_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/virtio.h"

#define VIRTIO_MMIO_SIZE 0x200 /* registers + config space */

/* Initialise d (ops, priv, config space of config_len bytes owned by the
 * device).  irqfd/notify fds are set up by the VMM afterwards. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *priv,
		    void *config, uint32_t config_len, const struct guest_mem *mem,
		    struct loop *loop);
/* A guest access to offset off of the device's MMIO window (vCPU thread). */
void virtio_mmio_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write);
/* Process a queue notification (from an ioeventfd or an MMIO write). */
void virtio_queue_notified(struct virtio_dev *d, unsigned q);

#endif
