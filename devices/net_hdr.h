/* The virtio-net packet header (virtio 1.x: always the 12-byte
 * virtio_net_hdr_v1, the same layout a TAP with IFF_VNET_HDR and
 * TUNSETVNETHDRSZ 12 reads and writes).  Pure checks, no I/O: unit-tested
 * and fuzzed. */
#ifndef ZONE_DEVICES_NET_HDR_H
#define ZONE_DEVICES_NET_HDR_H

#include <linux/virtio_net.h>
#include <stdint.h>
#include <sys/uio.h>
#include "devices/virtqueue.h"

#define VNET_HDR_LEN 12u
#define VNET_ETH_HLEN 14u
/* Largest frame either way: Ethernet + VLAN header + a 64 KiB IP packet
 * (a GSO super-frame), as Linux sizes its big receive buffers. */
#define VNET_MAX_FRAME (VNET_ETH_HLEN + 4u + 65535u)
/* Receive space one packet may need: header + frame, with and without
 * guest GSO (an MTU-1500 frame with a VLAN tag). */
#define VNET_RX_NEED_GSO (VNET_HDR_LEN + VNET_MAX_FRAME)
#define VNET_RX_NEED_MTU (VNET_HDR_LEN + VNET_ETH_HLEN + 4u + 1500u)

_Static_assert(sizeof(struct virtio_net_hdr_v1) == VNET_HDR_LEN, "virtio-net header size");

/* Why a transmit header from the guest is refused, or NULL when it is
 * acceptable for a frame of frame_len bytes under the negotiated features
 * (offloads the driver did not negotiate, checksum or header positions
 * outside the frame, unknown flags or GSO types, frames out of size). */
const char *vnet_tx_check(const struct virtio_net_hdr_v1 *h, uint64_t frame_len,
			  uint64_t features);
/* Make a header read from the TAP fit what the driver negotiated: drops
 * checksum hints it did not ask for, sets num_buffers.  NULL, or why the
 * packet cannot be given to this driver (a GSO type it did not accept). */
const char *vnet_rx_fixup(struct virtio_net_hdr_v1 *h, uint64_t features, uint16_t num_buffers);
/* The iovec a transmit chain is written to the TAP with: hdr (the
 * validated copy of the header) then the chain's readable buffers after
 * their first VNET_HDR_LEN bytes, with no copy of the frame.  Returns the
 * number of entries (<= max), 0 when they do not fit. */
unsigned vnet_tx_iov(const struct vq_chain *c, struct virtio_net_hdr_v1 *hdr, struct iovec *iov,
		     unsigned max);
/* Why a chain cannot carry a transmitted packet (writable buffers, too
 * short for the header), or NULL. */
const char *vnet_tx_chain_check(const struct vq_chain *c);
/* Why a chain cannot take a received packet (readable buffers, too short
 * for the header), or NULL. */
const char *vnet_rx_chain_check(const struct vq_chain *c);

#endif
