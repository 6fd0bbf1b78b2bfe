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
#include <sys/stat.h>
#include <unistd.h>

/* Worst case growth of a byte in an entry: a control byte or an invalid
 * one becomes a six-character \uXXXX escape. */
#define ESCAPE_GROWTH 6
#define ENTRY_OVERHEAD 160 /* {"time":...,"stream":"stdout","log":""}\n */

/* path.N: N = 0 is path itself */
static int rotated_path(const char *path, unsigned n, char *buf, size_t len)
{
	int r = n ? snprintf(buf, len, "%s.%u", path, n) : snprintf(buf, len, "%s", path);

	return r < 0 || (size_t)r >= len ? zerr(ENAMETOOLONG, "log path %s", path) : 0;
}

int ctr_log_open(struct ctr_log *l, const char *path, uint64_t max_size, unsigned max_files)
{
	struct stat st;

	if (max_size && (max_size < CTR_LOG_MIN_SIZE || max_files < 1 || max_files > CTR_LOG_MAX_FILES))
		return zerr(EINVAL, "log limits %llu bytes x %u files are out of range",
			    (unsigned long long)max_size, max_files);
	*l = (struct ctr_log){ .fd = -1, .max_size = max_size, .max_files = max_files };
	l->path = strdup(path);
	if (!l->path)
		return zerr(ENOMEM, "log path");
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (l->fd < 0 || fstat(l->fd, &st) < 0) {
		zerr(errno, "open log %s", path);
		ctr_log_close(l);
		return -1;
	}
	l->size = st.st_size;
	pthread_mutex_init(&l->lock, NULL);
	return 0;
}

