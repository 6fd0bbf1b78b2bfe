#include "devices/virtio_fs.h"
#include "devices/vhost_user.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef VIRTIO_ID_FS
#define VIRTIO_ID_FS 26
#endif
#define QUEUE_MAX 256

/* The ring features our own EIO fallback (vq_pop/vq_push) handles too:
 * whatever the guest negotiates must work after a takeover. */
#define PASSED_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX))

struct virtio_fs_config {
	uint8_t tag[VIRTIO_FS_TAG_MAX];
	uint32_t num_request_queues; /* le32 */
} __attribute__((packed));

struct kick_watch {
	struct virtio_fs *fs;
	unsigned queue;
	int fd;
	bool watched; /* our loop watch is on fd */
};

struct virtio_fs {
	struct virtio_dev dev;
	struct virtio_dev_ops ops; /* per device: features come from the back end */
	struct virtio_fs_config cfg;
	char tag[VIRTIO_FS_TAG_MAX + 1];
	struct vhost_user vu;
	int socket_fd;		/* watched for the back end going away */
	int own_kick[VIRTIO_FS_QUEUES]; /* kick eventfds where no ioeventfd exists */
	struct kick_watch kicks[VIRTIO_FS_QUEUES];
	bool handed_over;	/* the back end owns the queues */
	bool lost;		/* back end gone: we answer EIO */
};

uint32_t virtio_fs_fail_request(const struct vq_chain *c, int err)
{
	struct fuse_in_header in;
	struct fuse_out_header out;

	if (vq_copy_from_out(c, 0, &in, sizeof(in)) != sizeof(in) || c->in_len < sizeof(out))
		return 0;
	out.len = sizeof(out);
	out.error = -err;
	out.unique = in.unique;
	return vq_copy_to_in(c, 0, &out, sizeof(out));
}

static void fail_queue(struct virtio_dev *d, unsigned qi)
{
	struct virtq *q = &d->vqs[qi];
	uint16_t old = q->used_idx;
	struct vq_chain *c = malloc(sizeof(*c)); /* 4 KiB: not on the stack */
	int r = 0;

	if (!c)
		return;
	while ((r = vq_pop(q, c)) > 0)
		vq_push(q, c->head, virtio_fs_fail_request(c, EIO));
	free(c);
	if (r < 0)
		virtio_device_error(d, zerr_msg());
	virtio_signal_used(d, qi, old);
}

static int kick_fd(struct virtio_fs *fs, unsigned q)
{
	return fs->dev.notify_fds[q] >= 0 ? fs->dev.notify_fds[q] : fs->own_kick[q];
}

static void on_kick(void *arg, uint32_t events)
{
	struct kick_watch *k = arg;
	uint64_t v;

	if (read(k->fd, &v, sizeof(v)) == sizeof(v))
		virtio_queue_notified(&k->fs->dev, k->queue);
}

/* Kicks of the transport's ioeventfds come to us again (after a reset or
 * when the back end is gone). */
static void watch_kicks(struct virtio_fs *fs)
{
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		struct kick_watch *k = &fs->kicks[q];
		if (fs->dev.notify_fds[q] < 0 || k->watched)
			continue;
		k->fs = fs;
		k->queue = q;
		k->fd = fs->dev.notify_fds[q];
		k->watched = loop_add(fs->dev.loop, k->fd, EPOLLIN, on_kick, k) == 0;
	}
}

/* The back end is gone (lock held): keep the guest answered.  Requests it
 * had taken but not completed are found from the used index: virtiofsd
 * runs with --thread-pool-size=0 (see vmm/virtiofsd.c), so it completes
 * each queue in order and avail[used_idx, avail_idx) is what is pending. */
