/* zone-runc pause ID / resume ID: the whole zone stops (its VMM process
 * is stopped, vCPUs and devices with it), as a frozen cgroup stops a
 * runc container.  zone-runc update --resources FILE|- ID: checked; the
 * zone's vCPUs and memory are fixed while it runs. */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int set_paused(struct runc *r, int argc, char **argv, bool pause)
{
	struct ctr_state st;
	const char *status;
	int rc = 0, lock;

	if (runc_nargs(r, argc, 1, 1, true) < 0 || runc_open(r, argv[1], &st) < 0)
		return -1;
	status = runc_status(&st);
	if (pause && strcmp(status, "running"))
		rc = zerr(0, "container not running");
	else if (!pause && strcmp(status, "paused"))
		rc = zerr(0, "container not paused");
	else if (st.vmm_pid <= 0 || kill(st.vmm_pid, pause ? SIGSTOP : SIGCONT) < 0)
		rc = zerr(errno ? errno : ESRCH, "%s the zone", pause ? "pause" : "resume");
	if (rc == 0) {
		/* the monitor saves the state too (exit): serialise with it */
		lock = ctr_lock(r->root);
		struct ctr_state now;
		if (ctr_load(r->root, st.id, &now) == 0) {
			if (now.status != CTR_EXITED) {
				now.status = pause ? CTR_PAUSED : CTR_RUNNING;
				rc = ctr_save(r->root, &now);
			}
			ctr_state_free(&now);
		}
		ctr_unlock(lock);
	}
	ctr_state_free(&st);
	return rc;
}

int runc_cmd_pause(struct runc *r, int argc, char **argv)
{
	return set_paused(r, argc, argv, true);
}

int runc_cmd_resume(struct runc *r, int argc, char **argv)
{
	return set_paused(r, argc, argv, false);
}

int runc_cmd_update(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = { { "resources", required_argument, NULL, 'r' }, { 0 } };
	const char *file = NULL;
	struct ctr_state st;
	struct oci_spec spec;
	uint8_t *text = NULL;
	size_t len = 0;
	char *doc;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+r:", opts, NULL)) != -1) {
		if (c != 'r')
			return zerr(0, "%s: only --resources is supported: a zone's size is fixed while it runs",
				    argv[optind - 1]);
		file = optarg;
	}
	if (runc_nargs(r, argc, optind, 1, true) < 0 || runc_open(r, argv[optind], &st) < 0)
		return -1;
	if (!file) {
		ctr_state_free(&st);
		return zerr(0, "no resources given (--resources FILE or -)");
	}
	rc = read_file(!strcmp(file, "-") ? "/dev/stdin" : file, 1 << 20, &text, &len);
	if (rc == 0) {
		/* check it with the config parser: a minimal spec around it */
		if (asprintf(&doc, "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],\"cwd\":\"/\"},"
				   "\"linux\":{\"resources\":%.*s}}", (int)len, (char *)text) < 0) {
			rc = zerr(ENOMEM, "update");
		} else {
			rc = oci_spec_parse(doc, strlen(doc), &spec);
			free(doc);
			if (rc == 0) {
				if (spec.cpus != st.config.cpus && json_object_get(json_object_get(spec.resources, "cpu"), "quota"))
					rc = zerr(0, "a zone's vCPUs cannot change while it runs (%u now, %u asked)",
						  st.config.cpus, spec.cpus);
				else if (spec.memory != OCI_DEFAULT_MEMORY && spec.memory != st.config.memory)
					rc = zerr(0, "a zone's memory cannot change while it runs");
				oci_spec_free(&spec);
			}
		}
	}
	free(text);
	ctr_state_free(&st);
	return rc;
}
