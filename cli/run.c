/* zone run [--rm] [-d] [-i] [-t] [--name NAME] [-e K=V]... [--env-file F]
 *          [-w DIR] [-u UID[:GID]] [--entrypoint CMD] [--hostname H]
 *          [--cpus N] [--memory SIZE] [--read-only] [-v HOST:CTR[:ro|rw]]...
 *          [--mount type=bind|tmpfs,...]... [--tmpfs DIR[:opts]]...
 *          [--network NAME|none]
 *          [-p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]]... [--dns IP]...
 *          [--add-host NAME:IP]...
 *          [--cap-add CAP]... [--cap-drop CAP]... [--privileged]
 *          [--security-opt seccomp=unconfined|FILE] [--security-opt no-new-privileges]
 *          [--log-opt max-size=SIZE] [--log-opt max-file=N]
 *          [--pull missing|always|never] [--platform OS/ARCH] [--tls-verify=false]
 *          IMAGE [CMD [ARGS...]]
 * Runs a container in its own zone.  Exit status: the container's, or
 * 125 (zone run itself failed), 126 (command cannot run), 127 (not found),
 * as podman. */
#include "cli/commands.h"
#include "cli/mount_flags.h"
#include "cli/pull_flags.h"
#include "cli/security_flags.h"
#include "common/util.h"
#include "common/zerr.h"
#include "oci/image.h"
#include "oci/pull.h"
#include "runtime/logs.h"
#include "runtime/monitor.h"
#include "runtime/net_store.h"
#include "runtime/spec.h"
#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_RUN_ERROR 125
#define MAX_FLAGS 256
#define DEFAULT_MEMORY (256ULL << 20)

/* Long options without a short form. */
enum { OPT_PULL = 0x100, OPT_PLATFORM, OPT_TLS_VERIFY, OPT_CAP_ADD, OPT_CAP_DROP, OPT_SECURITY_OPT,
       OPT_PRIVILEGED, OPT_LOG_OPT };

/* --pull: whether to pull IMAGE from its registry first (podman's default: missing) */
enum pull_policy { PULL_MISSING, PULL_ALWAYS, PULL_NEVER };
struct pull_flags {
	enum pull_policy policy;
	struct pull_opts opts;
};

static int parse_pull_policy(const char *s, enum pull_policy *p)
{
	if (!strcmp(s, "missing"))
		*p = PULL_MISSING;
	else if (!strcmp(s, "always"))
		*p = PULL_ALWAYS;
	else if (!strcmp(s, "never"))
		*p = PULL_NEVER;
	else
		return zerr(EINVAL, "--pull %s: want missing, always or never", s);
	return 0;
}

