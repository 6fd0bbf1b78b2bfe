/* devices/virtio_net.c and devices/net_hdr.c.  The header checks run as
 * pure functions; the device runs against a real TAP in a network
 * namespace this test makes for itself (unshare: nothing outlives the
 * process), with this file playing the guest driver: guest RAM is a memfd
 * (base/guest_memory.h), the transport is driven by MMIO register writes
 * as a vCPU exit would, and a packet socket on the TAP's interface stands
 * for the host network. */
#include "tests/unit/check.h"
#include "devices/net_hdr.h"
#include "devices/tap.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_net.h"
#include "common/rtnl.h"
#include "jail/jail.h"
#include "common/zerr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define F(bit) (1ULL << (bit))
#define ETHERTYPE_TEST 0x88b5 /* IEEE local experimental: no stack answers it */
#define QSIZE 128
#define RAM (8u << 20)
#define BUFS 0x100000u /* guest buffers from here */
#define TAPNAME "ztest0"

/* ---- pure header checks ---- */

static struct virtio_net_hdr_v1 hdr(uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
				    uint16_t cstart, uint16_t coff)
{
	return (struct virtio_net_hdr_v1){ .flags = flags, .gso_type = gso, .hdr_len = hdr_len,
					   .gso_size = gso_size, .csum_start = cstart,
					   .csum_offset = coff };
}

static void test_header_checks(void)
{
	uint64_t all = F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6);
	struct virtio_net_hdr_v1 h;

	h = hdr(0, 0, 0, 0, 0, 0);
	CHECK(!vnet_tx_check(&h, 60, 0), "plain frame accepted");
	CHECK(vnet_tx_check(&h, 13, all), "frame shorter than Ethernet refused");
	CHECK(vnet_tx_check(&h, VNET_MAX_FRAME + 1, all), "frame over 64 KiB refused");
	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	CHECK(vnet_tx_check(&h, 60, all), "DATA_VALID on transmit refused");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	CHECK(!vnet_tx_check(&h, 60, all), "partial checksum accepted");
	CHECK(vnet_tx_check(&h, 60, 0), "partial checksum without CSUM refused");
	CHECK(vnet_tx_check(&h, 51, all), "checksum field past the end refused");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0xffff, 0xffff);
	CHECK(vnet_tx_check(&h, 60, all), "checksum offsets that wrap refused");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1000, 34, 16);
	CHECK(!vnet_tx_check(&h, 3054, all), "TSO4 accepted");
	CHECK(vnet_tx_check(&h, 3054, F(VIRTIO_NET_F_CSUM)), "TSO4 not negotiated refused");
	CHECK(vnet_tx_check(&h, 50, all), "GSO header length past the frame refused");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 0, 34, 16);
	CHECK(vnet_tx_check(&h, 3054, all), "GSO with zero segment size refused");
	h = hdr(0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1000, 0, 0);
	CHECK(vnet_tx_check(&h, 3054, all), "GSO without partial checksum refused");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 42, 1000, 34, 6);
	CHECK(vnet_tx_check(&h, 3054, all), "UFO (not offered) refused");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54,
		1000, 34, 16);
	CHECK(vnet_tx_check(&h, 3054, all), "ECN (not offered) refused");
	h = hdr(0, 0x42, 0, 0, 0, 0);
	CHECK(vnet_tx_check(&h, 60, all), "unknown GSO type refused");

	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	CHECK(!vnet_rx_fixup(&h, 0, 1) && h.flags == 0 && h.num_buffers == 1,
	      "receive: checksum hints cleared without GUEST_CSUM, num_buffers set");
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1000, 34, 16);
	CHECK(vnet_rx_fixup(&h, F(VIRTIO_NET_F_GUEST_CSUM), 1),
	      "receive: TSO4 packet for a driver without GUEST_TSO4 refused");
	CHECK(!vnet_rx_fixup(&h, F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4), 3) &&
		      h.num_buffers == 3 && h.gso_size == 1000,
	      "receive: TSO4 packet kept for a driver with GUEST_TSO4");

	/* the transmit iovec: header copy, then the frame past the header */
	static uint8_t a[8], b[20];
	struct vq_chain c = { .n_out = 2, .out = { { a, 8 }, { b, 20 } }, .out_len = 28 };
	struct iovec iov[4];
	struct virtio_net_hdr_v1 copy;
	unsigned n = vnet_tx_iov(&c, &copy, iov, 4);
	CHECK(n == 2 && iov[0].iov_base == &copy && iov[0].iov_len == 12 &&
		      iov[1].iov_base == b + 4 && iov[1].iov_len == 16,
	      "transmit iovec skips a header split across buffers");
	CHECK(vnet_tx_iov(&c, &copy, iov, 1) == 0, "transmit iovec that does not fit is refused");
	CHECK(!vnet_tx_chain_check(&c), "transmit chain accepted");
	c.n_in = 1;
	c.in[0] = (struct vq_buf){ a, 8 };
	CHECK(vnet_tx_chain_check(&c), "transmit chain with a writable buffer refused");
	struct vq_chain r = { .n_in = 1, .in = { { b, 8 } }, .in_len = 8 };
	CHECK(vnet_rx_chain_check(&r), "receive buffer shorter than the header refused");
	r.in[0].len = 20;
	CHECK(!vnet_rx_chain_check(&r), "receive buffer accepted");
}

