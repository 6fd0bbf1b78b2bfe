#include "devices/virtio_console.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

enum { RXQ = 0, TXQ = 1 };

struct virtio_console {
	struct virtio_dev dev;
	struct virtio_console_config config;
	int in_fd;
	int in_watched; /* stdin is polled only while the guest has rx buffers */
	console_sink sink;
	void *sink_arg;
};

static void drain_tx(struct virtio_console *c)
{
	struct virtq *q = &c->dev.vqs[TXQ];
	uint16_t old = q->used_idx;
	struct vq_chain chain;
	int r;

	while ((r = vq_pop(q, &chain)) > 0) {
		for (unsigned i = 0; i < chain.n_out; i++)
			c->sink(c->sink_arg, chain.out[i].addr, chain.out[i].len);
		vq_push(q, chain.head, 0);
	}
	if (r < 0)
		virtio_device_error(&c->dev, zerr_msg());
	virtio_signal_used(&c->dev, TXQ, old);
}

static void fill_rx(struct virtio_console *c)
{
	struct virtq *q = &c->dev.vqs[RXQ];
	uint16_t old = q->used_idx;
	struct vq_chain chain;
	uint8_t buf[4096];

	if (c->in_fd < 0)
		return;
	while (vq_has_avail(q)) {
		ssize_t n = read(c->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) { /* EOF or error: no more input */
			loop_del(c->dev.loop, c->in_fd);
			c->in_fd = -1;
			break;
		}
		/* a chain with less room than we read: deliver across chains */
		size_t off = 0;
		while (off < (size_t)n) {
			int r = vq_pop(q, &chain);
			if (r <= 0) {
				if (r < 0)
					virtio_device_error(&c->dev, zerr_msg());
				goto out; /* remaining input is dropped: ring gone */
			}
			uint64_t w = vq_copy_to_in(&chain, 0, buf + off, n - off);
			vq_push(q, chain.head, w);
			off += w;
			if (!w)
				break;
		}
	}
out:
	virtio_signal_used(&c->dev, RXQ, old);
	/* Stop polling input while the guest has no buffers for it. */
	if (c->in_fd >= 0) {
		int want = vq_has_avail(q);
		if (want != c->in_watched) {
			loop_mod(c->dev.loop, c->in_fd, want ? EPOLLIN : 0);
			c->in_watched = want;
		}
	}
}

static void on_input(void *arg, uint32_t events)
{
	struct virtio_console *c = arg;

	pthread_mutex_lock(&c->dev.lock);
	if (virtio_driver_ok(&c->dev))
		fill_rx(c);
	pthread_mutex_unlock(&c->dev.lock);
}

static void console_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_console *c = d->priv;

	if (q == TXQ)
		drain_tx(c);
	else
		fill_rx(c);
}

static void console_destroy(struct virtio_dev *d)
{
	virtio_console_free(d->priv);
}

static const struct virtio_dev_ops console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.features = 0,
	.num_queues = 2,
	.queue_max = 256,
	.queue_notify = console_notify,
	.destroy = console_destroy,
};

struct virtio_console *virtio_console_new(const struct guest_mem *mem, struct loop *loop,
					  int in_fd, console_sink sink, void *sink_arg)
{
	struct virtio_console *c = calloc(1, sizeof(*c));

	if (!c) {
		zerr(ENOMEM, "virtio-console");
		return NULL;
	}
	c->in_fd = in_fd;
	c->sink = sink;
	c->sink_arg = sink_arg;
	c->config.cols = 80;
	c->config.rows = 25;
	if (virtio_dev_init(&c->dev, &console_ops, c, &c->config, sizeof(c->config), mem, loop) <
	    0) {
		free(c);
		return NULL;
	}
	if (in_fd >= 0) {
		if (loop_add(loop, in_fd, 0, on_input, c) < 0) {
			/* not pollable (e.g. a regular file): no console input */
			c->in_fd = -1;
			zerr_clear();
		}
	}
	return c;
}

struct virtio_dev *virtio_console_dev(struct virtio_console *c)
{
	return &c->dev;
}

void virtio_console_free(struct virtio_console *c)
{
	if (c && c->in_fd >= 0)
		loop_del(c->dev.loop, c->in_fd); /* the fd itself is the caller's */
	free(c);
}
