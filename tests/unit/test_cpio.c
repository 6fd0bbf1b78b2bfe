/* common/cpio.c (newc writer + cpio_validate) and common/util.c
 * (parse_size, parse_uint, write_file_atomic). */
#include "tests/unit/check.h"
#include "common/cpio.h"
#include "common/util.h"
#include "common/zerr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t hexfield(const uint8_t *h, int i)
{
	char f[9];
	memcpy(f, h + 6 + 8 * i, 8);
	f[8] = 0;
	return (uint32_t)strtoul(f, NULL, 16);
}

static void build(struct cpio *c, const char *tag)
{
	static const char data[] = "0123456789abcdef";
	char name[64];

	memset(c, 0, sizeof(*c));
	snprintf(name, sizeof(name), "%s", tag);
	CHECK(cpio_add_dir(c, name, 0755) == 0, "cpio_add_dir");
	/* file sizes 0..5 exercise every padding case */
	for (int i = 0; i <= 5; i++) {
		snprintf(name, sizeof(name), "%s/f%d%.*s", tag, i, i, "xxxxx");
		if (cpio_add_file(c, name, 0644, data, i) < 0)
			CHECK(0, "cpio_add_file");
	}
	CHECK(cpio_add_symlink(c, "bin/sh", "/bin/busybox") == 0, "cpio_add_symlink");
	CHECK(cpio_add_chardev(c, "dev/console", 0600, 5, 1) == 0, "cpio_add_chardev");
	CHECK(cpio_add(c, "etc/passwd", S_IFREG | 0600, 1000, 1000, "root:x:0:0\n", 11) == 0,
	      "cpio_add with uid/gid");
	CHECK(cpio_finish(c) == 0, "cpio_finish");
}

static void test_writer(void)
{
	struct cpio c;
	size_t off = 0;
	int entries = 0;
	bool aligned = true, found_passwd = false, found_dev = false, trailer = false;

	build(&c, "zone");
	CHECK(c.len % 4 == 0 && c.len > 110, "archive length is 4-byte aligned");
	CHECK(cpio_validate(c.buf, c.len) == 0, "written archive validates");
	/* walk it by hand, independently of cpio_validate */
	while (off + 110 <= c.len) {
		const uint8_t *h = c.buf + off;
		uint32_t mode = hexfield(h, 1), uid = hexfield(h, 2), filesz = hexfield(h, 6);
		uint32_t rmaj = hexfield(h, 9), rmin = hexfield(h, 10), namesz = hexfield(h, 11);
		const char *name = (const char *)h + 110;

		if (memcmp(h, "070701", 6) || off % 4)
			aligned = false;
		entries++;
		if (!strcmp(name, "etc/passwd"))
			found_passwd = uid == 1000 && filesz == 11 && mode == (S_IFREG | 0600) &&
				       !memcmp(h + ((110 + namesz + 3) & ~3u), "root:x:0:0\n", 11);
		if (!strcmp(name, "dev/console"))
			found_dev = S_ISCHR(mode) && rmaj == 5 && rmin == 1 && filesz == 0;
		off += ((110 + namesz + 3) & ~3u) + ((filesz + 3) & ~3u);
		if (!strcmp(name, "TRAILER!!!")) {
			trailer = true;
			break;
		}
	}
	CHECK(aligned && entries == 11 && trailer && off == c.len,
	      "11 entries, each at a 4-byte boundary with newc magic, trailer last");
	CHECK(found_passwd, "file entry carries uid, mode and data");
	CHECK(found_dev, "char device entry carries rdev major/minor");
	cpio_free(&c);
	CHECK(c.buf == NULL && c.len == 0, "cpio_free");
}

static void test_truncated(void)
{
	struct cpio c;
	bool all_fail = true, tail_fail = true;
	int tried = 0;

	build(&c, "zone");
	/* Every prefix that cuts before the trailer's name ends is
	 * incomplete; the last 3 bytes are the trailer's own padding. */
	for (size_t l = 0; l + 3 < c.len; l += 97) {
		zerr_clear();
		if (cpio_validate(c.buf, l) != -1 || !zerr_msg()[0])
			all_fail = false;
		tried++;
	}
	CHECK(tried > 5 && all_fail, "archive truncated at every 97th byte fails");
	for (size_t l = c.len - 300; l + 3 < c.len; l++)
		if (cpio_validate(c.buf, l) != -1)
			tail_fail = false;
	CHECK(tail_fail, "archive truncated anywhere in its last 300 bytes fails");
	CHECK(cpio_validate(c.buf, 0) == -1, "empty buffer fails");
	cpio_free(&c);
}

