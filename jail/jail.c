/* See jail.h.  Order matters: namespaces and mounts need CAP_SYS_ADMIN, so
 * they come first; capabilities are per thread, so the jail is entered
 * while the process has one thread (the vCPU and runner threads inherit
 * it); the seccomp filter comes last, after no_new_privs. */
#include "jail/jail.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define JAIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JAIL_ASAN 1
#endif
#endif
#ifndef JAIL_ASAN
#define JAIL_ASAN 0
#endif

bool jail_sanitized(void)
{
	return JAIL_ASAN;
}

/* --- namespaces --- */

static int write_proc(const char *path, const char *fmt, unsigned a, unsigned b)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), fmt, a, b);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return zerr(errno, "open %s", path);
	if (write(fd, buf, n) != n) {
		int e = errno;
		close(fd);
		return zerr(e, "write %s", path);
	}
	close(fd);
	return 0;
}

/* Lexically normalised absolute form of dir (relative to cwd): no ".",
 * "..", or repeated slashes.  Never "" (the root is "/"). */
static int normalize(const char *cwd, const char *dir, char *out, size_t size)
{
	char tmp[PATH_MAX * 2];
	size_t len = 0;
	char *save, *comp;

	if (snprintf(tmp, sizeof(tmp), "%s/%s", dir[0] == '/' ? "" : cwd, dir) >=
	    (int)sizeof(tmp))
		return zerr(ENAMETOOLONG, "%s", dir);
	out[0] = 0;
	for (comp = strtok_r(tmp, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(out, '/');
			len = slash ? (size_t)(slash - out) : 0;
			out[len] = 0;
			continue;
		}
		if (len + 1 + strlen(comp) + 1 > size)
			return zerr(ENAMETOOLONG, "%s", dir);
		len += sprintf(out + len, "/%s", comp);
	}
	if (!len)
		strcpy(out, "/");
	return 0;
}

