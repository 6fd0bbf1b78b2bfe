/* zone-runc create / start / run.
 *
 * create boots the container's zone and stops before its process: the
 * *monitor* (runtime/monitor.c) is a host process that owns the zone,
 * writes the state ("created", its own pid), runs the prestart,
 * createRuntime and createContainer hooks and waits on the container's
 * exec fifo.  Its pid goes to --pid-file: it lives exactly as long as the
 * container's process and exits with its status (dies of the same signal),
 * so conmon or containerd's shim reap it as they would runc's init.
 * start opens the fifo; the monitor starts the process, and start runs the
 * poststart hooks once it exists.  run is create + start (+ wait and
 * delete, unless --detach). */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/messages.h"
#include "runtime/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_MS 60000

struct create_opts {
	const char *bundle, *console_socket, *pid_file;
	bool detach, keep;
};

/* Go's error text for errno: lower-case first letter. */
static const char *go_strerror(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a')
		buf[0] += 'a' - 'A';
	return buf;
}

static int fifo_path(const struct runc *r, const char *id, char *buf, size_t len)
{
	if (ctr_dir(r->root, id, buf, len - 16) < 0)
		return -1;
	strcat(buf, "/exec.fifo");
	return 0;
}

/* The state a new container starts with, from its bundle's config. */
static int state_from_spec(const char *id, const char *bundle, const struct oci_spec *spec,
			   struct ctr_state *st)
{
	char path[PATH_MAX + 1], real[PATH_MAX], now[64], user[32], why[128];
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (snprintf(path, sizeof(path), "%s%s%s", spec->root_path[0] == '/' ? "" : bundle,
		     spec->root_path[0] == '/' ? "" : "/", spec->root_path) >= (int)sizeof(path))
		return zerr(ENAMETOOLONG, "invalid rootfs");
	if (stat(path, &sb) < 0)
		return zerr(0, "invalid rootfs: stat %s: %s", path, go_strerror(errno, why, sizeof(why)));
	if (!S_ISDIR(sb.st_mode))
		return zerr(0, "invalid rootfs: %s is not a directory", path);
	if (!realpath(path, real))
		return zerr(errno, "invalid rootfs: %s", path);
	now_rfc3339(now, sizeof(now));
	snprintf(user, sizeof(user), "%u:%u", spec->process.uid, spec->process.gid);
	ctr_set(&st->id, id);
	ctr_set(&st->name, id);
	ctr_set(&st->bundle, bundle);
	ctr_set(&st->rootfs, real);
	ctr_set(&st->created, now);
	if (spec->annotations)
		st->annotations = json_incref(spec->annotations);
	st->status = CTR_CREATED;
	st->config.argv = strv_dup(spec->process.args, -1);
	st->config.env = strv_dup(spec->process.env, -1);
	ctr_set(&st->config.cwd, spec->process.cwd);
	ctr_set(&st->config.user, user);
	ctr_set(&st->config.hostname, spec->hostname && *spec->hostname ? spec->hostname : "zone");
	st->config.tty = spec->process.terminal;
	st->config.read_only = spec->root_readonly;
	st->config.cpus = spec->cpus;
	st->config.memory = spec->memory;
	st->config.stop_signal = SIGTERM;
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->config.argv || !st->config.env ||
	    !st->config.cwd || !st->config.user || !st->config.hostname) {
		ctr_state_free(st);
		return zerr(ENOMEM, "container state");
	}
	return 0;
}

struct monitor_ctx {
	const struct runc *r;
	const struct oci_spec *spec;
	bool wait_for_start;
	struct idm_rlimit rlimits[64];
	struct idm_caps caps;
	struct sc_profile *seccomp; /* config.json's, or NULL */
};

static int on_created(void *arg, struct ctr_state *st)
{
	struct monitor_ctx *m = arg;

	if (runc_hooks_run(m->spec, OCI_HOOK_PRESTART, st) < 0 ||
	    runc_hooks_run(m->spec, OCI_HOOK_CREATE_RUNTIME, st) < 0 ||
	    runc_hooks_run(m->spec, OCI_HOOK_CREATE_CONTAINER, st) < 0)
		return -1;
	return 0;
}

