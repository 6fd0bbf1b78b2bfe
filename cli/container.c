#include "cli/container.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"
#include "runtime/state.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ctr_open(const char *root, const char *ref, struct ctr_state *st)
{
	char id[CTR_REF_MAX + 1];

	if (ctr_resolve(root, ref, id) < 0 || ctr_load(root, id, st) < 0)
		return -1;
	return 0;
}

const char *ctr_status(const struct ctr_state *st)
{
	if (st->status == CTR_RUNNING && !ctr_running(st))
		return "exited"; /* its monitor died without recording the end */
	return ctr_status_name(st->status);
}

int ctr_signal(const struct ctr_state *st, int signo)
{
	const char *id = st->id;
	uint32_t proc = st->proc;
	struct idm_conn *c;
	char sock[4096];
	int r;

	if (!ctr_running(st))
		return zerr(ESRCH, "container %.12s is not running", id);
	if (!proc)
		return zerr(EAGAIN, "container %.12s is still starting", id);
	if (ctr_vsock_path(id, sock, sizeof(sock)) < 0 || idm_conn_connect(sock, IDM_VSOCK_PORT, &c) < 0)
		return -1;
	r = idm_signal(c, proc, signo);
	idm_conn_close(c);
	return r;
}

bool ctr_wait_stopped(const char *root, const char *id, long ms)
{
	uint64_t deadline = monotonic_ms() + (ms < 0 ? 0 : ms);

	for (;;) {
		struct ctr_state st;
		bool running;

		if (ctr_load(root, id, &st) < 0)
			return true; /* removed (--rm) */
		running = ctr_running(&st);
		ctr_state_free(&st);
		if (!running)
			return true;
		if (ms >= 0 && monotonic_ms() >= deadline)
			return false;
		usleep(20000);
	}
}
