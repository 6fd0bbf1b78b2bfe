/* libFuzzer target: whatever a vhost-user back end sends.  Byte 0 picks
 * the path:
 *   0  vhost_user_parse_reply on the rest (request = byte 1, payload
 *      length = byte 2 % 24)
 *   1  the rest is queued on a socketpair as the back end's replies and
 *      the handshake plus GET_VRING_BASE run against it
 *   2  the rest is a FUSE request chain (split at byte 1 into a readable
 *      and a writable buffer) that the EIO fallback answers
 * Nothing may read or write outside the buffers given. */
#include "devices/vhost_user.h"
#include "devices/virtio_fs.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t payload[24];

	if (size < 3)
		return 0;
	switch (data[0] % 3) {
	case 0:
		vhost_user_parse_reply(data + 3, size - 3, data[1], payload, data[2] % 24);
		break;
	case 1:
		fuzz_socket(data + 1, size - 1);
		break;
	case 2:
		fuzz_fail_request(data + 1, size - 1);
		break;
	}
	return 0;
}
