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

static void command_line(json_t *st, char *buf, size_t len)
{
	json_t *argv = json_object_get(json_object_get(st, "config"), "argv"), *a;
	size_t i, off = 0;

	buf[0] = 0;
	json_array_foreach(argv, i, a)
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", json_string_value(a));
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
	json_t *list, *st, *out;
	size_t i;
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
	if (ctr_list(root, &list) < 0)
		return -1;
	out = json_array();
	if (!json)
		printf("%-14s %-16s %-22s %-16s %-28s %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
		       "CREATED", "STATUS", "NAMES");
	json_array_foreach(list, i, st) {
		const char *status = ctr_status(st);
		bool running = !strcmp(status, "running");
		char created[48], since[32], state_text[64], cmd[64];

		if (!all && !running)
			continue;
		ago(json_string_value(json_object_get(st, "created")), since, sizeof(since));
		snprintf(created, sizeof(created), "%s ago", since);
		if (running) {
			ago(json_string_value(json_object_get(st, "started")), since, sizeof(since));
			snprintf(state_text, sizeof(state_text), "Up %s", since);
		} else if (!strcmp(status, "exited")) {
			json_t *code = json_object_get(st, "exit_code");
			ago(json_string_value(json_object_get(st, "finished")), since, sizeof(since));
			if (json_is_integer(code))
				snprintf(state_text, sizeof(state_text), "Exited (%lld) %s ago",
					 (long long)json_integer_value(code), since);
			else
				snprintf(state_text, sizeof(state_text), "Exited (unknown)");
		} else {
			snprintf(state_text, sizeof(state_text), "Created");
		}
		if (json) {
			json_object_set_new(st, "status", json_string(status));
			json_object_set_new(st, "state_text", json_string(state_text));
			json_array_append(out, st);
			continue;
		}
		command_line(st, cmd, sizeof(cmd));
		printf("%-14.12s %-16.16s %-22s %-16s %-28s %s\n",
		       json_string_value(json_object_get(st, "id")),
		       json_string_value(json_object_get(st, "image")), cmd, created, state_text,
		       json_string_value(json_object_get(st, "name")));
	}
	if (json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	}
	json_decref(out);
	json_decref(list);
	return 0;
}
