/* devices/virtio_blk.c: virtio_blk_handle on hand-built request chains
 * against a temporary disk file. */
#include "tests/unit/check.h"
#include "devices/virtio_blk.h"

#include <linux/virtio_blk.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTORS 8
#define DISK    (SECTORS * 512)

static int fd;
static uint8_t *buf; /* stands in for guest memory */
static uint8_t disk[DISK];
static struct vq_chain c;
static size_t used; /* bump allocator in buf */

static uint8_t *gbuf(size_t n)
{
	uint8_t *p = buf + used;
	used += n;
	return p;
}

static void reset_disk(void)
{
	for (int i = 0; i < DISK; i++)
		disk[i] = (uint8_t)(i * 7 + i / 512);
	if (pwrite(fd, disk, DISK, 0) != DISK || ftruncate(fd, DISK) < 0)
		abort();
}

static bool disk_is(const uint8_t *want)
{
	uint8_t now[DISK];
	return pread(fd, now, DISK, 0) == DISK && !memcmp(now, want, DISK);
}

static void chain_start(void)
{
	memset(&c, 0, sizeof(c));
	memset(buf, 0xee, 65536);
	used = 0;
}

static void out_buf(uint8_t *p, uint32_t len)
{
	c.out[c.n_out++] = (struct vq_buf){ p, len };
	c.out_len += len;
}

static void in_buf(uint8_t *p, uint32_t len)
{
	c.in[c.n_in++] = (struct vq_buf){ p, len };
	c.in_len += len;
}

static uint8_t *hdr(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	uint8_t *p = gbuf(sizeof(h));
	memcpy(p, &h, sizeof(h));
	out_buf(p, sizeof(h));
	return p;
}

/* A read request: header, n data bytes in one buffer, separate status. */
static uint8_t *read_req(uint64_t sector, uint32_t n, uint8_t **status)
{
	uint8_t *data;

	chain_start();
	hdr(VIRTIO_BLK_T_IN, sector);
	data = gbuf(n);
	in_buf(data, n);
	*status = gbuf(1);
	in_buf(*status, 1);
	return data;
}

static void test_read(void)
{
	uint8_t *data, *st, *a, *b, *d;
	uint32_t r;

	reset_disk();
	data = read_req(2, 1024, &st);
	r = virtio_blk_handle(fd, SECTORS, false, &c);
	CHECK(r == 1025 && *st == VIRTIO_BLK_S_OK && !memcmp(data, disk + 1024, 1024),
	      "read 2 sectors at sector 2");
	data = read_req(SECTORS - 1, 512, &st);
	r = virtio_blk_handle(fd, SECTORS, true, &c);
	CHECK(r == 513 && *st == VIRTIO_BLK_S_OK && !memcmp(data, disk + DISK - 512, 512),
	      "read the last sector (read-only disk)");

	/* data split over odd-sized buffers, status sharing the last one,
	 * header split over two readable buffers */
	chain_start();
	a = gbuf(8);
	b = gbuf(8);
	{
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN, .sector = 1 };
		memcpy(a, &h, 8);
		memcpy(b, (uint8_t *)&h + 8, 8);
	}
	out_buf(a, 8);
	out_buf(b, 8);
	a = gbuf(100);
	b = gbuf(300);
	d = gbuf(113);
	in_buf(a, 100);
	in_buf(b, 300);
	in_buf(d, 113);
	r = virtio_blk_handle(fd, SECTORS, false, &c);
	CHECK(r == 513 && d[112] == VIRTIO_BLK_S_OK && !memcmp(a, disk + 512, 100) &&
		      !memcmp(b, disk + 612, 300) && !memcmp(d, disk + 912, 112),
	      "read scattered over 3 buffers, split header");
	CHECK(buf[used] == 0xee, "read wrote nothing past the chain");

	/* status only: a zero-length read */
	chain_start();
	hdr(VIRTIO_BLK_T_IN, 0);
	st = gbuf(1);
	in_buf(st, 1);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 1 && *st == VIRTIO_BLK_S_OK,
	      "zero-length read");

	/* the file shrank under us: reads past EOF come back as zeros */
	if (ftruncate(fd, 3 * 512) < 0)
		abort();
	data = read_req(2, 1024, &st);
	r = virtio_blk_handle(fd, SECTORS, false, &c);
	CHECK(r == 1025 && *st == VIRTIO_BLK_S_OK && !memcmp(data, disk + 1024, 512) &&
		      data[512] == 0 && data[1023] == 0,
	      "read past the end of a shrunken file gives zeros");
	reset_disk();
}

