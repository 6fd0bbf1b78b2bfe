/* zone-runc's logging: logrus's text and JSON formats, as runc writes
 * them, because containerd and podman read the last line of the log. */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = { "debug", "info", "warning", "error" };

/* Go's %q for the msg field: quotes, backslash escapes. */
static void quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void now_seconds(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_line(const struct runc *r, FILE *f, enum runc_level level, const char *msg)
{
	char now[32];

	now_seconds(now, sizeof(now));
	if (r->log_json) {
		json_t *e = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg, "time", now);
		char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
		if (text)
			fprintf(f, "%s\n", text);
		free(text);
		json_decref(e);
		return;
	}
	fprintf(f, "time=\"%s\" level=%s msg=", now, level_names[level]);
	quote(f, msg);
	fputc('\n', f);
}

void runc_log(const struct runc *r, enum runc_level level, const char *fmt, ...)
{
	char msg[ZERR_MAX + 256];
	va_list ap;
	FILE *f;

	if (level == RUNC_DEBUG && !r->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->log_path) {
		write_line(r, stderr, level, msg);
		return;
	}
	f = fopen(r->log_path, "ae");
	if (f) {
		write_line(r, f, level, msg);
		fclose(f);
	}
	/* runc with --log still tells the caller on stderr, plainly */
	if (level == RUNC_ERROR)
		fprintf(stderr, "%s\n", msg);
}

int runc_usage(struct runc *r, const char *fmt, ...)
{
	char msg[ZERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->usage_error = true;
	return zerr(0, "%s", msg);
}

int runc_nargs(struct runc *r, int argc, int first, int n, bool exact)
{
	int have = argc - first;

	if (exact && have != n)
		return runc_usage(r, "%s: \"%s\" requires exactly %d argument(s)", r->prog, r->cmd, n);
	if (!exact && have < n)
		return runc_usage(r, "%s: \"%s\" requires a minimum of %d argument(s)", r->prog, r->cmd, n);
	return 0;
}

int runc_bad_flag(struct runc *r, const char *arg)
{
	/* Go's flag package names it with one dash and without its value */
	size_t len;

	while (*arg == '-')
		arg++;
	len = strcspn(arg, "=");
	return runc_usage(r, "flag provided but not defined: -%.*s", (int)len, arg);
}