static void test_concat_and_garbage(void)
{
	struct cpio a, b;
	uint8_t *buf, garbage[512];
	size_t n;
	int r;

	build(&a, "one");
	build(&b, "two");
	buf = calloc(1, a.len + 512 + b.len + 512);
	memcpy(buf, a.buf, a.len);
	memcpy(buf + a.len, b.buf, b.len);
	CHECK(cpio_validate(buf, a.len + b.len) == 0, "two concatenated archives pass");
	memset(buf, 0, a.len + 512 + b.len + 512);
	memcpy(buf, a.buf, a.len);
	memcpy(buf + a.len + 512, b.buf, b.len);
	n = a.len + 512 + b.len;
	CHECK(cpio_validate(buf, n) == 0, "two archives with 512 zero bytes between pass");
	CHECK(cpio_validate(buf, n + 512) == 0, "trailing zero padding passes");
	CHECK(cpio_validate(buf, n - 8) == -1, "second archive truncated fails");
	memset(buf + a.len + 512, 'x', 4);
	CHECK(cpio_validate(buf, n) == -1, "junk between archives fails");
	memset(buf, 0, 1024);
	CHECK(cpio_validate(buf, 1024) == -1, "all zeros (no archive) fails");
	/* leading zero padding: the archive after it is still checked */
	memcpy(buf + 512, a.buf, a.len);
	CHECK(cpio_validate(buf, 512 + a.len) == 0, "archive after 512 zero bytes passes");
	CHECK(cpio_validate(buf, 512 + a.len - 40) == -1,
	      "truncated archive after zero padding fails");
	free(buf);

	/* an entry claiming a 4 GiB file in a small buffer */
	memcpy(garbage, a.buf, 110 + 4);
	memcpy(garbage + 54, "FFFFFFFF", 8);
	zerr_clear();
	CHECK(cpio_validate(garbage, 512) == -1 && zerr_msg()[0], "filesz 0xFFFFFFFF fails");
	memcpy(garbage, a.buf, 110 + 4);
	memcpy(garbage + 94, "FFFFFFFF", 8);
	CHECK(cpio_validate(garbage, 512) == -1, "namesz 0xFFFFFFFF fails");
	memcpy(garbage, a.buf, 110 + 4);
	memcpy(garbage + 94, "00000000", 8);
	CHECK(cpio_validate(garbage, 512) == -1, "namesz 0 fails");
	memcpy(garbage, a.buf, 110 + 4);
	memcpy(garbage + 54, "0000000g", 8);
	CHECK(cpio_validate(garbage, 512) == -1, "non-hex filesz fails");

	/* garbage: never reported as a valid archive */
	memset(garbage, '0', sizeof(garbage));
	CHECK(cpio_validate(garbage, sizeof(garbage)) == -1, "'0000...' garbage fails");
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 131 + 17);
	garbage[0] = '0';
	CHECK(cpio_validate(garbage, sizeof(garbage)) == -1, "binary garbage starting '0' fails");
	garbage[0] = 0x42;
	zerr_clear();
	r = cpio_validate(garbage, sizeof(garbage));
	CHECK(r == -1 && zerr_msg()[0], "binary garbage fails");
	memcpy(garbage, "\x1f\x8b\x08\x00", 4);
	CHECK(cpio_validate(garbage, sizeof(garbage)) == 1, "gzip data is left to the kernel (1)");
	memcpy(garbage, "\x28\xb5\x2f\xfd", 4);
	CHECK(cpio_validate(garbage, sizeof(garbage)) == 1, "zstd data is left to the kernel (1)");
	memcpy(garbage, "\xfd" "7zXZ", 6);
	CHECK(cpio_validate(garbage, sizeof(garbage)) == 1, "xz data is left to the kernel (1)");
	CHECK(cpio_validate((const uint8_t *)"0", 1) == -1, "a lone '0' fails");
	cpio_free(&a);
	cpio_free(&b);
}

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 12345;
	char name[96];

	snprintf(name, sizeof(name), "parse_size(\"%s\") == %llu", s, (unsigned long long)want);
	CHECK(parse_size(s, &v) == 0 && v == want, name);
}

static void size_bad(const char *s)
{
	uint64_t v = 12345;
	char name[96];

	zerr_clear();
	snprintf(name, sizeof(name), "parse_size(\"%s\") fails", s);
	CHECK(parse_size(s, &v) == -1 && v == 12345 && zerr_msg()[0], name);
}

static void uint_ok(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = 12345;
	char name[128];

	snprintf(name, sizeof(name), "parse_uint(\"%s\", %llu, %llu) == %llu", s,
		 (unsigned long long)min, (unsigned long long)max, (unsigned long long)want);
	CHECK(parse_uint(s, min, max, &v) == 0 && v == want, name);
}

