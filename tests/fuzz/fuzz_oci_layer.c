/* libFuzzer target: hostile tar headers through the layer applier.
 *
 * Input: a tar stream, applied with unpack_layer() to an empty directory
 * (the digest checks of layer_apply sit in front of this in a real import;
 * here every byte reaches the tar reader).  Layers arrive in pairs: the
 * input is applied twice to the same tree, so whiteouts, opaque
 * directories and hard links meet what an earlier layer left.
 * Invariant: nothing is ever created outside the tree.  The tree is
 * <parent>/root; <parent> also holds a canary file and must hold exactly
 * {root, canary} afterwards, with the canary unchanged.
 * With ZONE_FUZZ_SEEDS=dir set, writes seed tars there and exits. */
#include "oci/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char parent[] = "/tmp/zone-fuzz-layer.XXXXXX";
static char root[sizeof(parent) + 8], canary[sizeof(parent) + 8];

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	remove(path); /* runs as root: modes a layer set do not stop it */
	return 0;
}

static void remove_parent(void)
{
	nftw(parent, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static void empty_tree(void)
{
	nftw(root, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
	if (mkdir(root, 0755) < 0)
		abort();
}

static void check_outside(void)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	char buf[16];
	int fd, n = 0;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strcmp(e->d_name, "root") && strcmp(e->d_name, "canary")) {
			fprintf(stderr, "created outside the tree: %s\n", e->d_name);
			abort();
		}
		n++;
	}
	closedir(d);
	fd = open(canary, O_RDONLY | O_NOFOLLOW);
	if (n != 2 || fd < 0 || read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "canary", 6)) {
		fprintf(stderr, "the canary beside the tree changed\n");
		abort();
	}
	close(fd);
}

static void apply(struct unpack *u, const uint8_t *data, size_t size)
{
	struct archive *a = archive_read_new();

	if (!a)
		abort();
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, data, size) == ARCHIVE_OK)
		unpack_layer(u, a);
	archive_read_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unpack u;

	empty_tree();
	if (unpack_init(&u, root, 1 << 20) == 0) {
		apply(&u, data, size);
		apply(&u, data, size);
	}
	unpack_free(&u);
	check_outside();
	return 0;
}

/* --- seeds: small layers with every entry kind the applier handles */

static void add(struct archive *a, const char *name, unsigned type, unsigned mode,
		const char *body, const char *link, int hard)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, body ? strlen(body) : 0);
	if (link && hard)
		archive_entry_set_hardlink(e, link);
	else if (link)
		archive_entry_set_symlink(e, link);
	if (hard && link)
		archive_entry_set_size(e, 0);
	archive_write_header(a, e);
	if (body)
		archive_write_data(a, body, strlen(body));
	archive_entry_free(e);
}

static struct archive *seed_open(const char *dir, const char *name)
{
	struct archive *a = archive_write_new();
	char path[4096];

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	return a;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");
	struct archive *a;
	int fd;

	if (!dir) {
		if (!mkdtemp(parent))
			abort();
		atexit(remove_parent);
		snprintf(root, sizeof(root), "%s/root", parent);
		snprintf(canary, sizeof(canary), "%s/canary", parent);
		fd = open(canary, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, "canary", 6) != 6 || mkdir(root, 0755) < 0)
			abort();
		close(fd);
		return 0;
	}

	a = seed_open(dir, "tree");
	add(a, "etc/", AE_IFDIR, 0755, NULL, NULL, 0);
	add(a, "etc/passwd", AE_IFREG, 0644, "root:x:0:0::/root:/bin/sh\n", NULL, 0);
	add(a, "etc/link", AE_IFLNK, 0777, NULL, "passwd", 0);
	add(a, "etc/hard", AE_IFREG, 0644, NULL, "etc/passwd", 1);
	add(a, "bin/", AE_IFDIR, 0755, NULL, NULL, 0);
	add(a, "bin/sh", AE_IFREG, 04755, "#!\n", NULL, 0);
	archive_write_free(a);

	a = seed_open(dir, "whiteouts");
	add(a, "etc/.wh.passwd", AE_IFREG, 0644, NULL, NULL, 0);
	add(a, "bin/.wh..wh..opq", AE_IFREG, 0644, NULL, NULL, 0);
	add(a, "bin/new", AE_IFREG, 0644, "x", NULL, 0);
	archive_write_free(a);

	a = seed_open(dir, "escapes");
	add(a, "up", AE_IFLNK, 0777, NULL, "..", 0);
	add(a, "up/outside", AE_IFREG, 0644, "x", NULL, 0);
	add(a, "../outside2", AE_IFREG, 0644, "x", NULL, 0);
	add(a, "abs", AE_IFLNK, 0777, NULL, "/tmp", 0);
	add(a, "abs/outside3", AE_IFREG, 0644, "x", NULL, 0);
	add(a, "h", AE_IFREG, 0644, NULL, "../canary", 1);
	archive_write_free(a);
	exit(0);
}
