/* Unit tests: layer application (whiteouts, opaque directories, hard
 * links across whiteouts, replacement) and the write-confinement rules,
 * on tars built in memory and applied to a temp directory. */
#include "tests/unit/check.h"
#include "oci/unpack.h"
#include "oci/fsat.h"
#include "common/zerr.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define TARMAX (1 << 20)

struct tb {
	struct archive *a;
	char *buf;
	size_t used;
};

static void tb_begin(struct tb *t)
{
	t->buf = calloc(1, TARMAX);
	t->a = archive_write_new();
	archive_write_set_format_pax_restricted(t->a);
	archive_write_open_memory(t->a, t->buf, TARMAX, &t->used);
}

static void add(struct tb *t, const char *name, unsigned type, const char *data, const char *link)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (link && type == 0) {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, link);
		archive_entry_set_size(e, 0);
	} else {
		archive_entry_set_filetype(e, type);
		archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
		if (type == AE_IFLNK)
			archive_entry_set_symlink(e, link);
		if (type == AE_IFREG)
			archive_entry_set_size(e, data ? strlen(data) : 0);
		if (type == AE_IFCHR || type == AE_IFBLK)
			archive_entry_set_rdev(e, makedev(link ? atoi(link) : 1, 1));
	}
	archive_write_header(t->a, e);
	if (type == AE_IFREG && data)
		archive_write_data(t->a, data, strlen(data));
	archive_entry_free(e);
}

#define F(t, n, d) add(t, n, AE_IFREG, d, NULL)
#define D(t, n) add(t, n, AE_IFDIR, NULL, NULL)
#define L(t, n, target) add(t, n, 0, NULL, target)
#define S(t, n, target) add(t, n, AE_IFLNK, NULL, target)

static int apply(struct unpack *u, struct tb *t)
{
	struct archive *r;
	int rc;

	archive_write_close(t->a);
	archive_write_free(t->a);
	r = archive_read_new();
	archive_read_support_format_tar(r);
	archive_read_open_memory(r, t->buf, t->used);
	rc = unpack_layer(u, r);
	archive_read_free(r);
	free(t->buf);
	return rc;
}

static char root[] = "/tmp/zone-unit-wh.XXXXXX";

static int exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/rootfs/%s", root, rel);
	return lstat(p, &st) == 0;
}

static int content_is(const char *rel, const char *want)
{
	char p[512], buf[256] = "";
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/rootfs/%s", root, rel);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 0 && !strcmp(buf, want);
}

static int fresh(struct unpack *u, uint64_t max)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/rootfs", root);
	fsat_rm_tree(p);
	mkdir(p, 0755);
	return unpack_init(u, p, max);
}

