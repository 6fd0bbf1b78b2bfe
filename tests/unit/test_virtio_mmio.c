/* devices/virtio_mmio.c: the transport's register logic, driven through
 * virtio_mmio_access like a vCPU MMIO exit would, with a fake device and
 * with the real virtio-rng. */
#include "tests/unit/check.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_rng.h"
#include "common/zerr.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MEM  0x10000u
#define DATA 0x8000u
#define CFG_LEN 12
#define F_FAKE0 (1ULL << 0)
#define F_FAKE5 (1ULL << 5)
#define F_EVIDX (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_V1    (1ULL << VIRTIO_F_VERSION_1)
#define S_ACK   VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV   VIRTIO_CONFIG_S_DRIVER
#define S_FOK   VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK   VIRTIO_CONFIG_S_DRIVER_OK
#define S_RESET VIRTIO_CONFIG_S_NEEDS_RESET

static uint8_t *mem;
static struct guest_mem gm;
static struct vq_chain chain;
static int notified, activated, resets, cfg_writes;
static uint32_t cfg_write_off, cfg_write_len;

/* A fake device: answers every chain with "ok". */
static void fake_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtq *q = &d->vqs[qi];
	uint16_t old = q->used_idx;
	int r;

	notified++;
	while ((r = vq_pop(q, &chain)) > 0)
		vq_push(q, chain.head, vq_copy_to_in(&chain, 0, "ok", 2));
	if (r < 0)
		virtio_device_error(d, zerr_msg());
	virtio_signal_used(d, qi, old);
}
static void fake_activate(struct virtio_dev *d) { activated++; }
static void fake_reset(struct virtio_dev *d) { resets++; }
static void fake_config_write(struct virtio_dev *d, uint32_t off, uint32_t len)
{
	cfg_writes++;
	cfg_write_off = off;
	cfg_write_len = len;
}

static const struct virtio_dev_ops fake_ops = {
	.name = "fake",
	.device_id = 42,
	.features = F_FAKE0 | F_EVIDX,
	.num_queues = 2,
	.queue_max = 16,
	.queue_notify = fake_notify,
	.activate = fake_activate,
	.reset = fake_reset,
	.config_write = fake_config_write,
};

static uint32_t rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, true);
}

static void wr_features(struct virtio_dev *d, uint64_t f)
{
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
}

static void setup_queue(struct virtio_dev *d, unsigned qi, uint32_t num, uint64_t desc,
			uint64_t avail, uint64_t used)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

static uint16_t rd16(uint32_t gpa)
{
	uint16_t v;
	memcpy(&v, mem + gpa, 2);
	return v;
}

/* Driver side of queue 0 (rings at 0x1000/0x2000/0x3000): one writable
 * buffer of len bytes at DATA. */
static void post_buffer(uint32_t len, uint16_t flags)
{
	uint64_t addr = DATA;
	uint16_t idx = rd16(0x2002), head = idx % 8;
	uint8_t *desc = mem + 0x1000 + 16 * head;

	memcpy(desc, &addr, 8);
	memcpy(desc + 8, &len, 4);
	flags |= VRING_DESC_F_WRITE;
	memcpy(desc + 12, &flags, 2);
	memcpy(mem + 0x2004 + 2 * (idx % 8), &head, 2);
	idx++;
	memcpy(mem + 0x2002, &idx, 2);
}

/* The whole driver init sequence up to DRIVER_OK with queue 0 live. */
static void bring_up(struct virtio_dev *d)
{
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	wr_features(d, F_FAKE0 | F_V1);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	setup_queue(d, 0, 8, 0x1000, 0x2000, 0x3000);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
}

