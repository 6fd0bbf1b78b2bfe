/* zone exec: run a process in a running zone through IDM.
 *   zone exec [-i] [-t] [-e K=V]... [-w DIR] [-u USER[:GROUP]] ID CMD...
 *   zone exec --vsock PATH [same options] -- CMD...   (any zone, by socket)
 * For a container, its env, working directory and user are the defaults,
 * as with podman exec. */
#include "cli/commands.h"
#include "runtime/security.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"
#include "cli/container.h"
#include "runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENV 256

static const char *const base_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	NULL,
};

/* Add K=V to env, replacing an existing K. */
static int env_set(char **env, uint32_t *n, char *kv)
{
	size_t klen = strcspn(kv, "=");

	if (!kv[klen] || klen == 0)
		return zerr(0, "-e %s: expected KEY=VALUE", kv);
	for (uint32_t i = 0; i < *n; i++)
		if (!strncmp(env[i], kv, klen + 1)) {
			env[i] = kv;
			return 0;
		}
	if (*n == MAX_ENV)
		return zerr(0, "too many -e options");
	env[(*n)++] = kv;
	return 0;
}

int cmd_exec(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vsock", required_argument, NULL, 'V' },
		{ "port", required_argument, NULL, 'P' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ 0 },
	};
	char *env[MAX_ENV + 1];
	struct idm_start start = { .umask = 022, .kill_on_close = true };
	const char *vsock = NULL;
	struct idm_conn *conn;
	bool interactive = false, tty = false;
	uint64_t port = IDM_VSOCK_PORT;
	int c, code, rc;

	for (start.envc = 0; base_env[start.envc]; start.envc++)
		env[start.envc] = (char *)base_env[start.envc];
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ite:w:u:", opts, NULL)) != -1) {
		switch (c) {
		case 'V': vsock = optarg; break;
		case 'P':
			if (parse_uint(optarg, 1, UINT32_MAX, &port) < 0)
				return zerr_prefix("--port");
			break;
		case 'i': interactive = true; break;
		case 't': tty = true; break;
		case 'e':
			if (env_set(env, &start.envc, optarg) < 0)
				return -1;
			break;
		case 'w': start.cwd = optarg; break;
		case 'u': start.user = optarg; break; /* names resolve in the zone */
		default:
			return zerr(0, "usage: zone exec [-i] [-t] [-e K=V] [-w DIR] [-u USER[:GROUP]] "
				       "ID|--vsock PATH CMD [ARGS...]");
		}
	}
	if (!vsock) {
		/* zone exec ID CMD...: the container's zone and defaults */
		static char sock[4096];
		static struct ctr_state st; /* lives until exit: env, cwd, user */

		if (optind >= argc)
			return zerr(0, "exec: no container given");
		if (ctr_open(zone_root(cli->root), argv[optind], &st) < 0)
			return -1;
		if (!ctr_running(&st))
			return zerr(0, "exec: container %s is not running", argv[optind]);
		if (ctr_vsock_path(st.id, sock, sizeof(sock)) < 0)
			return -1;
		vsock = sock;
		char *flags_env[MAX_ENV];
		uint32_t nflags = start.envc - 2; /* what -e added after base_env */
		memcpy(flags_env, env + 2, nflags * sizeof(char *));
		start.envc = 0;
		for (size_t i = 0; st.config.env && st.config.env[i]; i++)
			if (start.envc < MAX_ENV)
				env[start.envc++] = st.config.env[i];
		for (uint32_t k = 0; k < nflags; k++)
			if (env_set(env, &start.envc, flags_env[k]) < 0)
				return -1;
		if (!start.cwd)
			start.cwd = st.config.cwd;
		if (!start.user)
			start.user = st.config.user;
		/* as docker exec: the container's capabilities, seccomp
		 * profile and no_new_privs (sec lives until exit) */
		static struct security_start sec;
		if (security_start(&st.config.security, &sec, &start) < 0)
			return -1;
		optind++;
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return zerr(0, "exec: no command given");
	if (tty && !getenv("TERM"))
		env_set(env, &start.envc, "TERM=xterm");
	else if (tty) {
		static char term[128];
		snprintf(term, sizeof(term), "TERM=%s", getenv("TERM"));
		env_set(env, &start.envc, term);
	}
	env[start.envc] = NULL;
	start.env = env;
	start.argv = argv + optind;
	start.argc = argc - optind;

	if (idm_conn_connect(vsock, port, &conn) < 0)
		return -1;
	idm_forward_signals(true);
	rc = idm_run_process(conn, &start, interactive ? STDIN_FILENO : -1, STDOUT_FILENO,
			     STDERR_FILENO, tty, &code);
	idm_conn_close(conn);
	if (rc == -2) {
		/* like podman exec: 127 not found, 126 not runnable */
		zerr_print(cli->prog);
		return zerr_errno() == ENOENT ? 127 : 126;
	}
	if (rc < 0)
		return -1;
	return code;
}
