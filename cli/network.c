/* zone network create [--subnet CIDR] NAME | ls [--format json] |
 * inspect NAME | rm NAME... : bridge networks with NAT (runtime/net_*). */
#include "cli/commands.h"
#include "runtime/net_host.h"
#include "runtime/net_spec.h"
#include "runtime/net_store.h"
#include "runtime/state.h"
#include "common/zerr.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void network_usage(FILE *f)
{
	fprintf(f, "usage: zone network create [--subnet CIDR] NAME\n"
		   "       zone network ls [--format json]\n"
		   "       zone network inspect NAME\n"
		   "       zone network rm NAME...\n"
		   "A network is a host bridge with NAT to the outside; containers join it\n"
		   "with zone run --network NAME (default: \"" NET_DEFAULT "\", made at first use).\n");
}

static int do_create(const char *root, int argc, char **argv)
{
	static const struct option opts[] = { { "subnet", required_argument, NULL, 's' }, { 0 } };
	const char *subnet = NULL;
	json_t *net;
	int c, lock, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 's') {
			network_usage(stderr);
			return 2;
		}
		subnet = optarg;
	}
	if (optind + 1 != argc) {
		network_usage(stderr);
		return 2;
	}
	if ((lock = net_lock(root)) < 0)
		return -1;
	r = net_create(root, argv[optind], subnet, true, &net);
	if (r == 0) {
		/* the bridge and rules exist from now on, not only once used */
		r = net_host_ensure(net);
		if (r < 0) {
			char msg[ZERR_MAX];
			snprintf(msg, sizeof(msg), "%s", zerr_msg());
			net_host_remove(net);
			net_delete(root, argv[optind]);
			zerr(0, "%s", msg);
		}
		json_decref(net);
	}
	close(lock);
	if (r == 0)
		printf("%s\n", argv[optind]);
	return r;
}

static int do_ls(const char *root, int argc, char **argv)
{
	bool json = argc == 3 && !strcmp(argv[1], "--format") && !strcmp(argv[2], "json");
	json_t *nets, *n;
	size_t i;

	if (argc != 1 && !json) {
		network_usage(stderr);
		return 2;
	}
	net_sweep(root);
	zerr_clear();
	if (net_list(root, &nets) < 0)
		return -1;
	if (!json)
		printf("%-20s %-8s %-18s %-15s %s\n", "NAME", "BRIDGE", "SUBNET", "GATEWAY",
		       "CONTAINERS");
	json_array_foreach(nets, i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));
		int live = lease_count_live(root, name);
		json_object_set_new(n, "containers", json_integer(live < 0 ? 0 : live));
		if (!json)
			printf("%-20s %-8s %-18s %-15s %d\n", name,
			       json_string_value(json_object_get(n, "bridge")),
			       json_string_value(json_object_get(n, "subnet")),
			       json_string_value(json_object_get(n, "gateway")), live < 0 ? 0 : live);
	}
	if (json) {
		char *s = json_dumps(nets, JSON_INDENT(2));
		printf("%s\n", s ? s : "[]");
		free(s);
	}
	json_decref(nets);
	return 0;
}

static int do_inspect(const char *root, int argc, char **argv)
{
	json_t *net;
	char *s;

	if (argc != 2) {
		network_usage(stderr);
		return 2;
	}
	if (net_load(root, argv[1], &net) < 0)
		return -1;
	s = json_dumps(net, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", s ? s : "{}");
	free(s);
	json_decref(net);
	return 0;
}

static int rm_one(const char *root, const char *name)
{
	json_t *net;
	int lock = net_lock(root), live, r = -1;

	if (lock < 0)
		return -1;
	if (net_load(root, name, &net) < 0)
		goto out;
	live = lease_count_live(root, name);
	if (live > 0) {
		zerr(EBUSY, "network %s is in use by %d running container%s", name, live,
		     live == 1 ? "" : "s");
	} else if (net_host_remove(net) == 0) {
		r = net_delete(root, name);
	}
	json_decref(net);
out:
	close(lock);
	return r;
}

static int do_rm(const char *root, int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		network_usage(stderr);
		return 2;
	}
	/* containers killed with their monitor hold nothing any more */
	if (net_sweep(root) < 0)
		zerr_clear();
	for (int i = 1; i < argc; i++) {
		if (rm_one(root, argv[i]) < 0) {
			fprintf(stderr, "zone network rm: %s\n", zerr_msg());
			rc = 1;
		} else {
			printf("%s\n", argv[i]);
		}
	}
	return rc;
}

int cmd_network(struct zone_cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const char *, int, char **);
	} sub[] = {
		{ "create", do_create }, { "ls", do_ls },	{ "list", do_ls },
		{ "inspect", do_inspect }, { "rm", do_rm }, { "remove", do_rm },
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		network_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(sub[i].name, argv[1]))
			return sub[i].fn(zone_root(cli->root), argc - 1, argv + 1);
	fprintf(stderr, "zone: network: unknown command '%s'\n", argv[1]);
	network_usage(stderr);
	return 2;
}
