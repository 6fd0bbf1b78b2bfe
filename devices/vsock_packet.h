/* virtio-vsock packets: the 44-byte header and its payload as views into a
 * descriptor chain.  Pure parsing, no device state, so it can be unit
 * tested and fuzzed without KVM.  Everything in a chain is guest-written. */
#ifndef ZONE_DEVICES_VSOCK_PACKET_H
#define ZONE_DEVICES_VSOCK_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "devices/virtqueue.h"

#define VSOCK_HDR_LEN	  44
#define VSOCK_MAX_PAYLOAD (64 * 1024) /* VIRTIO_VSOCK_MAX_PKT_BUF_SIZE in Linux */
#define VSOCK_HOST_CID	  2

/* Header fields in host byte order. */
struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

/* A packet the guest sent: a private copy of the header (the guest can
 * rewrite its buffers at any time) and the payload in place. */
struct vsock_pkt {
	struct vsock_hdr hdr;
	struct iovec payload[VQ_MAX_CHAIN];
	int n_payload;
};

void vsock_hdr_decode(const uint8_t in[VSOCK_HDR_LEN], struct vsock_hdr *h);
void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t out[VSOCK_HDR_LEN]);

/* Parse a tx chain, whether header and payload share a descriptor or are
 * split anywhere.  Rejects chains shorter than the header, payloads longer
 * than the chain or VSOCK_MAX_PAYLOAD, and payloads on non-RW ops.
 * 0, or -1 (zerr says why). */
int vsock_pkt_parse(const struct vq_chain *c, struct vsock_pkt *p);

/* The writable part of an rx chain after the header, cut to at most max
 * bytes, as an iovec list for readv().  Returns the entry count (0 when
 * there is no room for payload); *room gets the byte total. */
int vsock_rx_payload_iov(const struct vq_chain *c, uint32_t max, struct iovec *iov,
			 uint32_t *room);

/* Host clients open a connection with "CONNECT <port>\n".  Looks at the
 * first len bytes: 1 with *port and *line_len (bytes to consume, newline
 * included) when a whole valid line is there, 0 when more bytes are
 * needed, -1 when it can never become valid. */
int vsock_parse_connect(const char *buf, size_t len, uint32_t *port, size_t *line_len);

#endif