/* Block until `start` opens the exec fifo (run: go on at once). */
static int wait_start(void *arg, struct ctr_state *st)
{
	struct monitor_ctx *m = arg;
	char path[4200];
	int fd;

	if (!m->wait_for_start)
		return runc_hooks_run(m->spec, OCI_HOOK_START_CONTAINER, st);
	if (fifo_path(m->r, st->id, path, sizeof(path)) < 0)
		return -1;
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return zerr(errno, "open exec fifo");
	write_all(fd, "0", 1);
	close(fd);
	unlink(path);
	return runc_hooks_run(m->spec, OCI_HOOK_START_CONTAINER, st);
}

/* The process fields the typed state does not carry. */
static void prepare(void *arg, struct idm_start *start)
{
	struct monitor_ctx *m = arg;
	const struct oci_process *p = &m->spec->process;
	size_t n = p->n_rlimits < 64 ? p->n_rlimits : 64;

	start->user = NULL; /* numeric uid/gid and additionalGids, as given */
	start->uid = p->uid;
	start->gid = p->gid;
	start->groups = p->additional_gids;
	start->ngroups = p->n_additional_gids;
	start->umask = p->has_umask ? p->umask : 022;
	for (size_t i = 0; i < n; i++)
		m->rlimits[i] = (struct idm_rlimit){ p->rlimits[i].resource, p->rlimits[i].soft,
						     p->rlimits[i].hard };
	start->rlimits = m->rlimits;
	start->nrlimits = n;
	start->no_new_privs = p->no_new_privileges;
	if (p->has_caps) {
		m->caps = (struct idm_caps){ p->caps.effective, p->caps.permitted, p->caps.inheritable,
					     p->caps.bounding, p->caps.ambient };
		start->caps = &m->caps;
	}
	start->seccomp = m->seccomp;
	if (p->console_height && p->console_width) {
		start->rows = p->console_height;
		start->cols = p->console_width;
	}
}

static void prepare_rootfs(void *arg, struct idm_rootfs *rf)
{
	struct monitor_ctx *m = arg;

	runc_rootfs_paths(m->spec, rf);
}

/* The monitor process: never returns. */
static void __attribute__((noreturn)) monitor_main(const struct runc *r, struct ctr_state *st,
						   const struct oci_spec *spec,
						   const struct create_opts *o, struct sc_profile *seccomp,
						   bool wait_for_start, int ready_fd)
{
	struct monitor_ctx ctx = { r, spec, wait_for_start, .seccomp = seccomp };
	struct monitor_hooks hooks = { on_created, wait_start, prepare, prepare_rootfs, &ctx };
	struct monitor_io io = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, ready_fd, true };
	int code, start_errno;

	if (o->detach)
		setsid(); /* conmon's or the shim's child, not the terminal's */
	if (o->console_socket) {
		int slave = runc_console_open(o->console_socket, spec->process.console_height,
					      spec->process.console_width);
		if (slave < 0) {
			dprintf(ready_fd, "%s\n", zerr_msg());
			_exit(1);
		}
		/* the pty is our controlling terminal: its resizes reach the
		 * relay as SIGWINCH */
		ioctl(slave, TIOCSCTTY, 0);
		io.in_fd = io.out_fd = io.err_fd = slave;
	}
	code = monitor_run(r->root, st, &io, &hooks, &start_errno);
	if (code < 0)
		code = start_errno == ENOENT ? 127 : start_errno ? 126 : 125;
	runc_exit_like(code);
}

/* Fork the monitor; returns its pid (the direct child when foreground,
 * else the detached grandchild's pid is read from the state) once the
 * container is created, or -1 with the monitor's reason. */
