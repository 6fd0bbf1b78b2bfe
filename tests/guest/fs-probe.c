/* What busybox cannot do, for tests/integration/volumes.sh, built static
 * and run in a zone from a read-only volume:
 *   fs-probe xattr PATH            set user.zone=volume-xattr, read it back
 *   fs-probe utimes PATH SECONDS   set atime and mtime
 *   fs-probe handles DIR FILE      name_to_handle_at(DIR/FILE), then
 *                                  open_by_handle_at of that handle and of
 *                                  forged ones (each 64-bit word of it
 *                                  replaced by 0..300): prints "OPENED
 *                                  <first bytes>" for every handle that
 *                                  opens and "HANDLES n" at the end
 *   fs-probe euid                  print the effective uid (run on the
 *                                  host from a copy made setuid inside)
 *   fs-probe now                   monotonic clock in ns (bench/fs)
 *   fs-probe randread FILE SECS    random 4 KiB preads over FILE for SECS
 *                                  seconds; prints reads per second */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static int xattr(const char *path)
{
	char buf[64] = { 0 };

	if (setxattr(path, "user.zone", "volume-xattr", 12, 0) < 0) {
		perror("setxattr");
		return 1;
	}
	if (getxattr(path, "user.zone", buf, sizeof(buf) - 1) < 0) {
		perror("getxattr");
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int utimes_cmd(const char *path, const char *secs)
{
	struct timespec ts[2] = { { atoll(secs), 0 }, { atoll(secs), 0 } };

	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0) {
		perror("utimensat");
		return 1;
	}
	return 0;
}

static void try_open(int mount_fd, struct file_handle *h, int *opened)
{
	char buf[65] = { 0 };
	int fd = open_by_handle_at(mount_fd, h, O_RDONLY);

	if (fd < 0)
		return;
	(*opened)++;
	if (read(fd, buf, 64) > 0) {
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
		printf("OPENED %s\n", buf);
	}
	close(fd);
}

static int handles(const char *dir, const char *file)
{
	struct file_handle *h = calloc(1, sizeof(*h) + 128);
	int mount_id, mount_fd = open(dir, O_RDONLY | O_DIRECTORY), opened = 0;
	unsigned char orig[128];

	if (!h || mount_fd < 0)
		return 1;
	h->handle_bytes = 128;
	if (name_to_handle_at(mount_fd, file, h, &mount_id, 0) < 0) {
		printf("name_to_handle_at: %s\n", strerror(errno));
		printf("HANDLES 0\n");
		return 0;
	}
	memcpy(orig, h->f_handle, h->handle_bytes);
	try_open(mount_fd, h, &opened);
	for (unsigned w = 0; w + 8 <= h->handle_bytes; w += 4)
		for (uint64_t v = 0; v <= 300; v++) {
			memcpy(h->f_handle, orig, h->handle_bytes);
			memcpy(h->f_handle + w, &v, 8);
			try_open(mount_fd, h, &opened);
		}
	printf("HANDLES %d\n", opened);
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int randread(const char *path, const char *secs)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	long long end, n = 0, t0 = now_ns();
	uint64_t x = 88172645463325252ull; /* xorshift: no libc RNG state */
	char buf[4096];

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 4096) {
		perror(path);
		return 1;
	}
	end = t0 + atoll(secs) * 1000000000LL;
	while (now_ns() < end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, 4096, (off_t)(x % (uint64_t)(st.st_size / 4096)) * 4096) != 4096) {
			perror("pread");
			return 1;
		}
		n++;
	}
	printf("%lld\n", n * 1000000000LL / (now_ns() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", now_ns());
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "randread"))
		return randread(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "xattr"))
		return xattr(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "utimes"))
		return utimes_cmd(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "euid")) {
		printf("%d\n", (int)geteuid());
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "handles"))
		return handles(argv[2], argv[3]);
	fprintf(stderr, "usage: fs-probe xattr PATH | utimes PATH SECS | handles DIR FILE | euid\n"
			"       | now | randread FILE SECS\n");
	return 2;
}
