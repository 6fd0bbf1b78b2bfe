#include "cpio.h"
#include "zerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int reserve(struct cpio *c, size_t more)
{
	size_t need, cap;
	uint8_t *nb;

	if (more > SIZE_MAX - c->len)
		return zerr(ENOMEM, "cpio archive too large");
	need = c->len + more;
	if (need <= c->cap)
		return 0;
	cap = c->cap ? c->cap : 4096;
	while (cap < need)
		cap *= 2;
	nb = realloc(c->buf, cap);
	if (!nb)
		return zerr(ENOMEM, "cpio archive");
	c->buf = nb;
	c->cap = cap;
	return 0;
}

static void pad4(struct cpio *c)
{
	while (c->len & 3)
		c->buf[c->len++] = 0;
}

static int add_entry(struct cpio *c, const char *name, mode_t mode, uint32_t uid, uint32_t gid,
		     const void *data, size_t size, uint32_t rdev_maj, uint32_t rdev_min)
{
	size_t namesz = strlen(name) + 1;
	char hdr[160];

	if (size > UINT32_MAX)
		return zerr(EFBIG, "cpio entry %s", name);
	if (reserve(c, 110 + namesz + 3 + size + 3) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->ino++, (unsigned)mode, uid, gid, 1u, 0u, (unsigned)size, 0u, 0u, rdev_maj,
		 rdev_min, (unsigned)namesz, 0u);
	memcpy(c->buf + c->len, hdr, 110);
	c->len += 110;
	memcpy(c->buf + c->len, name, namesz);
	c->len += namesz;
	pad4(c);
	if (size)
		memcpy(c->buf + c->len, data, size);
	c->len += size;
	pad4(c);
	return 0;
}

int cpio_add(struct cpio *c, const char *name, mode_t mode, uint32_t uid, uint32_t gid,
	     const void *data, size_t size)
{
	return add_entry(c, name, mode, uid, gid, data, size, 0, 0);
}

int cpio_add_dir(struct cpio *c, const char *name, mode_t perm)
{
	return add_entry(c, name, S_IFDIR | perm, 0, 0, NULL, 0, 0, 0);
}

int cpio_add_file(struct cpio *c, const char *name, mode_t perm, const void *data, size_t size)
{
	return add_entry(c, name, S_IFREG | perm, 0, 0, data, size, 0, 0);
}

int cpio_add_symlink(struct cpio *c, const char *name, const char *target)
{
	return add_entry(c, name, S_IFLNK | 0777, 0, 0, target, strlen(target), 0, 0);
}

int cpio_add_chardev(struct cpio *c, const char *name, mode_t perm, unsigned maj, unsigned min)
{
	return add_entry(c, name, S_IFCHR | perm, 0, 0, NULL, 0, maj, min);
}

int cpio_finish(struct cpio *c)
{
	return add_entry(c, "TRAILER!!!", 0, 0, 0, NULL, 0, 0, 0);
}

void cpio_free(struct cpio *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

static int hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Magic numbers of the compressors the kernel's initramfs unpacker knows. */
static int compressed(const uint8_t *buf, size_t len)
{
	static const struct {
		uint8_t n, magic[6];
	} m[] = {
		{ 2, { 0x1f, 0x8b } },			     /* gzip */
		{ 2, { 0x1f, 0x9e } },			     /* old gzip */
		{ 3, { 'B', 'Z', 'h' } },		     /* bzip2 */
		{ 3, { 0x5d, 0x00, 0x00 } },		     /* lzma */
		{ 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } }, /* xz */
		{ 4, { 0x89, 'L', 'Z', 'O' } },		     /* lzo */
		{ 4, { 0x02, 0x21, 0x4c, 0x18 } },	     /* lz4 legacy */
		{ 4, { 0x28, 0xb5, 0x2f, 0xfd } },	     /* zstd */
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (len >= m[i].n && !memcmp(buf, m[i].magic, m[i].n))
			return 1;
	return 0;
}

int cpio_validate(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int archives = 0, in_archive = 0;

	/* Leading zeros are padding: the archive after them is checked. */
	if (len >= 2 && buf[0] != '0' && buf[0] != 0) {
		if (compressed(buf, len))
			return 1; /* the kernel decompresses and decides */
		return zerr(0, "not a cpio archive (nor a compressed one)");
	}
	while (off < len) {
		uint32_t namesz, filesz;
		size_t need;

		if (!in_archive && buf[off] == 0) { /* padding between archives */
			off++;
			continue;
		}
		if (len - off < 110 || memcmp(buf + off, "07070", 5))
			return zerr(0, "truncated or corrupt cpio archive at byte %zu", off);
		if (hex8(buf + off + 54, &filesz) < 0 || hex8(buf + off + 94, &namesz) < 0 ||
		    namesz == 0)
			return zerr(0, "corrupt cpio header at byte %zu", off);
		need = ((110 + (size_t)namesz + 3) & ~(size_t)3) + (((size_t)filesz + 3) & ~(size_t)3);
		if (need > len - off) {
			/* the last entry may lack its final padding */
			if ((size_t)110 + namesz + filesz > len - off)
				return zerr(0, "cpio archive is truncated (entry at byte %zu)", off);
			need = len - off;
		}
		in_archive = 1;
		if (namesz == 11 && !memcmp(buf + off + 110, "TRAILER!!!", 11)) {
			in_archive = 0;
			archives++;
		}
		off += need;
	}
	if (in_archive || !archives)
		return zerr(0, "cpio archive is truncated (no trailer)");
	return 0;
}
