#include "runtime/monitor.h"
#include "runtime/security.h"
#include "runtime/logs.h"
#include "runtime/mounts.h"
#include "runtime/net_host.h"
#include "runtime/rootfs_share.h"
#include "runtime/state.h"
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"
#include "vmm/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOOT_TIMEOUT_MS 30000
#define VMM_EXIT_TIMEOUT_MS 5000

struct tee {
	int rd;
	int attach;
	struct ctr_log *log;
	const char *stream;
	pthread_t thread;
	pthread_t main; /* hung up when the attached reader goes away */
	bool running;
};

static void *tee_main(void *arg)
{
	struct tee *t = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(t->rd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (t->attach >= 0 && write_all(t->attach, buf, n) < 0) {
			/* the reader went away (`zone run ... | head`): keep
			 * logging, and hang the container up as a closed
			 * terminal would (the relay forwards SIGHUP) */
			if (errno == EPIPE)
				pthread_kill(t->main, SIGHUP);
			t->attach = -1;
		}
		if (t->log->fd >= 0)
			ctr_log_write(t->log, t->stream, buf, n);
	}
	return NULL;
}

/* A pipe whose read end a thread copies to the attached fd and the log;
 * returns the write end for the relay. */
static int tee_start(struct tee *t, int attach, struct ctr_log *log, const char *stream)
{
	sigset_t all, old;
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return zerr(errno, "pipe");
	*t = (struct tee){ .rd = p[0], .attach = attach, .log = log, .stream = stream,
			   .main = pthread_self() };
	/* signals for the container are the relay's (main thread's) to take */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t->thread, NULL, tee_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		close(p[0]);
		close(p[1]);
		return zerr(EAGAIN, "log thread");
	}
	t->running = true;
	return p[1];
}

static void tee_join(struct tee *t)
{
	if (!t->running)
		return;
	pthread_join(t->thread, NULL);
	close(t->rd);
	t->running = false;
}

static const char *vmm_path(void)
{
	static char path[4096];
	const char *e = getenv("ZONE_VMM");

	if (e && *e)
		return e;
	snprintf(path, sizeof(path), "%s/zone-vmm", exe_dir());
	if (access(path, X_OK) == 0)
		return path;
	return "/usr/local/lib/zone/zone-vmm";
}

static pid_t spawn_vmm(const struct ctr_state *st, const char *sock, const char *log_path,
			   const struct ctr_net *net)
{
	char net_arg[64];
	char disk[4200], cpus[16], mem[32];
	const char *vmm = vmm_path();
	/* volumes: one --fs share (and virtiofsd) per host path */
	char **fs_args = mounts_vmm_args(st->config.mounts);
	const char *argv[16 + 2 * 8 + 1] = { "zone-vmm" };
	int argc = 1;
	pid_t pid;

	if (!fs_args)
		return -1;
	/* the root: the image's disk (zone run) or the bundle's directory */
	if (st->disk) {
		snprintf(disk, sizeof(disk), "%s,ro", st->disk);
	} else if (zone_share_rootfs_vmm_arg(st, disk, sizeof(disk)) < 0) {
		mounts_free_args(fs_args);
		return -1;
	}
	snprintf(cpus, sizeof(cpus), "%u", st->config.cpus);
	snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(st->config.memory >> 20));
	for (const char *fixed[] = { "--vsock", sock, st->disk ? "--disk" : "--fs", disk, "--cpus",
				     cpus, "--mem", mem, NULL }, **a = fixed; *a; a++)
		argv[argc++] = *a;
	for (char **a = fs_args; *a && argc < (int)ARRAY_SIZE(argv) - 3; a++)
		argv[argc++] = *a;
	ctr_net_vmm_arg(net, net_arg, sizeof(net_arg));
	if (net_arg[0]) {
		argv[argc++] = "--net";
		argv[argc++] = net_arg;
	}
	pid = fork();
	if (pid < 0) {
		mounts_free_args(fs_args);
		return zerr(errno, "fork");
	}
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		sigset_t none;

		/* the zone dies with its monitor, and a terminal's ^C is for
		 * the container, not for the VMM */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(null, 0);
		dup2(fd >= 0 ? fd : null, 1);
		dup2(fd >= 0 ? fd : null, 2);
		/* networking: zone-vmm inherits the TAP (--net fd=N) */
		if (net->tap_fd >= 0)
			fcntl(net->tap_fd, F_SETFD, 0);
		execv(vmm, (char **)argv);
		dprintf(2, "zone: cannot run %s: %s\n", vmm, strerror(errno));
		_exit(125);
	}
	mounts_free_args(fs_args);
	return pid;
}

/* The last line zone-vmm wrote: why a zone did not come up. */
static void vmm_last_line(const char *log_path, char *buf, size_t len)
{
	FILE *f = fopen(log_path, "re");
	char line[512];

	snprintf(buf, len, "zone-vmm exited");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n') {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, len, "%s", line);
		}
	fclose(f);
}

