#include "devices/net_hdr.h"

#include <string.h>

#define F(bit) (1ULL << (bit))

const char *vnet_tx_check(const struct virtio_net_hdr_v1 *h, uint64_t frame_len,
			  uint64_t features)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (frame_len < VNET_ETH_HLEN)
		return "frame shorter than an Ethernet header";
	if (frame_len > VNET_MAX_FRAME)
		return "frame longer than 64 KiB";
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return "unknown or receive-only header flags";
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & F(VIRTIO_NET_F_CSUM)))
			return "checksum offload not negotiated";
		if ((uint32_t)h->csum_start + h->csum_offset + 2 > frame_len)
			return "checksum field outside the frame";
	}
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !(features & F(VIRTIO_NET_F_HOST_ECN)))
		return "GSO with ECN not negotiated";
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (h->gso_type)
			return "ECN flag without GSO";
		return NULL;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!(features & F(VIRTIO_NET_F_HOST_TSO4)))
			return "TCPv4 segmentation not negotiated";
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!(features & F(VIRTIO_NET_F_HOST_TSO6)))
			return "TCPv6 segmentation not negotiated";
		break;
	default:
		return "unknown or not negotiated GSO type";
	}
	/* segmentation needs the checksum filled in per segment */
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return "GSO without checksum offload";
	if (h->gso_size == 0)
		return "GSO with a zero segment size";
	if (h->hdr_len > frame_len)
		return "GSO header length beyond the frame";
	return NULL;
}

const char *vnet_rx_fixup(struct virtio_net_hdr_v1 *h, uint64_t features, uint16_t num_buffers)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (!(features & F(VIRTIO_NET_F_GUEST_CSUM)))
		h->flags = 0; /* DATA_VALID/NEEDS_CSUM only for a driver that asked */
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(features & F(VIRTIO_NET_F_GUEST_TSO4))) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(features & F(VIRTIO_NET_F_GUEST_TSO6))) ||
	    ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !(features & F(VIRTIO_NET_F_GUEST_ECN))) ||
	    (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
	     gso != VIRTIO_NET_HDR_GSO_TCPV6))
		return "GSO type the driver did not accept";
	if (gso != VIRTIO_NET_HDR_GSO_NONE && !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return "GSO packet without a partial checksum";
	h->num_buffers = num_buffers;
	return NULL;
}

unsigned vnet_tx_iov(const struct vq_chain *c, struct virtio_net_hdr_v1 *hdr, struct iovec *iov,
		     unsigned max)
{
	uint64_t skip = VNET_HDR_LEN;
	unsigned n = 0;

	if (max == 0)
		return 0;
	iov[n++] = (struct iovec){ hdr, VNET_HDR_LEN };
	for (unsigned i = 0; i < c->n_out; i++) {
		const struct vq_buf *b = &c->out[i];
		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		if (n == max)
			return 0;
		iov[n++] = (struct iovec){ b->addr + skip, b->len - skip };
		skip = 0;
	}
	return n;
}

const char *vnet_tx_chain_check(const struct vq_chain *c)
{
	if (c->n_in)
		return "writable buffer in a transmit chain";
	if (c->out_len < VNET_HDR_LEN)
		return "transmit chain shorter than the header";
	return NULL;
}

const char *vnet_rx_chain_check(const struct vq_chain *c)
{
	if (c->n_out)
		return "readable buffer in a receive chain";
	/* the header is filled in place: it must sit in the first buffer */
	if (c->n_in == 0 || c->in[0].len < VNET_HDR_LEN)
		return "receive buffer shorter than the header";
	return NULL;
}
