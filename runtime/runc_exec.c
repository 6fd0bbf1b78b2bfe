/* zone-runc exec [options] ID CMD [ARGS...]   zone-runc exec -p process.json ID
 * The process runs in the container's zone through IDM.  The host process
 * that relays its stdio stands for it: its pid goes to --pid-file and it
 * exits with the process's status (--detach: a relay that outlives us). */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ENV 1024

struct exec_opts {
	const char *console_socket, *pid_file, *process_file, *cwd, *user;
	bool tty, detach, no_new_privs;
	char *env[MAX_ENV];
	size_t nenv;
	uint32_t gids[64];
	size_t ngids;
};

static int parse_opts(struct runc *r, int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {
		{ "console-socket", required_argument, NULL, 'C' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "tty", no_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "process-label", required_argument, NULL, 'L' },
		{ "apparmor", required_argument, NULL, 'A' },
		{ "no-new-privs", no_argument, NULL, 'n' },
		{ "cap", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "ignore-paused", no_argument, NULL, 'I' },
		{ 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+e:tu:g:p:dc:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': o->console_socket = optarg; break;
		case 'w': o->cwd = optarg; break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return zerr(0, "invalid environment variable %s", optarg);
			if (o->nenv == MAX_ENV)
				return zerr(0, "too many --env options");
			o->env[o->nenv++] = optarg;
			break;
		case 't': o->tty = true; break;
		case 'u': o->user = optarg; break;
		case 'g':
			if (o->ngids == 64 || parse_uint(optarg, 0, UINT32_MAX, &v) < 0)
				return zerr(0, "invalid additional-gids value %s", optarg);
			o->gids[o->ngids++] = v;
			break;
		case 'p': o->process_file = optarg; break;
		case 'd': o->detach = true; break;
		case 'P': o->pid_file = optarg; break;
		case 'n': o->no_new_privs = true; break;
		case 'F':
			if (parse_uint(optarg, 0, 1024, &v) < 0 || v)
				return zerr(0, "--preserve-fds %s: host file descriptors cannot be passed into a zone",
					    optarg);
			break;
		case 'L':
		case 'A':
		case 'c':
		case 'G':
		case 'I': break; /* labels, capabilities and cgroups are the zone's own */
		default:
			return runc_bad_flag(r, argv[optind - 1]);
		}
	}
	return runc_nargs(r, argc, optind, o->process_file ? 1 : 2, !!o->process_file);
}

/* "uid[:gid]", numeric as runc takes it. */
static int parse_user(const char *s, uint32_t *uid, uint32_t *gid)
{
	char buf[64], *colon;
	uint64_t u, g = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	if (parse_uint(buf, 0, UINT32_MAX, &u) < 0 || (colon && parse_uint(colon + 1, 0, UINT32_MAX, &g) < 0))
		return zerr(0, "parsing %s: user must be uid[:gid]", s);
	*uid = u;
	*gid = g;
	return 0;
}

/* Put K=V into env (replacing K). */
static void env_put(char **env, uint32_t *n, char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (uint32_t i = 0; i < *n; i++)
		if (!strncmp(env[i], kv, klen + 1)) {
			env[i] = kv;
			return;
		}
	if (*n < MAX_ENV)
		env[(*n)++] = kv;
}

struct relay_ready {
	int fd;
};

static int on_started(void *arg, uint32_t proc)
{
	struct relay_ready *rr = arg;

	if (rr->fd >= 0) {
		write_all(rr->fd, "ok\n", 3);
		close(rr->fd);
		rr->fd = -1;
	}
	return 0;
}

/* Relay the process until it exits; returns its status or -1/-2 (zerr). */
static int relay(const char *sock, struct idm_start *start, const struct exec_opts *o, int ready_fd,
		 int *code)
{
	struct relay_ready rr = { ready_fd };
	struct idm_run_hooks hooks = { on_started, &rr };
	struct idm_conn *conn;
	int in = STDIN_FILENO, out = STDOUT_FILENO, err = STDERR_FILENO, rc;

	if (o->console_socket) {
		int slave = runc_console_open(o->console_socket, start->rows, start->cols);
		if (slave < 0)
			return -1;
		if (o->detach)
			ioctl(slave, TIOCSCTTY, 0);
		in = out = err = slave;
	}
	if (idm_conn_connect(sock, IDM_VSOCK_PORT, &conn) < 0)
		return -1;
	idm_forward_signals(true);
	rc = idm_run_process_ex(conn, start, in, out, err, start->tty, code, &hooks);
	idm_conn_close(conn);
	return rc;
}