/* ---- the guest driver ---- */

static struct guest_mem gm;
static struct loop *loop;
static struct virtio_dev *dev;
static struct virtio_net *net;
static const uint8_t mac[6] = { 0x02, 0x5a, 0x4f, 0x4e, 0x45, 0x01 };

struct drvq {
	uint64_t desc, avail, used;
	uint16_t next_desc, avail_idx, used_seen;
};
static struct drvq dq[2];

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;
	virtio_mmio_access(dev, off, (uint8_t *)&v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_access(dev, off, (uint8_t *)&v, 4, true);
}

static uint8_t *g(uint64_t gpa)
{
	return gm.host + gpa;
}

static void setup_queue(unsigned qi, uint64_t base)
{
	struct drvq *q = &dq[qi];

	memset(q, 0, sizeof(*q));
	q->desc = base;
	q->avail = base + 0x1000;
	q->used = base + 0x2000;
	memset(g(base), 0, 0x3000);
	wr(VIRTIO_MMIO_QUEUE_SEL, qi);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)q->avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)q->used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Reset, negotiate `features` (with VERSION_1), both queues, DRIVER_OK.
 * Returns whether the device accepted the features. */
static bool bring_up(uint64_t features)
{
	features |= F(VIRTIO_F_VERSION_1);
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	setup_queue(VNET_RXQ, 0x10000);
	setup_queue(VNET_TXQ, 0x20000);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK;
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Post one chain of segments on queue qi (no kick); returns its head. */
static uint16_t post(unsigned qi, const struct seg *s, unsigned n)
{
	struct drvq *q = &dq[qi];
	uint16_t head = q->next_desc % QSIZE, slot;

	for (unsigned i = 0; i < n; i++) {
		uint16_t d = q->next_desc++ % QSIZE, flags = 0;
		uint8_t *p = g(q->desc + 16ull * d);
		if (s[i].write)
			flags |= VRING_DESC_F_WRITE;
		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		uint16_t next = q->next_desc % QSIZE;
		memcpy(p, &s[i].gpa, 8);
		memcpy(p + 8, &s[i].len, 4);
		memcpy(p + 12, &flags, 2);
		memcpy(p + 14, &next, 2);
	}
	slot = q->avail_idx % QSIZE;
	memcpy(g(q->avail + 4 + 2 * slot), &head, 2);
	q->avail_idx++;
	__atomic_store_n((uint16_t *)g(q->avail + 2), q->avail_idx, __ATOMIC_RELEASE);
	return head;
}

static void kick(unsigned qi)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

static uint16_t used_idx(unsigned qi)
{
	return __atomic_load_n((uint16_t *)g(dq[qi].used + 2), __ATOMIC_ACQUIRE);
}

/* The next used element of queue qi: 1 with id/len, 0 when none. */
static int next_used(unsigned qi, uint32_t *id, uint32_t *len)
{
	struct drvq *q = &dq[qi];
	uint8_t *e;

	if (used_idx(qi) == q->used_seen)
		return 0;
	e = g(q->used + 4 + 8 * (q->used_seen++ % QSIZE));
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	return 1;
}

static void drain_used(unsigned qi)
{
	uint32_t id, len;
	while (next_used(qi, &id, &len))
		;
}

static void *run_loop(void *arg)
{
	loop_run(loop);
	return NULL;
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* ---- the host side: a packet socket on the TAP's interface ---- */

static int psock = -1, ifindex;

static size_t test_frame(uint8_t *f, size_t payload, uint8_t fill)
{
	memcpy(f, mac, 6);					 /* to the guest */
	memcpy(f + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x99 }, 6); /* from "the host" */
	f[12] = ETHERTYPE_TEST >> 8;
	f[13] = ETHERTYPE_TEST & 0xff;
	for (size_t i = 0; i < payload; i++)
		f[14 + i] = (uint8_t)(fill + i);
	return 14 + payload;
}

/* A frame of ours entering the host side from the TAP, or -1 on timeout. */
static ssize_t host_recv(uint8_t *buf, size_t size, int timeout_ms)
{
	for (;;) {
		struct pollfd p = { psock, POLLIN, 0 };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		if (poll(&p, 1, timeout_ms) != 1)
			return -1;
		ssize_t n = recvfrom(psock, buf, size, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return -1;
		if (from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
}

static int host_send(const uint8_t *frame, size_t len)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };

	memcpy(to.sll_addr, frame, 6);
	return sendto(psock, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len
		       ? 0
		       : -1;
}

static int tap_fd_of_test = -1; /* the TAP fd, to wait until a frame is queued */

static void wait_tap_readable(void)
{
	struct pollfd p = { tap_fd_of_test, POLLIN, 0 };
	poll(&p, 1, 2000);
}

static int write_proc(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;
	if (fd < 0)
		return -1;
	r = write(fd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -1;
	close(fd);
	return r;
}

/* A network namespace of our own (with a user namespace when not root),
 * a TAP in it, up, and a packet socket on it. */
static int host_setup(int *tap)
{
	int rt, one = 1;

	if (unshare(CLONE_NEWNET) < 0) {
		uid_t uid = geteuid();
		gid_t gid = getegid();
		char map[64];
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			return zerr(errno, "unshare(CLONE_NEWNET)");
		write_proc("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", uid);
		write_proc("/proc/self/uid_map", map);
		snprintf(map, sizeof(map), "0 %u 1", gid);
		write_proc("/proc/self/gid_map", map);
	}
	/* no IPv6 autoconfiguration chatter on the TAP */
	write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	if ((*tap = tap_open(TAPNAME)) < 0)
		return -1;
	ifindex = if_nametoindex(TAPNAME);
	if ((rt = rtnl_open()) < 0)
		return -1;
	if (rtnl_link_set(rt, ifindex, true, RTNL_KEEP_MTU, RTNL_KEEP_MASTER) < 0) {
		close(rt);
		return -1;
	}
	close(rt);
	psock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll me = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = ifindex };
	if (psock < 0 || bind(psock, (struct sockaddr *)&me, sizeof(me)) < 0)
		return zerr(errno, "packet socket");
	(void)one;
	return 0;
}

/* ---- device tests ---- */

static void test_tx(void)
{
	static uint8_t got[70000];
	uint8_t frame[200];
	size_t len = test_frame(frame, 100, 7);
	struct virtio_net_stats st;
	uint32_t id, ulen;

	/* header and frame in separate descriptors, the frame split in two */
	memset(g(BUFS), 0, VNET_HDR_LEN);
	memcpy(g(BUFS + 0x1000), frame, 40);
	memcpy(g(BUFS + 0x2000), frame + 40, len - 40);
	uint16_t head = post(VNET_TXQ, (struct seg[]){ { BUFS, VNET_HDR_LEN, false },
						       { BUFS + 0x1000, 40, false },
						       { BUFS + 0x2000, len - 40, false } }, 3);
	kick(VNET_TXQ);
	ssize_t n = host_recv(got, sizeof(got), 2000);
	CHECK(n == (ssize_t)len && !memcmp(got, frame, len),
	      "tx: a frame posted on the tx queue appears on the TAP byte for byte");
	CHECK(next_used(VNET_TXQ, &id, &ulen) == 1 && id == head, "tx: the chain comes back used");
	virtio_net_get_stats(net, &st);
	CHECK(st.tx_packets == 1 && st.tx_bytes == len && st.tx_malformed == 0, "tx: counted");
}

static void test_rx(void)
{
	uint8_t frame[200];
	size_t len = test_frame(frame, 46, 3);
	struct virtio_net_hdr_v1 h;
	struct virtio_net_stats st;
	uint32_t id, ulen;

	/* no buffers posted: the device stops polling the TAP */
	host_send(frame, len);
	wait_tap_readable();
	virtio_net_tap_readable(net);
	CHECK(!virtio_net_rx_polling(net) && used_idx(VNET_RXQ) == 0,
	      "rx: without buffers the TAP is not polled (paused, no busy loop)");

	/* the driver posts buffers and notifies: the waiting frame lands */
	for (unsigned i = 0; i < 80; i++)
		post(VNET_RXQ, (struct seg[]){ { BUFS + 0x100000 + 1024ull * i, 1024, true } }, 1);
	kick(VNET_RXQ);
	CHECK(virtio_net_rx_polling(net), "rx: resumed on the driver's notification");
	CHECK(next_used(VNET_RXQ, &id, &ulen) == 1 && id == 0 && ulen == VNET_HDR_LEN + len,
	      "rx: one buffer used, header + frame long");
	memcpy(&h, g(BUFS + 0x100000), sizeof(h));
	CHECK(h.num_buffers == 1 && h.gso_type == VIRTIO_NET_HDR_GSO_NONE,
	      "rx: virtio-net header with num_buffers 1, no GSO");
	CHECK(!memcmp(g(BUFS + 0x100000 + VNET_HDR_LEN), frame, len),
	      "rx: the frame sent to the TAP is in the rx buffer byte for byte");
	virtio_net_get_stats(net, &st);
	CHECK(st.rx_packets == 1 && st.rx_dropped == 0, "rx: counted");
}

/* Ethernet + IPv4 + TCP with `payload` bytes, TCP checksum left partial
 * (pseudo-header sum) as a driver with CSUM offload sends it. */
static size_t tcp_frame(uint8_t *f, size_t payload)
{
	size_t iplen = 20 + 20 + payload;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint32_t sum = 0;

	memcpy(f, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x99 }, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = iplen >> 8;
	ip[3] = iplen & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){ 10, 199, 0, 2 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 10, 199, 0, 1 }, 4);
	for (int i = 0; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = ~sum >> 8;
	ip[11] = ~sum & 0xff;
	memset(tcp, 0, 20);
	tcp[0] = 0x30, tcp[1] = 0x39; /* 12345 */
	tcp[2] = 0x00, tcp[3] = 0x50; /* 80 */
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH ACK */
	tcp[14] = 0xff;
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7);
	/* pseudo-header sum, not complemented */
	sum = (10 << 8 | 199) * 2 + 2 + 1 + 6 + (20 + payload);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	tcp[16] = sum >> 8;
	tcp[17] = sum & 0xff;
	return 14 + iplen;
}

static void test_gso_roundtrip(void)
{
	static uint8_t frame[4000], got[70000];
	size_t len = tcp_frame(frame, 3000);
	struct virtio_net_hdr_v1 h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54,
					 1000, 34, 16);
	struct virtio_net_hdr_v1 ph;
	int on = 1;

	if (setsockopt(psock, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)) < 0) {
		CHECK(0, "gso: PACKET_VNET_HDR on the packet socket");
		return;
	}
	/* guest -> TAP: one TSO super-frame with a partial checksum */
	memcpy(g(BUFS), &h, sizeof(h));
	memcpy(g(BUFS + 0x1000), frame, len);
	post(VNET_TXQ, (struct seg[]){ { BUFS, VNET_HDR_LEN, false }, { BUFS + 0x1000, len, false } },
	     2);
	kick(VNET_TXQ);
	drain_used(VNET_TXQ);
	ssize_t n = host_recv(got, sizeof(got), 2000);
	memcpy(&ph, got, 10);
	CHECK(n == (ssize_t)(10 + len) && ph.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
		      ph.gso_size == 1000 && (ph.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		      !memcmp(got + 10 + 54, frame + 54, len - 54),
	      "gso: a TSO4 frame from the guest reaches the host unsegmented with its GSO header");

	/* host -> TAP -> guest: sent back as is (the TAP has TSO4 on since the
	 * driver took GUEST_TSO4): lands in several mergeable buffers */
	memcpy(frame, mac, 6);
	memcpy(frame + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x99 }, 6);
	static uint8_t out[4100];
	memcpy(out, &h, 10);
	memcpy(out + 10, frame, len);
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	memcpy(to.sll_addr, mac, 6);
	uint16_t first = used_idx(VNET_RXQ);
	CHECK(sendto(psock, out, 10 + len, 0, (struct sockaddr *)&to, sizeof(to)) ==
		      (ssize_t)(10 + len),
	      "gso: the host sends the super-frame back with its GSO header");
	wait_tap_readable();
	virtio_net_tap_readable(net);
	uint32_t id, ulen, total = 0, nbufs = 0, first_id = 0;
	while (next_used(VNET_RXQ, &id, &ulen)) {
		if (!nbufs)
			first_id = id;
		nbufs++;
		total += ulen;
	}
	struct virtio_net_hdr_v1 rh;
	memcpy(&rh, g(BUFS + 0x100000 + 1024ull * (first_id % 80)), sizeof(rh));
	CHECK(used_idx(VNET_RXQ) - first == 3 && nbufs == 3 && rh.num_buffers == 3 &&
		      total == VNET_HDR_LEN + len,
	      "gso: the 3 KiB super-frame (3066 bytes with its header) fills 3 mergeable 1 KiB buffers, num_buffers 3");
	CHECK(rh.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && rh.gso_size == 1000 &&
		      (rh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && rh.csum_start == 34 &&
		      rh.csum_offset == 16,
	      "gso: the guest gets the TSO4/partial-checksum header (offload round trip)");
	/* the payload, gathered back from the buffers */
	static uint8_t back[5000];
	size_t off = 0;
	for (uint32_t i = 0; i < nbufs; i++) {
		uint64_t b = BUFS + 0x100000 + 1024ull * ((first_id + i) % 80);
		uint32_t k = i + 1 < nbufs ? 1024 : total - 1024 * (nbufs - 1);
		memcpy(back + off, g(b), k);
		off += k;
	}
	CHECK(!memcmp(back + VNET_HDR_LEN + 54, frame + 54, len - 54),
	      "gso: the payload arrives intact across the buffers");
	on = 0;
	setsockopt(psock, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on));
}

