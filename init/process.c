#include "init/process.h"
#include "common/seccomp_profile.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

int pty_resize(int ptm, unsigned rows, unsigned cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (ioctl(ptm, TIOCSWINSZ, &ws) < 0)
		return zerr(errno, "TIOCSWINSZ");
	return 0;
}

/* A pty pair without libc's grantpt/ptsname (static glibc, no pt_chown). */
static int open_pty(int *ptm, int *pts, unsigned rows, unsigned cols)
{
	int unlock = 0;
	unsigned n;
	char path[32];

	*ptm = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (*ptm < 0)
		return zerr(errno, "open /dev/ptmx");
	if (ioctl(*ptm, TIOCSPTLCK, &unlock) < 0)
		goto fail;
	*pts = ioctl(*ptm, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*pts < 0) { /* kernels before 4.13 */
		if (ioctl(*ptm, TIOCGPTN, &n) < 0)
			goto fail;
		snprintf(path, sizeof(path), "/dev/pts/%u", n);
		*pts = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (*pts < 0)
			goto fail;
	}
	if ((rows || cols) && pty_resize(*ptm, rows, cols) < 0) {
		close(*pts);
		close(*ptm);
		return -1;
	}
	return 0;
fail:
	zerr(errno, "pty setup");
	close(*ptm);
	return -1;
}

/* What the child reports through the exec pipe when a step fails. */
struct child_err {
	int err;
	char step[48];
};

static void __attribute__((noreturn)) child_fail(int fd, const char *step)
{
	struct child_err ce = { .err = errno };

	snprintf(ce.step, sizeof(ce.step), "%s", step);
	if (write(fd, &ce, sizeof(ce)) < 0) {
		/* nothing left to tell */
	}
	_exit(127);
}