static void test_ids(struct virtio_dev *d)
{
	CHECK(rd(d, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976, "magic 'virt'");
	CHECK(rd(d, VIRTIO_MMIO_VERSION) == 2, "version 2 (modern)");
	CHECK(rd(d, VIRTIO_MMIO_DEVICE_ID) == 42, "device id from ops");
	CHECK(rd(d, VIRTIO_MMIO_VENDOR_ID) != 0xdeadbeef, "vendor id read");
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(d, VIRTIO_MMIO_DEVICE_FEATURES) == (uint32_t)(F_FAKE0 | F_EVIDX),
	      "device features, low word");
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(rd(d, VIRTIO_MMIO_DEVICE_FEATURES) == 1, "device features, high word has VERSION_1");
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK(rd(d, VIRTIO_MMIO_DEVICE_FEATURES) == 0, "device features, word 7 is 0");
	CHECK(rd(d, VIRTIO_MMIO_STATUS) == 0, "status starts at 0");
	wr(d, VIRTIO_MMIO_MAGIC_VALUE, 0);
	CHECK(rd(d, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976, "magic is read-only");
	wr(d, VIRTIO_MMIO_SHM_SEL, 0);
	CHECK(rd(d, VIRTIO_MMIO_SHM_LEN_LOW) == 0xffffffff &&
		      rd(d, VIRTIO_MMIO_SHM_LEN_HIGH) == 0xffffffff,
	      "no shared memory region: length reads as -1");
}

static void test_features(struct virtio_dev *d)
{
	uint32_t st;

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	wr_features(d, F_FAKE0 | F_FAKE5 | F_V1);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	st = rd(d, VIRTIO_MMIO_STATUS);
	CHECK(!(st & S_FOK) && (st & S_DRV), "feature not offered: FEATURES_OK not latched");

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	wr_features(d, F_FAKE0);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	CHECK(!(rd(d, VIRTIO_MMIO_STATUS) & S_FOK), "no VERSION_1: FEATURES_OK refused");

	/* refused features with DRIVER_OK in the same write: not activated */
	activated = 0;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr_features(d, F_FAKE5 | F_V1);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	st = rd(d, VIRTIO_MMIO_STATUS);
	CHECK(!(st & S_FOK) && !(st & S_DOK) && activated == 0,
	      "DRIVER_OK without accepted features is not honoured");

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	wr_features(d, F_FAKE0 | F_EVIDX | F_V1);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	CHECK((rd(d, VIRTIO_MMIO_STATUS) & S_FOK) && d->vqs[0].event_idx && d->vqs[1].event_idx,
	      "offered subset with VERSION_1: FEATURES_OK latched, event_idx on");
	wr_features(d, F_FAKE5 | F_V1);
	CHECK(d->driver_features == (F_FAKE0 | F_EVIDX | F_V1),
	      "driver features frozen after FEATURES_OK");

	wr(d, VIRTIO_MMIO_STATUS, 0);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) == 0 && d->driver_features == 0 && !d->vqs[0].event_idx,
	      "reset clears status and features");
}

