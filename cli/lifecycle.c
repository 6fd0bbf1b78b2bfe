/* zone stop [-t SECS] ID...   zone kill [-s SIG] ID...   zone rm [-f] ID...
 * zone wait ID...             zone inspect ID... */
#include "cli/commands.h"
#include "runtime/net_host.h"
#include "cli/container.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/spec.h"
#include "runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KILL_GRACE_MS 5000

/* Run fn on every ID argument; report each failure on its own line. */
static int each(struct zone_cli *cli, int argc, char **argv, int first,
		int (*fn)(const char *root, const char *ref, void *arg), void *arg)
{
	const char *root = zone_root(cli->root);
	int failed = 0;

	if (first >= argc)
		return zerr(EINVAL, "%s: no container given", argv[0]);
	for (int i = first; i < argc; i++) {
		if (fn(root, argv[i], arg) < 0) {
			fprintf(stderr, "%s %s: %s\n", cli->prog, argv[0], zerr_msg());
			failed = 1;
		}
	}
	return failed ? 1 : 0;
}

static int stop_one(const char *root, const char *ref, void *arg)
{
	long timeout_ms = *(long *)arg;
	struct ctr_state st;

	if (ctr_open(root, ref, &st) < 0)
		return -1;
	if (ctr_running(&st)) {
		int sig = st.config.stop_signal;
		/* StopSignal, then SIGKILL after the timeout; the monitor then
		 * shuts the zone down and we return once it is gone. */
		if (ctr_signal(&st, sig > 0 ? sig : SIGTERM) < 0 && zerr_errno() != ESRCH)
			fprintf(stderr, "zone stop: %s\n", zerr_msg());
		if (!ctr_wait_stopped(root, st.id, timeout_ms)) {
			ctr_signal(&st, SIGKILL);
			if (!ctr_wait_stopped(root, st.id, KILL_GRACE_MS)) {
				/* a zone that does not answer: end it from outside */
				if (st.vmm_pid > 0)
					kill(st.vmm_pid, SIGKILL);
				ctr_wait_stopped(root, st.id, KILL_GRACE_MS);
			}
		}
	}
	ctr_state_free(&st);
	printf("%s\n", ref);
	return 0;
}

int cmd_stop(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "time", required_argument, NULL, 't' }, { 0 } };
	uint64_t secs = 10;
	long ms;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c != 't' || parse_uint(optarg, 0, 86400, &secs) < 0)
			return zerr(EINVAL, "usage: zone stop [-t SECS] ID...");
	}
	ms = secs * 1000;
	return each(cli, argc, argv, optind, stop_one, &ms);
}

static int kill_one(const char *root, const char *ref, void *arg)
{
	struct ctr_state st;
	int r;

	if (ctr_open(root, ref, &st) < 0)
		return -1;
	r = ctr_signal(&st, *(int *)arg);
	ctr_state_free(&st);
	if (r == 0)
		printf("%s\n", ref);
	return r;
}

int cmd_kill(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "signal", required_argument, NULL, 's' }, { 0 } };
	int sig = SIGKILL, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (c != 's' || (sig = parse_signal(optarg)) < 0)
			return zerr(EINVAL, "zone kill: bad signal '%s'", c == 's' ? optarg : "");
	}
	return each(cli, argc, argv, optind, kill_one, &sig);
}

static int rm_one(const char *root, const char *ref, void *arg)
{
	bool force = *(bool *)arg;
	struct ctr_state st;
	int lock, r;

	if (ctr_open(root, ref, &st) < 0)
		return -1;
	if (ctr_running(&st)) {
		if (!force) {
			ctr_state_free(&st);
			return zerr(EBUSY, "container %s is running: stop it first or use rm -f", ref);
		}
		ctr_signal(&st, SIGKILL);
		if (!ctr_wait_stopped(root, st.id, KILL_GRACE_MS)) {
			if (st.vmm_pid > 0)
				kill(st.vmm_pid, SIGKILL);
			ctr_wait_stopped(root, st.id, KILL_GRACE_MS);
		}
	}
	/* a monitor killed with SIGKILL left its published ports behind */
	if (net_sweep(root) < 0)
		zerr_clear();
	lock = ctr_lock(root);
	r = ctr_remove(root, st.id);
	ctr_unlock(lock);
	ctr_state_free(&st);
	if (r == 0)
		printf("%s\n", ref);
	return r;
}

int cmd_rm(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return zerr(EINVAL, "usage: zone rm [-f] ID...");
		force = true;
	}
	return each(cli, argc, argv, optind, rm_one, &force);
}

static int wait_one(const char *root, const char *ref, void *arg)
{
	char id[CTR_REF_MAX + 1];
	struct ctr_state st;

	if (ctr_resolve(root, ref, id) < 0)
		return -1;
	ctr_wait_stopped(root, id, -1);
	if (ctr_load(root, id, &st) < 0)
		return zerr(ENOENT, "container %s was removed", ref);
	if (st.exited_known)
		printf("%d\n", st.exit_code);
	else
		printf("-1\n"); /* its monitor died: the status is unknown */
	ctr_state_free(&st);
	return 0;
}

int cmd_wait(struct zone_cli *cli, int argc, char **argv)
{
	return each(cli, argc, argv, 1, wait_one, NULL);
}

static int inspect_one(const char *root, const char *ref, void *arg)
{
	struct ctr_state st;
	json_t *all = arg, *j;

	if (ctr_open(root, ref, &st) < 0)
		return -1;
	j = ctr_state_to_json(&st);
	json_object_set_new(j, "status", json_string(ctr_status(&st)));
	json_object_set_new(j, "running", json_boolean(ctr_running(&st)));
	json_array_append_new(all, j);
	ctr_state_free(&st);
	return 0;
}

int cmd_inspect(struct zone_cli *cli, int argc, char **argv)
{
	json_t *all = json_array();
	int r = each(cli, argc, argv, 1, inspect_one, all);

	if (json_array_size(all)) {
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	}
	json_decref(all);
	return r;
}