static int last_cap(void)
{
	int c = CAP_LAST_CAP;

	/* The running kernel may know more (or fewer) caps than our headers. */
	while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	while (c > 0 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
		c--;
	return c;
}

static int apply_caps_pre(const struct idm_caps *c)
{
	int last = last_cap();

	for (int i = 0; i <= last; i++)
		if (!(c->bounding & (1ull << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
			return -1;
	/* Keep the permitted set across setuid; capset below trims it. */
	return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
}

static int apply_caps_post(const struct idm_caps *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable },
		{ (uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
		  (uint32_t)(c->inheritable >> 32) },
	};
	int last = last_cap();

	if (syscall(SYS_capset, &h, d) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	for (int i = 0; i <= last; i++)
		if ((c->ambient & (1ull << i)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return -1;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

static int move_fd(int from, int to)
{
	if (from == to) /* dup2 would keep close-on-exec */
		return fcntl(to, F_SETFD, 0);
	return dup2(from, to) < 0 ? -1 : 0;
}

/* Runs in the child after fork: never returns.  filter: the built
 * seccomp filter or NULL. */
static void __attribute__((noreturn)) child(const struct idm_start *s, int io[3], int errfd,
					    void *filter)
{
	static char *empty_env[] = { NULL };
	sigset_t all;

	/* zone-init blocks SIGCHLD and ignores SIGPIPE; the process starts clean. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	if (setsid() < 0)
		child_fail(errfd, "setsid");
	if (s->tty && ioctl(io[0], TIOCSCTTY, 0) < 0)
		child_fail(errfd, "TIOCSCTTY");
	/* errfd may sit on 0..2: move it out of the way first. */
	if (errfd <= 2) {
		int nfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);

		if (nfd < 0)
			child_fail(errfd, "dup");
		errfd = nfd;
	}
	for (int i = 0; i < 3; i++)
		if (io[i] <= 2 && io[i] != i) {
			io[i] = fcntl(io[i], F_DUPFD_CLOEXEC, 3);
			if (io[i] < 0)
				child_fail(errfd, "dup");
		}
	for (int i = 0; i < 3; i++)
		if (move_fd(io[i], i) < 0)
			child_fail(errfd, "dup2");
	/* Nothing of zone-init's (connections, other processes' pipes) leaks. */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);

	for (uint32_t i = 0; i < s->nrlimits; i++) {
		struct rlimit rl = { s->rlimits[i].soft, s->rlimits[i].hard };

		if (setrlimit(s->rlimits[i].resource, &rl) < 0)
			child_fail(errfd, "setrlimit");
	}
	umask(s->umask);
	if (s->caps && apply_caps_pre(s->caps) < 0)
		child_fail(errfd, "capability bounding set");
	/* Without no_new_privs a filter needs CAP_SYS_ADMIN to load: load it
	 * now, before setuid and capset take that away (as runc does).  The
	 * few calls left before exec must then pass the profile. */
	if (filter && !s->no_new_privs && sc_filter_load(filter) < 0)
		child_fail(errfd, "seccomp");
	if (setgroups(s->ngroups, s->ngroups ? (gid_t *)s->groups : NULL) < 0)
		child_fail(errfd, "setgroups");
	if (setresgid(s->gid, s->gid, s->gid) < 0)
		child_fail(errfd, "setgid");
	if (setresuid(s->uid, s->uid, s->uid) < 0)
		child_fail(errfd, "setuid");
	if (s->caps) {
		struct idm_caps c = *s->caps;

		if (s->caps_root_only && s->uid != 0)
			c.effective = c.permitted = c.inheritable = c.ambient = 0;
		if (apply_caps_post(&c) < 0)
			child_fail(errfd, "capset");
	}
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(errfd, "no_new_privs");
	/* After setuid, so the directory is checked with the process's rights. */
	if (chdir(s->cwd ? s->cwd : "/") < 0)
		child_fail(errfd, "chdir");
	if (filter && s->no_new_privs && sc_filter_load(filter) < 0)
		child_fail(errfd, "seccomp");
	/* execvp searches the PATH of environ, so install the new env first. */
	environ = s->env ? s->env : empty_env;
	execvp(s->argv[0], s->argv);
	child_fail(errfd, "exec");
}

static void close_if(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int proc_spawn(const struct idm_start *s, struct spawned *out)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, ex[2] = { -1, -1 };
	int ptm = -1, pts = -1, io[3];
	struct child_err ce;
	void *filter = NULL;
	ssize_t n;
	pid_t pid;

	if (s->tty) {
		if (open_pty(&ptm, &pts, s->rows, s->cols) < 0)
			return -1;
		io[0] = io[1] = io[2] = pts;
	} else {
		if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
			zerr(errno, "pipe");
			goto fail;
		}
		io[0] = in[0];
		io[1] = outp[1];
		io[2] = errp[1];
	}
	if (pipe2(ex, O_CLOEXEC) < 0) {
		zerr(errno, "pipe");
		goto fail;
	}
	/* Built here, so a bad profile is an error before anything runs. */
	if (s->seccomp && !(filter = sc_filter_build(s->seccomp, s->no_new_privs)))
		goto fail;
	pid = fork();
	if (pid < 0) {
		zerr(errno, "fork");
		goto fail;
	}
	if (pid == 0) {
		close(ex[0]);
		child(s, io, ex[1], filter);
	}
	sc_filter_free(filter);
	filter = NULL;
	close_if(&ex[1]);
	close_if(&pts);
	close_if(&in[0]);
	close_if(&outp[1]);
	close_if(&errp[1]);
	/* The exec pipe closes on a successful exec; a failing child writes
	 * why.  This blocks only for the few syscalls before exec. */
	do
		n = read(ex[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	close_if(&ex[0]);
	if (n != 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(ce)) {
			ce.step[sizeof(ce.step) - 1] = 0;
			zerr(ce.err, "%s %s", ce.step, s->argv[0]);
		} else {
			zerr(errno, "starting %s", s->argv[0]);
		}
		goto fail;
	}
	if (s->tty) {
		out->stdin_fd = out->stdout_fd = ptm;
		out->stderr_fd = -1;
	} else {
		out->stdin_fd = in[1];
		out->stdout_fd = outp[0];
		out->stderr_fd = errp[0];
		fcntl(in[1], F_SETFL, O_NONBLOCK);
		fcntl(outp[0], F_SETFL, O_NONBLOCK);
		fcntl(errp[0], F_SETFL, O_NONBLOCK);
	}
	out->pid = pid;
	return 0;
fail:
	sc_filter_free(filter);
	close_if(&ptm);
	close_if(&pts);
	for (int i = 0; i < 2; i++) {
		close_if(&in[i]);
		close_if(&outp[i]);
		close_if(&errp[i]);
		close_if(&ex[i]);
	}
	return -1;
}