static void uint_bad(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = 12345;
	char name[128];

	zerr_clear();
	snprintf(name, sizeof(name), "parse_uint(\"%s\", %llu, %llu) fails", s,
		 (unsigned long long)min, (unsigned long long)max);
	CHECK(parse_uint(s, min, max, &v) == -1 && v == 12345 && zerr_msg()[0], name);
}

static void test_parse(void)
{
	uint64_t v;

	size_ok("256M", 256ULL << 20);
	size_ok("1G", 1ULL << 30);
	size_ok("0", 0);
	size_ok("1T", 1ULL << 40);
	size_ok("4096", 4096);
	size_ok("512k", 512ULL << 10);
	size_ok("2GiB", 2ULL << 30);
	size_ok("64mb", 64ULL << 20);
	size_ok("16777215T", 16777215ULL << 40);
	size_ok("18446744073709551615", UINT64_MAX);
	size_bad("12x");
	size_bad("");
	size_bad("99999999999999999999G");
	size_bad("18446744073709551616");
	size_bad("16777216T");
	size_bad("17179869184G");
	size_bad("-1");
	size_bad("-1G");
	size_bad(" 1G");
	size_bad("1G ");
	size_bad("1GG");
	size_bad("G");
	size_bad("0x10");
	size_bad("1.5G");
	CHECK(parse_size(NULL, &v) == -1, "parse_size(NULL) fails");

	uint_ok("5", 1, 10, 5);
	uint_ok("1", 1, 10, 1);
	uint_ok("10", 1, 10, 10);
	uint_ok("007", 0, 10, 7);
	uint_ok("0", 0, 0, 0);
	uint_ok("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	uint_bad("0", 1, 10);
	uint_bad("11", 1, 10);
	uint_bad("18446744073709551616", 0, UINT64_MAX);
	uint_bad("99999999999999999999999", 0, UINT64_MAX);
	uint_bad("", 0, 10);
	uint_bad("-1", 0, UINT64_MAX);
	uint_bad("+1", 0, 10);
	uint_bad(" 1", 0, 10);
	uint_bad("1 ", 0, 10);
	uint_bad("1a", 0, 100);
	uint_bad("0x1", 0, 100);
	CHECK(parse_uint(NULL, 0, 10, &v) == -1, "parse_uint(NULL) fails");
}

static void test_write_atomic(void)
{
	char dir[] = "/tmp/zone-util.XXXXXX", path[64], bad[96];
	uint8_t *got = NULL;
	size_t len = 0;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(write_file_atomic(path, "old", 3, 0600) == 0, "write_file_atomic creates");
	CHECK(write_file_atomic(path, "new!", 4, 0640) == 0, "write_file_atomic replaces");
	CHECK(read_file(path, 100, &got, &len) == 0 && len == 4 && memcmp(got, "new!", 4) == 0,
	      "write_file_atomic: new content");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "write_file_atomic: mode");
	free(got);
	snprintf(bad, sizeof(bad), "%s/missing/f", dir);
	CHECK(write_file_atomic(bad, "x", 1, 0600) == -1 && zerr_errno() == ENOENT,
	      "write_file_atomic: missing directory fails with ENOENT");
	CHECK(read_input(path, 100, &got, &len) == 0 && len == 4 && memcmp(got, "new!", 4) == 0,
	      "read_input: a regular file");
	free(got);
	CHECK(read_input(path, 3, &got, &len) < 0 && strstr(zerr_msg(), "too large"),
	      "read_input: past max is an error");
	{
		int p[2];
		char big[10000];

		memset(big, 'p', sizeof(big));
		CHECK(pipe(p) == 0 && fcntl(p[1], F_SETPIPE_SZ, 1 << 16) >= 0 &&
			      write(p[1], big, sizeof(big)) == (ssize_t)sizeof(big),
		      "pipe filled");
		close(p[1]);
		snprintf(bad, sizeof(bad), "/proc/self/fd/%d", p[0]);
		CHECK(read_input(bad, 1 << 20, &got, &len) == 0 && len == sizeof(big) &&
			      !memcmp(got, big, len),
		      "read_input: a pipe (as /dev/stdin), to its end");
		free(got);
		close(p[0]);
	}
	unlink(path);
	CHECK(rmdir(dir) == 0, "write_file_atomic leaves no temporary file");
}

int main(void)
{
	test_write_atomic();
	test_writer();
	test_truncated();
	test_concat_and_garbage();
	test_parse();
	CHECK_DONE();
}