static int connect_zone(pid_t vmm, const char *sock, const char *vmm_log, struct idm_conn **c)
{
	uint64_t deadline = monotonic_ms() + BOOT_TIMEOUT_MS;

	while (monotonic_ms() < deadline) {
		int st;
		if (waitpid(vmm, &st, WNOHANG) == vmm) {
			char why[512];
			vmm_last_line(vmm_log, why, sizeof(why));
			return zerr(0, "the zone did not start: %s", why);
		}
		if (access(sock, F_OK) == 0 && idm_conn_connect(sock, IDM_VSOCK_PORT, c) == 0)
			return 0;
		usleep(5000);
	}
	return zerr(ETIMEDOUT, "the zone did not answer within %d s", BOOT_TIMEOUT_MS / 1000);
}

static void stop_vmm(pid_t vmm)
{
	uint64_t deadline = monotonic_ms() + VMM_EXIT_TIMEOUT_MS;
	int st;

	while (monotonic_ms() < deadline) {
		pid_t r = waitpid(vmm, &st, WNOHANG);
		if (r == vmm || (r < 0 && errno == ECHILD))
			return;
		usleep(10000);
	}
	kill(vmm, SIGKILL);
	waitpid(vmm, &st, 0);
}

struct started_ctx {
	const char *root;
	struct ctr_state *st;
	int ready_fd;
};

static int on_started(void *arg, uint32_t proc)
{
	struct started_ctx *s = arg;

	s->st->proc = proc;
	if (ctr_save(s->root, s->st) < 0)
		return -1;
	if (s->ready_fd >= 0) {
		write_all(s->ready_fd, "ok\n", 3);
		close(s->ready_fd);
		s->ready_fd = -1;
	}
	return 0;
}

static void finish(const char *root, struct ctr_state *st, int code, const char *error)
{
	char now[64];

	now_rfc3339(now, sizeof(now));
	st->status = CTR_EXITED;
	st->exited_known = true;
	st->exit_code = code;
	ctr_set(&st->finished, now);
	if (error)
		ctr_set(&st->error, error);
	ctr_save(root, st);
}