int runc_cmd_exec(struct runc *r, int argc, char **argv)
{
	static char *env[MAX_ENV + 1];
	struct exec_opts o;
	struct oci_process proc = { 0 };
	struct idm_start start = { .umask = 022, .kill_on_close = true };
	struct idm_caps caps;
	struct idm_rlimit rl[64];
	struct sc_profile sc = { 0 };
	struct ctr_state st;
	char sock[4096];
	const char *status;
	uint32_t nenv = 0;
	int code, rc, p[2];
	pid_t pid;

	if (parse_opts(r, argc, argv, &o) < 0 || runc_open(r, argv[optind], &st) < 0)
		return -1;
	status = runc_status(&st);
	if (!strcmp(status, "stopped"))
		return zerr(0, "cannot exec in a stopped container");
	if (!strcmp(status, "paused"))
		return zerr(0, "cannot exec in a paused container");
	if (ctr_vsock_path(st.id, sock, sizeof(sock)) < 0)
		return -1;

	if (o.process_file) {
		uint8_t *text;
		size_t len;
		if (read_input(o.process_file, 4 << 20, &text, &len) < 0)
			return -1;
		rc = oci_process_parse((char *)text, len, &proc);
		free(text);
		if (rc < 0)
			return -1;
		start.argv = proc.args;
		start.argc = strv_len(proc.args);
		for (size_t i = 0; proc.env[i]; i++)
			env_put(env, &nenv, proc.env[i]);
		start.cwd = proc.cwd;
		start.uid = proc.uid;
		start.gid = proc.gid;
		start.groups = proc.additional_gids;
		start.ngroups = proc.n_additional_gids;
		start.tty = proc.terminal;
		start.rows = proc.console_height;
		start.cols = proc.console_width;
		start.no_new_privs = proc.no_new_privileges;
		if (proc.has_umask)
			start.umask = proc.umask;
		if (proc.has_caps) {
			caps = (struct idm_caps){ proc.caps.effective, proc.caps.permitted, proc.caps.inheritable,
						  proc.caps.bounding, proc.caps.ambient };
			start.caps = &caps;
		}
		start.nrlimits = proc.n_rlimits < 64 ? proc.n_rlimits : 64;
		for (size_t i = 0; i < start.nrlimits; i++)
			rl[i] = (struct idm_rlimit){ proc.rlimits[i].resource, proc.rlimits[i].soft,
						     proc.rlimits[i].hard };
		start.rlimits = rl;
	} else {
		/* the container's process is the template, as in runc */
		start.argv = argv + optind + 1;
		start.argc = argc - optind - 1;
		for (size_t i = 0; st.config.env && st.config.env[i]; i++)
			env_put(env, &nenv, st.config.env[i]);
		start.cwd = st.config.cwd;
		if (parse_user(st.config.user ? st.config.user : "0", &start.uid, &start.gid) < 0)
			return -1;
		start.tty = o.tty;
	}
	for (size_t i = 0; i < o.nenv; i++)
		env_put(env, &nenv, o.env[i]);
	env[nenv] = NULL;
	start.env = env;
	start.envc = nenv;
	if (o.cwd)
		start.cwd = (char *)o.cwd;
	if (o.user && parse_user(o.user, &start.uid, &start.gid) < 0)
		return -1;
	if (o.ngids) {
		start.groups = o.gids;
		start.ngroups = o.ngids;
	}
	if (o.no_new_privs)
		start.no_new_privs = true;
	if (!start.cwd || start.cwd[0] != '/')
		return zerr(0, "cwd %s is not an absolute path", start.cwd ? start.cwd : "\"\"");
	if (start.tty && o.detach && !o.console_socket)
		return zerr(0, "cannot allocate tty if runc will detach without setting console socket");
	if (!start.tty && o.console_socket)
		return zerr(0, "cannot use console socket if runc will not allocate tty");
	/* the container's seccomp profile holds for exec'd processes too, as
	 * in runc: without its config.json, no exec (never unconfined) */
	if (st.bundle) {
		struct oci_spec spec = { 0 };
		int has;

		if (oci_spec_load(st.bundle, &spec) < 0)
			return zerr_prefix("the container's config.json (for its seccomp profile)");
		has = runc_seccomp(&spec, &sc);
		oci_spec_free(&spec);
		if (has < 0)
			return -1;
		if (has)
			start.seccomp = &sc;
	}

	if (!o.detach) {
		if (o.pid_file && runc_write_pid_file(o.pid_file, getpid()) < 0)
			return -1;
		rc = relay(sock, &start, &o, -1, &code);
		if (rc == -2 && zerr_errno() == ENOENT)
			return zerr(0, "unable to start container process: exec: \"%s\": executable file not found in $PATH",
				    start.argv[0]);
		if (rc < 0)
			return -1;
		return code;
	}

	/* --detach: the relay outlives us; we return once the process runs */
	if (pipe2(p, O_CLOEXEC) < 0)
		return zerr(errno, "pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return zerr(errno, "fork");
	if (pid == 0) {
		close(p[0]);
		if (fork() != 0)
			_exit(0);
		setsid();
		if (o.pid_file && runc_write_pid_file(o.pid_file, getpid()) < 0) {
			dprintf(p[1], "%s\n", zerr_msg());
			_exit(255);
		}
		rc = relay(sock, &start, &o, p[1], &code);
		if (rc < 0) {
			dprintf(p[1], "%s\n", zerr_msg());
			_exit(rc == -2 && zerr_errno() == ENOENT ? 127 : rc == -2 ? 126 : 255);
		}
		runc_exit_like(code);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	{
		char line[ZERR_MAX + 8];
		ssize_t n = read_all(p[0], line, sizeof(line) - 1);
		close(p[0]);
		line[n > 0 ? n : 0] = 0;
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, "ok"))
			return zerr(0, "%s", line[0] ? line : "the exec relay died");
	}
	return 0;
}