static int parse_flags(int argc, char **argv, struct run_flags *f, json_t *mounts,
		       struct pull_flags *pf, struct security_flags *sf)
{
	static const struct option opts[] = {
		{ "rm", no_argument, NULL, 'R' },
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "env", required_argument, NULL, 'e' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "entrypoint", required_argument, NULL, 'P' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "volume", required_argument, NULL, 'v' },
		{ "mount", required_argument, NULL, 'M' },
		{ "tmpfs", required_argument, NULL, 'T' },
		{ "publish", required_argument, NULL, 'p' },
		{ "network", required_argument, NULL, 'N' },
		{ "net", required_argument, NULL, 'N' },
		{ "dns", required_argument, NULL, 'D' },
		{ "add-host", required_argument, NULL, 'A' },
		{ "pull", required_argument, NULL, OPT_PULL },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "tls-verify", optional_argument, NULL, OPT_TLS_VERIFY },
		{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
		{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
		{ "security-opt", required_argument, NULL, OPT_SECURITY_OPT },
		{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
		{ "log-opt", required_argument, NULL, OPT_LOG_OPT },
		{ 0 },
	};
	static char *env[MAX_FLAGS], *env_files[MAX_FLAGS];
	uint64_t v;
	int c;

	memset(f, 0, sizeof(*f));
	memset(pf, 0, sizeof(*pf));
	memset(sf, 0, sizeof(*sf));
	pf->opts.tls_verify = true;
	pf->opts.progress = isatty(1);
	f->env = env;
	f->env_files = env_files;
	f->cpus = 1;
	f->memory = DEFAULT_MEMORY;
	f->log_max_size = CTR_LOG_DEFAULT_SIZE;
	f->log_max_files = CTR_LOG_DEFAULT_FILES;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+dite:w:u:m:v:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'R': f->rm = true; break;
		case 'd': f->detach = true; break;
		case 'i': f->interactive = true; break;
		case 't': f->tty = true; break;
		case 'n': f->name = optarg; break;
		case 'e':
			if (f->nenv == MAX_FLAGS)
				return zerr(E2BIG, "too many -e options");
			env[f->nenv++] = optarg;
			break;
		case 'E':
			if (f->nenv_files == MAX_FLAGS)
				return zerr(E2BIG, "too many --env-file options");
			env_files[f->nenv_files++] = optarg;
			break;
		case 'w': f->workdir = optarg; break;
		case 'u': f->user = optarg; break;
		case 'P': f->entrypoint = optarg; break;
		case 'H': f->hostname = optarg; break;
		case 'c': {
			/* a zone has whole vCPUs: --cpus 1.5 gets 2 */
			char *end;
			double d = strtod(optarg, &end);
			if (*end || d <= 0 || d > 64)
				return zerr(EINVAL, "--cpus %s: want a number of CPUs from 1 to 64", optarg);
			f->cpus = (unsigned)d + ((double)(unsigned)d < d);
			break;
		}
		case 'm':
			if (parse_size(optarg, &v) < 0)
				return zerr_prefix("--memory");
			if (v < (64ULL << 20))
				return zerr(EINVAL, "--memory %s is too small (minimum 64M)", optarg);
			f->memory = v & ~0xfffffULL;
			break;
		case 'r': f->read_only = true; break;
		case 'v':
			if (mount_flag_volume(mounts, optarg) < 0)
				return -1;
			break;
		case 'M':
			if (mount_flag_mount(mounts, optarg) < 0)
				return -1;
			break;
		case 'T':
			if (mount_flag_tmpfs(mounts, optarg) < 0)
				return -1;
			break;
		case 'p': case 'D': case 'A': {
			const char **list = c == 'p' ? f->net.publish : c == 'D' ? f->net.dns
								       : f->net.add_hosts;
			int *n = c == 'p' ? &f->net.npublish : c == 'D' ? &f->net.ndns
								 : &f->net.nadd_hosts;
			if (*n == NET_MAX_FLAGS)
				return zerr(E2BIG, "at most %d -p, --dns or --add-host options each",
					    NET_MAX_FLAGS);
			list[(*n)++] = optarg;
			break;
		}
		case 'N': f->net.network = optarg; break;
		case OPT_PULL:
			if (parse_pull_policy(optarg, &pf->policy) < 0)
				return -1;
			break;
		case OPT_PLATFORM: pf->opts.platform = optarg; break;
		case OPT_TLS_VERIFY:
			if (parse_tls_verify(optarg ? optarg : "true", &pf->opts.tls_verify) < 0)
				return -1;
			break;
		case OPT_CAP_ADD:
			if (caps_flag_add(&sf->caps, optarg) < 0)
				return -1;
			break;
		case OPT_CAP_DROP:
			if (caps_flag_drop(&sf->caps, optarg) < 0)
				return -1;
			break;
		case OPT_SECURITY_OPT:
			if (security_flag_opt(sf, optarg) < 0)
				return -1;
			break;
		case OPT_PRIVILEGED: sf->privileged = true; break;
		case OPT_LOG_OPT:
			if (ctr_log_opt(optarg, &f->log_max_size, &f->log_max_files) < 0)
				return -1;
			break;
		default:
			if (optopt)
				return zerr(EINVAL, "unknown or incomplete option -%c", optopt);
			return zerr(EINVAL, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return zerr(EINVAL, "no image given (zone run [OPTIONS] IMAGE [CMD [ARGS...]])");
	f->image = argv[optind];
	f->cmd = argv + optind + 1;
	f->ncmd = argc - optind - 1;
	if (f->hostname && (strlen(f->hostname) > 63 || strchr(f->hostname, '/')))
		return zerr(EINVAL, "--hostname %s is not a valid host name", f->hostname);
	if (f->name) {
		for (const char *p = f->name; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || (p != f->name && strchr("_.-", *p))))
				return zerr(EINVAL, "--name '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*",
					    f->name);
		if (!*f->name || strlen(f->name) > 128)
			return zerr(EINVAL, "--name: 1 to 128 characters");
	}
	return 0;
}

/* Network flags are checked before anything else is looked up (cmd_run:
 * before the image is pulled); a user-created network must exist (the
 * default one is made at first use). */
static int net_check(const char *root, const struct net_flags *nf)
{
	json_t *net;
	const char *name = nf->network;

	if (net_spec_build(nf, &net) < 0)
		return -1;
	json_decref(net);
	if (!name || !strcmp(name, NET_NONE) || !strcmp(name, NET_DEFAULT))
		return 0;
	if (net_load(root, name, &net) < 0)
		return zerr_errno() == ENOENT
			       ? zerr(ENOENT, "network %s does not exist (zone network create %s)",
				      name, name)
			       : -1;
	json_decref(net);
	return 0;
}

/* Pulls the image when the policy says so. */
static int ensure_image(const char *root, const char *image, const struct pull_flags *pf)
{
	struct store s;
	json_t *found = NULL;
	int rc;

	if (pf->policy == PULL_NEVER)
		return 0;
	if (pf->policy == PULL_MISSING) {
		if (store_open(&s, root, STORE_READ) < 0)
			return -1;
		rc = image_lookup(&s, image, &found);
		store_close(&s);
		json_decref(found);
		if (rc < 0 || found)
			return rc;
	}
	if (store_open(&s, root, STORE_WRITE) < 0) {
		store_close(&s);
		return -1;
	}
	rc = image_pull(&s, image, &pf->opts, NULL);
	store_close(&s);
	if (rc < 0 && pf->policy == PULL_MISSING)
		return zerr_prefix("no image %s in the store", image);
	return rc;
}

/* Create the container's state from the image and the flags. */
static int create(const char *root, struct run_flags *f, json_t *mounts,
		  const struct ctr_security *sec, struct ctr_state *st)
{
	struct store s;
	json_t *img = NULL;
	char id[CTR_ID_LEN + 1], now[64], name[32];
	int lock;

	memset(st, 0, sizeof(*st));
	if (store_open(&s, root, STORE_READ) < 0)
		return -1;
	if (image_inspect(&s, f->image, &img) < 0) {
		store_close(&s);
		return -1;
	}
	store_close(&s);
	ctr_new_id(id);
	if (spec_build(f, json_object_get(img, "config"), id, &st->config) < 0) {
		json_decref(img);
		return -1;
	}
	if (json_array_size(mounts))
		st->config.mounts = json_incref(mounts);
	st->config.security = *sec;
	if (sec->seccomp)
		json_incref(sec->seccomp);
	if (net_spec_build(&f->net, &st->config.net) < 0)
		goto fail;
	lock = ctr_lock(root);
	if (lock < 0)
		goto fail;
	if (f->name && ctr_name_taken(root, f->name)) {
		zerr(EEXIST, "the container name \"%s\" is already in use", f->name);
		ctr_unlock(lock);
		goto fail;
	}
	snprintf(name, sizeof(name), "zone-%.8s", id);
	now_rfc3339(now, sizeof(now));
	ctr_set(&st->id, id);
	ctr_set(&st->name, f->name ? f->name : name);
	ctr_set(&st->image, json_string_value(json_object_get(img, "name")));
	ctr_set(&st->image_digest, json_string_value(json_object_get(img, "config_digest")));
	ctr_set(&st->disk, json_string_value(json_object_get(img, "disk")));
	ctr_set(&st->created, now);
	st->status = CTR_CREATED;
	if (!st->id || !st->name || !st->created || !st->disk) {
		zerr(ENOMEM, "container state");
		ctr_unlock(lock);
		goto fail;
	}
	if (ctr_save(root, st) < 0) {
		ctr_unlock(lock);
		goto fail;
	}
	ctr_unlock(lock);
	json_decref(img);
	return 0;
fail:
	ctr_state_free(st);
	json_decref(img);
	return -1;
}

static int exit_for_start_error(int start_errno)
{
	return start_errno == ENOENT ? 127 : start_errno ? 126 : EXIT_RUN_ERROR;
}

/* -d: a monitor that outlives us; we return once the process runs. */
static int run_detached(const char *root, struct ctr_state *st)
{
	int p[2], status_code = EXIT_RUN_ERROR;
	char line[ZERR_MAX + 8];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return zerr(errno, "pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return zerr(errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC), err;
		struct monitor_io io = { -1, -1, -1, p[1] };

		close(p[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		/* the grandchild is the monitor: no zombie for our caller */
		if (fork() != 0)
			_exit(0);
		monitor_run(root, st, &io, NULL, &err);
		_exit(0);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	n = read_all(p[0], line, sizeof(line) - 1);
	close(p[0]);
	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	if (!strcmp(line, "ok")) {
		printf("%s\n", st->id);
		return 0;
	}
	/* the monitor recorded how it failed (unless --rm removed it) */
	struct ctr_state now;
	if (ctr_load(root, st->id, &now) == 0) {
		status_code = now.exit_code;
		ctr_state_free(&now);
	}
	fprintf(stderr, "zone run: %s\n", line[0] ? line : "the container monitor died");
	return status_code > 0 ? status_code : EXIT_RUN_ERROR;
}

int cmd_run(struct zone_cli *cli, int argc, char **argv)
{
	const char *root = zone_root(cli->root);
	struct run_flags f;
	struct pull_flags pf;
	struct security_flags sf;
	struct ctr_security sec = { 0 };
	struct ctr_state st;
	json_t *mounts = json_array();
	int code, start_errno;

	if (!mounts || parse_flags(argc, argv, &f, mounts, &pf, &sf) < 0 ||
	    security_flags_build(&sf, &sec) < 0 || net_check(root, &f.net) < 0 ||
	    ensure_image(root, f.image, &pf) < 0 || create(root, &f, mounts, &sec, &st) < 0) {
		fprintf(stderr, "zone run: %s\n", zerr_msg());
		json_decref(mounts);
		json_decref(sec.seccomp);
		return EXIT_RUN_ERROR;
	}
	json_decref(mounts);
	json_decref(sec.seccomp);
	if (f.detach) {
		code = run_detached(root, &st);
		ctr_state_free(&st);
		if (code < 0) {
			fprintf(stderr, "zone run: %s\n", zerr_msg());
			return EXIT_RUN_ERROR;
		}
		return code;
	}
	struct monitor_io io = { f.interactive ? STDIN_FILENO : -1, STDOUT_FILENO, STDERR_FILENO,
				 -1 };
	code = monitor_run(root, &st, &io, NULL, &start_errno);
	ctr_state_free(&st);
	if (code < 0) {
		fprintf(stderr, "zone run: %s\n", zerr_msg());
		return exit_for_start_error(start_errno);
	}
	return code;
}