int monitor_run(const char *root, struct ctr_state *st, const struct monitor_io *io,
		const struct monitor_hooks *hooks, int *start_errno)
{
	const char *id = st->id;
	const struct ctr_config *cfg = &st->config;
	char rundir[4096], sock[4096], vmm_log[4200], log_path[4200], now[64], *hosts = NULL;
	struct ctr_log log = { .fd = -1 };
	struct tee tout = { 0 }, terr = { 0 };
	struct started_ctx sctx = { root, st, io->ready_fd };
	struct idm_conn *conn = NULL;
	struct idm_start start = { 0 };
	struct security_start sec = { 0 };
	bool tty = cfg->tty;
	int code = -1, rc, out_w = -1, err_w = -1;
	pid_t vmm = -1;
	struct sigaction old_hup;
	bool hup_ignored = false;
	struct ctr_net net = { .tap_fd = -1 };

	*start_errno = 0;
	/* a closed stdout must not kill the monitor half-way (state, --rm) */
	signal(SIGPIPE, SIG_IGN);
	if (ctr_run_dir(id, rundir, sizeof(rundir)) < 0 || ctr_vsock_path(id, sock, sizeof(sock)) < 0 ||
	    ctr_log_path(root, id, log_path, sizeof(log_path)) < 0)
		goto fail;
	if ((mkdir(zone_run_dir(), 0700) < 0 && errno != EEXIST) ||
	    (mkdir(rundir, 0700) < 0 && errno != EEXIST)) {
		zerr(errno, "mkdir %s", rundir);
		goto fail;
	}
	ctr_dir(root, id, vmm_log, sizeof(vmm_log) - 16);
	strcat(vmm_log, "/zone-vmm.log");
	if (!io->no_log && ctr_log_open(&log, log_path, st->config.log_max_size,
					     st->config.log_max_files) < 0)
		goto fail;

	/* networking (runtime/net_host.c): TAP, lease, ports before the
	 * zone; its eth0 configured over IDM once it answers.  Only a config
	 * with a "net" section gets a network: zone run always writes one
	 * (net_spec_build); zone-runc's containers have none yet, so they get
	 * --network none semantics (loopback only, no TAP, lease or rule). */
	if (ctr_net_setup(root, st, &net) < 0)
		goto fail;
	vmm = spawn_vmm(st, sock, vmm_log, &net);
	ctr_net_vmm_started(&net);
	if (vmm < 0 || connect_zone(vmm, sock, vmm_log, &conn) < 0)
		goto fail;
	if (net.enabled) {
		struct idm_netconf nc;
		char *addrs[2];
		ctr_net_netconf(&net, &nc, addrs);
		if (idm_netconf(conn, &nc) < 0) {
			zerr_prefix("configuring the zone's network");
			goto fail;
		}
	}

	/* the container root: image disk + overlay, etc files */
	const char *hostname = cfg->hostname;
	char *resolv_str = NULL;
	if (ctr_net_etc_files(cfg, &net, &hosts, &resolv_str) < 0)
		goto fail;
	struct idm_rootfs rf = { "/dev/vda", "erofs", cfg->read_only,
				 (char *)hostname, hosts, resolv_str };
	security_rootfs(&cfg->security, &rf);
	if (hooks && hooks->prepare_rootfs)
		hooks->prepare_rootfs(hooks->arg, &rf);
	rc = st->disk ? idm_rootfs(conn, &rf) : zone_share_rootfs(conn, &rf);
	free(resolv_str);
	if (rc < 0) {
		zerr_prefix("setting up the container root");
		goto fail;
	}
	if (mounts_apply(conn, st->config.mounts) < 0)
		goto fail;

	st->monitor_pid = getpid();
	st->monitor_start = proc_start_time(getpid());
	st->vmm_pid = vmm;
	if (hooks && hooks->wait_start) {
		/* zone-runc: the zone and root are ready; the process starts
		 * when `start` says so */
		st->status = CTR_CREATED;
		if (ctr_save(root, st) < 0 || (hooks->created && hooks->created(hooks->arg, st) < 0))
			goto fail;
		if (sctx.ready_fd >= 0) {
			write_all(sctx.ready_fd, "ok\n", 3);
			close(sctx.ready_fd);
			sctx.ready_fd = -1;
		}
		if (hooks->wait_start(hooks->arg, st) < 0)
			goto fail;
	}
	now_rfc3339(now, sizeof(now));
	st->status = CTR_RUNNING;
	ctr_set(&st->started, now);
	if (ctr_save(root, st) < 0)
		goto fail;

	start.argv = cfg->argv;
	start.argc = strv_len(cfg->argv);
	start.env = cfg->env;
	start.envc = strv_len(cfg->env);
	start.cwd = cfg->cwd;
	start.user = cfg->user;
	start.umask = 022;
	start.tty = tty;
	start.kill_on_close = true;
	if (security_start(&cfg->security, &sec, &start) < 0)
		goto fail;
	if (hooks && hooks->prepare)
		hooks->prepare(hooks->arg, &start);
	if (tty && !start.rows) {
		/* the relay writes to our tee pipes, not to the terminal:
		 * take the window size from the terminal we are attached to */
		struct winsize ws;
		int wfd = io->in_fd >= 0 && isatty(io->in_fd) ? io->in_fd : io->out_fd;
		if (wfd >= 0 && ioctl(wfd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
			start.rows = ws.ws_row;
			start.cols = ws.ws_col;
		}
	}

	out_w = tee_start(&tout, io->out_fd, &log, "stdout");
	err_w = out_w < 0 ? -1 : tee_start(&terr, io->err_fd, &log, "stderr");
	if (err_w < 0)
		goto fail;
	struct idm_run_hooks run_hooks = { on_started, &sctx };
	/* the relay forwards SIGHUP while it runs; a tee's late hang-up
	 * (after the relay) is then ignored, not fatal, until both are joined */
	hup_ignored = true;
	sigaction(SIGHUP, &(struct sigaction){ .sa_handler = SIG_IGN }, &old_hup);
	idm_forward_signals(true);
	rc = idm_run_process_ex(conn, &start, io->in_fd, out_w, err_w, tty, &code, &run_hooks);
	close(out_w);
	close(err_w);
	out_w = err_w = -1;
	tee_join(&tout);
	tee_join(&terr);
	if (rc == -2) {
		*start_errno = zerr_errno();
		goto fail;
	}
	if (rc < 0)
		goto fail;

	/* the container has ended once its zone is gone: stop, rm and
	 * logs -f return on "exited", so record it only then */
	idm_shutdown(conn);
	idm_conn_close(conn);
	stop_vmm(vmm);
	finish(root, st, code, NULL);
	goto out;

fail:
	code = -1;
	{
		char msg[ZERR_MAX];
		snprintf(msg, sizeof(msg), "%s", zerr_msg());
		if (out_w >= 0)
			close(out_w);
		if (err_w >= 0)
			close(err_w);
		tee_join(&tout);
		tee_join(&terr);
		if (conn) {
			idm_shutdown(conn);
			idm_conn_close(conn);
		}
		if (vmm > 0) {
			if (!conn)
				kill(vmm, SIGKILL);
			stop_vmm(vmm);
		}
		finish(root, st, *start_errno == ENOENT ? 127 : *start_errno ? 126 : 125, msg);
		if (sctx.ready_fd >= 0) {
			dprintf(sctx.ready_fd, "%s\n", msg);
			close(sctx.ready_fd);
			sctx.ready_fd = -1;
		}
		zerr(0, "%s", msg);
		zerr_set_errno(*start_errno);
	}
out:
	security_start_done(&sec);
	ctr_net_teardown(root, &net);
	if (hup_ignored)
		sigaction(SIGHUP, &old_hup, NULL);
	free(hosts);
	ctr_log_close(&log);
	unlink(sock);
	rmdir(rundir);
	if (cfg->rm)
		ctr_remove(root, id);
	return code;
}