static void test_malformed(void)
{
	static uint8_t got[70000];
	uint8_t frame[200];
	size_t len = test_frame(frame, 60, 1);
	struct virtio_net_stats before, after;
	struct virtio_net_hdr_v1 bad;

	virtio_net_get_stats(net, &before);
	/* a writable descriptor in a tx chain */
	post(VNET_TXQ, (struct seg[]){ { BUFS, VNET_HDR_LEN, false }, { BUFS + 0x1000, 64, true } },
	     2);
	/* a chain shorter than the header */
	post(VNET_TXQ, (struct seg[]){ { BUFS, 6, false } }, 1);
	/* a header asking for UDP fragmentation offload, never offered */
	bad = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 42, 1000, 34, 6);
	memcpy(g(BUFS + 0x3000), &bad, sizeof(bad));
	memcpy(g(BUFS + 0x3000 + VNET_HDR_LEN), frame, len);
	post(VNET_TXQ, (struct seg[]){ { BUFS + 0x3000, VNET_HDR_LEN + len, false } }, 1);
	/* a checksum position past the frame */
	bad = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 500, 16);
	memcpy(g(BUFS + 0x5000), &bad, sizeof(bad));
	memcpy(g(BUFS + 0x5000 + VNET_HDR_LEN), frame, len);
	post(VNET_TXQ, (struct seg[]){ { BUFS + 0x5000, VNET_HDR_LEN + len, false } }, 1);
	/* then a good one */
	memset(g(BUFS + 0x7000), 0, VNET_HDR_LEN);
	memcpy(g(BUFS + 0x7000 + VNET_HDR_LEN), frame, len);
	post(VNET_TXQ, (struct seg[]){ { BUFS + 0x7000, VNET_HDR_LEN + len, false } }, 1);
	kick(VNET_TXQ);
	virtio_net_get_stats(net, &after);
	CHECK(after.tx_malformed - before.tx_malformed == 4 && after.tx_packets - before.tx_packets == 1,
	      "malformed: four bad tx chains dropped and counted, the good one sent");
	ssize_t n = host_recv(got, sizeof(got), 2000);
	CHECK(n == (ssize_t)len && !memcmp(got, frame, len) && host_recv(got, sizeof(got), 200) < 0,
	      "malformed: only the good frame reaches the TAP");
	CHECK(!needs_reset(), "malformed: headers and chains do not break the device");
	drain_used(VNET_TXQ);

	/* a descriptor outside guest memory: the queue is broken, the device
	 * asks for a reset, the process goes on */
	post(VNET_TXQ, (struct seg[]){ { RAM - 8, 64, false } }, 1);
	kick(VNET_TXQ);
	virtio_net_get_stats(net, &after);
	CHECK(needs_reset() && after.tx_malformed - before.tx_malformed == 5,
	      "malformed: a descriptor outside guest RAM sets NEEDS_RESET and is counted");
	/* a frame waits on the TAP; the event loop must not spin on it while
	 * the device is broken */
	CHECK(virtio_net_rx_polling(net), "malformed: still polling the TAP when it broke");
	host_send(frame, len);
	wait_tap_readable();
	pthread_t t;
	pthread_create(&t, NULL, run_loop, NULL);
	usleep(200000);
	loop_stop(loop, 0);
	pthread_join(t, NULL);
	CHECK(!virtio_net_rx_polling(net),
	      "malformed: the event loop stops polling the TAP of a device that needs a reset");
	while (read(tap_fd_of_test, got, sizeof(got)) > 0)
		; /* the frame is not for the tests below */
	CHECK(bring_up(F(VIRTIO_NET_F_MRG_RXBUF)), "malformed: the driver resets the device");
	memset(g(BUFS), 0, VNET_HDR_LEN);
	memcpy(g(BUFS + 0x1000), frame, len);
	post(VNET_TXQ, (struct seg[]){ { BUFS, VNET_HDR_LEN, false }, { BUFS + 0x1000, len, false } },
	     2);
	kick(VNET_TXQ);
	n = host_recv(got, sizeof(got), 2000);
	CHECK(n == (ssize_t)len && !memcmp(got, frame, len), "malformed: after the reset tx works");

	/* fresh queues: a readable buffer first on the rx queue, then good ones */
	virtio_net_get_stats(net, &before);
	post(VNET_RXQ, (struct seg[]){ { BUFS + 0x9000, 2048, false } }, 1);
	for (unsigned i = 0; i < 80; i++)
		post(VNET_RXQ, (struct seg[]){ { BUFS + 0x100000 + 1024ull * i, 1024, true } }, 1);
	kick(VNET_RXQ);
	test_frame(frame, 60, 9);
	host_send(frame, len);
	wait_tap_readable();
	virtio_net_tap_readable(net);
	virtio_net_get_stats(net, &after);
	CHECK(after.rx_malformed - before.rx_malformed == 1 && after.rx_packets == before.rx_packets + 1,
	      "malformed: a readable rx buffer is dropped and counted, the next frame lands");
	uint32_t id, ulen;
	CHECK(next_used(VNET_RXQ, &id, &ulen) == 1 && id == 0 && ulen == 0 &&
		      next_used(VNET_RXQ, &id, &ulen) == 1 && ulen == VNET_HDR_LEN + len &&
		      !memcmp(g(BUFS + 0x100000 + VNET_HDR_LEN), frame, len),
	      "malformed: the bad rx buffer comes back empty, the frame is in the next");
	CHECK(!needs_reset(), "malformed: the device still runs");

	/* without mergeable buffers a frame must fit one chain: a larger one
	 * is dropped (not truncated) and the buffer serves the next frame */
	CHECK(bring_up(0), "small buffers: a driver without MRG_RXBUF");
	post(VNET_RXQ, (struct seg[]){ { BUFS + 0x100000, VNET_HDR_LEN + 100, true } }, 1);
	kick(VNET_RXQ);
	virtio_net_get_stats(net, &before);
	uint8_t big[300];
	size_t big_len = test_frame(big, 200, 5);
	host_send(big, big_len);
	wait_tap_readable();
	virtio_net_tap_readable(net);
	virtio_net_get_stats(net, &after);
	CHECK(after.rx_dropped == before.rx_dropped + 1 && used_idx(VNET_RXQ) == 0,
	      "small buffers: a frame longer than the buffer is dropped, not truncated");
	test_frame(frame, 60, 4);
	host_send(frame, len);
	wait_tap_readable();
	virtio_net_tap_readable(net);
	CHECK(next_used(VNET_RXQ, &id, &ulen) == 1 && id == 0 && ulen == VNET_HDR_LEN + len &&
		      !memcmp(g(BUFS + 0x100000 + VNET_HDR_LEN), frame, len),
	      "small buffers: the buffer takes the next frame that fits");
}

