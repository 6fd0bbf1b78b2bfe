/* zone logs [-f] [--tail N] ID: a container's output, also after it ended. */
#include "cli/commands.h"
#include "cli/container.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/logs.h"
#include "runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct follow_ctx {
	const char *root;
	char id[CTR_REF_MAX + 1];
};

static bool still_running(void *arg)
{
	struct follow_ctx *f = arg;
	struct ctr_state st;
	bool r;

	if (ctr_load(f->root, f->id, &st) < 0)
		return false;
	r = ctr_running(&st);
	ctr_state_free(&st);
	return r;
}

int cmd_logs(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'T' },
		{ 0 },
	};
	struct follow_ctx fc = { .root = zone_root(cli->root) };
	bool follow = false;
	long tail = -1;
	uint64_t v;
	char path[4200];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c == 'f') {
			follow = true;
		} else if (c == 'T' && !strcmp(optarg, "all")) {
			tail = -1;
		} else if (c == 'T' && parse_uint(optarg, 0, 1u << 30, &v) == 0) {
			tail = v;
		} else {
			return zerr(EINVAL, "usage: zone logs [-f] [--tail N] ID");
		}
	}
	if (optind != argc - 1)
		return zerr(EINVAL, "usage: zone logs [-f] [--tail N] ID");
	if (ctr_resolve(fc.root, argv[optind], fc.id) < 0 ||
	    ctr_log_path(fc.root, fc.id, path, sizeof(path)) < 0)
		return -1;
	fflush(stdout);
	return ctr_log_print(path, tail, follow, STDOUT_FILENO, STDERR_FILENO, still_running, &fc);
}
