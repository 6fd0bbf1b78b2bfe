/* Starting one container process for zone-init: fork, credentials,
 * limits, capabilities, stdio on pipes or a pty, exec.  Only raw
 * syscalls and libc calls that work in a static binary (no NSS). */
#ifndef ZONE_INIT_PROCESS_H
#define ZONE_INIT_PROCESS_H

#include "idm/messages.h"

#include <sys/types.h>

struct spawned {
	pid_t pid;
	/* Parent ends, nonblocking and close-on-exec.  With a tty, stdin_fd
	 * and stdout_fd are the same pty master and stderr_fd is -1. */
	int stdin_fd, stdout_fd, stderr_fd;
};

/* Start the process; returns only after it exec'd (0) or failed (-1,
 * zerr with the child's errno and the step that failed, child reaped). */
int proc_spawn(const struct idm_start *s, struct spawned *out);
/* Set a pty's window size. */
int pty_resize(int ptm, unsigned rows, unsigned cols);

#endif
