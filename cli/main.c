/* zone: the user CLI.  Global options, then a command from cli/commands.h. */
#include "cli/commands.h"
#include "common/zerr.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

struct command {
	const char *name;
	int (*fn)(struct zone_cli *, int, char **);
	const char *help;
};

#define ZONE_CMD_ENTRY(n, h) { #n, cmd_##n, h },
static const struct command commands[] = { ZONE_COMMANDS(ZONE_CMD_ENTRY) };
#undef ZONE_CMD_ENTRY

static void usage(FILE *f)
{
	fprintf(f, "usage: zone [--root DIR] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n--root DIR  state directory (default $ZONE_ROOT or /var/lib/zone)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct zone_cli cli = { .prog = "zone" };
	struct rlimit rl;
	int c, rc;

	/* UTF-8 member names in archives come through unchanged. */
	setlocale(LC_CTYPE, "C.UTF-8");
	/* Deep trees are removed with one descriptor per level. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cli.root = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]))
			continue;
		rc = commands[i].fn(&cli, argc - optind, argv + optind);
		if (rc < 0) {
			zerr_print(cli.prog);
			return 1;
		}
		return rc;
	}
	fprintf(stderr, "zone: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