/* zone-vmm --net fd=N: a TAP the caller opened, checked before use */
static void test_adopt(void)
{
	int fd = tap_open("ztest1"), sv[2];
	struct ifreq ifr = { 0 };

	CHECK(fd >= 0 && tap_adopt(fd) == 0, "tap_adopt: a TAP with IFF_VNET_HDR is taken");
	if (fd >= 0)
		close(fd);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && tap_adopt(sv[0]) < 0 &&
		      strstr(zerr_msg(), "not an attached TAP"),
	      "tap_adopt: a socket is refused");
	close(sv[0]);
	close(sv[1]);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, IFNAMSIZ, "ztest2");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	CHECK(fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) == 0 && tap_adopt(fd) < 0 &&
		      strstr(zerr_msg(), "IFF_VNET_HDR"),
	      "tap_adopt: a TAP without virtio-net headers is refused");
	if (fd >= 0)
		close(fd);
	CHECK(tap_open("bad/name") < 0 && tap_open("0123456789abcdefg") < 0,
	      "tap_open: bad interface names refused");
}

static void test_features(int tap)
{
	uint32_t lo, hi;
	uint8_t m[6];

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	uint64_t f = (uint64_t)hi << 32 | lo;
	uint64_t want = F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_MAC) |
			F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
			F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
			F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_F_VERSION_1);
	CHECK((f & want) == want, "features: checksum, TSO4/6 both ways, MRG_RXBUF, STATUS, MAC");
	CHECK(!(f & (F(VIRTIO_NET_F_HOST_UFO) | F(VIRTIO_NET_F_HOST_ECN) | F(VIRTIO_NET_F_CTRL_VQ))),
	      "features: nothing the device does not do (UFO, ECN, control queue)");
	for (int i = 0; i < 6; i++) {
		uint8_t b;
		virtio_mmio_access(dev, VIRTIO_MMIO_CONFIG + i, &b, 1, false);
		m[i] = b;
	}
	CHECK(!memcmp(m, mac, 6), "config: the MAC address");
	(void)tap;
}

