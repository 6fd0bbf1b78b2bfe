/* libFuzzer target: whatever a vhost-user back end sends.  Byte 0 picks
 * the path:
 *   0  vhost_user_parse_reply on the rest (request = byte 1, payload
 *      length = byte 2 % 24)
 *   1  the rest is queued on a socketpair as the back end's replies and
 *      the handshake plus GET_VRING_BASE run against it
 *   2  the rest is a FUSE request chain (split at byte 1 into a readable
 *      and a writable buffer) that the EIO fallback answers
 *   3  a virtio-fs device whose back end is gone: the driver sets it up
 *      through the transport registers (queue size and ring places from
 *      bytes 1-4), the rest is copied over guest RAM (rings, descriptors,
 *      requests) and both queues are kicked: the EIO fallback pops and
 *      answers whatever the hostile rings hold
 * Nothing may read or write outside the buffers given. */
#include "devices/vhost_user.h"
#include "devices/virtio_fs.h"
#include "devices/virtio_mmio.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void fuzz_socket(const uint8_t *data, size_t size)
{
	struct vhost_user vu;
	unsigned base;
	int sv[2];

	if (size > 16384 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	if (size && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	shutdown(sv[1], SHUT_WR);
	if (vhost_user_open(&vu, sv[0]) == 0) {
		vhost_user_set_vring_num(&vu, 0, 16);
		vhost_user_get_vring_base(&vu, 0, &base);
	}
	vhost_user_close(&vu);
	close(sv[1]);
}

static void fuzz_fail_request(const uint8_t *data, size_t size)
{
	struct vq_chain *c = calloc(1, sizeof(*c));
	size_t split = size ? data[0] % (size) : 0;
	uint8_t *out = malloc(split + 1), *in = malloc(size - split + 1);

	if (c && out && in && size) {
		memcpy(out, data, split);
		c->out[0] = (struct vq_buf){ out, split };
		c->in[0] = (struct vq_buf){ in, size - split };
		c->n_out = c->n_in = 1;
		c->out_len = split;
		c->in_len = size - split;
		virtio_fs_fail_request(c, 5);
	}
	free(c);
	free(out);
	free(in);
}

#define RAM_SIZE 0x10000

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, true);
}

static size_t reply(uint8_t *buf, uint32_t request, uint64_t v)
{
	struct vhost_user_hdr h = { request, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, 8 };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &v, 8);
	return sizeof(h) + 8;
}

static void fuzz_fallback(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct loop *loop; /* one per run: removed watches are freed with it */
	struct guest_mem gm;
	struct virtio_fs *fs;
	struct virtio_dev *d;
	uint8_t rbuf[64];
	size_t rn;
	int sv[2];

	if (size < 4)
		return;
	if (!ram && !(ram = malloc(RAM_SIZE)))
		return;
	memset(ram, 0, RAM_SIZE);
	gmem_wrap(&gm, ram, RAM_SIZE); /* no memfd: the hand-over fails, EIO mode */
	if (!(loop = loop_new()))
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		loop_free(loop);
		return;
	}
	/* a back end offering VERSION_1 and EVENT_IDX, then gone */
	rn = reply(rbuf, VHOST_USER_GET_FEATURES, (1ULL << 32) | (1ULL << 29));
	if (write(sv[1], rbuf, rn) != (ssize_t)rn) {
		close(sv[0]);
		close(sv[1]);
		loop_free(loop);
		return;
	}
	fs = virtio_fs_new("fuzz", sv[0], &gm, loop);
	close(sv[1]); /* gone after the handshake */
	if (!fs) {
		loop_free(loop);
		return;
	}
	d = virtio_fs_dev(fs);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, data[0] & 1 ? 1u << 29 : 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		uint32_t base = (data[1 + q] % 8) * 0x1000;
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, 1u << (data[3] % 9));
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, base);
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, base + 0x800 * (data[0] >> 7));
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, base + 0xc00);
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	size -= 4;
	memcpy(ram, data + 4, size < RAM_SIZE ? size : RAM_SIZE);
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++)
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	virtio_fs_free(fs);
	loop_free(loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t payload[24];

	if (size < 3)
		return 0;
	switch (data[0] % 4) {
	case 0:
		vhost_user_parse_reply(data + 3, size - 3, data[1], payload, data[2] % 24);
		break;
	case 1:
		fuzz_socket(data + 1, size - 1);
		break;
	case 2:
		fuzz_fail_request(data + 1, size - 1);
		break;
	case 3:
		fuzz_fallback(data + 1, size - 1);
		break;
	}
	return 0;
}
