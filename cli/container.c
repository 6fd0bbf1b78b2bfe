#include "cli/container.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/state.h"
#include "runtime/zone_conn.h"

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
	if (!ctr_running(st))
		return zerr(ESRCH, "container %.12s is not running", st->id);
	return zone_signal(st, signo);
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
