/* libFuzzer target: hostile split virtqueues feeding virtio-blk.
 *
 * Input layout (little-endian):
 *   [0]      flags: bits 0-3 queue size exponent (2^e, e > 10 is invalid),
 *            bit 4 event_idx, bit 5 read-only disk, bit 6 raw queue size
 *   [1..2]   raw queue size (used when bit 6 is set)
 *   [3..14]  desc, avail, used ring addresses (u32 each; bit 31 set means
 *            "far away": value << 16, else an offset inside guest RAM)
 *   [15..16] last_avail    [17..18] used_idx
 *   [19..]   the guest memory image (rest of RAM is zero)
 * Guest RAM is an exact-size heap buffer, so ASan reports any access the
 * virtqueue or the device makes outside it.
 * With ZONE_FUZZ_SEEDS=dir set, writes well-formed seed inputs there and
 * exits. */
#include "devices/virtio_blk.h"
#include "devices/virtqueue.h"
#include "base/guest_memory.h"
#include "common/zerr.h"

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE  16384u
#define HDR_SIZE  19
#define DISK_SIZE (64 * 1024)
#define MAX_POPS  64

static int disk_fd = -1;
static struct vq_chain chain;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t gpa(uint32_t v)
{
	return (v & 0x80000000u) ? (uint64_t)v << 16 : (v & (RAM_SIZE - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem gm;
	struct virtq q = { 0 };
	uint8_t *ram;
	uint8_t flags;
	bool readonly;
	int r;

	if (disk_fd < 0) {
		disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
		if (disk_fd < 0 || ftruncate(disk_fd, DISK_SIZE) < 0)
			abort();
	}
	if (size < HDR_SIZE)
		return 0;
	flags = data[0];
	readonly = flags & 0x20;
	q.num = (flags & 0x40) ? get16(data + 1) : (uint16_t)(1u << (flags & 15));
	q.desc_gpa = gpa(get32(data + 3));
	q.avail_gpa = gpa(get32(data + 7));
	q.used_gpa = gpa(get32(data + 11));

	ram = malloc(RAM_SIZE);
	if (!ram)
		abort();
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data + HDR_SIZE, size - HDR_SIZE < RAM_SIZE ? size - HDR_SIZE : RAM_SIZE);
	gmem_wrap(&gm, ram, RAM_SIZE);

	if (vq_init(&q, &gm) < 0) {
		if (!zerr_msg()[0])
			abort(); /* every refusal says why */
		free(ram);
		return 0;
	}
	/* the queue may have been live for a while: any ring position */
	q.last_avail = get16(data + 15);
	q.used_idx = get16(data + 17);
	q.event_idx = flags & 0x10;
	q.ready = true;

	(void)vq_has_avail(&q);
	for (int i = 0; i < MAX_POPS; i++) {
		uint16_t old_used = q.used_idx;
		uint32_t written;

		r = vq_pop(&q, &chain);
		if (r <= 0) {
			if (r < 0 && (!q.broken || !zerr_msg()[0]))
				abort(); /* a refused chain must break the queue */
			break;
		}
		if (chain.head >= q.num || chain.n_out > VQ_MAX_CHAIN || chain.n_in > VQ_MAX_CHAIN)
			abort();
		written = virtio_blk_handle(disk_fd, DISK_SIZE / 512, readonly, &chain);
		if (written > chain.in_len)
			abort(); /* never claim more than the driver gave us */
		vq_push(&q, chain.head, written);
		(void)vq_should_notify(&q, old_used);
	}
	if (q.broken && vq_pop(&q, &chain) != 0)
		abort(); /* a broken queue stays quiet */
	free(ram);
	return 0;
}

/* Seeds: rings at 0x0 (desc), 0x100 (avail), 0x200 (used) with 8 entries,
 * request headers at 0x300, data at 0x400, status bytes at 0x700. */
static uint8_t seed_buf[HDR_SIZE + 0x720];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void seed_start(uint8_t flags, uint16_t last_avail)
{
	memset(seed_buf, 0, sizeof(seed_buf));
	seed_buf[0] = flags | 3; /* 8 entries */
	put32(seed_buf + 3, 0x0);
	put32(seed_buf + 7, 0x100);
	put32(seed_buf + 11, 0x200);
	put16(seed_buf + 15, last_avail);
	put16(seed_buf + 17, last_avail);
	put16(seed_buf + HDR_SIZE + 0x102, last_avail); /* avail idx */
}

static void seed_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = seed_buf + HDR_SIZE + 16 * i;
	memcpy(d, &addr, 8);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static void seed_req(uint32_t at, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	memcpy(seed_buf + HDR_SIZE + at, &h, sizeof(h));
}

static void seed_avail(uint16_t head)
{
	uint8_t *avail = seed_buf + HDR_SIZE + 0x100;
	uint16_t idx;

	memcpy(&idx, avail + 2, 2);
	put16(avail + 4 + 2 * (idx % 8), head);
	put16(avail + 2, idx + 1);
}

static void seed_write(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(seed_buf, 1, sizeof(seed_buf), f);
		fclose(f);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");
	const uint16_t N = VRING_DESC_F_NEXT, W = VRING_DESC_F_WRITE;

	if (!dir)
		return 0;
	seed_start(0, 0);
	seed_req(0x300, VIRTIO_BLK_T_IN, 1);
	seed_desc(0, 0x300, 16, N, 1);
	seed_desc(1, 0x400, 512, N | W, 2);
	seed_desc(2, 0x700, 1, W, 0);
	seed_avail(0);
	seed_write(dir, "read");

	seed_start(0, 0);
	seed_req(0x300, VIRTIO_BLK_T_OUT, 2);
	memset(seed_buf + HDR_SIZE + 0x400, 0x5a, 512);
	seed_desc(0, 0x300, 16, N, 1);
	seed_desc(1, 0x400, 512, N, 2);
	seed_desc(2, 0x700, 1, W, 0);
	seed_avail(0);
	seed_write(dir, "write");

	/* event_idx, ring indexes about to wrap, three requests */
	seed_start(0x10, 65534);
	seed_req(0x300, VIRTIO_BLK_T_IN, 0);
	seed_desc(0, 0x300, 16, N, 1);
	seed_desc(1, 0x400, 256, N | W, 7);
	seed_desc(7, 0x500, 257, W, 0);
	seed_req(0x310, VIRTIO_BLK_T_FLUSH, 0);
	seed_desc(3, 0x310, 16, N, 4);
	seed_desc(4, 0x701, 1, W, 0);
	seed_req(0x320, VIRTIO_BLK_T_GET_ID, 0);
	seed_desc(5, 0x320, 16, N, 6);
	seed_desc(6, 0x600, 21, W, 0);
	seed_avail(0);
	seed_avail(3);
	seed_avail(5);
	seed_write(dir, "multi-wrap");
	exit(0);
}
