/* virtio-net backed by a TAP (devices/tap.h).  Receive: readv from the
 * TAP straight into the driver's buffers (mergeable buffers when
 * negotiated); transmit: writev straight from the descriptors, with only
 * the 12-byte header copied to check it.  Checksum and TSO offloads are
 * negotiated with the driver and passed to the TAP.  Receive pauses (the
 * TAP is not polled) while the driver has posted no buffers and resumes on
 * its notification.  Malformed chains and headers are dropped and counted;
 * a broken ring puts the device in NEEDS_RESET. */
#ifndef ZONE_DEVICES_VIRTIO_NET_H
#define ZONE_DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/virtio.h"

#define VNET_RXQ 0
#define VNET_TXQ 1

struct virtio_net;

struct virtio_net_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_dropped;   /* the TAP gave a packet the buffers could not take */
	uint64_t rx_malformed; /* guest receive chains refused */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped;   /* the TAP refused a packet (e.g. no buffer space) */
	uint64_t tx_malformed; /* guest transmit chains or headers refused */
};

/* A device over fd (a TAP set up by tap_open/tap_adopt, or for tests any
 * packet fd such as a SOCK_SEQPACKET socket: offloads are then not
 * offered).  The device owns fd from here on, also on failure. */
struct virtio_net *virtio_net_new(int fd, const uint8_t mac[6], const struct guest_mem *mem,
				  struct loop *loop);
struct virtio_dev *virtio_net_dev(struct virtio_net *n);
void virtio_net_free(struct virtio_net *n);
/* Snapshot of the counters (takes the device lock). */
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *out);
/* What the event loop runs when the TAP is readable; tests call it
 * directly. */
void virtio_net_tap_readable(struct virtio_net *n);
/* Whether the TAP is being polled (false while rx is paused). */
bool virtio_net_rx_polling(struct virtio_net *n);

#endif