void ctr_log_close(struct ctr_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* ctr.log -> ctr.log.1 -> ... -> ctr.log.<max_files-1>, the oldest dropped;
 * one file only: it starts over. */
static int rotate(struct ctr_log *l)
{
	char from[4200], to[4200];
	int fd;

	if (l->max_files == 1) {
		if (ftruncate(l->fd, 0) < 0)
			return zerr(errno, "truncating log %s", l->path);
		l->size = 0;
		return 0;
	}
	for (unsigned i = l->max_files - 1; i >= 1; i--) {
		if (rotated_path(l->path, i - 1, from, sizeof(from)) < 0 ||
		    rotated_path(l->path, i, to, sizeof(to)) < 0)
			return -1;
		if (rename(from, to) < 0 && errno != ENOENT)
			return zerr(errno, "rotating log %s", from);
	}
	fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return zerr(errno, "open log %s", l->path);
	close(l->fd);
	l->fd = fd;
	l->size = 0;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* buf as valid UTF-8 (malloc'd, *out_len bytes): jansson takes nothing else. */
static char *utf8_clean(const char *buf, size_t len, size_t *out_len)
{
	const unsigned char *s = (const unsigned char *)buf;
	char *out = malloc(len * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);

		if (n) {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
		}
	}
	*out_len = o - out;
	return out;
}

static int write_entry(struct ctr_log *l, const char *stream, const char *line, size_t len)
{
	char now[64], *clean, *text;
	size_t clean_len, tl;
	json_t *e;
	int r;

	clean = utf8_clean(line, len, &clean_len);
	if (!clean)
		return zerr(ENOMEM, "log entry");
	now_rfc3339(now, sizeof(now));
	e = json_pack("{s:s, s:s, s:s%}", "time", now, "stream", stream, "log", clean, clean_len);
	free(clean);
	if (!e)
		return zerr(ENOMEM, "log entry");
	text = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(e);
	if (!text)
		return zerr(ENOMEM, "log entry");
	tl = strlen(text);
	text[tl] = '\n'; /* replaces the NUL: one write per entry, atomic with O_APPEND */
	if (l->max_size && l->size && l->size + tl + 1 > l->max_size && rotate(l) < 0) {
		free(text);
		return -1;
	}
	r = write_all(l->fd, text, tl + 1) < 0 ? zerr(errno, "writing log") : 0;
	if (r == 0)
		l->size += tl + 1;
	free(text);
	return r;
}

int ctr_log_write(struct ctr_log *l, const char *stream, const char *buf, size_t len)
{
	/* a piece that, escaped, always fits in one file */
	size_t piece = l->max_size ? (l->max_size - ENTRY_OVERHEAD) / ESCAPE_GROWTH : len;
	int r = 0;

	pthread_mutex_lock(&l->lock);
	while (len && r == 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) + 1 : len;

		if (n > piece)
			n = piece;
		r = write_entry(l, stream, buf, n);
		buf += n;
		len -= n;
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* The last `keep` lines seen (keep < 0: none kept, each printed at once). */
struct backlog {
	long keep;
	char **ring;
	size_t cap, n, head; /* n lines, the oldest at ring[head] */
	int out_fd, err_fd;
};

static void print_entry(const char *line, int out_fd, int err_fd)
{
	json_error_t je;
	json_t *e = json_loads(line, JSON_ALLOW_NUL, &je);
	const char *stream, *log;

	if (!e)
		return; /* a torn write of a killed writer */
	stream = json_string_value(json_object_get(e, "stream"));
	log = json_string_value(json_object_get(e, "log"));
	if (log)
		write_all(stream && !strcmp(stream, "stderr") ? err_fd : out_fd, log,
			  json_string_length(json_object_get(e, "log")));
	json_decref(e);
}

static void backlog_add(struct backlog *b, const char *line)
{
	char *copy;

	if (b->keep < 0) {
		print_entry(line, b->out_fd, b->err_fd);
		return;
	}
	if (b->keep == 0 || !(copy = strdup(line)))
		return;
	if (b->n == (size_t)b->keep) { /* full: drop the oldest */
		free(b->ring[b->head]);
		b->ring[b->head] = copy;
		b->head = (b->head + 1) % b->cap;
		return;
	}
	if (b->n == b->cap) { /* grow; the ring has not wrapped yet (head is 0) */
		size_t cap = b->cap ? b->cap * 2 : 256;
		char **r;

		if (cap > (size_t)b->keep)
			cap = b->keep;
		r = realloc(b->ring, cap * sizeof(*r));
		if (!r) {
			free(copy);
			return;
		}
		b->ring = r;
		b->cap = cap;
	}
	b->ring[(b->head + b->n++) % b->cap] = copy;
}

static void backlog_flush(struct backlog *b)
{
	for (size_t i = 0; i < b->n; i++) {
		char *line = b->ring[(b->head + i) % b->cap];

		print_entry(line, b->out_fd, b->err_fd);
		free(line);
	}
	free(b->ring);
}

/* Complete lines of f to add(); a partial last line is left to reread. */
static void read_lines(FILE *f, char **line, size_t *cap, struct backlog *b)
{
	ssize_t len;

	clearerr(f);
	while ((len = getline(line, cap, f)) > 0) {
		if ((*line)[len - 1] != '\n') {
			fseek(f, -len, SEEK_CUR);
			break;
		}
		backlog_add(b, *line);
	}
}

/* Follow f to the file now at path when the writer rotated it (after
 * reading what was still added to f: once renamed it gets nothing more),
 * or back to its start when the writer cut it (one file only). */
static FILE *follow_rotation(FILE *f, const char *path, char **line, size_t *cap,
			     struct backlog *b)
{
	struct stat now, cur;
	FILE *n;

	if (fstat(fileno(f), &cur) < 0)
		return f;
	if (cur.st_size < ftell(f)) {
		fseek(f, 0, SEEK_SET);
		return f;
	}
	if (stat(path, &now) < 0 || (now.st_ino == cur.st_ino && now.st_dev == cur.st_dev))
		return f;
	if (!(n = fopen(path, "re")))
		return f;
	read_lines(f, line, cap, b);
	fclose(f);
	return n;
}

int ctr_log_print(const char *path, long tail, bool follow, int out_fd, int err_fd,
		  bool (*still_running)(void *), void *arg)
{
	struct backlog b = { .keep = tail, .out_fd = out_fd, .err_fd = err_fd };
	FILE *files[CTR_LOG_MAX_FILES + 1] = { 0 };
	char *line = NULL, name[4200];
	size_t cap = 0;

	/* Open every file first: a rotation while we read moves names, not
	 * the open files. */
	for (unsigned i = CTR_LOG_MAX_FILES + 1; i-- > 0;) {
		if (rotated_path(path, i, name, sizeof(name)) < 0)
			return -1;
		files[i] = fopen(name, "re");
		if (!files[i] && errno != ENOENT) {
			zerr(errno, "open %s", name);
			for (unsigned j = CTR_LOG_MAX_FILES + 1; j-- > i + 1;)
				if (files[j])
					fclose(files[j]);
			return -1;
		}
	}
	for (unsigned i = CTR_LOG_MAX_FILES + 1; i-- > 0;) {
		if (!files[i])
			continue;
		read_lines(files[i], &line, &cap, &b);
		if (i)
			fclose(files[i]);
	}
	backlog_flush(&b);
	b = (struct backlog){ .keep = -1, .out_fd = out_fd, .err_fd = err_fd };
	while (follow) {
		bool running = still_running(arg);

		if (!files[0]) /* no log yet: nothing written so far */
			files[0] = fopen(path, "re");
		if (files[0]) {
			read_lines(files[0], &line, &cap, &b);
			files[0] = follow_rotation(files[0], path, &line, &cap, &b);
			if (!running)
				read_lines(files[0], &line, &cap, &b);
		}
		if (!running)
			break;
		usleep(100000);
	}
	free(line);
	if (files[0])
		fclose(files[0]);
	return 0;
}

int ctr_log_opt(const char *opt, uint64_t *max_size, unsigned *max_files)
{
	const char *eq = strchr(opt, '=');
	uint64_t v;

	if (eq && !strncmp(opt, "max-size=", 9)) {
		if (parse_size(eq + 1, &v) < 0)
			return zerr_prefix("--log-opt %s", opt);
		if (v < CTR_LOG_MIN_SIZE)
			return zerr(EINVAL, "--log-opt %s: at least %d bytes", opt, CTR_LOG_MIN_SIZE);
		*max_size = v;
		return 0;
	}
	if (eq && !strncmp(opt, "max-file=", 9)) {
		if (parse_uint(eq + 1, 1, CTR_LOG_MAX_FILES, &v) < 0)
			return zerr(EINVAL, "--log-opt %s: want 1 to %d files", opt, CTR_LOG_MAX_FILES);
		*max_files = v;
		return 0;
	}
	return zerr(EINVAL, "--log-opt %s: want max-size=SIZE or max-file=N", opt);
}
