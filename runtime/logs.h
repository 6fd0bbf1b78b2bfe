/* Container logs as json-lines, like docker's json-file driver:
 * {"time":"<RFC 3339>","stream":"stdout","log":"line\n"} per line.
 * Bounded like json-file's max-size/max-file: when the next entry would
 * take the file past max_size, ctr.log becomes ctr.log.1 (.1 becomes .2,
 * ...; the oldest beyond max_files goes), so a container that writes
 * forever keeps at most max_size * max_files bytes on the host. */
#ifndef ZONE_RUNTIME_LOGS_H
#define ZONE_RUNTIME_LOGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTR_LOG_DEFAULT_SIZE (10ULL << 20) /* kubelet's containerLogMaxSize */
#define CTR_LOG_DEFAULT_FILES 5		   /* and containerLogMaxFiles */
#define CTR_LOG_MIN_SIZE 4096		   /* room for an entry of a few hundred bytes */
#define CTR_LOG_MAX_FILES 100

struct ctr_log {
	int fd;
	pthread_mutex_t lock; /* stdout and stderr writers share the file */
	char *path;
	uint64_t size;	    /* bytes in the current file */
	uint64_t max_size;  /* 0: unbounded (containers made before the limit existed) */
	unsigned max_files; /* files kept, the current one included */
};

/* max_size 0: unbounded; else at least CTR_LOG_MIN_SIZE, and 1 <= max_files
 * <= CTR_LOG_MAX_FILES. */
int ctr_log_open(struct ctr_log *l, const char *path, uint64_t max_size, unsigned max_files);
void ctr_log_close(struct ctr_log *l);
/* One entry per line of buf; a trailing partial line is its own entry, and
 * so is each piece of a line too long for one file.  Bytes that are not
 * UTF-8 are logged as U+FFFD, as docker does. */
int ctr_log_write(struct ctr_log *l, const char *stream, const char *buf, size_t len);

/* Print the log at path (its rotated files first, oldest first): entries go
 * to out_fd/err_fd by stream.  tail < 0: everything.  follow: keep printing
 * new entries, across rotations, until still_running() returns false and
 * the file has no more. */
int ctr_log_print(const char *path, long tail, bool follow, int out_fd, int err_fd,
		  bool (*still_running)(void *), void *arg);

/* "max-size=10m" or "max-file=3" (podman/docker --log-opt) into *max_size /
 * *max_files; anything else is an error that names the option. */
int ctr_log_opt(const char *opt, uint64_t *max_size, unsigned *max_files);

#endif
