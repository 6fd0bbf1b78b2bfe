/* devices/virtqueue.c: split rings built by hand in a heap buffer that
 * stands in for guest RAM (ASan flags any access outside it). */
#include "tests/unit/check.h"
#include "devices/virtqueue.h"
#include "base/guest_memory.h"
#include "common/zerr.h"

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MEM   0x10000u
#define DESC  0x1000u
#define AVAIL 0x2000u
#define USED  0x3000u
#define DATA  0x8000u

static uint8_t *mem, *snap;
static struct guest_mem gm;
static struct vq_chain chain;

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = mem + DESC + 16 * i;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t rd16(uint32_t gpa)
{
	uint16_t v;
	memcpy(&v, mem + gpa, 2);
	return v;
}

static uint32_t rd32(uint32_t gpa)
{
	uint32_t v;
	memcpy(&v, mem + gpa, 4);
	return v;
}

static void wr16(uint32_t gpa, uint16_t v) { memcpy(mem + gpa, &v, 2); }

/* Driver side: publish head in the avail ring. */
static void avail_add(const struct virtq *q, uint16_t head)
{
	uint16_t idx = rd16(AVAIL + 2);
	wr16(AVAIL + 4 + 2 * (idx % q->num), head);
	wr16(AVAIL + 2, idx + 1);
}

static void setup(struct virtq *q, uint16_t num)
{
	memset(mem, 0, MEM);
	memset(q, 0, sizeof(*q));
	q->num = num;
	q->desc_gpa = DESC;
	q->avail_gpa = AVAIL;
	q->used_gpa = USED;
	if (vq_init(q, &gm) < 0)
		CHECK(0, zerr_msg());
	q->ready = true;
}

static int init_with(uint16_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq q = { .num = num, .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };
	zerr_clear();
	return vq_init(&q, &gm);
}

static void test_init(void)
{
	CHECK(init_with(8, DESC, AVAIL, USED) == 0, "vq_init accepts size 8");
	CHECK(init_with(1, DESC, AVAIL, USED) == 0, "vq_init accepts size 1");
	CHECK(init_with(1024, 0x0, 0x4000, 0x5000) == 0, "vq_init accepts size 1024");
	CHECK(init_with(0, DESC, AVAIL, USED) == -1 && zerr_msg()[0], "vq_init refuses size 0");
	CHECK(init_with(3, DESC, AVAIL, USED) == -1, "vq_init refuses size 3");
	CHECK(init_with(384, DESC, AVAIL, USED) == -1, "vq_init refuses size 384");
	CHECK(init_with(2048, DESC, AVAIL, USED) == -1, "vq_init refuses size 2048");
	CHECK(init_with(32768, DESC, AVAIL, USED) == -1, "vq_init refuses size 32768");
	CHECK(init_with(8, DESC + 8, AVAIL, USED) == -1 && zerr_msg()[0],
	      "vq_init refuses a misaligned descriptor table");
	CHECK(init_with(8, DESC, AVAIL + 1, USED) == -1, "vq_init refuses a misaligned avail ring");
	CHECK(init_with(8, DESC, AVAIL, USED + 2) == -1, "vq_init refuses a misaligned used ring");
	CHECK(init_with(8, MEM - 16 * 8 + 16, AVAIL, USED) == -1 && zerr_msg()[0],
	      "vq_init refuses a descriptor table crossing the end of RAM");
	CHECK(init_with(8, MEM - 16 * 8, AVAIL, USED) == 0,
	      "vq_init accepts a descriptor table ending at the end of RAM");
	CHECK(init_with(8, DESC, MEM - 20, USED) == -1,
	      "vq_init refuses an avail ring crossing the end of RAM");
	CHECK(init_with(8, DESC, MEM - 22, USED) == 0,
	      "vq_init accepts an avail ring ending at the end of RAM");
	CHECK(init_with(8, DESC, AVAIL, MEM - 68) == -1,
	      "vq_init refuses a used ring crossing the end of RAM");
	CHECK(init_with(8, DESC, AVAIL, MMIO_HOLE_START) == -1, "vq_init refuses a ring in the hole");
	CHECK(init_with(8, UINT64_MAX - 15, AVAIL, USED) == -1,
	      "vq_init refuses a descriptor table whose end wraps");
	CHECK(init_with(8, DESC, AVAIL, UINT64_MAX - 3) == -1, "vq_init refuses a used ring that wraps");
}

