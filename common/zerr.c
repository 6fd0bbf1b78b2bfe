#include "zerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __thread char err_buf[ZERR_MAX];
static __thread int err_num;

int zerr(int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err_buf))
		snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(errnum));
	err_num = errnum;
	return -1;
}

int zerr_prefix(const char *fmt, ...)
{
	char pre[ZERR_MAX], old[ZERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err_buf, sizeof(old));
	/* truncation is fine: the message is advisory */
	size_t n = strnlen(pre, sizeof(err_buf) - 3);
	memcpy(err_buf, pre, n);
	memcpy(err_buf + n, ": ", 2);
	size_t room = sizeof(err_buf) - n - 3, olen = strnlen(old, room);
	memcpy(err_buf + n + 2, old, olen);
	err_buf[n + 2 + olen] = 0;
	return -1;
}

const char *zerr_msg(void)
{
	return err_buf[0] ? err_buf : "unknown error";
}

int zerr_errno(void)
{
	return err_num;
}

void zerr_set_errno(int errnum)
{
	err_num = errnum;
}

void zerr_clear(void)
{
	err_buf[0] = 0;
	err_num = 0;
}

void zerr_print(const char *prog)
{
	fprintf(stderr, "%s: %s\n", prog, zerr_msg());
}

void zfree_ptr(void *p)
{
	free(*(void **)p);
}

void zclose_ptr(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