/* The device's work after zone-vmm jails itself (TUNSETOFFLOAD at
 * DRIVER_OK, writev, readv, epoll changes) under the real seccomp filter,
 * in a child: a system call the filter lacks kills it with SIGSYS. */
static void test_jailed(void)
{
	uint8_t frame[200], got[2048];
	size_t len = test_frame(frame, 80, 11);
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint32_t id, ulen;
		if (jail_namespaces(NULL) < 0 || jail_drop_privileges() < 0 || jail_seccomp() < 0) {
			printf("FAIL: %s: jailed: %s\n", __FILE__, zerr_msg());
			fflush(stdout);
			_exit(1);
		}
		CHECK(bring_up(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) |
			       F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4)),
		      "jailed: driver ready (the TAP's offloads set)");
		memset(g(BUFS), 0, VNET_HDR_LEN);
		memcpy(g(BUFS + VNET_HDR_LEN), frame, len);
		post(VNET_TXQ, (struct seg[]){ { BUFS, VNET_HDR_LEN + len, false } }, 1);
		kick(VNET_TXQ);
		CHECK(host_recv(got, sizeof(got), 2000) == (ssize_t)len && !memcmp(got, frame, len),
		      "jailed: tx (writev to the TAP)");
		for (unsigned i = 0; i < 64; i++)
			post(VNET_RXQ, (struct seg[]){ { BUFS + 0x100000 + 2048ull * i, 2048, true } }, 1);
		kick(VNET_RXQ);
		host_send(frame, len);
		wait_tap_readable();
		virtio_net_tap_readable(net);
		CHECK(next_used(VNET_RXQ, &id, &ulen) == 1 && ulen == VNET_HDR_LEN + len,
		      "jailed: rx (readv from the TAP)");
		fflush(stdout);
		/* not _exit(): ASan's wrapper calls sigaltstack, which the
		 * filter (made for the uninstrumented zone-vmm) refuses */
		syscall(SYS_exit_group, check_failures ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	CHECK(!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS),
	      "jailed: zone-vmm's seccomp filter allows what virtio-net does");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "jailed: the jailed device works");
}

