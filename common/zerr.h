/* One error type for the whole project: a failing function records a
 * message in a thread-local slot and returns -1; callers add context
 * with zerr_prefix() and the top level prints it as one line. */
#ifndef ZONE_ZERR_H
#define ZONE_ZERR_H

#include <stdarg.h>

#define ZERR_MAX 512

/* Record an error (errnum may be 0) and return -1. */
int zerr(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepend context to the recorded error; returns -1. */
int zerr_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *zerr_msg(void);
int zerr_errno(void);
/* Set the recorded errno without touching the message (e.g. a peer's code
 * whose text is already in the message). */
void zerr_set_errno(int errnum);
void zerr_clear(void);
/* Print "prog: message" to stderr. */
void zerr_print(const char *prog);

/* cleanup helpers, crun style */
void zfree_ptr(void *p);
void zclose_ptr(int *fd);
#define z_autofree __attribute__((cleanup(zfree_ptr)))
#define z_autoclose __attribute__((cleanup(zclose_ptr)))

#endif
