/* Small helpers shared by host tools and zone-init. */
#ifndef ZONE_UTIL_H
#define ZONE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Parse "256M", "1G", "4096", "512k" into bytes. Returns -1 (zerr) on bad input. */
int parse_size(const char *s, uint64_t *out);
/* Parse a decimal unsigned within [min,max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);
/* Replace path with buf atomically: a temp file beside it, fsync, rename,
 * fsync of the directory.  A crash leaves the old file or the new one. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);
/* Read a whole file (at most max bytes) into a malloc'd buffer. */
int read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* The same for what a caller names as input: also a pipe or a terminal
 * (/dev/stdin), read to its end. */
int read_input(const char *path, size_t max, uint8_t **out, size_t *len);

/* CLOCK_MONOTONIC in milliseconds: for deadlines and timeouts. */
uint64_t monotonic_ms(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))

#endif