/* Someone deletes the TAP's interface under a running zone: the device
 * stops polling it (epoll would report it forever), the process goes on. */
static void test_tap_deleted(void)
{
	int rt = rtnl_open();

	CHECK(bring_up(F(VIRTIO_NET_F_MRG_RXBUF)), "TAP deleted: driver ready");
	for (unsigned i = 0; i < 8; i++)
		post(VNET_RXQ, (struct seg[]){ { BUFS + 0x100000 + 2048ull * i, 2048, true } }, 1);
	kick(VNET_RXQ);
	CHECK(virtio_net_rx_polling(net), "TAP deleted: polled before");
	CHECK(rt >= 0 && rtnl_link_del(rt, ifindex) == 0, "TAP deleted: ip link del");
	virtio_net_tap_readable(net);
	CHECK(!virtio_net_rx_polling(net) && !needs_reset(),
	      "TAP deleted: no longer polled, the device itself stays up");
	struct virtio_net_stats before, after;
	uint8_t frame[100];
	size_t len = test_frame(frame, 50, 2);
	uint32_t id, ulen;
	virtio_net_get_stats(net, &before);
	memset(g(BUFS), 0, VNET_HDR_LEN);
	memcpy(g(BUFS + VNET_HDR_LEN), frame, len);
	post(VNET_TXQ, (struct seg[]){ { BUFS, VNET_HDR_LEN + len, false } }, 1);
	kick(VNET_TXQ);
	virtio_net_get_stats(net, &after);
	CHECK(after.tx_dropped == before.tx_dropped + 1 && next_used(VNET_TXQ, &id, &ulen) == 1 &&
		      !needs_reset(),
	      "TAP deleted: a frame sent then is dropped and counted, its buffer returned");
	if (rt >= 0)
		close(rt);
}

