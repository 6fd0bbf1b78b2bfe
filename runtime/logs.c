#include "runtime/logs.h"
#include "runtime/state.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ctr_log_open(struct ctr_log *l, const char *path)
{
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (l->fd < 0)
		return zerr(errno, "open log %s", path);
	pthread_mutex_init(&l->lock, NULL);
	return 0;
}

void ctr_log_close(struct ctr_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static int write_entry(struct ctr_log *l, const char *stream, const char *line, size_t len)
{
	char now[64];
	json_t *e;
	char *text;
	int r;

	now_rfc3339(now, sizeof(now));
	e = json_pack("{s:s, s:s, s:s%}", "time", now, "stream", stream, "log", line, len);
	if (!e)
		return zerr(ENOMEM, "log entry");
	text = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(e);
	if (!text)
		return zerr(ENOMEM, "log entry");
	size_t tl = strlen(text);
	text[tl] = '\n'; /* replaces the NUL: one write per entry, atomic with O_APPEND */
	r = write_all(l->fd, text, tl + 1) < 0 ? zerr(errno, "writing log") : 0;
	free(text);
	return r;
}

int ctr_log_write(struct ctr_log *l, const char *stream, const char *buf, size_t len)
{
	int r = 0;

	pthread_mutex_lock(&l->lock);
	while (len && r == 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) + 1 : len;
		r = write_entry(l, stream, buf, n);
		buf += n;
		len -= n;
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* Print complete entries from f, remembering a partial last line. */
static void print_entries(char **lines, size_t n, int out_fd, int err_fd)
{
	for (size_t i = 0; i < n; i++) {
		json_error_t je;
		json_t *e = json_loads(lines[i], 0, &je);
		const char *stream, *log;
		size_t loglen;

		if (!e)
			continue; /* a torn write of a killed writer */
		stream = json_string_value(json_object_get(e, "stream"));
		log = json_string_value(json_object_get(e, "log"));
		loglen = json_string_length(json_object_get(e, "log"));
		if (log)
			write_all(stream && !strcmp(stream, "stderr") ? err_fd : out_fd, log, loglen);
		json_decref(e);
	}
}

int ctr_log_print(const char *path, long tail, bool follow, int out_fd, int err_fd,
		  bool (*still_running)(void *), void *arg)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, n = 0, alloc = 0;
	char **lines = NULL;
	ssize_t len;

	if (!f)
		return errno == ENOENT ? 0 : zerr(errno, "open %s", path);
	/* the backlog, of which the last `tail` entries are printed */
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n') { /* partial: reread it later */
			fseek(f, -len, SEEK_CUR);
			break;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			lines = realloc(lines, alloc * sizeof(*lines));
		}
		lines[n++] = strdup(line);
	}
	size_t first = tail >= 0 && (size_t)tail < n ? n - tail : 0;
	print_entries(lines + first, n - first, out_fd, err_fd);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);

	while (follow) {
		bool running = still_running(arg);
		clearerr(f);
		while ((len = getline(&line, &cap, f)) > 0) {
			if (line[len - 1] != '\n') {
				fseek(f, -len, SEEK_CUR);
				break;
			}
			print_entries(&line, 1, out_fd, err_fd);
		}
		if (!running)
			break;
		usleep(100000);
	}
	free(line);
	fclose(f);
	return 0;
}
