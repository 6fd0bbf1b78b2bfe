#include "util.h"
#include "zerr.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return zerr(0, "'%s' is not a number", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return zerr(0, "'%s' is not a number", s);
	if (v < min || v > max)
		return zerr(0, "%s is out of range [%llu, %llu]", s,
			    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return zerr(0, "'%s' is not a size (like 256M)", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return zerr(0, "'%s' is not a size (like 256M)", s);
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: return zerr(0, "'%s' is not a size (like 256M)", s);
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return zerr(0, "'%s' is not a size (like 256M)", s);
	if (shift && v > (UINT64_MAX >> shift))
		return zerr(0, "size '%s' is too large", s);
	*out = (uint64_t)v << shift;
	return 0;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 12), *slash;
	int fd, dfd, e;

	if (!tmp)
		return zerr(ENOMEM, "write %s", path);
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmpXXXXXX", 11);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(tmp);
		return zerr(e, "create a temporary file for %s", path);
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		goto fail;
	}
	free(tmp);
	/* the rename itself is durable once the directory is synced */
	slash = strrchr(path, '/');
	if (slash == path)
		dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		char *dir = strndup(path, (size_t)(slash - path));
		dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		free(dir);
	} else
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return zerr(e, "write %s", path);
}

int read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	z_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	ssize_t n;

	if (fd < 0)
		return zerr(errno, "cannot open %s", path);
	if (fstat(fd, &st) < 0)
		return zerr(errno, "cannot stat %s", path);
	if (!S_ISREG(st.st_mode))
		return zerr(0, "%s is not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return zerr(0, "%s is too large (%lld bytes, max %zu)", path,
			    (long long)st.st_size, max);
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		return zerr(ENOMEM, "reading %s", path);
	n = read_all(fd, buf, st.st_size);
	if (n != st.st_size) {
		free(buf);
		return zerr(n < 0 ? errno : 0, "short read on %s", path);
	}
	*out = buf;
	*len = n;
	return 0;
}

int read_input(const char *path, size_t max, uint8_t **out, size_t *len)
{
	z_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	uint8_t *buf;

	if (fd < 0)
		return zerr(errno, "cannot open %s", path);
	if (!(buf = malloc(cap)))
		return zerr(ENOMEM, "reading %s", path);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *nb = cap > max ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return cap > max ? zerr(0, "%s is too large (max %zu bytes)", path, max)
						 : zerr(ENOMEM, "reading %s", path);
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return zerr(errno, "reading %s", path);
		}
		if (r == 0)
			break;
		n += r;
	}
	if (n > max) {
		free(buf);
		return zerr(0, "%s is too large (max %zu bytes)", path, max);
	}
	*out = buf;
	*len = n;
	return 0;
}

uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}
