/* What zone-runc's commands share about one container: lookup, runc's
 * status and state JSON, pid files, signals. */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int runc_open(const struct runc *r, const char *id, struct ctr_state *st)
{
	memset(st, 0, sizeof(*st));
	if (!ctr_id_valid(id) || ctr_load(r->root, id, st) < 0) {
		zerr(0, "container does not exist");
		zerr_set_errno(ENOENT);
		return -1;
	}
	return 0;
}

const char *runc_status(const struct ctr_state *st)
{
	if (!ctr_monitor_alive(st))
		return "stopped";
	switch (st->status) {
	case CTR_CREATED: return "created";
	case CTR_RUNNING: return "running";
	case CTR_PAUSED: return "paused";
	default: return "stopped"; /* exited: the monitor is on its way out */
	}
}

pid_t runc_pid(const struct ctr_state *st)
{
	return strcmp(runc_status(st), "stopped") ? st->monitor_pid : 0;
}

/* The state directory's owner, as runc reports it. */
static void owner_of(const struct ctr_state *st, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());

	snprintf(buf, len, "%s", pw ? pw->pw_name : "");
}

json_t *runc_state_json(const struct ctr_state *st)
{
	char owner[256];
	json_t *j;

	owner_of(st, owner, sizeof(owner));
	j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", OCI_VERSION, "id", st->id,
		      "pid", (int)runc_pid(st), "status", runc_status(st), "bundle",
		      st->bundle ? st->bundle : "", "rootfs", st->rootfs ? st->rootfs : "", "created",
		      st->created ? st->created : "");
	if (!j)
		return NULL;
	if (st->annotations && json_object_size(st->annotations))
		json_object_set(j, "annotations", st->annotations);
	json_object_set_new(j, "owner", json_string(owner));
	return j;
}

int runc_write_pid_file(const char *path, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	return write_file_atomic(path, buf, (size_t)n, 0644);
}

bool runc_wait_gone(const struct ctr_state *st, long ms)
{
	uint64_t deadline = monotonic_ms() + ms;

	while (ctr_monitor_alive(st)) {
		if (monotonic_ms() >= deadline)
			return false;
		usleep(10000);
	}
	return true;
}

int runc_parse_signal(const char *s)
{
	return parse_signal(s);
}

/* Leave as the container's process left: same status, or same signal. */
void runc_exit_like(int code)
{
	int sig = code - 128;

	if (sig > 0 && sig < 32 && sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN &&
	    sig != SIGTTOU && sig != SIGCHLD && sig != SIGCONT && sig != SIGURG && sig != SIGWINCH) {
		struct rlimit no_core = { 0, 0 };
		sigset_t set;

		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	_exit(code & 0xff);
}