static void test_write(void)
{
	uint8_t want[DISK], *p, *st, *data;
	uint32_t r;

	reset_disk();
	memcpy(want, disk, DISK);
	chain_start();
	hdr(VIRTIO_BLK_T_OUT, 3);
	p = gbuf(512);
	memset(p, 0x5a, 512);
	out_buf(p, 512);
	st = gbuf(1);
	in_buf(st, 1);
	memset(want + 3 * 512, 0x5a, 512);
	r = virtio_blk_handle(fd, SECTORS, false, &c);
	CHECK(r == 1 && *st == VIRTIO_BLK_S_OK && disk_is(want), "write one sector");

	/* header and data in one readable buffer, data split again */
	chain_start();
	p = gbuf(16 + 700);
	{
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_OUT, .sector = 5 };
		memcpy(p, &h, 16);
	}
	for (int i = 0; i < 1536; i++)
		buf[16 + i] = (uint8_t)(i ^ 0x33);
	out_buf(p, 16 + 700);
	out_buf(gbuf(836), 836);
	st = gbuf(1);
	in_buf(st, 1);
	memcpy(want + 5 * 512, buf + 16, 1536);
	r = virtio_blk_handle(fd, SECTORS, false, &c);
	CHECK(r == 1 && *st == VIRTIO_BLK_S_OK && disk_is(want),
	      "write 3 sectors with header and data sharing a buffer");

	/* round trip: read back what was written */
	data = read_req(5, 1536, &st);
	r = virtio_blk_handle(fd, SECTORS, false, &c);
	CHECK(r == 1537 && *st == VIRTIO_BLK_S_OK && !memcmp(data, want + 5 * 512, 1536),
	      "round trip: read returns the written data");

	/* read-only disk refuses writes */
	chain_start();
	hdr(VIRTIO_BLK_T_OUT, 0);
	p = gbuf(512);
	memset(p, 0x77, 512);
	out_buf(p, 512);
	st = gbuf(1);
	in_buf(st, 1);
	r = virtio_blk_handle(fd, SECTORS, true, &c);
	CHECK(r == 1 && *st == VIRTIO_BLK_S_IOERR && disk_is(want), "write to read-only: IOERR");
}

static void expect_ioerr(const char *name, bool ro)
{
	uint8_t before[DISK];
	uint8_t *st = c.in[c.n_in - 1].addr + c.in[c.n_in - 1].len - 1;
	uint32_t r;
	bool data_untouched = true;

	if (pread(fd, before, DISK, 0) != DISK)
		abort();
	r = virtio_blk_handle(fd, SECTORS, ro, &c);
	for (unsigned i = 0; i < c.n_in; i++)
		for (uint32_t j = 0; j < c.in[i].len; j++)
			if (c.in[i].addr + j != st && c.in[i].addr[j] != 0xee)
				data_untouched = false;
	CHECK(r == 1 && *st == VIRTIO_BLK_S_IOERR && data_untouched && disk_is(before), name);
}

