/* libFuzzer target: a hostile guest driver against virtio-net, plus
 * arbitrary packets from the host side.  The device is driven through its
 * MMIO registers as a vCPU exit would; the "TAP" is a SOCK_SEQPACKET
 * socket pair (one packet per read/write, like a TAP; no offloads).
 *
 * Input layout (little-endian):
 *   [0..7]   driver features (the transport keeps only offered ones)
 *   [8]      bits 0-3 rx queue size exponent, bits 4-7 tx queue size exponent
 *   [9..32]  rx desc/avail/used, tx desc/avail/used ring addresses (u32;
 *            bit 31 set: value << 16, far outside RAM; else an offset in RAM)
 *   [33]     number of host packets (<= 8), then each: u16 length + bytes
 *   [..]     the guest memory image (rest of RAM is zero)
 * Guest RAM is an exact-size heap buffer, so ASan reports any access
 * outside it.  One device serves the whole run: the driver resets it
 * before each input.  With ZONE_FUZZ_SEEDS=dir set, writes a well-formed seed
 * there and exits. */
#include "devices/net_hdr.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_net.h"
#include "base/guest_memory.h"
#include "common/zerr.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAM_SIZE 65536u
#define HDR_SIZE 34
#define MAX_HOST_PACKETS 8

static uint8_t out_buf[VNET_HDR_LEN + VNET_MAX_FRAME + 16];

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t gpa(uint32_t v)
{
	return (v & 0x80000000u) ? (uint64_t)v << 16 : (v & (RAM_SIZE - 1));
}

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v = 0;
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static void queue(struct virtio_dev *d, unsigned qi, unsigned exp, const uint8_t *addrs)
{
	uint64_t desc = gpa(get32(addrs)), avail = gpa(get32(addrs + 4)),
		 used = gpa(get32(addrs + 8));

	wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, 1u << (exp & 15));
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One device for the whole run, reset by its driver before each input
 * (as a guest may do any time): a reset must leave nothing behind. */
static struct virtio_net *net;
static struct virtio_dev *dev;
static struct guest_mem gm;
static uint8_t *ram;
static int host_fd = -1;
static int dev_side_fd = -1; /* a second descriptor of the device's socket */

static void setup_once(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	host_fd = sv[1];
	dev_side_fd = dup(sv[0]);
	ram = malloc(RAM_SIZE); /* exact size: ASan catches a byte past it */
	if (!ram)
		abort();
	gmem_wrap(&gm, ram, RAM_SIZE);
	net = virtio_net_new(sv[0], mac, &gm, NULL);
	if (!net)
		abort();
	dev = virtio_net_dev(net);
}

/* Whatever reached the "TAP" is one bounded packet with a header. */
static void drain_host(void)
{
	for (;;) {
		ssize_t got = recv(host_fd, out_buf, sizeof(out_buf), MSG_TRUNC);
		if (got < 0)
			break;
		if (got < (ssize_t)(VNET_HDR_LEN + VNET_ETH_HLEN) ||
		    got > (ssize_t)(VNET_HDR_LEN + VNET_MAX_FRAME))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_stats before, after;
	struct virtio_dev *d;
	uint64_t features;
	size_t pos = HDR_SIZE;

	if (size < HDR_SIZE)
		return 0;
	if (!net)
		setup_once();
	d = dev;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	drain_host();
	/* host packets the last input left unread are not this one's */
	while (recv(dev_side_fd, out_buf, sizeof(out_buf), 0) >= 0)
		;
	/* host packets: waiting on the "TAP" before the driver starts */
	for (unsigned i = 0; i < data[33] && i < MAX_HOST_PACKETS && pos + 2 <= size; i++) {
		size_t len = get16(data + pos);
		pos += 2;
		if (len > size - pos)
			len = size - pos;
		if (send(host_fd, data + pos, len, 0) < 0) {
			/* a full socket buffer drops it, as a TAP would */
		}
		pos += len;
	}
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data + pos, size - pos < RAM_SIZE ? size - pos : RAM_SIZE);
	virtio_net_get_stats(net, &before);

	memcpy(&features, data, 8);
	features |= 1ULL << VIRTIO_F_VERSION_1;
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					  VIRTIO_CONFIG_S_FEATURES_OK);
	queue(d, VNET_RXQ, data[8] & 15, data + 9);
	queue(d, VNET_TXQ, data[8] >> 4, data + 21);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	(void)rd(d, VIRTIO_MMIO_STATUS);

	/* the guest sends, then receives; twice, so paused and resumed
	 * paths and held chains run too */
	for (int round = 0; round < 2; round++) {
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, VNET_TXQ);
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, VNET_RXQ);
		virtio_net_tap_readable(net);
	}
	drain_host();
	virtio_net_get_stats(net, &after);
	if (after.rx_packets < before.rx_packets || after.tx_packets < before.tx_packets)
		abort();
	return 0;
}

/* Seed: 8-entry rings; rx at 0x0/0x100/0x200, tx at 0x400/0x500/0x600;
 * one tx chain (header at 0x800, frame at 0x900), four rx buffers of 2 KiB
 * from 0x2000; one 60-byte host packet. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void seed_desc(uint8_t *img, uint32_t table, unsigned i, uint64_t addr, uint32_t len,
		      uint16_t flags)
{
	uint8_t *dsc = img + table + 16 * i;
	memcpy(dsc, &addr, 8);
	put32(dsc + 8, len);
	put16(dsc + 12, flags);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static uint8_t seed[HDR_SIZE + 2 + VNET_HDR_LEN + 60 + 0x4000];
	const char *dir = getenv("ZONE_FUZZ_SEEDS");
	uint64_t f = (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_CSUM) |
		     (1ULL << VIRTIO_NET_F_MAC);
	char path[4096];
	uint8_t *p = seed, *img;
	FILE *out;

	if (!dir)
		return 0;
	memcpy(p, &f, 8);
	p[8] = 3 | 3 << 4;
	put32(p + 9, 0x0);
	put32(p + 13, 0x100);
	put32(p + 17, 0x200);
	put32(p + 21, 0x400);
	put32(p + 25, 0x500);
	put32(p + 29, 0x600);
	p[33] = 1;
	p += HDR_SIZE;
	put16(p, VNET_HDR_LEN + 60);
	p += 2;
	memset(p, 0, VNET_HDR_LEN);
	memset(p + VNET_HDR_LEN, 0xab, 60);
	p += VNET_HDR_LEN + 60;
	img = p;
	for (unsigned i = 0; i < 4; i++) {
		seed_desc(img, 0x0, i, 0x2000 + 0x800 * i, 0x800, VRING_DESC_F_WRITE);
		put16(img + 0x100 + 4 + 2 * i, i);
	}
	put16(img + 0x102, 4);
	seed_desc(img, 0x400, 0, 0x800, VNET_HDR_LEN, VRING_DESC_F_NEXT);
	put16(img + 0x400 + 14, 1);
	seed_desc(img, 0x400, 1, 0x900, 60, 0);
	memset(img + 0x900, 0xff, 12);
	put16(img + 0x500 + 4, 0);
	put16(img + 0x502, 1);
	snprintf(path, sizeof(path), "%s/seed-txrx", dir);
	out = fopen(path, "wb");
	if (out) {
		fwrite(seed, 1, sizeof(seed), out);
		fclose(out);
	}
	exit(0);
}