static void test_chains(void)
{
	struct virtq q;
	int r;

	setup(&q, 8);
	CHECK(vq_pop(&q, &chain) == 0 && !q.broken, "empty ring pops nothing");
	CHECK(!vq_has_avail(&q), "vq_has_avail false on an empty ring");

	/* single readable buffer */
	set_desc(3, DATA, 100, 0, 0);
	avail_add(&q, 3);
	CHECK(vq_has_avail(&q), "vq_has_avail after the driver adds a chain");
	r = vq_pop(&q, &chain);
	CHECK(r == 1 && chain.head == 3 && chain.n_out == 1 && chain.n_in == 0 &&
		      chain.out[0].addr == mem + DATA && chain.out[0].len == 100 &&
		      chain.out_len == 100 && chain.in_len == 0,
	      "single-descriptor chain");
	CHECK(q.last_avail == 1 && vq_pop(&q, &chain) == 0, "ring empty after one pop");
	vq_push(&q, 3, 0);
	CHECK(rd16(USED + 2) == 1 && rd32(USED + 4) == 3 && rd32(USED + 8) == 0,
	      "vq_push fills used ring entry 0 and used idx");

	/* readable header, two writable buffers */
	set_desc(0, DATA, 16, VRING_DESC_F_NEXT, 5);
	set_desc(5, DATA + 0x1000, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, DATA + 0x1200, 1, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	r = vq_pop(&q, &chain);
	CHECK(r == 1 && chain.head == 0 && chain.n_out == 1 && chain.n_in == 2 &&
		      chain.out[0].addr == mem + DATA && chain.out[0].len == 16 &&
		      chain.in[0].addr == mem + DATA + 0x1000 && chain.in[0].len == 512 &&
		      chain.in[1].addr == mem + DATA + 0x1200 && chain.in[1].len == 1 &&
		      chain.out_len == 16 && chain.in_len == 513,
	      "readable-then-writable chain");
	vq_push(&q, 0, 513);
	CHECK(rd16(USED + 2) == 2 && rd32(USED + 12) == 0 && rd32(USED + 16) == 513,
	      "vq_push fills used ring entry 1");

	/* several readable buffers, zero-length ones in between are skipped */
	set_desc(1, DATA, 10, VRING_DESC_F_NEXT, 4);
	set_desc(4, UINT64_MAX, 0, VRING_DESC_F_NEXT, 6);
	set_desc(6, DATA + 10, 20, VRING_DESC_F_NEXT, 7);
	set_desc(7, 0, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	set_desc(0, DATA + 100, 30, 0, 0);
	avail_add(&q, 1);
	zerr_clear();
	r = vq_pop(&q, &chain);
	CHECK(r == 1 && !q.broken && chain.n_out == 3 && chain.n_in == 0 &&
		      chain.out_len == 60 && chain.out[1].addr == mem + DATA + 10 &&
		      chain.out[2].addr == mem + DATA + 100,
	      "zero-length descriptors skipped without error");

	/* a buffer ending exactly at the end of RAM is fine */
	set_desc(2, MEM - 64, 64, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 2);
	r = vq_pop(&q, &chain);
	CHECK(r == 1 && chain.n_in == 1 && chain.in[0].addr == mem + MEM - 64,
	      "buffer ending at the end of RAM");

	/* the driver may be exactly a full ring ahead */
	setup(&q, 8);
	for (unsigned i = 0; i < 8; i++) {
		set_desc(i, DATA + 64 * i, 64, 0, 0);
		avail_add(&q, 7 - i);
	}
	r = 0;
	for (unsigned i = 0; i < 8; i++)
		if (vq_pop(&q, &chain) == 1 && chain.head == 7 - i &&
		    chain.out[0].addr == mem + DATA + 64 * (7 - i))
			r++;
	CHECK(r == 8 && vq_pop(&q, &chain) == 0 && !q.broken, "a full ring of 8 chains");

	/* 128 descriptors (VQ_MAX_CHAIN) in one chain are accepted */
	setup(&q, 256);
	for (unsigned i = 0; i < VQ_MAX_CHAIN; i++)
		set_desc(i, DATA + i, 1, i + 1 < VQ_MAX_CHAIN ? VRING_DESC_F_NEXT : 0, i + 1);
	avail_add(&q, 0);
	r = vq_pop(&q, &chain);
	CHECK(r == 1 && chain.n_out == VQ_MAX_CHAIN && chain.out_len == VQ_MAX_CHAIN &&
		      chain.out[VQ_MAX_CHAIN - 1].addr == mem + DATA + VQ_MAX_CHAIN - 1,
	      "chain of VQ_MAX_CHAIN descriptors");
}

static void test_wrap(void)
{
	struct virtq q;
	int ok = 0;

	setup(&q, 8);
	q.last_avail = 65534;
	q.used_idx = 65534;
	wr16(AVAIL + 2, 65534);
	for (unsigned i = 0; i < 4; i++) {
		set_desc(i, DATA + 16 * i, 16, VRING_DESC_F_WRITE, 0);
		avail_add(&q, i);
	}
	CHECK(rd16(AVAIL + 2) == 2 && rd16(AVAIL + 4 + 2 * 6) == 0 && rd16(AVAIL + 4 + 2 * 1) == 3,
	      "driver avail idx wrapped past 65535");
	for (unsigned i = 0; i < 4; i++) {
		if (vq_pop(&q, &chain) == 1 && chain.head == i && chain.in[0].addr == mem + DATA + 16 * i)
			ok++;
		vq_push(&q, chain.head, 100 + i);
	}
	CHECK(ok == 4 && q.last_avail == 2 && vq_pop(&q, &chain) == 0 && !q.broken,
	      "pops across the avail index wrap");
	CHECK(q.used_idx == 2 && rd16(USED + 2) == 2, "used idx wraps to 2");
	CHECK(rd32(USED + 4 + 8 * 6) == 0 && rd32(USED + 8 + 8 * 6) == 100 &&
		      rd32(USED + 4 + 8 * 7) == 1 && rd32(USED + 4 + 8 * 0) == 2 &&
		      rd32(USED + 4 + 8 * 1) == 3 && rd32(USED + 8 + 8 * 1) == 103,
	      "used ring slots 6, 7, 0, 1 filled across the wrap");

	/* more than a ring ahead across the wrap is still caught */
	setup(&q, 8);
	q.last_avail = 65533;
	wr16(AVAIL + 2, 6); /* 9 ahead */
	zerr_clear();
	CHECK(vq_pop(&q, &chain) == -1 && q.broken && zerr_msg()[0],
	      "avail idx 9 ahead across the wrap breaks the queue");
}

static void test_notify(void)
{
	struct virtq q;

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	vq_pop(&q, &chain);
	vq_push(&q, 0, 16);
	CHECK(vq_should_notify(&q, 0), "no event_idx, flags 0: notify");
	wr16(AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	CHECK(!vq_should_notify(&q, 0), "no event_idx, NO_INTERRUPT: no notify");

	/* event_idx: the used_event rule (vring_need_event) */
	setup(&q, 8);
	q.event_idx = true;
	set_desc(0, DATA, 16, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	CHECK(vq_pop(&q, &chain) == 1 && rd16(USED + 4 + 8 * 8) == 1,
	      "event_idx: vq_pop publishes avail_event = last_avail");
	vq_push(&q, 0, 16);
	wr16(AVAIL + 4 + 2 * 8, 0); /* used_event */
	CHECK(vq_should_notify(&q, 0), "event_idx: used_event 0, used 0->1: notify");
	wr16(AVAIL + 4 + 2 * 8, 1);
	CHECK(!vq_should_notify(&q, 0), "event_idx: used_event 1, used 0->1: no notify");
	wr16(AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	wr16(AVAIL + 4 + 2 * 8, 0);
	CHECK(vq_should_notify(&q, 0), "event_idx: flags ignored, used_event decides");

	q.used_idx = 1; /* pushes took used from 65535 to 1 */
	wr16(AVAIL + 4 + 2 * 8, 65535);
	CHECK(vq_should_notify(&q, 65535), "event_idx wrap: used_event 65535 in (65535-1, 1]");
	wr16(AVAIL + 4 + 2 * 8, 0);
	CHECK(vq_should_notify(&q, 65535), "event_idx wrap: used_event 0 in (65535, 1]");
	wr16(AVAIL + 4 + 2 * 8, 1);
	CHECK(!vq_should_notify(&q, 65535), "event_idx wrap: used_event 1 not reached");
	wr16(AVAIL + 4 + 2 * 8, 65534);
	CHECK(!vq_should_notify(&q, 65535), "event_idx wrap: used_event 65534 already passed");
	CHECK(!vq_should_notify(&q, 1), "event_idx: nothing pushed, no notify");
}

/* Run a malformed chain: -1, broken, message, no guest memory written,
 * and the queue stays dead afterwards. */
static void expect_broken(struct virtq *q, const char *name)
{
	char label[200];
	int r;

	memcpy(snap, mem, MEM);
	zerr_clear();
	r = vq_pop(q, &chain);
	snprintf(label, sizeof(label), "%s: -1, queue broken (%s)", name, zerr_msg());
	CHECK(r == -1 && q->broken && zerr_msg()[0] && q->last_avail == 0, label);
	snprintf(label, sizeof(label), "%s: guest memory untouched", name);
	CHECK(!memcmp(snap, mem, MEM), label);
	/* the driver "fixes" the ring: a broken queue still pops nothing */
	set_desc(0, DATA, 1, 0, 0);
	wr16(AVAIL + 4, 0);
	wr16(AVAIL + 2, 1);
	snprintf(label, sizeof(label), "%s: later vq_pop returns 0", name);
	CHECK(vq_pop(q, &chain) == 0 && !vq_has_avail(q), label);
}

static void test_malformed(void)
{
	struct virtq q;

	setup(&q, 8);
	set_desc(0, MEM, 1, 0, 0);
	avail_add(&q, 0);
	expect_broken(&q, "descriptor address past RAM");

	setup(&q, 8);
	set_desc(0, MEM - 10, 11, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	expect_broken(&q, "descriptor length runs past RAM");

	setup(&q, 8);
	set_desc(0, 0, UINT32_MAX, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	expect_broken(&q, "descriptor length 4 GiB");

	setup(&q, 8);
	set_desc(0, UINT64_MAX - 3, 8, 0, 0);
	avail_add(&q, 0);
	expect_broken(&q, "descriptor addr+len wraps");

	setup(&q, 8);
	set_desc(0, MMIO_HOLE_START, 16, 0, 0);
	avail_add(&q, 0);
	expect_broken(&q, "descriptor in the MMIO hole");

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, DATA + 16, 16, VRING_DESC_F_NEXT, 2);
	set_desc(2, MEM + 4096, 16, VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	expect_broken(&q, "bad address in the third descriptor");

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_NEXT, 8);
	avail_add(&q, 0);
	expect_broken(&q, "next index == queue size");

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_NEXT, 0xffff);
	avail_add(&q, 0);
	expect_broken(&q, "next index 0xffff");

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, DATA, 16, VRING_DESC_F_NEXT, 0);
	avail_add(&q, 0);
	expect_broken(&q, "loop a->b->a");

	setup(&q, 8);
	set_desc(5, 0, 0, VRING_DESC_F_NEXT, 5);
	avail_add(&q, 5);
	expect_broken(&q, "zero-length self loop");

	setup(&q, 256);
	set_desc(10, DATA, 1, VRING_DESC_F_NEXT, 11);
	set_desc(11, DATA, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 10);
	avail_add(&q, 10);
	expect_broken(&q, "loop in a 256-entry queue");

	setup(&q, 256);
	for (unsigned i = 0; i <= VQ_MAX_CHAIN; i++)
		set_desc(i, DATA + i, 1, i < VQ_MAX_CHAIN ? VRING_DESC_F_NEXT : 0, i + 1);
	avail_add(&q, 0);
	expect_broken(&q, "chain of VQ_MAX_CHAIN + 1 descriptors");

	setup(&q, 8);
	avail_add(&q, 8);
	expect_broken(&q, "head index == queue size");

	setup(&q, 8);
	avail_add(&q, 0xffff);
	expect_broken(&q, "head index 0xffff");

	setup(&q, 8);
	set_desc(0, DATA, 16, 0, 0);
	wr16(AVAIL + 2, 9);
	expect_broken(&q, "avail idx 9 ahead of a ring of 8");

	setup(&q, 8);
	wr16(AVAIL + 2, 0x8000);
	expect_broken(&q, "avail idx 0x8000 ahead");

	setup(&q, 8);
	set_desc(0, DATA, 16 * 4, VRING_DESC_F_INDIRECT, 0);
	avail_add(&q, 0);
	expect_broken(&q, "indirect head descriptor");

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, DATA + 64, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	avail_add(&q, 0);
	expect_broken(&q, "indirect second descriptor");

	setup(&q, 8);
	set_desc(0, DATA, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, DATA + 16, 16, 0, 0);
	avail_add(&q, 0);
	expect_broken(&q, "readable after writable");

	/* a queue that is not ready pops nothing and reads no ring */
	setup(&q, 8);
	q.ready = false;
	set_desc(0, DATA, 16, 0, 0);
	avail_add(&q, 0);
	CHECK(vq_pop(&q, &chain) == 0 && !q.broken && q.last_avail == 0,
	      "queue not ready: vq_pop returns 0");
	/* vq_reset brings a broken queue back to a clean, unready state */
	q.ready = true;
	q.broken = true;
	vq_reset(&q);
	CHECK(!q.broken && !q.ready && q.num == 0 && q.last_avail == 0 && q.mem == &gm,
	      "vq_reset clears broken state and keeps the memory");
}

static void test_copy(void)
{
	struct vq_chain c = { 0 };
	uint8_t out[40], in[40];

	for (unsigned i = 0; i < 40; i++)
		mem[DATA + i] = (uint8_t)i;
	memset(mem + DATA + 0x100, 0, 64);
	c.n_out = 3;
	c.out[0] = (struct vq_buf){ mem + DATA, 10 };
	c.out[1] = (struct vq_buf){ mem + DATA + 10, 5 };
	c.out[2] = (struct vq_buf){ mem + DATA + 15, 25 };
	c.n_in = 2;
	c.in[0] = (struct vq_buf){ mem + DATA + 0x100, 7 };
	c.in[1] = (struct vq_buf){ mem + DATA + 0x107, 9 };
	memset(out, 0xee, sizeof(out));
	CHECK(vq_copy_from_out(&c, 8, out, 20) == 20 && out[0] == 8 && out[19] == 27 &&
		      out[20] == 0xee,
	      "vq_copy_from_out across buffers at an offset");
	CHECK(vq_copy_from_out(&c, 35, out, 20) == 5 && out[4] == 39,
	      "vq_copy_from_out stops at the end of the chain");
	CHECK(vq_copy_from_out(&c, 100, out, 20) == 0, "vq_copy_from_out past the end copies nothing");
	memset(in, 0x5a, sizeof(in));
	CHECK(vq_copy_to_in(&c, 5, in, 40) == 11 && mem[DATA + 0x104] == 0 &&
		      mem[DATA + 0x105] == 0x5a && mem[DATA + 0x10f] == 0x5a &&
		      mem[DATA + 0x110] == 0,
	      "vq_copy_to_in bounded by the writable buffers");
}

int main(void)
{
	mem = malloc(MEM);
	snap = malloc(MEM);
	if (!mem || !snap)
		return 2;
	gmem_wrap(&gm, mem, MEM);
	test_init();
	test_chains();
	test_wrap();
	test_notify();
	test_malformed();
	test_copy();
	free(mem);
	free(snap);
	CHECK_DONE();
}
