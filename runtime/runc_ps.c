/* zone-runc ps [--format table|json] ID [PS_ARGS...]
 * zone-runc events [--stats] [--interval D] ID
 * The host processes that stand for the container are its monitor (the
 * container's init) and zone-vmm (the zone itself); its processes inside
 * the zone have no host pids. */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "runtime/zone_conn.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_ours(const struct ctr_state *st, long pid)
{
	return pid > 0 && (pid == st->monitor_pid || pid == st->vmm_pid);
}

int runc_cmd_ps(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
	struct ctr_state st;
	bool json = false;
	char cmd[4096], line[4096];
	int c, pid_col = -1;
	size_t off;
	FILE *p;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'f')
			return zerr(0, "invalid format option");
		else
			return runc_bad_flag(r, argv[optind - 1]);
	}
	if (runc_nargs(r, argc, optind, 1, false) < 0 || runc_open(r, argv[optind], &st) < 0)
		return -1;
	if (!strcmp(runc_status(&st), "stopped")) {
		ctr_state_free(&st);
		return zerr(0, "container not running");
	}
	if (json) {
		printf("[%d", (int)st.monitor_pid);
		if (st.vmm_pid > 0)
			printf(",%d", (int)st.vmm_pid);
		printf("]\n");
		ctr_state_free(&st);
		return 0;
	}
	/* runc: ps with the given arguments (default -ef), rows whose PID
	 * column is one of the container's */
	off = snprintf(cmd, sizeof(cmd), "ps");
	if (argc - optind == 1)
		off += snprintf(cmd + off, sizeof(cmd) - off, " -ef");
	for (int i = optind + 1; i < argc && off < sizeof(cmd); i++) {
		if (strspn(argv[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,=_") !=
		    strlen(argv[i])) {
			ctr_state_free(&st);
			return zerr(0, "ps argument %s: only letters, digits and -,=_", argv[i]);
		}
		off += snprintf(cmd + off, sizeof(cmd) - off, " %s", argv[i]);
	}
	fflush(stdout);
	p = popen(cmd, "re");
	if (!p) {
		ctr_state_free(&st);
		return zerr(errno, "ps");
	}
	if (fgets(line, sizeof(line), p)) {
		char copy[4096], *tok, *save;
		int col = 0;
		fputs(line, stdout);
		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
			if (!strcmp(tok, "PID"))
				pid_col = col;
	}
	while (fgets(line, sizeof(line), p)) {
		char copy[4096], *tok, *save;
		int col = 0;
		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok && col < pid_col; col++)
			tok = strtok_r(NULL, " \t\n", &save);
		if (tok && is_ours(&st, strtol(tok, NULL, 10)))
			fputs(line, stdout);
	}
	ctr_state_free(&st);
	if (pclose(p) != 0)
		return zerr(0, "ps %s failed", cmd + 2);
	if (pid_col < 0)
		return zerr(0, "couldn't find PID field in ps output");
	return 0;
}

/* One stats event, in runc's shape, from zone-init's STATS. */
static int stats_event(const struct ctr_state *st, json_t **out)
{
	struct idm_stats s;
	struct idm_conn *c;
	int r;

	if (zone_connect(st, &c) < 0)
		return -1;
	r = idm_stats(c, st->proc, &s);
	idm_conn_close(c);
	if (r < 0)
		return -1;
	*out = json_pack("{s:s, s:s, s:{s:{s:{s:I, s:I, s:I}}, s:{s:{s:I, s:I}}, s:{s:I}}}", "type", "stats",
			 "id", st->id, "data", "cpu", "usage", "total",
			 (json_int_t)((s.cpu_user_us + s.cpu_system_us) * 1000), "user",
			 (json_int_t)(s.cpu_user_us * 1000), "kernel", (json_int_t)(s.cpu_system_us * 1000),
			 "memory", "usage", "usage", (json_int_t)(s.mem_total - s.mem_available), "limit",
			 (json_int_t)s.mem_total, "pids", "current", (json_int_t)s.pids);
	return *out ? 0 : zerr(ENOMEM, "stats");
}

int runc_cmd_events(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ 0 },
	};
	struct ctr_state st;
	bool once = false;
	unsigned interval = 5;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's') {
			once = true;
		} else if (c == 'i') {
			char *end;
			double d = strtod(optarg, &end);
			/* Go durations: "5s", "1m"; a bare number is seconds */
			if (end == optarg || d <= 0 || (*end && strcmp(end, "s") && strcmp(end, "m")))
				return zerr(0, "invalid interval %s", optarg);
			interval = (unsigned)(d * (*end == 'm' ? 60 : 1));
			if (!interval)
				interval = 1;
		} else {
			return runc_bad_flag(r, argv[optind - 1]);
		}
	}
	if (runc_nargs(r, argc, optind, 1, true) < 0 || runc_open(r, argv[optind], &st) < 0)
		return -1;
	for (;;) {
		json_t *e;
		if (strcmp(runc_status(&st), "running")) {
			ctr_state_free(&st);
			return zerr(0, "container with id %s is not running", argv[optind]);
		}
		if (stats_event(&st, &e) < 0) {
			ctr_state_free(&st);
			return -1;
		}
		json_dumpf(e, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		fflush(stdout);
		json_decref(e);
		if (once)
			break;
		sleep(interval);
		ctr_state_free(&st);
		if (runc_open(r, argv[optind], &st) < 0)
			return 0; /* deleted: the stream ends */
	}
	ctr_state_free(&st);
	return 0;
}
