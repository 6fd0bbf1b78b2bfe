/* zone pull REF [--platform OS/ARCH] [--tls-verify=false] [--ca-file F] [--quiet] */
#include "cli/commands.h"
#include "cli/pull_flags.h"
#include "oci/pull.h"
#include "common/zerr.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: zone pull [--platform OS/ARCH[/VARIANT]] [--tls-verify=false] [--ca-file FILE]\n"
		   "                 [-q|--quiet] REFERENCE\n"
		   "REFERENCE: [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]; short names are on docker.io\n");
}

int cmd_pull(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "tls-verify", optional_argument, NULL, 'T' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pull_opts o = { .tls_verify = true, .progress = isatty(1) };
	bool quiet = false;
	char *name = NULL;
	struct store st;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.platform = optarg; break;
		case 'T':
			if (parse_tls_verify(optarg ? optarg : "true", &o.tls_verify) < 0)
				return -1;
			break;
		case 'C': o.ca_file = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "zone pull: unknown or incomplete option %s\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	if (quiet)
		o.progress = false;
	if (store_open(&st, cli->root, STORE_WRITE) < 0) {
		store_close(&st);
		return -1;
	}
	rc = image_pull(&st, argv[optind], &o, &name);
	store_close(&st);
	if (rc == 0 && !quiet)
		printf("%s\n", name);
	free(name);
	return rc;
}
