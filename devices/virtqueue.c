#include "devices/virtqueue.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

/* Ring layouts (virtio 1.x split ring), all little-endian like x86. */
struct vring_desc_le {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static inline uint16_t load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static inline void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

static uint8_t *avail_ring(const struct virtq *q)
{
	/* flags, idx, ring[num], used_event */
	return gmem_ptr(q->mem, q->avail_gpa, 4 + 2ull * q->num + 2);
}

static uint8_t *used_ring(const struct virtq *q)
{
	/* flags, idx, ring[num] of {id, len}, avail_event */
	return gmem_ptr(q->mem, q->used_gpa, 4 + 8ull * q->num + 2);
}

static struct vring_desc_le *desc_table(const struct virtq *q)
{
	return gmem_ptr(q->mem, q->desc_gpa, 16ull * q->num);
}

int vq_init(struct virtq *q, const struct guest_mem *mem)
{
	q->mem = mem;
	q->broken = false;
	if (q->num == 0 || q->num > VQ_MAX_SIZE || (q->num & (q->num - 1)))
		return zerr(EINVAL, "queue size %u is not a power of two <= %u", q->num,
			    VQ_MAX_SIZE);
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return zerr(EINVAL, "misaligned ring address");
	if (!desc_table(q) || !avail_ring(q) || !used_ring(q))
		return zerr(EFAULT, "ring outside guest memory");
	q->last_avail = 0;
	q->used_idx = 0;
	return 0;
}

void vq_reset(struct virtq *q)
{
	const struct guest_mem *mem = q->mem;

	memset(q, 0, sizeof(*q));
	q->mem = mem;
}

bool vq_has_avail(struct virtq *q)
{
	uint8_t *avail;

	if (!q->ready || q->broken || !(avail = avail_ring(q)))
		return false;
	return load16(avail + 2) != q->last_avail;
}

bool vq_notify_on_next_avail(struct virtq *q)
{
	uint8_t *avail, *used;
	uint16_t idx;

	if (!q->ready || q->broken || !(avail = avail_ring(q)) || !(used = used_ring(q)))
		return false;
	idx = load16(avail + 2);
	/* without EVENT_IDX the driver notifies on every new buffer anyway */
	if (q->event_idx)
		store16(used + 4 + 8ull * q->num, idx);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(avail + 2) != idx;
}

static int broken(struct virtq *q, const char *fmt, unsigned a, unsigned b)
{
	q->broken = true;
	return zerr(EINVAL, fmt, a, b);
}

int vq_pop(struct virtq *q, struct vq_chain *c)
{
	struct vring_desc_le *descs;
	uint8_t *avail;
	uint16_t avail_idx, head, idx;
	unsigned count = 0;

	if (!q->ready || q->broken)
		return 0;
	avail = avail_ring(q);
	descs = desc_table(q);
	if (!avail || !descs)
		return broken(q, "ring moved outside guest memory (%u/%u)", 0, 0);
	avail_idx = load16(avail + 2);
	if (avail_idx == q->last_avail)
		return 0;
	/* The driver can never be more than a ring ahead of us. */
	if ((uint16_t)(avail_idx - q->last_avail) > q->num)
		return broken(q, "avail index jumped by %u (queue size %u)",
			      (uint16_t)(avail_idx - q->last_avail), q->num);
	head = load16(avail + 4 + 2 * (q->last_avail % q->num));
	if (head >= q->num)
		return broken(q, "descriptor head %u out of range (queue size %u)", head, q->num);

	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	idx = head;
	for (;;) {
		struct vring_desc_le d;

		/* A chain longer than the table must revisit a descriptor. */
		if (++count > q->num || count > VQ_MAX_CHAIN)
			return broken(q, "descriptor chain too long or looping (%u, size %u)", count,
				      q->num);
		memcpy(&d, &descs[idx], sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT)
			return broken(q, "indirect descriptor %u not negotiated%c", idx, ' ');
		if (d.len) {
			uint8_t *p = gmem_ptr(q->mem, d.addr, d.len);
			if (!p)
				return broken(q, "descriptor %u (len %u) outside guest memory", idx,
					      d.len);
			if (d.flags & VRING_DESC_F_WRITE) {
				c->in[c->n_in].addr = p;
				c->in[c->n_in++].len = d.len;
				c->in_len += d.len;
			} else {
				/* readable buffers must come before writable ones */
				if (c->n_in)
					return broken(q, "readable descriptor %u after writable (%u)",
						      idx, c->n_in);
				c->out[c->n_out].addr = p;
				c->out[c->n_out++].len = d.len;
				c->out_len += d.len;
			}
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= q->num)
			return broken(q, "next descriptor %u out of range (size %u)", d.next, q->num);
		idx = d.next;
	}
	q->last_avail++;
	if (q->event_idx) {
		uint8_t *used = used_ring(q);
		/* avail_event: tell the driver to kick us at the next entry */
		if (used)
			store16(used + 4 + 8ull * q->num, q->last_avail);
	}
	return 1;
}

void vq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	uint8_t *used;
	uint8_t *elem;

	/* only chains from vq_pop on a live queue come back here */
	if (!q->ready || q->num == 0 || !(used = used_ring(q)))
		return;
	elem = used + 4 + 8ull * (q->used_idx % q->num);
	memcpy(elem, &(uint32_t){ head }, 4);
	memcpy(elem + 4, &written, 4);
	q->used_idx++;
	store16(used + 2, q->used_idx);
}

bool vq_should_notify(struct virtq *q, uint16_t old_used)
{
	uint8_t *avail = avail_ring(q);
	uint16_t event, new_used = q->used_idx;

	if (!avail)
		return true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(load16(avail) & VRING_AVAIL_F_NO_INTERRUPT);
	event = load16(avail + 4 + 2ull * q->num);
	/* vring_need_event(): notify if event lies in (old, new] */
	return (uint16_t)(new_used - event - 1) < (uint16_t)(new_used - old_used);
}

/* Copy between a flat buffer and the chain's buffers, skipping `off`
 * bytes of them first; to_chain picks the direction. */
static uint64_t copy_chain(const struct vq_buf *bufs, unsigned n, uint64_t off, uint8_t *flat,
			   uint64_t len, bool to_chain)
{
	uint64_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		uint64_t bl = bufs[i].len;
		if (off >= bl) {
			off -= bl;
			continue;
		}
		uint64_t k = bl - off;
		if (k > len - done)
			k = len - done;
		if (to_chain)
			memcpy(bufs[i].addr + off, flat + done, k);
		else
			memcpy(flat + done, bufs[i].addr + off, k);
		done += k;
		off = 0;
	}
	return done;
}

uint64_t vq_copy_from_out(const struct vq_chain *c, uint64_t off, void *dst, uint64_t len)
{
	return copy_chain(c->out, c->n_out, off, dst, len, false);
}

uint64_t vq_copy_to_in(const struct vq_chain *c, uint64_t off, const void *src, uint64_t len)
{
	return copy_chain(c->in, c->n_in, off, (uint8_t *)src, len, true);
}

uint64_t vq_copy_from_in(const struct vq_chain *c, uint64_t off, void *dst, uint64_t len)
{
	return copy_chain(c->in, c->n_in, off, dst, len, false);
}