static void take_over(struct virtio_fs *fs, const char *why)
{
	struct virtio_dev *d = &fs->dev;

	if (fs->lost)
		return;
	fprintf(stderr, "zone-vmm: virtio-fs %s: back end %s; file requests now fail with EIO\n",
		fs->tag, why);
	fs->lost = true;
	if (fs->socket_fd >= 0)
		loop_del(d->loop, fs->socket_fd);
	vhost_user_close(&fs->vu);
	fs->socket_fd = -1;
	if (!fs->handed_over)
		return;
	fs->handed_over = false;
	d->isr_sticky = 0;
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		struct virtq *vq = &d->vqs[q];
		uint16_t *used_idx;
		if (!vq->ready)
			continue;
		used_idx = gmem_ptr(d->mem, vq->used_gpa + 2, 2);
		if (!used_idx)
			continue;
		vq->used_idx = vq->last_avail = __atomic_load_n(used_idx, __ATOMIC_ACQUIRE);
	}
	watch_kicks(fs);
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++)
		if (d->vqs[q].ready)
			fail_queue(d, q);
}

static void on_socket(void *arg, uint32_t events)
{
	struct virtio_fs *fs = arg;
	struct pollfd p;
	char c;

	pthread_mutex_lock(&fs->dev.lock);
	if (fs->lost || fs->socket_fd < 0) {
		pthread_mutex_unlock(&fs->dev.lock);
		return;
	}
	/* A reply may have woken us that a request under the lock already
	 * read: only a hang-up or a message nobody asked for counts. */
	p = (struct pollfd){ .fd = fs->socket_fd, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) == 1) {
		ssize_t n = recv(fs->socket_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			take_over(fs, "closed its socket (exited?)");
		else if (n > 0)
			take_over(fs, "sent a message nobody asked for");
	}
	pthread_mutex_unlock(&fs->dev.lock);
}

static int hand_over(struct virtio_fs *fs)
{
	struct virtio_dev *d = &fs->dev;
	uint64_t features = d->driver_features;
	bool enable_msgs = fs->vu.features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);

	if (enable_msgs)
		features |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	if (vhost_user_set_features(&fs->vu, features) < 0 ||
	    vhost_user_set_mem_table(&fs->vu, d->mem) < 0)
		return -1;
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		struct virtq *vq = &d->vqs[q];
		uint8_t *desc, *avail, *used;
		int kfd = kick_fd(fs, q);
		if (!vq->ready)
			continue;
		/* vq_init checked these at QueueReady */
		desc = gmem_ptr(d->mem, vq->desc_gpa, 16ull * vq->num);
		avail = gmem_ptr(d->mem, vq->avail_gpa, 6 + 2ull * vq->num);
		used = gmem_ptr(d->mem, vq->used_gpa, 6 + 8ull * vq->num);
		if (!desc || !avail || !used)
			return zerr(EFAULT, "virtio-fs: queue %u outside guest RAM", q);
		/* the back end reads the kick eventfd now, not our loop */
		if (fs->kicks[q].watched || d->notify_fds[q] >= 0) {
			loop_del(d->loop, kfd);
			fs->kicks[q].watched = false;
		}
		if (vhost_user_set_vring_num(&fs->vu, q, vq->num) < 0 ||
		    vhost_user_set_vring_base(&fs->vu, q, vq->last_avail) < 0 ||
		    vhost_user_set_vring_addr(&fs->vu, q, (uintptr_t)desc, (uintptr_t)avail,
					      (uintptr_t)used) < 0 ||
		    vhost_user_set_vring_kick(&fs->vu, q, kfd) < 0 ||
		    vhost_user_set_vring_call(&fs->vu, q, d->irqfd) < 0 ||
		    (enable_msgs && vhost_user_set_vring_enable(&fs->vu, q, true) < 0))
			return -1;
	}
	fs->handed_over = true;
	d->isr_sticky = VIRTIO_MMIO_INT_VRING;
	return 0;
}

static void fs_activate(struct virtio_dev *d)
{
	struct virtio_fs *fs = d->priv;

	if (fs->lost)
		return; /* the transport delivers kicks to fs_notify */
	if (hand_over(fs) < 0) {
		take_over(fs, zerr_msg());
		/* whatever was already queued gets its answer now */
		watch_kicks(fs);
	}
}

