#include "devices/virtio_rng.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/random.h>

static void rng_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtq *q = &d->vqs[0];
	uint16_t old = q->used_idx;
	struct vq_chain c;
	int r;

	while ((r = vq_pop(q, &c)) > 0) {
		uint32_t written = 0;
		for (unsigned i = 0; i < c.n_in; i++) {
			/* bounded per request: a guest cannot make us block long */
			uint32_t want = c.in[i].len > 65536 ? 65536 : c.in[i].len;
			ssize_t n = getrandom(c.in[i].addr, want, 0);
			if (n > 0)
				written += n;
			if (n < (ssize_t)want)
				break;
		}
		vq_push(q, c.head, written);
	}
	if (r < 0)
		virtio_device_error(d, zerr_msg());
	virtio_signal_used(d, 0, old);
}

static void rng_destroy(struct virtio_dev *d)
{
	free(d);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max = 64,
	.queue_notify = rng_notify,
	.destroy = rng_destroy,
};

struct virtio_dev *virtio_rng_new(const struct guest_mem *mem, struct loop *loop)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));

	if (!d) {
		zerr(ENOMEM, "virtio-rng");
		return NULL;
	}
	if (virtio_dev_init(d, &rng_ops, NULL, NULL, 0, mem, loop) < 0) {
		free(d);
		return NULL;
	}
	return d;
}