int main(void)
{
	struct unpack u;
	struct tb t;

	if (!mkdtemp(root)) {
		printf("FAIL: %s: mkdtemp\n", __FILE__);
		return 1;
	}

	/* lower layer */
	CHECK(fresh(&u, 0) == 0, "unpack_init");
	tb_begin(&t);
	D(&t, "a"); F(&t, "a/keep", "keep"); F(&t, "a/gone", "gone");
	D(&t, "d"); F(&t, "d/x", "x"); D(&t, "d/sub"); F(&t, "d/sub/y", "y");
	D(&t, "hl"); F(&t, "hl/orig", "shared"); L(&t, "hl/twin", "hl/orig");
	D(&t, "w"); F(&t, "w/target", "target");
	D(&t, "r"); F(&t, "r/f", "file"); D(&t, "r/dd"); F(&t, "r/dd/c", "c");
	D(&t, "o"); D(&t, "o/inner"); F(&t, "o/inner/old", "old"); F(&t, "o/old2", "2");
	F(&t, "again", "v1");
	CHECK(apply(&u, &t) == 0, "layer 1 applies");

	tb_begin(&t);
	F(&t, "a/.wh.gone", "");
	F(&t, "d/.wh..wh..opq", ""); F(&t, "d/new", "new");
	F(&t, "hl/.wh.orig", "");
	L(&t, "w/link", "w/target"); F(&t, "w/.wh.target", "");
	D(&t, "r/f"); F(&t, "r/f/child", "child"); F(&t, "r/dd", "now a file");
	F(&t, "o/inner/new", "new"); F(&t, "o/.wh..wh..opq", "");
	F(&t, "again", "v2"); F(&t, ".wh.again", "");
	F(&t, ".wh.not-there", "");
	CHECK(apply(&u, &t) == 0, "layer 2 applies");

	CHECK(content_is("a/keep", "keep"), "untouched file stays");
	CHECK(!exists("a/gone"), "whiteout removes a lower file");
	CHECK(!exists("d/x") && !exists("d/sub"), "opaque dir hides lower entries");
	CHECK(content_is("d/new", "new"), "opaque dir keeps this layer's entries");
	CHECK(!exists("hl/orig") && content_is("hl/twin", "shared"),
	      "hard link survives its whited-out twin");
	CHECK(!exists("w/target") && content_is("w/link", "target"),
	      "hard link to a file whited out in the same layer keeps the data");
	CHECK(content_is("r/f/child", "child"), "file replaced by a directory");
	CHECK(content_is("r/dd", "now a file"), "directory replaced by a file");
	CHECK(content_is("o/inner/new", "new") && !exists("o/inner/old") && !exists("o/old2"),
	      "opaque marker after the entries keeps them (implicit parent too)");
	CHECK(content_is("again", "v2"), "a whiteout does not remove the same layer's file");

	tb_begin(&t);
	D(&t, "x"); L(&t, "x/cross", "a/keep"); F(&t, "a/gone", "back");
	CHECK(apply(&u, &t) == 0, "layer 3 applies");
	CHECK(content_is("x/cross", "keep"), "hard link into a lower layer");
	CHECK(content_is("a/gone", "back"), "whited-out path comes back");
	{
		char p1[512], p2[512];
		struct stat s1, s2;
		snprintf(p1, sizeof(p1), "%s/rootfs/x/cross", root);
		snprintf(p2, sizeof(p2), "%s/rootfs/a/keep", root);
		CHECK(stat(p1, &s1) == 0 && stat(p2, &s2) == 0 && s1.st_ino == s2.st_ino,
		      "cross-layer hard link shares the inode");
	}

	/* confinement */
	tb_begin(&t);
	S(&t, "esc", "/tmp"); F(&t, "esc/zone-unit-escape", "x");
	CHECK(apply(&u, &t) < 0 && strstr(zerr_msg(), "symlink"), "write through absolute symlink refused");
	CHECK(access("/tmp/zone-unit-escape", F_OK) < 0, "nothing written outside");
	tb_begin(&t);
	S(&t, "esc2", "../../../../../../../tmp"); F(&t, "esc2/zone-unit-escape", "x");
	CHECK(apply(&u, &t) < 0, "write through ../ symlink refused");
	tb_begin(&t);
	S(&t, "inside", "a"); F(&t, "inside/via-link", "ok");
	CHECK(apply(&u, &t) == 0 && content_is("a/via-link", "ok"),
	      "write through a symlink that stays inside works");
	tb_begin(&t);
	F(&t, "../escape", "x");
	CHECK(apply(&u, &t) < 0 && strstr(zerr_msg(), ".."), "../ member refused");
	tb_begin(&t);
	L(&t, "hl2", "../../etc/passwd");
	CHECK(apply(&u, &t) < 0, "hard link out of the tree refused");
	tb_begin(&t);
	add(&t, "blk", AE_IFBLK, NULL, "8");
	CHECK(apply(&u, &t) < 0 && strstr(zerr_msg(), "block device"), "block device refused");
	tb_begin(&t);
	add(&t, "mem", AE_IFCHR, NULL, "1"); /* 1:1 is /dev/mem */
	CHECK(apply(&u, &t) < 0 && strstr(zerr_msg(), "character device"), "/dev/mem refused");
	CHECK(unpack_chardev_allowed(1, 3) && unpack_chardev_allowed(5, 2) &&
	      !unpack_chardev_allowed(1, 1) && !unpack_chardev_allowed(0, 0),
	      "char device policy");
	unpack_free(&u);

	CHECK(fresh(&u, 10) == 0, "unpack_init with a 10-byte limit");
	tb_begin(&t);
	F(&t, "big", "more than ten bytes");
	CHECK(apply(&u, &t) < 0 && strstr(zerr_msg(), "limit"), "size limit enforced");
	unpack_free(&u);

	fsat_rm_tree(root);
	CHECK_DONE();
}