/* mkdir -p of an absolute path, made relative to the current directory. */
static int mkdir_under_cwd(const char *abs)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), ".%s", abs);
	for (char *s = p + 2; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return zerr(errno, "jail: mkdir %s", p + 1);
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* The new root: an empty tmpfs (mounted over /tmp, which only this mount
 * namespace sees, then pivoted to), read-only once the socket directory is
 * bound into it at its own path.  The current directory is recreated too,
 * so a relative socket path resolves as before. */
static int new_root(const char *socket_path)
{
	char cwd[PATH_MAX], dir[PATH_MAX], sockdir[PATH_MAX], src[64];
	z_autoclose int dfd = -1;
	struct stat want, got;

	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	if (socket_path) {
		const char *slash = strrchr(socket_path, '/');
		if (!slash)
			strcpy(dir, ".");
		else if (slash == socket_path)
			strcpy(dir, "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - socket_path), socket_path);
		dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fstat(dfd, &want) < 0)
			return zerr(errno, "jail: socket directory %s", dir);
		if (normalize(cwd, dir, sockdir, sizeof(sockdir)) < 0)
			return zerr_prefix("jail: socket directory");
	}

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return zerr(errno, "jail: making mounts private");
	if (mount("zone-jail", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=64k,nr_inodes=256") < 0)
		return zerr(errno, "jail: mounting the new root");
	if (chdir("/tmp") < 0)
		return zerr(errno, "jail: chdir");
	if (mkdir_under_cwd(cwd) < 0)
		return -1;
	if (socket_path) {
		char rel[PATH_MAX + 1];
		if (mkdir_under_cwd(sockdir) < 0)
			return -1;
		snprintf(src, sizeof(src), "/proc/self/fd/%d", dfd);
		snprintf(rel, sizeof(rel), ".%s", sockdir);
		if (mount(src, rel, NULL, MS_BIND, NULL) < 0)
			return zerr(errno, "jail: binding %s", sockdir);
		/* best effort: flags the host mount has locked may refuse */
		mount(NULL, rel, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	}
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return zerr(errno, "jail: pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return zerr(errno, "jail: detaching the old root");
	if (chdir("/") < 0 || mount(NULL, "/", NULL,
				    MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				    NULL) < 0)
		return zerr(errno, "jail: making the new root read-only");
	if (chdir(cwd) < 0)
		return zerr(errno, "jail: chdir %s", cwd);
	/* The device resolves the path as given: check it still lands in the
	 * same directory (a symlink followed by ".." would not). */
	if (socket_path && (stat(dir, &got) < 0 || got.st_dev != want.st_dev ||
			    got.st_ino != want.st_ino))
		return zerr(0, "jail: the vsock socket directory %s is not the same inside the "
			       "jail (use a path without symlinks, or --no-jail)", dir);
	return 0;
}

int jail_namespaces(const struct jail_opts *o)
{
	int flags = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	bool mounts = !JAIL_ASAN;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	/* a socket right under / would bind the whole host root: no point */
	if (o && o->socket_path && o->socket_path[0] == '/' && !strchr(o->socket_path + 1, '/'))
		mounts = false;
	if (mounts)
		flags |= CLONE_NEWNS;
	if (unshare(flags) < 0) {
		if (errno != EPERM)
			return zerr(errno, "jail: unshare");
		/* not privileged: a user namespace of our own gives the
		 * capabilities to make the others (ours is mapped to itself, so
		 * files keep their owners) */
		if (unshare(flags | CLONE_NEWUSER) < 0)
			return zerr(errno, "jail: unshare (with a user namespace)");
		if (write_proc("/proc/self/setgroups", "deny", 0, 0) < 0 ||
		    write_proc("/proc/self/uid_map", "%u %u 1", uid, uid) < 0 ||
		    write_proc("/proc/self/gid_map", "%u %u 1", gid, gid) < 0)
			/* e.g. root without CAP_SETFCAP may not map itself */
			return zerr_prefix("no privilege for the jail's namespaces "
					   "(run as root or a plain user, or use --no-jail)");
	}
	return mounts ? new_root(o ? o->socket_path : NULL) : 0;
}

/* --- privileges --- */

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int jail_drop_privileges(void)
{
	cap_t none;
	int r;

	/* capabilities are per thread: others would keep theirs (no /proc
	 * inside the jail's mount namespace: jail_enter counted before) */
	if (thread_count() > 1)
		return zerr(0, "jail: entered with more than one thread");
	for (int cap = 0; cap <= CAP_LAST_CAP || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return zerr(errno, "jail: dropping capability %d from the bounding set", cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return zerr(errno, "jail: clearing ambient capabilities");
	none = cap_init();
	if (!none)
		return zerr(errno, "jail: cap_init");
	r = cap_set_proc(none);
	cap_free(none);
	if (r < 0)
		return zerr(errno, "jail: dropping capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return zerr(errno, "jail: PR_SET_NO_NEW_PRIVS");
	return 0;
}

/* --- seccomp --- */

/* What the running VMM calls, measured with strace -f over every test suite
 * that boots zones (boot, vsock, idm, run, jail: vCPU threads, the event
 * loop, vsock, blk, rng, console, the command runner and its IDM client,
 * glibc's pthreads and malloc, exit), plus a few that paths the suites do
 * not reach make (marked). */
static const int allowed[] = {
	/* I/O on descriptors opened before the jail */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(fdatasync), SCMP_SYS(close),
	/* event loop, command runner */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_ctl), SCMP_SYS(poll), SCMP_SYS(ppoll),
	/* vsock host side: Unix stream sockets (socket() itself is below) */
	SCMP_SYS(sendmsg), SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(accept4),
	SCMP_SYS(connect), SCMP_SYS(shutdown),
	/* the socket file is removed at exit */
	SCMP_SYS(unlink),
	/* virtiofsd back ends are reaped (waitpid) once their sockets close */
	SCMP_SYS(wait4),
	/* threads, memory, signals, time */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(madvise),
	SCMP_SYS(munmap), SCMP_SYS(brk), SCMP_SYS(getrandom), SCMP_SYS(getpid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* unseen: realloc of big blocks, clocks without a vDSO, a sleep
	 * restarted after SIGSTOP/SIGCONT, abort() */
	SCMP_SYS(mremap), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(restart_syscall), SCMP_SYS(gettid),
	/* unseen outside sanitizer builds: a contended spin lock backs off
	 * (test_virtio_fs's jailed child died of it once under load) */
	SCMP_SYS(sched_yield),
};

/* ioctls after setup: vCPUs run (and are read by ZONE_VMM_DEBUG's dump at
 * exit); the runner asks the host terminal for its modes and size (isatty,
 * and -t makes it raw and restores it); virtio-net sets the TAP's offloads
 * when the driver is ready. */
static const unsigned long allowed_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, TCGETS, TCSETS, TCSETSW, TIOCGWINSZ,
	/* virtio-net: the receive offloads the guest driver accepts */
	TUNSETOFFLOAD,
};

static const int allowed_fcntls[] = { F_GETFL, F_SETFL };

int jail_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = 0;

	if (!ctx)
		return zerr(ENOMEM, "jail: seccomp_init");
	/* Kills are logged by the kernel (audit/dmesg, with the syscall
	 * number) without SCMP_FLTATR_CTL_LOG, which would also log every
	 * clone3 refusal below. */
	for (size_t i = 0; !r && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; !r && i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, allowed_ioctls[i]));
	for (size_t i = 0; !r && i < sizeof(allowed_fcntls) / sizeof(allowed_fcntls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				     SCMP_A1(SCMP_CMP_EQ, allowed_fcntls[i]));
	/* fstat() is newfstatat(fd, "", st, AT_EMPTY_PATH): no path lookups */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				     SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
	/* Unix sockets only (guest connections to PATH_<port>, the runner's
	 * socketpair); no network */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
				     SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* no new executable memory */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* threads, not processes: clone3's flags sit in memory a filter
	 * cannot read, so glibc is told it is missing and falls back to
	 * clone, whose flags must include CLONE_THREAD */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	/* signals only to our own threads (vCPU kicks) */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r ? zerr(-r, "jail: seccomp filter") : 0;
}

int jail_enter(const struct jail_opts *o)
{
	/* counted here: /proc is gone once the mount namespace is set up */
	if (thread_count() > 1)
		return zerr(0, "jail: entered with more than one thread");
	if (jail_namespaces(o) < 0 || jail_drop_privileges() < 0)
		return -1;
	/* ASan's runtime forks, ptraces and reads /proc when it reports */
	return JAIL_ASAN ? 0 : jail_seccomp();
}