static void fs_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_fs *fs = d->priv;
	uint64_t one = 1;

	if (fs->lost) {
		fail_queue(d, q);
	} else if (fs->handed_over && fs->own_kick[q] >= 0) {
		/* an MMIO notify with no ioeventfd: pass it on */
		if (write(fs->own_kick[q], &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice */
		}
	}
}

static void fs_reset(struct virtio_dev *d)
{
	struct virtio_fs *fs = d->priv;
	unsigned base;

	d->isr_sticky = 0;
	if (!fs->handed_over)
		return;
	fs->handed_over = false;
	/* GET_VRING_BASE stops each ring in the back end */
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++)
		if (vhost_user_get_vring_base(&fs->vu, q, &base) < 0) {
			take_over(fs, zerr_msg());
			break;
		}
	watch_kicks(fs);
}

static void fs_destroy(struct virtio_dev *d)
{
	virtio_fs_free(d->priv);
}

struct virtio_fs *virtio_fs_new(const char *tag, int backend_fd, const struct guest_mem *mem,
				struct loop *loop)
{
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	size_t taglen = strlen(tag);

	if (!fs) {
		close(backend_fd);
		zerr(ENOMEM, "virtio-fs");
		return NULL;
	}
	fs->socket_fd = -1;
	fs->vu.fd = -1;
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++)
		fs->own_kick[q] = -1;
	if (taglen == 0 || taglen > VIRTIO_FS_TAG_MAX) {
		close(backend_fd);
		zerr(EINVAL, "virtio-fs tag '%s': 1 to %d bytes", tag, VIRTIO_FS_TAG_MAX);
		goto fail;
	}
	memcpy(fs->tag, tag, taglen);
	memcpy(fs->cfg.tag, tag, taglen);
	fs->cfg.num_request_queues = VIRTIO_FS_QUEUES - 1;
	if (vhost_user_open(&fs->vu, backend_fd) < 0) {
		zerr_prefix("virtio-fs %s", tag);
		goto fail;
	}
	if (!(fs->vu.features & (1ULL << VIRTIO_F_VERSION_1))) {
		zerr(EPROTO, "virtio-fs %s: back end does not offer VIRTIO_F_VERSION_1", tag);
		goto fail;
	}
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		fs->own_kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fs->own_kick[q] < 0) {
			zerr(errno, "virtio-fs: eventfd");
			goto fail;
		}
	}
	fs->ops = (struct virtio_dev_ops){
		.name = "fs",
		.device_id = VIRTIO_ID_FS,
		.features = fs->vu.features & PASSED_FEATURES,
		.num_queues = VIRTIO_FS_QUEUES,
		.queue_max = QUEUE_MAX,
		.queue_notify = fs_notify,
		.activate = fs_activate,
		.reset = fs_reset,
		.destroy = fs_destroy,
	};
	if (virtio_dev_init(&fs->dev, &fs->ops, fs, &fs->cfg, sizeof(fs->cfg), mem, loop) < 0)
		goto fail;
	fs->socket_fd = fs->vu.fd;
	if (loop_add(loop, fs->socket_fd, EPOLLIN | EPOLLRDHUP, on_socket, fs) < 0) {
		fs->socket_fd = -1;
		goto fail;
	}
	return fs;
fail:
	virtio_fs_free(fs);
	return NULL;
}

struct virtio_dev *virtio_fs_dev(struct virtio_fs *fs)
{
	return &fs->dev;
}

bool virtio_fs_backend_lost(struct virtio_fs *fs)
{
	bool lost;

	pthread_mutex_lock(&fs->dev.lock);
	lost = fs->lost;
	pthread_mutex_unlock(&fs->dev.lock);
	return lost;
}

void virtio_fs_free(struct virtio_fs *fs)
{
	if (!fs)
		return;
	if (fs->socket_fd >= 0 && fs->dev.loop)
		loop_del(fs->dev.loop, fs->socket_fd);
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		if (fs->kicks[q].watched)
			loop_del(fs->dev.loop, fs->kicks[q].fd);
		if (fs->own_kick[q] >= 0)
			close(fs->own_kick[q]);
	}
	/* closing the socket makes virtiofsd exit */
	vhost_user_close(&fs->vu);
	free(fs);
}
