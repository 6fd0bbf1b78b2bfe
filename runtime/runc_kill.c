/* zone-runc kill [--all] ID [SIGNAL]   zone-runc delete [--force] ID
 * A running container's process gets the signal in its zone over IDM; a
 * created one has no process yet, so its monitor (which stands for it)
 * gets it, and the zone goes with the monitor. */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/zone_conn.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KILL_WAIT_MS 10000

static int signal_container(const struct ctr_state *st, int sig)
{
	if (st->status == CTR_CREATED || !st->proc) {
		if (kill(st->monitor_pid, sig) < 0)
			return zerr(errno, "kill monitor %d", (int)st->monitor_pid);
		return 0;
	}
	if (st->status == CTR_PAUSED && kill(st->vmm_pid, SIGCONT) < 0 && errno != ESRCH)
		return zerr(errno, "resume the zone to deliver the signal");
	return zone_signal(st, sig);
}

int runc_cmd_kill(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { 0 } };
	struct ctr_state st;
	int c, sig = SIGTERM, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+a", opts, NULL)) != -1)
		if (c != 'a')
			return runc_bad_flag(r, argv[optind - 1]);
	/* --all: every process of the container lives in its zone and ends
	 * with its init, so the init's signal is the one that matters */
	if (runc_nargs(r, argc, optind, 1, false) < 0)
		return -1;
	if (argc - optind > 2)
		return runc_usage(r, "%s: \"kill\" requires a maximum of 2 argument(s)", r->prog);
	if (runc_open(r, argv[optind], &st) < 0)
		return -1;
	if (argc - optind == 2 && (sig = runc_parse_signal(argv[optind + 1])) < 0) {
		ctr_state_free(&st);
		return zerr(0, "unknown signal \"%s\"", argv[optind + 1]);
	}
	if (!strcmp(runc_status(&st), "stopped")) {
		ctr_state_free(&st);
		return zerr(0, "container not running");
	}
	rc = signal_container(&st, sig);
	ctr_state_free(&st);
	return rc;
}

/* Kill what is left, run the poststop hooks, remove the state. */
int runc_delete_container(struct runc *r, const char *id, bool force)
{
	struct ctr_state st;
	struct oci_spec spec;
	const char *status;
	int lock, rc;

	if (runc_open(r, id, &st) < 0)
		return -1;
	status = runc_status(&st);
	if (strcmp(status, "stopped") && strcmp(status, "created") && !force) {
		rc = zerr(0, "cannot delete container %s that is not stopped: %s", id, status);
		ctr_state_free(&st);
		return rc;
	}
	if (strcmp(status, "stopped")) {
		signal_container(&st, SIGKILL);
		if (!runc_wait_gone(&st, KILL_WAIT_MS)) {
			/* a zone that does not answer: end it from outside */
			kill(st.monitor_pid, SIGKILL);
			if (st.vmm_pid > 0)
				kill(st.vmm_pid, SIGKILL);
			runc_wait_gone(&st, KILL_WAIT_MS);
		}
	}
	if (st.bundle && oci_spec_load(st.bundle, &spec) == 0) {
		if (runc_hooks_run(&spec, OCI_HOOK_POSTSTOP, &st) < 0)
			runc_log(r, RUNC_WARN, "%s", zerr_msg()); /* runc warns and goes on */
		oci_spec_free(&spec);
	}
	lock = ctr_lock(r->root);
	rc = ctr_remove(r->root, id);
	ctr_unlock(lock);
	ctr_state_free(&st);
	return rc;
}

int runc_cmd_delete(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return runc_bad_flag(r, argv[optind - 1]);
		force = true;
	}
	if (runc_nargs(r, argc, optind, 1, true) < 0)
		return -1;
	/* runc: deleting what does not exist with --force is no error */
	if (force) {
		struct ctr_state st;
		if (runc_open(r, argv[optind], &st) < 0)
			return 0;
		ctr_state_free(&st);
	}
	return runc_delete_container(r, argv[optind], force);
}