static pid_t spawn_monitor(const struct runc *r, struct ctr_state *st, const struct oci_spec *spec,
			   const struct create_opts *o, struct sc_profile *seccomp,
			   bool wait_for_start)
{
	char line[ZERR_MAX + 8];
	int p[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return zerr(errno, "pipe");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return zerr(errno, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		if (o->detach) {
			/* the grandchild is the monitor: our caller (conmon,
			 * the shim: subreapers) inherits it, as runc's init */
			pid_t g = fork();
			if (g != 0)
				_exit(g < 0 ? 1 : 0);
		}
		monitor_main(r, st, spec, o, seccomp, wait_for_start, p[1]);
	}
	close(p[1]);
	if (o->detach)
		waitpid(pid, NULL, 0);
	n = read_all(p[0], line, sizeof(line) - 1);
	close(p[0]);
	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	if (strcmp(line, "ok")) {
		if (!o->detach)
			waitpid(pid, NULL, 0);
		return zerr(0, "%s", line[0] ? line : "container init exited prematurely");
	}
	if (o->detach) {
		struct ctr_state now;
		if (ctr_load(r->root, st->id, &now) < 0)
			return -1;
		pid = now.monitor_pid;
		ctr_state_free(&now);
	}
	return pid;
}

static int parse_create_opts(struct runc *r, int argc, char **argv, struct create_opts *o, bool run)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "no-pivot", no_argument, NULL, 'N' },
		{ "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "no-subreaper", no_argument, NULL, 'S' },
		{ 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->bundle = ".";
	o->detach = !run;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case 'c': o->console_socket = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'N':
		case 'K':
		case 'S': break; /* a zone has its own root, keyring and reaper */
		case 'F':
			/* a zone cannot take host descriptors: accept 0 only */
			if (parse_uint(optarg, 0, 1024, &v) < 0)
				return runc_usage(r, "invalid value \"%s\" for flag -preserve-fds", optarg);
			if (v)
				return zerr(0, "--preserve-fds %s: host file descriptors cannot be passed into a zone",
					    optarg);
			break;
		case 'd':
			if (!run)
				return runc_usage(r, "flag provided but not defined: -detach");
			o->detach = true;
			break;
		case 'k':
			if (!run)
				return runc_usage(r, "flag provided but not defined: -keep");
			o->keep = true;
			break;
		default:
			return runc_bad_flag(r, argv[optind - 1]);
		}
	}
	return runc_nargs(r, argc, optind, 1, true);
}

/* create, or the first half of run: returns the monitor's pid. */
static pid_t create(struct runc *r, const char *id, const struct create_opts *o, bool wait_for_start,
		    struct oci_spec *spec, struct ctr_state *st)
{
	char bundle[PATH_MAX], fifo[4200], why[128];
	int lock;
	pid_t pid;

	if (!ctr_id_valid(id))
		return zerr(0, "invalid container ID format");
	if (!realpath(o->bundle, bundle))
		return zerr(0, "chdir %s: %s", o->bundle, go_strerror(errno, why, sizeof(why)));
	if (oci_spec_load(bundle, spec) < 0 || state_from_spec(id, bundle, spec, st) < 0)
		return -1;
	if (spec->process.terminal && o->detach && !o->console_socket)
		return zerr(0, "cannot allocate tty if runc will detach without setting console socket");
	if (!spec->process.terminal && o->console_socket)
		return zerr(0, "cannot use console socket if runc will not allocate tty");
	/* converted once, here: a profile that does not convert fails before
	 * anything exists (it lives until exit, in the monitor too) */
	static struct sc_profile seccomp;
	int has_seccomp = runc_seccomp(spec, &seccomp);

	if (has_seccomp < 0)
		return -1;

	lock = ctr_lock(r->root);
	if (lock < 0)
		return -1;
	struct ctr_state old;
	if (ctr_load(r->root, id, &old) == 0) {
		ctr_state_free(&old);
		ctr_unlock(lock);
		return zerr(0, "container with given ID already exists");
	}
	zerr_clear();
	if (ctr_save(r->root, st) < 0 || fifo_path(r, id, fifo, sizeof(fifo)) < 0 ||
	    (wait_for_start && mkfifo(fifo, 0600) < 0 && errno != EEXIST)) {
		ctr_unlock(lock);
		ctr_remove(r->root, id);
		return -1;
	}
	ctr_unlock(lock);

	pid = spawn_monitor(r, st, spec, o, has_seccomp ? &seccomp : NULL, wait_for_start);
	if (pid < 0) {
		/* nothing of a failed create stays behind */
		char msg[ZERR_MAX];
		snprintf(msg, sizeof(msg), "%s", zerr_msg());
		ctr_remove(r->root, id);
		return zerr(0, "%s", msg);
	}
	if (o->pid_file && runc_write_pid_file(o->pid_file, pid) < 0)
		return -1;
	runc_log(r, RUNC_DEBUG, "container %s created, monitor pid %d", id, (int)pid);
	return pid;
}

