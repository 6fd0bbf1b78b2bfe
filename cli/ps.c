/* zone ps [-a] [--format json]: running containers (-a: all). */
#include "cli/commands.h"
#include "cli/container.h"
#include "common/zerr.h"
#include "runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "3 seconds", "5 minutes" since an RFC 3339 UTC time. */
static void ago(const char *t, char *buf, size_t len)
{
	struct tm tm = { 0 };
	time_t then, now = time(NULL);
	long d;

	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	then = timegm(&tm);
	d = now > then ? now - then : 0;
	if (d < 60)
		snprintf(buf, len, "%ld second%s", d, d == 1 ? "" : "s");
	else if (d < 3600)
		snprintf(buf, len, "%ld minute%s", d / 60, d / 60 == 1 ? "" : "s");
	else if (d < 86400)
		snprintf(buf, len, "%ld hour%s", d / 3600, d / 3600 == 1 ? "" : "s");
	else
		snprintf(buf, len, "%ld day%s", d / 86400, d / 86400 == 1 ? "" : "s");
}

static void command_line(const struct ctr_state *st, char *buf, size_t len)
{
	char **argv = st->config.argv;
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; argv && argv[i]; i++)
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
	if (strlen(buf) > 20)
		strcpy(buf + 17, "...");
}

int cmd_ps(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ 0 },
	};
	const char *root = zone_root(cli->root);
	bool all = false, json = false;
	struct ctr_state *list, *st;
	json_t *out;
	size_t i, n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'F' && !strcmp(optarg, "json"))
			json = true;
		else
			return zerr(EINVAL, "usage: zone ps [-a] [--format json]");
	}
	if (ctr_list(root, &list, &n) < 0)
		return -1;
	out = json_array();
	if (!json)
		printf("%-14s %-16s %-22s %-16s %-28s %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
		       "CREATED", "STATUS", "NAMES");
	for (i = 0, st = list; i < n; i++, st = &list[i]) {
		const char *status = ctr_status(st);
		bool running = !strcmp(status, "running");
		char created[48], since[32], state_text[64], cmd[64];

		if (!all && !running)
			continue;
		ago(st->created, since, sizeof(since));
		snprintf(created, sizeof(created), "%s ago", since);
		if (running) {
			ago(st->started, since, sizeof(since));
			snprintf(state_text, sizeof(state_text), "Up %s", since);
		} else if (!strcmp(status, "exited")) {
			ago(st->finished, since, sizeof(since));
			if (st->exited_known)
				snprintf(state_text, sizeof(state_text), "Exited (%d) %s ago",
					 st->exit_code, since);
			else
				snprintf(state_text, sizeof(state_text), "Exited (unknown)");
		} else {
			snprintf(state_text, sizeof(state_text), "Created");
		}
		if (json) {
			json_t *j = ctr_state_to_json(st);
			json_object_set_new(j, "status", json_string(status));
			json_object_set_new(j, "state_text", json_string(state_text));
			json_array_append_new(out, j);
			continue;
		}
		command_line(st, cmd, sizeof(cmd));
		printf("%-14.12s %-16.16s %-22s %-16s %-28s %s\n",
		       st->id, st->image ? st->image : "", cmd, created, state_text,
		       st->name ? st->name : "");
	}
	if (json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	}
	json_decref(out);
	ctr_list_free(list, n);
	return 0;
}
