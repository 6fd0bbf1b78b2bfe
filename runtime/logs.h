/* Container logs as json-lines, like docker's json-file driver:
 * {"time":"<RFC 3339>","stream":"stdout","log":"line\n"} per line. */
#ifndef ZONE_RUNTIME_LOGS_H
#define ZONE_RUNTIME_LOGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct ctr_log {
	int fd;
	pthread_mutex_t lock; /* stdout and stderr writers share the file */
};

int ctr_log_open(struct ctr_log *l, const char *path);
void ctr_log_close(struct ctr_log *l);
/* One entry per line of buf; a trailing partial line is its own entry. */
int ctr_log_write(struct ctr_log *l, const char *stream, const char *buf, size_t len);

/* Print the log at path: entries go to out_fd/err_fd by stream.  tail < 0:
 * everything.  follow: keep printing new entries until still_running()
 * returns false and the file has no more. */
int ctr_log_print(const char *path, long tail, bool follow, int out_fd, int err_fd,
		  bool (*still_running)(void *), void *arg);

#endif
