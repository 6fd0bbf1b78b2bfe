#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR 512ULL
#define BLK_SEG_MAX (VQ_MAX_CHAIN - 2) /* header and status take two */

struct virtio_blk {
	struct virtio_dev dev;
	struct virtio_dev_ops ops;
	struct virtio_blk_config config;
	int fd;
	bool readonly;
	uint64_t capacity; /* sectors */
};

/* Transfer `len` bytes between the file at `pos` and the chain's buffers:
 * out-buffers after the 16-byte header (write) or in-buffers before the
 * status byte (read). */
static int transfer(int fd, const struct vq_chain *c, bool write, uint64_t pos, uint64_t len)
{
	const struct vq_buf *bufs = write ? c->out : c->in;
	unsigned n = write ? c->n_out : c->n_in;
	uint64_t skip = write ? sizeof(struct virtio_blk_outhdr) : 0;
	uint64_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		uint64_t bl = bufs[i].len, off = 0;
		if (skip >= bl) {
			skip -= bl;
			continue;
		}
		off = skip;
		skip = 0;
		uint64_t chunk = bl - off;
		if (chunk > len - done)
			chunk = len - done;
		while (chunk) {
			ssize_t r = write ? pwrite(fd, bufs[i].addr + off, chunk, pos + done)
					  : pread(fd, bufs[i].addr + off, chunk, pos + done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -1;
			if (r == 0) { /* read past EOF of a file that shrank */
				memset(bufs[i].addr + off, 0, chunk);
				r = chunk;
			}
			off += r;
			done += r;
			chunk -= r;
		}
	}
	return 0;
}

uint32_t virtio_blk_handle(int fd, uint64_t capacity, bool readonly, const struct vq_chain *c)
{
	struct virtio_blk_outhdr hdr;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t data_len = 0, sectors;
	uint32_t written = 0;

	if (c->n_in == 0 || c->in_len == 0)
		return 0; /* nowhere to put a status: drop the request */
	if (vq_copy_from_out(c, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->in_len - 1;
		goto rw;
	case VIRTIO_BLK_T_OUT:
		data_len = c->out_len - sizeof(hdr);
		if (readonly) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
	rw:
		sectors = data_len / SECTOR;
		if (data_len % SECTOR || hdr.sector > capacity || sectors > capacity - hdr.sector) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (transfer(fd, c, hdr.type == VIRTIO_BLK_T_OUT, hdr.sector * SECTOR, data_len) < 0)
			status = VIRTIO_BLK_S_IOERR;
		else if (hdr.type == VIRTIO_BLK_T_IN)
			written = data_len;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!readonly && fdatasync(fd) < 0)
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = "zone-disk";
		uint64_t n = c->in_len - 1 < sizeof(id) ? c->in_len - 1 : sizeof(id);
		vq_copy_to_in(c, 0, id, n);
		written = n;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
done:
	vq_copy_to_in(c, c->in_len - 1, &status, 1);
	return written + 1;
}

static void blk_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtio_blk *b = d->priv;
	struct virtq *q = &d->vqs[0];
	uint16_t old = q->used_idx;
	struct vq_chain c;
	int r;

	while ((r = vq_pop(q, &c)) > 0)
		vq_push(q, c.head, virtio_blk_handle(b->fd, b->capacity, b->readonly, &c));
	if (r < 0)
		virtio_device_error(d, zerr_msg());
	virtio_signal_used(d, 0, old);
}

static void blk_destroy(struct virtio_dev *d)
{
	virtio_blk_close(d->priv);
}

struct virtio_blk *virtio_blk_open(const char *path, bool readonly, const struct guest_mem *mem,
				   struct loop *loop)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	struct stat st;
	uint64_t size;

	if (!b) {
		zerr(ENOMEM, "virtio-blk");
		return NULL;
	}
	b->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		zerr(errno, "cannot open disk %s", path);
		goto fail;
	}
	if (fstat(b->fd, &st) < 0) {
		zerr(errno, "cannot stat disk %s", path);
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0) {
			zerr(errno, "cannot size disk %s", path);
			goto fail;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else {
		zerr(0, "disk %s is not a regular file or block device", path);
		goto fail;
	}
	if (size < SECTOR) {
		zerr(0, "disk %s is smaller than one 512-byte sector", path);
		goto fail;
	}
	b->readonly = readonly;
	b->capacity = size / SECTOR;
	b->config.capacity = b->capacity;
	b->config.seg_max = BLK_SEG_MAX;
	b->config.blk_size = SECTOR;
	b->ops = (struct virtio_dev_ops){
		.name = "blk",
		.device_id = VIRTIO_ID_BLOCK,
		.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_FLUSH) |
			    (readonly ? 1ULL << VIRTIO_BLK_F_RO : 0),
		.num_queues = 1,
		.queue_max = 256,
		.queue_notify = blk_notify,
		.destroy = blk_destroy,
	};
	if (virtio_dev_init(&b->dev, &b->ops, b, &b->config, sizeof(b->config), mem, loop) < 0)
		goto fail;
	return b;
fail:
	if (b->fd >= 0)
		close(b->fd);
	free(b);
	return NULL;
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->dev;
}

void virtio_blk_close(struct virtio_blk *b)
{
	if (!b)
		return;
	close(b->fd);
	free(b);
}