int main(void)
{
	int tap;

	test_header_checks();
	if (host_setup(&tap) < 0) {
		printf("FAIL: %s: TAP in a network namespace of our own: %s\n", __FILE__, zerr_msg());
		return 1;
	}
	tap_fd_of_test = tap;
	test_adopt();
	if (gmem_create(&gm, RAM) < 0 || !(loop = loop_new())) {
		printf("FAIL: %s: guest memory: %s\n", __FILE__, zerr_msg());
		return 1;
	}
	net = virtio_net_new(tap, mac, &gm, loop);
	CHECK(net != NULL, "virtio-net over a real TAP");
	if (!net)
		return 1;
	dev = virtio_net_dev(net);
	test_features(tap);
	CHECK(bring_up(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) |
		       F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
		       F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS)),
	      "driver negotiates offloads and mergeable buffers");
	CHECK(!bring_up(F(VIRTIO_NET_F_HOST_UFO)),
	      "a driver feature the device did not offer is refused");
	CHECK(bring_up(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) |
		       F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
		       F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS)),
	      "driver resets and negotiates again");
	test_tx();
	test_rx();
	test_gso_roundtrip();
	test_malformed();
	test_jailed();
	test_tap_deleted();
	virtio_net_free(net);
	loop_free(loop);
	gmem_destroy(&gm);
	close(psock);
	CHECK_DONE();
}
