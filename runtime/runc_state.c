/* zone-runc state ID   zone-runc list [--format table|json] [--quiet] */
#include "runtime/runc.h"
#include "common/zerr.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

int runc_cmd_state(struct runc *r, int argc, char **argv)
{
	struct ctr_state st;
	json_t *j;

	if (runc_nargs(r, argc, 1, 1, true) < 0 || runc_open(r, argv[1], &st) < 0)
		return -1;
	j = runc_state_json(&st);
	ctr_state_free(&st);
	if (!j)
		return zerr(0, "state json");
	/* runc: json.MarshalIndent(state, "", "  ") */
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
	return 0;
}

/* Go's text/tabwriter as runc sets it up: minwidth 12, padding 3. */
static void print_table(char *cells[][6], size_t rows)
{
	size_t width[5] = { 0 };

	for (size_t i = 0; i < rows; i++)
		for (int c = 0; c < 5; c++)
			if (strlen(cells[i][c]) + 3 > width[c])
				width[c] = strlen(cells[i][c]) + 3;
	for (int c = 0; c < 5; c++)
		if (width[c] < 12)
			width[c] = 12;
	for (size_t i = 0; i < rows; i++) {
		for (int c = 0; c < 5; c++)
			printf("%-*s", (int)width[c], cells[i][c]);
		printf("%s\n", cells[i][5]);
	}
}

int runc_cmd_list(struct runc *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	struct ctr_state *list;
	bool json = false, quiet = false;
	size_t n;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'f')
			return zerr(0, "invalid format option");
		else if (c == 'q')
			quiet = true;
		else
			return runc_bad_flag(r, argv[optind - 1]);
	}
	if (runc_nargs(r, argc, optind, 0, true) < 0 || ctr_list(r->root, &list, &n) < 0)
		return -1;
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", list[i].id);
	} else if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, runc_state_json(&list[i]));
		if (n) {
			json_dumpf(a, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			putchar('\n');
		} else {
			printf("null\n"); /* runc encodes its empty list as null */
		}
		json_decref(a);
	} else {
		char *(*cells)[6] = calloc(n + 1, sizeof(*cells));
		char (*pids)[16] = calloc(n + 1, sizeof(*pids));
		if (!cells || !pids) {
			free(cells);
			free(pids);
			ctr_list_free(list, n);
			return zerr(ENOMEM, "list");
		}
		char *head[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
		memcpy(cells[0], head, sizeof(head));
		struct passwd *pw = getpwuid(geteuid());
		for (size_t i = 0; i < n; i++) {
			snprintf(pids[i], sizeof(pids[i]), "%d", (int)runc_pid(&list[i]));
			cells[i + 1][0] = list[i].id;
			cells[i + 1][1] = pids[i];
			cells[i + 1][2] = (char *)runc_status(&list[i]);
			cells[i + 1][3] = list[i].bundle ? list[i].bundle : "";
			cells[i + 1][4] = list[i].created ? list[i].created : "";
			cells[i + 1][5] = pw ? pw->pw_name : "";
		}
		print_table(cells, n + 1);
		free(cells);
		free(pids);
	}
	ctr_list_free(list, n);
	return 0;
}
