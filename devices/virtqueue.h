/* Split virtqueue (virtio 1.x) processing.  Everything in the rings and
 * descriptors is written by the guest and is hostile: each index, address
 * and length is checked before use, chains are bounded, loops detected. */
#ifndef ZONE_DEVICES_VIRTQUEUE_H
#define ZONE_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "base/guest_memory.h"

#define VQ_MAX_SIZE  1024 /* largest queue we offer */
#define VQ_MAX_CHAIN 128  /* longest descriptor chain we accept */

struct virtq {
	uint16_t num; /* size the driver chose (power of two, <= VQ_MAX_SIZE) */
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail; /* next avail entry the device will take */
	uint16_t used_idx;   /* next used entry the device will fill */
	bool event_idx;	     /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool broken;	     /* malformed input seen: stop processing */
	const struct guest_mem *mem;
};

struct vq_buf {
	uint8_t *addr; /* host pointer, valid for len bytes */
	uint32_t len;
};

/* One descriptor chain: device-readable buffers first, then writable. */
struct vq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	struct vq_buf out[VQ_MAX_CHAIN]; /* driver -> device */
	struct vq_buf in[VQ_MAX_CHAIN];	 /* device -> driver */
	uint64_t out_len, in_len;
};

/* Validate and latch the ring addresses (at QueueReady). 0 or -1 (zerr). */
int vq_init(struct virtq *q, const struct guest_mem *mem);
void vq_reset(struct virtq *q);
/* Take the next available chain.  Returns 1 with *c filled, 0 when the
 * ring is empty, -1 (zerr, queue marked broken) on malformed input. */
int vq_pop(struct virtq *q, struct vq_chain *c);
/* Return a chain to the driver with `written` bytes written into it. */
void vq_push(struct virtq *q, uint16_t head, uint32_t written);
/* Whether the driver wants an interrupt for what was pushed since the
 * last call (honours VRING_AVAIL_F_NO_INTERRUPT / used_event). */
bool vq_should_notify(struct virtq *q, uint16_t old_used_idx);
bool vq_has_avail(struct virtq *q);
/* Ask the driver to notify on its next new buffer (a device that pauses
 * until then); true when buffers arrived meanwhile (do not pause). */
bool vq_notify_on_next_avail(struct virtq *q);

/* Scatter/gather copy helpers over a chain's buffers. */
uint64_t vq_copy_from_out(const struct vq_chain *c, uint64_t off, void *dst, uint64_t len);
uint64_t vq_copy_to_in(const struct vq_chain *c, uint64_t off, const void *src, uint64_t len);
uint64_t vq_copy_from_in(const struct vq_chain *c, uint64_t off, void *dst, uint64_t len);

#endif
