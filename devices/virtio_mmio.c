#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VENDOR_ID 0x454e4f5a	     /* "ZONE" */

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *priv,
		    void *config, uint32_t config_len, const struct guest_mem *mem,
		    struct loop *loop)
{
	memset(d, 0, sizeof(*d));
	if (ops->num_queues > VIRTIO_MAX_QUEUES || config_len > VIRTIO_MMIO_SIZE - 0x100)
		return zerr(EINVAL, "virtio device %s: bad layout", ops->name);
	d->ops = ops;
	d->priv = priv;
	d->config = config;
	d->config_len = config_len;
	d->mem = mem;
	d->loop = loop;
	d->irqfd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		d->notify_fds[i] = -1;
		d->vqs[i].mem = mem;
	}
	pthread_mutex_init(&d->lock, NULL);
	return 0;
}

static uint64_t device_features(const struct virtio_dev *d)
{
	return d->ops->features | (1ULL << VIRTIO_F_VERSION_1);
}

static void raise_irq(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (d->irqfd >= 0 && write(d->irqfd, &one, sizeof(one)) < 0) {
		/* eventfd counter cannot overflow in practice */
	}
}

void virtio_signal_used(struct virtio_dev *d, unsigned q, uint16_t old_used)
{
	if (q >= d->ops->num_queues || !vq_should_notify(&d->vqs[q], old_used))
		return;
	d->isr |= VIRTIO_MMIO_INT_VRING;
	raise_irq(d);
}

void virtio_signal_config(struct virtio_dev *d)
{
	d->config_generation++;
	d->isr |= VIRTIO_MMIO_INT_CONFIG;
	raise_irq(d);
}

void virtio_device_error(struct virtio_dev *d, const char *why)
{
	fprintf(stderr, "zone-vmm: virtio-%s: guest error: %s; device needs reset\n",
		d->ops->name, why);
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_signal_config(d);
}

bool virtio_driver_ok(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(d->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

void virtio_queue_notified(struct virtio_dev *d, unsigned q)
{
	pthread_mutex_lock(&d->lock);
	if (q < d->ops->num_queues && virtio_driver_ok(d) && d->vqs[q].ready)
		d->ops->queue_notify(d, q);
	pthread_mutex_unlock(&d->lock);
}

void virtio_kick_device(struct virtio_dev *d, unsigned q)
{
	virtio_queue_notified(d, q);
}

static void reset_device(struct virtio_dev *d)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&d->vqs[i]);
	d->status = 0;
	d->isr = 0;
	d->driver_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	if (d->ops->reset)
		d->ops->reset(d);
}

static struct virtq *selected_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->num_queues ? &d->vqs[d->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct virtq *q = selected_queue(d);
	uint64_t f;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return 2;
	case VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		f = device_features(d);
		return d->dev_feat_sel == 0 ? (uint32_t)f : d->dev_feat_sel == 1 ? f >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? d->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return d->isr | d->isr_sticky;
	case VIRTIO_MMIO_STATUS: return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_generation;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: return q ? (uint32_t)q->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: return q ? q->desc_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: return q ? (uint32_t)q->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: return q ? q->avail_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW: return q ? (uint32_t)q->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: return q ? q->used_gpa >> 32 : 0;
	/* no shared memory regions (virtio-fs DAX): length -1 says "none" */
	case VIRTIO_MMIO_SHM_LEN_LOW: case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW: case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffff;
	default: return 0;
	}
}

static void set_status(struct virtio_dev *d, uint32_t v)
{
	if (v == 0) {
		reset_device(d);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* Accept only a subset of what we offered, with VERSION_1. */
		uint64_t f = d->driver_features;
		if ((f & ~device_features(d)) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
			v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		else
			for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
				d->vqs[i].event_idx = f & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	}
	/* The device goes live only once the features were accepted. */
	if (!(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(d->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		/* NEEDS_RESET sticks until the driver resets the device */
		d->status = v | (d->status & VIRTIO_CONFIG_S_NEEDS_RESET);
		if (d->ops->activate)
			d->ops->activate(d);
		return;
	}
	d->status = v | (d->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void queue_ready(struct virtio_dev *d, struct virtq *q, uint32_t v)
{
	if (!v) {
		q->ready = false;
		return;
	}
	if (vq_init(q, d->mem) < 0) {
		virtio_device_error(d, zerr_msg());
		return;
	}
	q->ready = true;
}

static void set_hi(uint64_t *r, uint32_t v) { *r = (*r & 0xffffffffULL) | ((uint64_t)v << 32); }
static void set_lo(uint64_t *r, uint32_t v) { *r = (*r & ~0xffffffffULL) | v; }

static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *q = selected_queue(d);
	/* queue layout may only change while the queue is not live */
	bool q_ok = q && !q->ready;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_feat_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_feat_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->status & VIRTIO_CONFIG_S_FEATURES_OK)
			break;
		if (d->drv_feat_sel == 0)
			set_lo(&d->driver_features, v);
		else if (d->drv_feat_sel == 1)
			set_hi(&d->driver_features, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q_ok)
			q->num = v <= d->ops->queue_max ? v : 0;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			queue_ready(d, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Reached only when no ioeventfd catches the write. */
		if (v < d->ops->num_queues && virtio_driver_ok(d) && d->vqs[v].ready)
			d->ops->queue_notify(d, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK: d->isr &= ~v; break;
	case VIRTIO_MMIO_STATUS: set_status(d, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: if (q_ok) set_lo(&q->desc_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: if (q_ok) set_hi(&q->desc_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: if (q_ok) set_lo(&q->avail_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: if (q_ok) set_hi(&q->avail_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_USED_LOW: if (q_ok) set_lo(&q->used_gpa, v); break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: if (q_ok) set_hi(&q->used_gpa, v); break;
	default: break; /* read-only or unknown: ignored */
	}
}

void virtio_mmio_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write)
{
	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (len > 8 || c >= d->config_len || len > d->config_len - c) {
			if (!is_write)
				memset(data, 0, len > 8 ? 8 : len);
		} else if (is_write) {
			memcpy(d->config + c, data, len);
			if (d->ops->config_write)
				d->ops->config_write(d, c, len);
		} else {
			memcpy(data, d->config + c, len);
		}
	} else if (len == 4 && !(off & 3)) {
		uint32_t v;
		if (is_write) {
			memcpy(&v, data, 4);
			reg_write(d, off, v);
		} else {
			v = reg_read(d, off);
			memcpy(data, &v, 4);
		}
	} else if (!is_write) {
		memset(data, 0, len > 8 ? 8 : len); /* registers are 32-bit only */
	}
	pthread_mutex_unlock(&d->lock);
}
