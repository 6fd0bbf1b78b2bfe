#include "init/ctr_ns.h"
#include "init/masks.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static bool enabled, started;
static char **proc_masked, **proc_readonly;
static uint32_t n_masked, n_readonly;
static pid_t init_pid;
/* the init's PID and mount namespaces and root; zone-init's own PID
 * namespace, to fork in it again after a join */
static int pidns_fd = -1, mntns_fd = -1, root_fd = -1, own_pidns_fd = -1;

/* The entries of v under /proc (a new /proc hides the old one's masks). */
static char **proc_entries(char *const *v, uint32_t n, uint32_t *out_n)
{
	char **out = calloc(n + 1, sizeof(*out));

	*out_n = 0;
	if (!out)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		if (!strncmp(v[i], "/proc/", 6) && !(out[(*out_n)++] = strdup(v[i])))
			return NULL;
	return out;
}

int ctr_ns_enable(char *const *masked, uint32_t nmasked, char *const *readonly,
		  uint32_t nreadonly)
{
	proc_masked = proc_entries(masked, nmasked, &n_masked);
	proc_readonly = proc_entries(readonly, nreadonly, &n_readonly);
	if (!proc_masked || !proc_readonly)
		return zerr(ENOMEM, "container namespaces");
	own_pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own_pidns_fd < 0)
		return zerr(errno, "open /proc/self/ns/pid");
	enabled = true;
	return 0;
}

/* Not yet waited for, and not a zombie either. */
static bool init_alive(void)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, init_pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return si.si_pid == 0;
}

static int open_ns(pid_t pid, const char *what, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return open(path, flags | O_CLOEXEC);
}

void ctr_ns_spawned(pid_t pid)
{
	if (!enabled || pid != init_pid || pidns_fd >= 0)
		return;
	/* after exec: the init has made its mount namespace by now */
	pidns_fd = open_ns(pid, "ns/pid", O_RDONLY);
	mntns_fd = open_ns(pid, "ns/mnt", O_RDONLY);
	root_fd = open_ns(pid, "root", O_PATH | O_DIRECTORY);
}

pid_t ctr_ns_fork(enum ctr_ns_role *role)
{
	pid_t pid;
	int e;

	*role = CTR_NS_NONE;
	if (!enabled)
		return fork();
	if (!started) {
		/* zone-init stays where it is; its next child is PID 1 there */
		if (unshare(CLONE_NEWPID) < 0)
			return zerr(errno, "a PID namespace for the container");
		pid = fork();
		e = errno;
		if (pid == 0) {
			*role = CTR_NS_INIT;
			return 0;
		}
		setns(own_pidns_fd, CLONE_NEWPID);
		if (pid < 0)
			return zerr(e, "fork");
		started = true;
		init_pid = pid;
		return pid;
	}
	if (!init_pid || !init_alive())
		return zerr(ESRCH, "the container's process has ended");
	if (pidns_fd < 0 || mntns_fd < 0 || root_fd < 0)
		return zerr(ESRCH, "the container's namespaces are gone");
	if (setns(pidns_fd, CLONE_NEWPID) < 0)
		return zerr(errno, "joining the container's PID namespace");
	pid = fork();
	e = errno;
	if (pid == 0) {
		*role = CTR_NS_JOIN;
		return 0;
	}
	setns(own_pidns_fd, CLONE_NEWPID);
	if (pid < 0)
		return zerr(e, "fork into the container");
	return pid;
}

int ctr_ns_child(enum ctr_ns_role role)
{
	if (role == CTR_NS_INIT) {
		/* a /proc of the new PID namespace, in a mount namespace of its
		 * own so zone-init keeps seeing every process */
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    umount2("/proc", MNT_DETACH) < 0 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return -1;
		if (masks_apply(proc_masked, n_masked, proc_readonly, n_readonly) < 0) {
			errno = zerr_errno() ? zerr_errno() : EPERM;
			return -1;
		}
	} else if (role == CTR_NS_JOIN) {
		/* setns leaves us at the namespace's bottom root: chroot back
		 * into the container root, as nsenter --root does */
		if (setns(mntns_fd, CLONE_NEWNS) < 0 || fchdir(root_fd) < 0 || chroot(".") < 0 ||
		    chdir("/") < 0)
			return -1;
	}
	return 0;
}
