/* virtio-blk backed by a raw host file (read-only or read-write). */
#ifndef ZONE_DEVICES_VIRTIO_BLK_H
#define ZONE_DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include "devices/virtio.h"

struct virtio_blk;

struct virtio_blk *virtio_blk_open(const char *path, bool readonly, const struct guest_mem *mem,
				   struct loop *loop);
struct virtio_dev *virtio_blk_dev(struct virtio_blk *b);
void virtio_blk_close(struct virtio_blk *b);

/* Run one request chain against fd; returns bytes written into the chain.
 * Exposed for unit tests and fuzzing. */
uint32_t virtio_blk_handle(int fd, uint64_t capacity_sectors, bool readonly,
			   const struct vq_chain *c);

#endif