static void test_queues(struct virtio_dev *d)
{
	int before;

	memset(mem, 0, MEM);
	notified = activated = 0;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 16 && rd(d, VIRTIO_MMIO_QUEUE_READY) == 0,
	      "queue 0: NUM_MAX 16, not ready");
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0, "queue 2 of 2 does not exist");
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(rd(d, VIRTIO_MMIO_QUEUE_READY) == 0 && !(rd(d, VIRTIO_MMIO_STATUS) & S_RESET),
	      "QueueReady on a missing queue is ignored");
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, 8);
	CHECK(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0, "queue_sel 0xffffffff ignored");

	bring_up(d);
	CHECK(activated == 1 && (rd(d, VIRTIO_MMIO_STATUS) & S_DOK), "DRIVER_OK activates once");
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(rd(d, VIRTIO_MMIO_QUEUE_READY) == 1 && rd(d, VIRTIO_MMIO_QUEUE_DESC_LOW) == 0x1000 &&
		      rd(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW) == 0x2000 &&
		      rd(d, VIRTIO_MMIO_QUEUE_USED_LOW) == 0x3000 &&
		      rd(d, VIRTIO_MMIO_QUEUE_USED_HIGH) == 0,
	      "queue 0 ready with its ring addresses");
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, 4);
	CHECK(rd(d, VIRTIO_MMIO_QUEUE_DESC_LOW) == 0x1000 && d->vqs[0].num == 8,
	      "ring layout frozen while the queue is live");

	post_buffer(16, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(notified == 1 && rd16(0x3002) == 1 && !memcmp(mem + DATA, "ok", 2),
	      "QueueNotify runs the device, used idx 1");
	CHECK(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING, "used-buffer interrupt");
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) == 0, "InterruptACK clears it");
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 9);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	CHECK(notified == 1, "notify of a non-ready or missing queue is ignored");

	/* bad ring addresses at QueueReady: NEEDS_RESET, queue stays down */
	setup_queue(d, 1, 8, MEM + 0x1000, 0x5000, 0x6000);
	CHECK((rd(d, VIRTIO_MMIO_STATUS) & S_RESET) && rd(d, VIRTIO_MMIO_QUEUE_READY) == 0,
	      "descriptor table outside RAM: NEEDS_RESET, not ready");
	before = notified;
	post_buffer(16, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(notified == before, "device in NEEDS_RESET ignores notifies");
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) & S_RESET, "NEEDS_RESET survives a status write");

	/* reset, then the device works again */
	resets = 0;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) == 0 && resets == 1 && !d->vqs[0].ready &&
		      !d->vqs[1].ready && d->vqs[1].num == 0,
	      "status 0 resets the device and its queues");
	memset(mem, 0, MEM);
	bring_up(d);
	post_buffer(16, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(!(rd(d, VIRTIO_MMIO_STATUS) & S_RESET) && rd16(0x3002) == 1,
	      "device works again after reset");

	/* NEEDS_RESET set before DRIVER_OK must survive DRIVER_OK */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	wr_features(d, F_FAKE0 | F_V1);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	setup_queue(d, 0, 6, 0x1000, 0x2000, 0x3000);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) & S_RESET, "queue size 6: NEEDS_RESET");
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) & S_RESET, "NEEDS_RESET survives DRIVER_OK");

	wr(d, VIRTIO_MMIO_STATUS, 0);
	setup_queue(d, 0, 32, 0x1000, 0x2000, 0x3000);
	CHECK((rd(d, VIRTIO_MMIO_STATUS) & S_RESET) && !d->vqs[0].ready,
	      "queue size above NUM_MAX: NEEDS_RESET");
	wr(d, VIRTIO_MMIO_STATUS, 0);
	setup_queue(d, 0, 8, 0x1000, 0x2001, 0x3000);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) & S_RESET, "misaligned avail ring: NEEDS_RESET");
	wr(d, VIRTIO_MMIO_STATUS, 0);
	setup_queue(d, 0, 8, 0x1000, 0x2000, 0x100003000ULL);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) & S_RESET, "used ring above 4 GiB (no RAM): NEEDS_RESET");

	/* a malformed chain at runtime: NEEDS_RESET + config interrupt */
	memset(mem, 0, MEM);
	bring_up(d);
	post_buffer(MEM, 0); /* runs past the end of RAM */
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK((rd(d, VIRTIO_MMIO_STATUS) & S_RESET) && d->vqs[0].broken &&
		      (rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG),
	      "malformed chain: NEEDS_RESET and a config interrupt");
	memset(mem, 0, MEM);
	bring_up(d);
	post_buffer(16, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(!d->vqs[0].broken && rd16(0x3002) == 1, "queue usable again after reset");
}

static void test_odd_accesses(struct virtio_dev *d)
{
	uint8_t buf[16];
	uint32_t st;

	bring_up(d);
	st = rd(d, VIRTIO_MMIO_STATUS);
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_MAGIC_VALUE, buf, 1, false);
	CHECK(buf[0] == 0 && buf[1] == 0xcc, "1-byte register read returns 0");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_MAGIC_VALUE, buf, 2, false);
	CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0xcc, "2-byte register read returns 0");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_MAGIC_VALUE + 2, buf, 4, false);
	CHECK(!memcmp(buf, "\0\0\0\0", 4), "misaligned 4-byte register read returns 0");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_MAGIC_VALUE, buf, 8, false);
	CHECK(!memcmp(buf, "\0\0\0\0\0\0\0\0", 8) && buf[8] == 0xcc, "8-byte register read returns 0");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_MAGIC_VALUE, buf, 16, false);
	CHECK(buf[7] == 0 && buf[8] == 0xcc, "16-byte read writes at most 8 bytes");
	virtio_mmio_access(d, VIRTIO_MMIO_MAGIC_VALUE, buf, 0, false);
	memset(buf, 0, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_STATUS, buf, 1, true);
	virtio_mmio_access(d, VIRTIO_MMIO_STATUS, buf, 2, true);
	virtio_mmio_access(d, VIRTIO_MMIO_STATUS + 1, buf, 4, true);
	virtio_mmio_access(d, VIRTIO_MMIO_STATUS, buf, 8, true);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) == st, "odd-sized status writes are ignored");
	CHECK(rd(d, 0x0fc + 4 * 0) != 0xdeadbeef && rd(d, 0x0e0) == 0, "unknown register reads 0");
	wr(d, 0x0e0, 0x12345678);
	CHECK(rd(d, VIRTIO_MMIO_STATUS) == st, "write to an unknown register ignored");
}

