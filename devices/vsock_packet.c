#include "devices/vsock_packet.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/virtio_vsock.h>
#include <string.h>

/* x86 is little-endian like virtio 1.x, so fields copy straight across;
 * memcpy keeps unaligned guest bytes safe. */
#define GET(field, off) memcpy(&h->field, in + (off), sizeof(h->field))
#define PUT(field, off) memcpy(out + (off), &h->field, sizeof(h->field))

void vsock_hdr_decode(const uint8_t in[VSOCK_HDR_LEN], struct vsock_hdr *h)
{
	GET(src_cid, 0);
	GET(dst_cid, 8);
	GET(src_port, 16);
	GET(dst_port, 20);
	GET(len, 24);
	GET(type, 28);
	GET(op, 30);
	GET(flags, 32);
	GET(buf_alloc, 36);
	GET(fwd_cnt, 40);
}

void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t out[VSOCK_HDR_LEN])
{
	PUT(src_cid, 0);
	PUT(dst_cid, 8);
	PUT(src_port, 16);
	PUT(dst_port, 20);
	PUT(len, 24);
	PUT(type, 28);
	PUT(op, 30);
	PUT(flags, 32);
	PUT(buf_alloc, 36);
	PUT(fwd_cnt, 40);
}

_Static_assert(sizeof(struct virtio_vsock_hdr) == VSOCK_HDR_LEN, "vsock header size");

int vsock_pkt_parse(const struct vq_chain *c, struct vsock_pkt *p)
{
	uint8_t raw[VSOCK_HDR_LEN];
	uint64_t skip = VSOCK_HDR_LEN, left;

	p->n_payload = 0;
	if (c->out_len < VSOCK_HDR_LEN)
		return zerr(EINVAL, "tx packet of %llu bytes is shorter than the header",
			    (unsigned long long)c->out_len);
	if (vq_copy_from_out(c, 0, raw, VSOCK_HDR_LEN) != VSOCK_HDR_LEN)
		return zerr(EINVAL, "tx header unreadable");
	vsock_hdr_decode(raw, &p->hdr);
	if (p->hdr.len > VSOCK_MAX_PAYLOAD)
		return zerr(EINVAL, "tx payload length %u above %u", p->hdr.len, VSOCK_MAX_PAYLOAD);
	if (p->hdr.len > c->out_len - VSOCK_HDR_LEN)
		return zerr(EINVAL, "tx payload length %u beyond the chain (%llu bytes)", p->hdr.len,
			    (unsigned long long)(c->out_len - VSOCK_HDR_LEN));
	if (p->hdr.len && p->hdr.op != VIRTIO_VSOCK_OP_RW)
		return zerr(EINVAL, "payload of %u bytes on op %u", p->hdr.len, p->hdr.op);

	/* Payload views start where the header ends, in whichever buffer. */
	left = p->hdr.len;
	for (unsigned i = 0; i < c->n_out && left; i++) {
		uint64_t bl = c->out[i].len;
		if (skip >= bl) {
			skip -= bl;
			continue;
		}
		uint64_t n = bl - skip < left ? bl - skip : left;
		p->payload[p->n_payload].iov_base = c->out[i].addr + skip;
		p->payload[p->n_payload++].iov_len = n;
		left -= n;
		skip = 0;
	}
	return 0;
}

int vsock_rx_payload_iov(const struct vq_chain *c, uint32_t max, struct iovec *iov,
			 uint32_t *room)
{
	uint64_t skip = VSOCK_HDR_LEN;
	int n = 0;

	*room = 0;
	for (unsigned i = 0; i < c->n_in && *room < max; i++) {
		uint64_t bl = c->in[i].len;
		if (skip >= bl) {
			skip -= bl;
			continue;
		}
		uint64_t take = bl - skip;
		if (take > max - *room)
			take = max - *room;
		iov[n].iov_base = c->in[i].addr + skip;
		iov[n++].iov_len = take;
		*room += take;
		skip = 0;
	}
	return n;
}

int vsock_parse_connect(const char *buf, size_t len, uint32_t *port, size_t *line_len)
{
	static const char verb[] = "CONNECT ";
	const size_t vlen = sizeof(verb) - 1, max_line = 32;
	uint64_t v = 0;
	size_t i;

	/* Every prefix must be a possible start of a valid line. */
	for (i = 0; i < len && i < vlen; i++)
		if (buf[i] != verb[i])
			return -1;
	if (len <= vlen)
		return 0;
	for (i = vlen; i < len && i < max_line; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			if (i == vlen)
				return -1; /* no digits */
			*port = v;
			*line_len = i + 1;
			return 1;
		}
		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	return i >= max_line ? -1 : 0;
}