static void test_errors(void)
{
	uint8_t *st, *p;

	reset_disk();
	read_req(SECTORS, 512, &st);
	expect_ioerr("read at sector == capacity: IOERR", false);
	read_req(SECTORS - 1, 1024, &st);
	expect_ioerr("read running past the last sector: IOERR", false);
	read_req(4, 5 * 512, &st);
	expect_ioerr("read 5 sectors at 4 of 8: IOERR", false);
	read_req(UINT64_MAX, 512, &st);
	expect_ioerr("read at sector UINT64_MAX: IOERR", false);
	read_req(UINT64_MAX / 512 + 1, 512, &st);
	expect_ioerr("read where sector * 512 overflows: IOERR", false);
	read_req(0, 100, &st);
	expect_ioerr("read of 100 bytes (not a sector multiple): IOERR", false);
	read_req(0, 513, &st);
	expect_ioerr("read of 513 bytes: IOERR", false);

	chain_start();
	hdr(VIRTIO_BLK_T_OUT, SECTORS - 1);
	p = gbuf(1024);
	out_buf(p, 1024);
	st = gbuf(1);
	in_buf(st, 1);
	expect_ioerr("write past the last sector: IOERR", false);
	chain_start();
	hdr(VIRTIO_BLK_T_OUT, UINT64_MAX - 1);
	out_buf(gbuf(512), 512);
	in_buf(gbuf(1), 1);
	expect_ioerr("write at sector UINT64_MAX-1: IOERR", false);
	chain_start();
	hdr(VIRTIO_BLK_T_OUT, 0);
	out_buf(gbuf(511), 511);
	in_buf(gbuf(1), 1);
	expect_ioerr("write of 511 bytes: IOERR", false);

	/* header shorter than 16 bytes, or missing */
	chain_start();
	p = gbuf(8);
	memset(p, 0, 8);
	out_buf(p, 8);
	in_buf(gbuf(513), 513);
	expect_ioerr("8-byte header: IOERR", false);
	chain_start();
	in_buf(gbuf(513), 513);
	expect_ioerr("no header at all: IOERR", false);

	/* I/O error from the host: a bad fd */
	{
		int saved = fd;
		uint8_t *data = read_req(0, 512, &st);
		fd = -1;
		CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 1 &&
			      *st == VIRTIO_BLK_S_IOERR && data[0] == 0xee,
		      "host read error: IOERR, nothing reported written");
		fd = saved;
	}

	/* unknown request type */
	chain_start();
	hdr(0x1234, 0);
	st = gbuf(1);
	in_buf(st, 1);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 1 && *st == VIRTIO_BLK_S_UNSUPP,
	      "unknown type: UNSUPP");

	/* nowhere to put a status: dropped, nothing written */
	chain_start();
	hdr(VIRTIO_BLK_T_IN, 0);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 0 && buf[used] == 0xee,
	      "read without a writable byte is dropped");
	chain_start();
	hdr(VIRTIO_BLK_T_GET_ID, 0);
	in_buf(gbuf(0), 0);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 0 && buf[used] == 0xee,
	      "chain whose writable part is empty is dropped");
	chain_start();
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 0, "empty chain is dropped");
}

static void test_flush_getid(void)
{
	uint8_t *st, *id;

	chain_start();
	hdr(VIRTIO_BLK_T_FLUSH, 0);
	st = gbuf(1);
	in_buf(st, 1);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 1 && *st == VIRTIO_BLK_S_OK, "flush");
	*st = 0xee;
	CHECK(virtio_blk_handle(fd, SECTORS, true, &c) == 1 && *st == VIRTIO_BLK_S_OK,
	      "flush on a read-only disk");

	chain_start();
	hdr(VIRTIO_BLK_T_GET_ID, 0);
	id = gbuf(VIRTIO_BLK_ID_BYTES);
	in_buf(id, VIRTIO_BLK_ID_BYTES);
	st = gbuf(1);
	in_buf(st, 1);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == VIRTIO_BLK_ID_BYTES + 1 &&
		      *st == VIRTIO_BLK_S_OK && !strcmp((char *)id, "zone-disk") &&
		      id[VIRTIO_BLK_ID_BYTES - 1] == 0,
	      "get-id fills 20 bytes");
	chain_start();
	hdr(VIRTIO_BLK_T_GET_ID, 0);
	id = gbuf(6);
	in_buf(id, 6);
	CHECK(virtio_blk_handle(fd, SECTORS, false, &c) == 6 && !memcmp(id, "zone-", 5) &&
		      id[5] == VIRTIO_BLK_S_OK && buf[used] == 0xee,
	      "get-id truncated to a 5-byte buffer");
}

int main(void)
{
	char path[] = "/tmp/zone-test-blk-XXXXXX";

	fd = mkstemp(path);
	buf = malloc(65536);
	if (fd < 0 || !buf)
		return 2;
	unlink(path);
	test_read();
	test_write();
	test_errors();
	test_flush_getid();
	close(fd);
	free(buf);
	CHECK_DONE();
}
