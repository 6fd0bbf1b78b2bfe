/* runtime/logs.c: json-lines container logs, bounded by max-size and
 * max-file (rotation), read back in order by zone logs, also while
 * following across rotations; bytes that are not UTF-8. */
#include "tests/unit/check.h"
#include "runtime/logs.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/zone-test-logs.XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void clean(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
}

/* Bytes of the log files and how many there are; the largest one. */
static uint64_t log_bytes(unsigned *files, uint64_t *largest)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t total = 0;

	*files = 0;
	*largest = 0;
	while (d && (e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, "ctr.log", 7) || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
			continue;
		total += st.st_size;
		(*files)++;
		if ((uint64_t)st.st_size > *largest)
			*largest = st.st_size;
	}
	if (d)
		closedir(d);
	return total;
}

static bool never(void *arg)
{
	return false;
}

/* What was printed to the memfd fd, NUL-terminated; closes fd. */
static char *printed(int fd, size_t *len)
{
	struct stat st;
	char *buf;

	fstat(fd, &st);
	buf = calloc(1, st.st_size + 1);
	pread(fd, buf, st.st_size, 0);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* What zone logs prints (stdout and stderr into one buffer). */
static char *print_all(const char *path, long tail, size_t *len)
{
	int fd = memfd_create("out", 0);

	CHECK(ctr_log_print(path, tail, false, fd, fd, never, NULL) == 0, "ctr_log_print");
	return printed(fd, len);
}

/* out is "line N\n" for consecutive N ending at last: returns the first N
 * (-1 if not). */
static long consecutive_until(const char *out, long last)
{
	long first = -1, want = -1, n;
	const char *p = out;
	int used;

	while (*p) {
		if (sscanf(p, "line %ld\n%n", &n, &used) != 1 || p[used - 1] != '\n')
			return -1;
		if (first < 0)
			first = want = n;
		if (n != want)
			return -1;
		want++;
		p += used;
	}
	return want - 1 == last ? first : -1;
}

static void test_unbounded(void)
{
	struct ctr_log l;
	char path[128], *out;
	size_t len;

	clean();
	path_of(path, sizeof(path), "ctr.log");
	CHECK(ctr_log_open(&l, path, 0, 1) == 0, "unbounded log opens");
	ctr_log_write(&l, "stdout", "one\ntwo\n", 8);
	ctr_log_write(&l, "stderr", "three", 5);
	ctr_log_close(&l);
	out = print_all(path, -1, &len);
	CHECK(len == 13 && !memcmp(out, "one\ntwo\nthree", 13), "every entry printed, in order");
	free(out);
	out = print_all(path, 2, &len);
	CHECK(!strcmp(out, "twothree") || !strcmp(out, "two\nthree"), "--tail 2");
	free(out);
	out = print_all(path, 0, &len);
	CHECK(len == 0, "--tail 0 prints nothing");
	free(out);
}

static void test_rotation(void)
{
	struct ctr_log l;
	char path[128], line[64], *out;
	unsigned files;
	uint64_t total, largest;
	size_t len;
	long first;

	clean();
	path_of(path, sizeof(path), "ctr.log");
	CHECK(ctr_log_open(&l, path, 64 << 10, 3) == 0, "64k x 3 log opens");
	for (long i = 0; i < 100000; i++) {
		int n = snprintf(line, sizeof(line), "line %ld\n", i);
		ctr_log_write(&l, i % 2 ? "stderr" : "stdout", line, n);
	}
	ctr_log_close(&l);
	total = log_bytes(&files, &largest);
	CHECK(files == 3, "3 files kept (ctr.log, .1, .2)");
	CHECK(largest <= 64 << 10, "no file past max-size");
	CHECK(total <= 3 * (64 << 10) && total > 2 * (64 << 10), "max-size x max-file bytes at most");
	out = print_all(path, -1, &len);
	first = consecutive_until(out, 99999);
	CHECK(first > 90000, "zone logs: the newest lines, oldest first, none missing");
	free(out);
	out = print_all(path, 3, &len);
	CHECK(!strcmp(out, "line 99997\nline 99998\nline 99999\n"), "--tail 3 across the files");
	free(out);
	/* reopened (a restarted monitor): the bound holds on */
	CHECK(ctr_log_open(&l, path, 64 << 10, 3) == 0, "reopens");
	for (long i = 100000; i < 110000; i++) {
		int n = snprintf(line, sizeof(line), "line %ld\n", i);
		ctr_log_write(&l, "stdout", line, n);
	}
	ctr_log_close(&l);
	total = log_bytes(&files, &largest);
	CHECK(files == 3 && largest <= 64 << 10, "reopened log still bounded");
	out = print_all(path, -1, &len);
	CHECK(consecutive_until(out, 109999) > 100000, "reopened: lines continue in order");
	free(out);
}

static void test_one_file(void)
{
	struct ctr_log l;
	char path[128], line[64], *out;
	unsigned files;
	uint64_t largest;
	size_t len;

	clean();
	path_of(path, sizeof(path), "ctr.log");
	CHECK(ctr_log_open(&l, path, 4096, 1) == 0, "4k x 1 log opens");
	for (long i = 0; i < 5000; i++) {
		int n = snprintf(line, sizeof(line), "line %ld\n", i);
		ctr_log_write(&l, "stdout", line, n);
	}
	ctr_log_close(&l);
	log_bytes(&files, &largest);
	CHECK(files == 1 && largest <= 4096, "max-file=1: one file, cut back to empty when full");
	out = print_all(path, -1, &len);
	CHECK(consecutive_until(out, 4999) > 4900, "max-file=1: the newest lines");
	free(out);
}

static void test_long_line(void)
{
	struct ctr_log l;
	char path[128], *out, *data;
	size_t n = 1 << 20, len;
	unsigned files;
	uint64_t largest;

	clean();
	path_of(path, sizeof(path), "ctr.log");
	data = malloc(n);
	for (size_t i = 0; i < n; i++) /* control bytes: the worst escaping */
		data[i] = i % 7 == 0 ? '\001' : 'a' + i % 26;
	CHECK(ctr_log_open(&l, path, 4096, 2) == 0, "4k x 2 log opens");
	CHECK(ctr_log_write(&l, "stdout", data, n) == 0, "a 1 MiB line without a newline is logged");
	ctr_log_close(&l);
	log_bytes(&files, &largest);
	CHECK(files == 2 && largest <= 4096, "a line longer than a file is cut into pieces that fit");
	out = print_all(path, -1, &len);
	CHECK(len > 0 && len < n && !memcmp(out, data + n - len, len),
	      "the pieces print back as the line's end");
	free(out);
	free(data);
}

static void test_utf8(void)
{
	static const char in[] = "a\xff\xc3(b\xc3\xa9z\xe2\x82\n\xf0\x9f\x90\xb3\xed\xa0\x80!\0.";
	static const char want[] = "a\xef\xbf\xbd\xef\xbf\xbd(b\xc3\xa9z\xef\xbf\xbd\xef\xbf\xbd\n"
				   "\xf0\x9f\x90\xb3\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!\0.";
	struct ctr_log l;
	char path[128], *out;
	size_t len;

	clean();
	path_of(path, sizeof(path), "ctr.log");
	CHECK(ctr_log_open(&l, path, 0, 1) == 0, "log opens");
	CHECK(ctr_log_write(&l, "stdout", in, sizeof(in) - 1) == 0,
	      "bytes that are not UTF-8 are logged (not dropped)");
	ctr_log_close(&l);
	out = print_all(path, -1, &len);
	CHECK(len == sizeof(want) - 1 && !memcmp(out, want, len),
	      "invalid bytes become U+FFFD; UTF-8 and NUL kept");
	free(out);
}

/* 64 MiB (six files' worth) through the default bound: at most max-size x max-file stays. */
static void test_gigabyte(void)
{
	struct ctr_log l;
	char path[128], *chunk;
	size_t csize = 1 << 20;
	unsigned files;
	uint64_t total, largest;

	clean();
	path_of(path, sizeof(path), "ctr.log");
	chunk = malloc(csize);
	for (size_t i = 0; i < csize; i++)
		chunk[i] = i % 100 == 99 ? '\n' : 'x';
	CHECK(ctr_log_open(&l, path, CTR_LOG_DEFAULT_SIZE, CTR_LOG_DEFAULT_FILES) == 0,
	      "default-bounded log opens");
	for (int i = 0; i < 64; i++)
		if (ctr_log_write(&l, "stdout", chunk, csize) < 0)
			break;
	ctr_log_close(&l);
	total = log_bytes(&files, &largest);
	CHECK(files == CTR_LOG_DEFAULT_FILES && largest <= CTR_LOG_DEFAULT_SIZE &&
		      total <= CTR_LOG_DEFAULT_SIZE * CTR_LOG_DEFAULT_FILES,
	      "64 MiB written: at most 10m x 5 files on disk");
	free(chunk);
}

struct writer {
	struct ctr_log *l;
	volatile bool done;
};

static void *write_slowly(void *arg)
{
	struct writer *w = arg;
	char line[64];

	for (long i = 0; i < 600; i++) {
		int n = snprintf(line, sizeof(line), "line %ld\n", i);
		ctr_log_write(w->l, "stdout", line, n);
		usleep(3000);
	}
	w->done = true;
	return NULL;
}

static bool writer_running(void *arg)
{
	return !((struct writer *)arg)->done;
}

static void test_follow(void)
{
	struct ctr_log l;
	struct writer w = { .l = &l };
	char path[128], *out;
	pthread_t t;
	size_t len;
	int fd = memfd_create("out", 0);

	clean();
	path_of(path, sizeof(path), "ctr.log");
	CHECK(ctr_log_open(&l, path, 8192, 2) == 0, "8k x 2 log opens");
	pthread_create(&t, NULL, write_slowly, &w);
	CHECK(ctr_log_print(path, -1, true, fd, fd, writer_running, &w) == 0, "follow returns");
	pthread_join(t, NULL);
	ctr_log_close(&l);
	out = printed(fd, &len);
	CHECK(consecutive_until(out, 599) == 0, "-f: every line, across rotations, in order");
	free(out);
}

static void test_opts(void)
{
	uint64_t size = 0;
	unsigned files = 0;

	CHECK(ctr_log_opt("max-size=10m", &size, &files) == 0 && size == 10 << 20,
	      "--log-opt max-size=10m");
	CHECK(ctr_log_opt("max-file=3", &size, &files) == 0 && files == 3, "--log-opt max-file=3");
	CHECK(ctr_log_opt("max-size=1k", &size, &files) < 0 && strstr(zerr_msg(), "at least"),
	      "max-size below 4k refused");
	CHECK(ctr_log_opt("max-file=0", &size, &files) < 0, "max-file=0 refused");
	CHECK(ctr_log_opt("max-file=101", &size, &files) < 0, "max-file=101 refused");
	CHECK(ctr_log_opt("max-size=lots", &size, &files) < 0, "max-size=lots refused");
	CHECK(ctr_log_opt("compress=true", &size, &files) < 0 && strstr(zerr_msg(), "compress"),
	      "an unknown option is named");
	CHECK(size == 10 << 20 && files == 3, "a refused option changes nothing");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_unbounded();
	test_rotation();
	test_one_file();
	test_long_line();
	test_utf8();
	test_gigabyte();
	test_follow();
	test_opts();
	clean();
	rmdir(dir);
	CHECK_DONE();
}
