/* zone-runc: an OCI runtime with runc's command line whose containers run
 * in zones.  Global options, then a command from runtime/runc.h. */
#include "runtime/runc.h"
#include "common/zerr.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(struct runc *, int, char **);
	const char *help;
};

#define RUNC_CMD_ENTRY(n, h) { #n, runc_cmd_##n, h },
static const struct command commands[] = { RUNC_COMMANDS(RUNC_CMD_ENTRY) };
#undef RUNC_CMD_ENTRY

static void usage(FILE *f)
{
	fprintf(f, "NAME:\n   zone-runc - Open Container Initiative runtime whose containers run in zones\n\n"
		   "USAGE:\n   zone-runc [global options] command [command options] [arguments...]\n\n"
		   "VERSION:\n   " RUNC_VERSION "\n\nCOMMANDS:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "   %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGLOBAL OPTIONS:\n"
		   "   --debug             enable debug logging\n"
		   "   --log value         set the log file to write zone-runc logs to (default is '/dev/stderr')\n"
		   "   --log-format value  set the log format ('text' (default), or 'json') (default: \"text\")\n"
		   "   --root value        root directory for storage of container state (default: \"" RUNC_DEFAULT_ROOT "\")\n"
		   "   --systemd-cgroup    accepted for compatibility (a zone's cgroups are its own)\n"
		   "   --criu value        accepted for compatibility (no checkpoint/restore)\n"
		   "   --rootless value    accepted for compatibility\n"
		   "   --help, -h          show help\n"
		   "   --version, -v       print the version\n");
}

static void version(void)
{
	printf("zone-runc version " RUNC_VERSION "\nspec: " OCI_VERSION "\n");
}

/* runc words most failures as "<prog> <cmd> failed: <why>" for create and
 * run, "exec failed: <why>" for exec, and the bare reason elsewhere. */
static void report(struct runc *r)
{
	if (r->usage_error)
		runc_log(r, RUNC_ERROR, "%s", zerr_msg());
	else if (!strcmp(r->cmd, "create") || !strcmp(r->cmd, "run"))
		runc_log(r, RUNC_ERROR, "%s %s failed: %s", r->prog, r->cmd, zerr_msg());
	else if (!strcmp(r->cmd, "exec"))
		runc_log(r, RUNC_ERROR, "exec failed: %s", zerr_msg());
	else
		runc_log(r, RUNC_ERROR, "%s", zerr_msg());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "criu", required_argument, NULL, 'c' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	struct runc r = { .root = RUNC_DEFAULT_ROOT, .prog = "zone-runc", .cmd = "" };
	int c, rc;

	setlocale(LC_CTYPE, "C.UTF-8");
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r': r.root = optarg; break;
		case 'l': r.log_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				runc_log(&r, RUNC_ERROR, "invalid log-format: %s", optarg);
				return 1;
			}
			r.log_json = !strcmp(optarg, "json");
			break;
		case 'd': r.debug = true; break;
		case 's': r.systemd_cgroup = true; break;
		case 'c':
		case 'R': break;
		case 'h': usage(stdout); return 0;
		case 'v': version(); return 0;
		default:
			runc_bad_flag(&r, argv[optind - 1]);
			printf("Incorrect Usage. %s\n\n", zerr_msg());
			usage(stdout);
			runc_log(&r, RUNC_ERROR, "%s", zerr_msg());
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[optind], "help") || !strcmp(argv[optind], "h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]))
			continue;
		r.cmd = commands[i].name;
		if (optind + 1 < argc && (!strcmp(argv[optind + 1], "--help") || !strcmp(argv[optind + 1], "-h"))) {
			printf("NAME:\n   %s %s - %s\n", r.prog, r.cmd, commands[i].help);
			return 0;
		}
		runc_log(&r, RUNC_DEBUG, "%s %s (root %s)", r.prog, r.cmd, r.root);
		rc = commands[i].fn(&r, argc - optind, argv + optind);
		if (rc < 0) {
			if (r.usage_error)
				printf("Incorrect Usage.\n\nUSAGE:\n   %s %s --help\n", r.prog, r.cmd);
			report(&r);
			return !strcmp(r.cmd, "exec") && !r.usage_error ? 255 : 1; /* as runc */
		}
		return rc;
	}
	runc_log(&r, RUNC_ERROR, "No help topic for '%s'\n", argv[optind]); /* sic, as runc */
	return 3;
}
