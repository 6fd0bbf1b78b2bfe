/* zone image import|ls|inspect|rm|prune|fsck */
#include "cli/commands.h"
#include "oci/image.h"
#include "common/util.h"
#include "common/zerr.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void image_usage(FILE *f)
{
	fprintf(f,
		"usage: zone image import PATH [--name NAME[:TAG]] [--ref REF] [--max-size SIZE]\n"
		"       zone image ls [--json]\n"
		"       zone image inspect NAME\n"
		"       zone image rm NAME...\n"
		"       zone image prune\n"
		"       zone image fsck\n"
		"PATH is an OCI layout directory, an oci-archive or a docker-archive tar.\n");
}

static int do_import(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "ref", required_argument, NULL, 'r' },
		{ "max-size", required_argument, NULL, 'm' },
		{ 0 },
	};
	struct import_opts o = { .progress = isatty(1) };
	z_autofree char *name = NULL;
	struct store st;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.name = optarg;
			break;
		case 'r':
			o.ref = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &o.max_bytes) < 0)
				return zerr_prefix("--max-size");
			break;
		default:
			image_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		image_usage(stderr);
		return 2;
	}
	if (store_open(&st, cli->root, STORE_WRITE) < 0) {
		store_close(&st);
		return -1;
	}
	rc = image_import(&st, argv[optind], &o, &name);
	if (rc == 0 && o.progress)
		printf("imported %s\n", name);
	store_close(&st);
	return rc;
}

static int do_ls(struct zone_cli *cli, int argc, char **argv)
{
	bool as_json = argc > 1 && !strcmp(argv[1], "--json");
	json_t *list = NULL, *it;
	struct store st;
	size_t i;

	if (store_open(&st, cli->root, STORE_READ) < 0 || image_list(&st, &list) < 0) {
		store_close(&st);
		return -1;
	}
	store_close(&st);
	if (as_json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(list);
		return 0;
	}
	printf("%-40s %-14s %-19s %10s %10s  %s\n", "NAME", "IMAGE ID", "DIGEST", "LAYERS", "DISK",
	       "CREATED");
	json_array_foreach(list, i, it) {
		const char *err = json_string_value(json_object_get(it, "error"));
		const char *cd = json_string_value(json_object_get(it, "config_digest"));
		const char *md = json_string_value(json_object_get(it, "manifest_digest"));
		if (err) {
			printf("%-40s (damaged: %s)\n", json_string_value(json_object_get(it, "name")),
			       err);
			continue;
		}
		printf("%-40s %-14.12s %-19.19s %8.1fMB %8.1fMB  %.19s\n",
		       json_string_value(json_object_get(it, "name")), cd + 7, md,
		       json_integer_value(json_object_get(it, "size")) / 1e6,
		       json_integer_value(json_object_get(it, "disk_size")) / 1e6,
		       json_string_value(json_object_get(it, "created")));
	}
	json_decref(list);
	return 0;
}

static int do_inspect(struct zone_cli *cli, int argc, char **argv)
{
	json_t *j = NULL;
	struct store st;

	if (argc != 2) {
		image_usage(stderr);
		return 2;
	}
	if (store_open(&st, cli->root, STORE_READ) < 0 || image_inspect(&st, argv[1], &j) < 0) {
		store_close(&st);
		return -1;
	}
	store_close(&st);
	json_dumpf(j, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(j);
	return 0;
}

static int do_rm(struct zone_cli *cli, int argc, char **argv)
{
	struct store st;
	int rc = 0;

	if (argc < 2) {
		image_usage(stderr);
		return 2;
	}
	if (store_open(&st, cli->root, STORE_WRITE) < 0) {
		store_close(&st);
		return -1;
	}
	for (int i = 1; i < argc && rc == 0; i++)
		rc = image_remove(&st, argv[i]);
	store_close(&st);
	return rc;
}

static int do_prune(struct zone_cli *cli, int argc, char **argv)
{
	uint64_t files = 0, bytes = 0;
	struct store st;
	int rc;

	if (store_open(&st, cli->root, STORE_WRITE) < 0) {
		store_close(&st);
		return -1;
	}
	rc = image_prune(&st, &files, &bytes);
	store_close(&st);
	if (rc == 0)
		printf("removed %llu files, %.1f MB\n", (unsigned long long)files, bytes / 1e6);
	return rc;
}

static int do_fsck(struct zone_cli *cli, int argc, char **argv)
{
	json_t *probs = NULL, *p;
	struct store st;
	size_t i;

	/* the lock keeps importers out while we look; tmp/ is left alone */
	if (store_open(&st, cli->root, STORE_LOCK) < 0 || image_fsck(&st, &probs) < 0) {
		store_close(&st);
		return -1;
	}
	store_close(&st);
	json_array_foreach(probs, i, p)
		printf("%s\n", json_string_value(p));
	i = json_array_size(probs);
	json_decref(probs);
	if (i) {
		fprintf(stderr, "zone: image store has %zu problem%s\n", i, i == 1 ? "" : "s");
		return 1;
	}
	printf("image store OK\n");
	return 0;
}

int cmd_image(struct zone_cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct zone_cli *, int, char **);
	} sub[] = {
		{ "import", do_import }, { "ls", do_ls }, { "list", do_ls },
		{ "inspect", do_inspect }, { "rm", do_rm }, { "prune", do_prune },
		{ "fsck", do_fsck },
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		image_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(sub[i].name, argv[1]))
			return sub[i].fn(cli, argc - 1, argv + 1);
	fprintf(stderr, "zone: image: unknown command '%s'\n", argv[1]);
	image_usage(stderr);
	return 2;
}