static void test_config(struct virtio_dev *d, uint8_t *cfg)
{
	uint8_t buf[8];

	for (int i = 0; i < CFG_LEN; i++)
		cfg[i] = 0xa0 + i;
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG, buf, 4, false);
	CHECK(!memcmp(buf, cfg, 4), "config read at 0");
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + 4, buf, 8, false);
	CHECK(!memcmp(buf, cfg + 4, 8), "config read of the last 8 bytes");
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + CFG_LEN - 1, buf, 1, false);
	CHECK(buf[0] == cfg[CFG_LEN - 1], "config read of the last byte");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + CFG_LEN - 2, buf, 4, false);
	CHECK(!memcmp(buf, "\0\0\0\0", 4), "config read crossing config_len returns zeros");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + CFG_LEN, buf, 4, false);
	CHECK(!memcmp(buf, "\0\0\0\0", 4), "config read at config_len returns zeros");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, 0x1ff, buf, 1, false);
	virtio_mmio_access(d, 0xfff, buf + 1, 1, false);
	virtio_mmio_access(d, UINT64_MAX - 1, buf + 2, 2, false);
	CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0,
	      "reads far beyond config space return zeros");

	cfg_writes = 0;
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + 2, (uint8_t *)"\x11\x22", 2, true);
	CHECK(cfg[2] == 0x11 && cfg[3] == 0x22 && cfg[4] == 0xa4 && cfg_writes == 1 &&
		      cfg_write_off == 2 && cfg_write_len == 2,
	      "config write lands and is reported to the device");
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + CFG_LEN - 1, (uint8_t *)"\x33\x44", 2, true);
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG + CFG_LEN, (uint8_t *)"\x55", 1, true);
	virtio_mmio_access(d, UINT64_MAX, (uint8_t *)"\x55", 1, true);
	CHECK(cfg[CFG_LEN - 1] == 0xa0 + CFG_LEN - 1 && cfg_writes == 1,
	      "config writes beyond config_len are dropped");
}

static void test_rng(void)
{
	struct virtio_dev *d = virtio_rng_new(&gm, NULL);
	uint8_t buf[4];
	bool nonzero = false;

	CHECK(d != NULL, "virtio_rng_new without a loop");
	if (!d)
		return;
	CHECK(rd(d, VIRTIO_MMIO_DEVICE_ID) == 4, "virtio-rng device id 4");
	memset(buf, 0xcc, sizeof(buf));
	virtio_mmio_access(d, VIRTIO_MMIO_CONFIG, buf, 4, false);
	CHECK(!memcmp(buf, "\0\0\0\0", 4), "virtio-rng has no config space: zeros");
	memset(mem, 0, MEM);
	bring_up(d);
	CHECK((rd(d, VIRTIO_MMIO_STATUS) & (S_FOK | S_DOK)) == 0,
	      "virtio-rng refuses a feature it does not offer");
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr_features(d, F_V1);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	setup_queue(d, 0, 8, 0x1000, 0x2000, 0x3000);
	wr(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	post_buffer(64, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (int i = 0; i < 64; i++)
		nonzero |= mem[DATA + i] != 0;
	CHECK(rd16(0x3002) == 1 && nonzero && mem[DATA + 64] == 0,
	      "virtio-rng fills exactly the posted buffer");
	free(d);
}

int main(void)
{
	struct virtio_dev dev;
	uint8_t *cfg = malloc(CFG_LEN);

	mem = malloc(MEM);
	if (!mem || !cfg)
		return 2;
	memset(mem, 0, MEM);
	gmem_wrap(&gm, mem, MEM);
	CHECK(virtio_dev_init(&dev, &fake_ops, NULL, cfg, CFG_LEN, &gm, NULL) == 0,
	      "virtio_dev_init");
	test_ids(&dev);
	test_features(&dev);
	test_queues(&dev);
	test_odd_accesses(&dev);
	test_config(&dev, cfg);
	test_rng();
	free(mem);
	free(cfg);
	CHECK_DONE();
}
