#include "vmm/cmd_runner.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 30000 /* a zone that has not served IDM by then is broken */

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=xterm",
	NULL,
};

static int read_ok_line(int fd, uint64_t deadline)
{
	char line[32];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = monotonic_ms();
		if (now >= deadline || poll(&p, 1, deadline - now) <= 0)
			return -1;
		if (read(fd, line + n, 1) != 1)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return strncmp(line, "OK ", 3) == 0 ? 0 : -1;
}

/* zone-init listens only once the guest has booted: until then the guest
 * resets our connection, and we try again. */
static struct idm_conn *connect_zone(struct cmd_runner *r)
{
	uint64_t deadline = monotonic_ms() + CONNECT_TIMEOUT_MS;
	struct idm_conn *conn = NULL;

	while (!r->stopping && monotonic_ms() < deadline) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			zerr(errno, "socketpair");
			return NULL;
		}
		if (virtio_vsock_connect_fd(r->vsock, sv[1], IDM_VSOCK_PORT) < 0) {
			close(sv[0]);
			return NULL;
		}
		/* "OK <port>\n" once zone-init accepted; EOF if nobody listens yet */
		if (read_ok_line(sv[0], deadline) < 0)
			close(sv[0]);
		else if (idm_conn_open_fd(sv[0], &conn) == 0) /* owns sv[0] from here */
			return conn;
		usleep(2000);
	}
	zerr(ETIMEDOUT, "zone-init did not answer on vsock port %d", IDM_VSOCK_PORT);
	return NULL;
}

static void *runner_main(void *arg)
{
	struct cmd_runner *r = arg;
	struct idm_start start = { 0 };
	struct idm_conn *conn;
	int code, rc;

	conn = connect_zone(r);
	if (!conn)
		goto fail;
	for (start.argc = 0; r->argv[start.argc]; start.argc++)
		;
	start.argv = r->argv;
	start.env = (char **)default_env;
	start.envc = 3;
	start.umask = 022;
	start.tty = r->tty;
	start.kill_on_close = true;
	rc = idm_run_process(conn, &start, r->interactive ? STDIN_FILENO : -1, STDOUT_FILENO,
			     STDERR_FILENO, r->tty, &code);
	if (rc == -2) {
		/* like a shell (and podman): 127 not found, 126 not runnable */
		fprintf(stderr, "zone-vmm: %s\n", zerr_msg());
		code = zerr_errno() == ENOENT ? 127 : 126;
	} else if (rc < 0) {
		idm_conn_close(conn);
		goto fail;
	}
	r->exit_code = code;
	/* zone-init kills what is left, syncs and reboots */
	if (idm_shutdown(conn) < 0)
		vm_stop(r->vm, VM_STOP_SHUTDOWN);
	idm_conn_close(conn);
	return NULL;
fail:
	if (!r->stopping)
		snprintf(r->error, sizeof(r->error), "%s", zerr_msg());
	vm_stop(r->vm, VM_STOP_SHUTDOWN);
	return NULL;
}

int cmd_runner_start(struct cmd_runner *r)
{
	sigset_t all, old;
	int e;

	r->exit_code = -1;
	/* signals stay with the main thread's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&r->thread, NULL, runner_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		return zerr(e, "starting the command runner");
	r->started = true;
	return 0;
}

void cmd_runner_join(struct cmd_runner *r)
{
	if (!r->started)
		return;
	r->stopping = true;
	pthread_join(r->thread, NULL);
	r->started = false;
}