int runc_cmd_create(struct runc *r, int argc, char **argv)
{
	struct create_opts o;
	struct oci_spec spec = { 0 };
	struct ctr_state st = { 0 };
	pid_t pid;

	if (parse_create_opts(r, argc, argv, &o, false) < 0)
		return -1;
	pid = create(r, argv[optind], &o, true, &spec, &st);
	oci_spec_free(&spec);
	ctr_state_free(&st);
	return pid < 0 ? -1 : 0;
}

/* Once the process exists (or the monitor gave up): poststart hooks. */
static int await_started(struct runc *r, const char *id)
{
	uint64_t deadline = monotonic_ms() + START_TIMEOUT_MS;
	struct ctr_state st;
	struct oci_spec spec;

	for (;;) {
		if (runc_open(r, id, &st) < 0)
			return -1;
		if (st.proc)
			break;
		if (!ctr_monitor_alive(&st) || monotonic_ms() >= deadline) {
			int r2 = zerr(0, "container init exited prematurely%s%s", st.error ? ": " : "",
				      st.error ? st.error : "");
			ctr_state_free(&st);
			return r2;
		}
		ctr_state_free(&st);
		usleep(5000);
	}
	if (oci_spec_load(st.bundle, &spec) == 0) {
		if (runc_hooks_run(&spec, OCI_HOOK_POSTSTART, &st) < 0) {
			char msg[ZERR_MAX];
			snprintf(msg, sizeof(msg), "%s", zerr_msg());
			kill(st.monitor_pid, SIGKILL); /* runc terminates the container too */
			oci_spec_free(&spec);
			ctr_state_free(&st);
			return zerr(0, "%s", msg);
		}
		oci_spec_free(&spec);
	} else {
		runc_log(r, RUNC_WARN, "poststart hooks not run: %s", zerr_msg());
	}
	ctr_state_free(&st);
	return 0;
}

/* Open the exec fifo and take the monitor's byte: the process starts. */
static int release(struct runc *r, const struct ctr_state *st)
{
	uint64_t deadline = monotonic_ms() + START_TIMEOUT_MS;
	char path[4200], b;
	int fd;

	if (fifo_path(r, st->id, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return zerr(0, "cannot start a container that has stopped");
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&pfd, 1, 20) > 0 && (n = read(fd, &b, 1)) == 1)
			break;
		if (!ctr_monitor_alive(st) || monotonic_ms() >= deadline) {
			close(fd);
			return zerr(0, "cannot start a container that has stopped");
		}
	}
	close(fd);
	return 0;
}

int runc_cmd_start(struct runc *r, int argc, char **argv)
{
	struct ctr_state st;
	const char *status;
	int rc;

	if (runc_nargs(r, argc, 1, 1, true) < 0 || runc_open(r, argv[1], &st) < 0)
		return -1;
	status = runc_status(&st);
	if (!strcmp(status, "created"))
		rc = release(r, &st);
	else if (!strcmp(status, "stopped"))
		rc = zerr(0, "cannot start a container that has stopped");
	else if (!strcmp(status, "running"))
		rc = zerr(0, "cannot start an already running container");
	else
		rc = zerr(0, "cannot start a container in the %s state", status);
	ctr_state_free(&st);
	if (rc < 0)
		return -1;
	return await_started(r, argv[1]);
}

static volatile pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

int runc_cmd_run(struct runc *r, int argc, char **argv)
{
	struct create_opts o;
	struct oci_spec spec = { 0 };
	struct ctr_state st = { 0 };
	const char *id;
	int status, code;
	pid_t pid;

	if (parse_create_opts(r, argc, argv, &o, true) < 0)
		return -1;
	id = argv[optind];
	pid = create(r, id, &o, false, &spec, &st);
	oci_spec_free(&spec);
	ctr_state_free(&st);
	if (pid < 0)
		return -1;
	if (await_started(r, id) < 0)
		return -1;
	if (o.detach)
		return 0;
	/* in the foreground: the monitor is our child; its status is ours.
	 * Signals sent to us go to it (it passes them into the zone); the
	 * terminal's ^C reaches it directly. */
	forward_to = pid;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = forward }, NULL);
	sigaction(SIGHUP, &(struct sigaction){ .sa_handler = forward }, NULL);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = forward }, NULL);
	sigaction(SIGUSR2, &(struct sigaction){ .sa_handler = forward }, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!o.keep && runc_delete_container(r, id, true) < 0)
		runc_log(r, RUNC_WARN, "%s", zerr_msg());
	return code;
}
