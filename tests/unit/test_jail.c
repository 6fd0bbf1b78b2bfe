/* jail/jail.c: each case forks a child that installs zone-vmm's seccomp
 * filter (or enters the whole jail) and then makes one system call; calls
 * outside the filter must kill the child with SIGSYS, the ones the VMM
 * makes must work. */
#include "tests/unit/check.h"
#include "jail/jail.h"
#include "jail/setid_filter.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn in a child under the filter; returns its wait status. */
static int jailed(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (jail_seccomp() < 0) {
			zerr_print("test_jail");
			_exit(99);
		}
		/* the raw system call: ASan's _exit hooks call sigaltstack */
		syscall(SYS_exit_group, fn());
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static bool killed_by_sigsys(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static bool exited_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* --- what the VMM does: must work --- */

static void *thread_fn(void *arg)
{
	return arg;
}

static int vmm_like(void)
{
	int p[2], sv[2], s;
	char c = 'x';
	void *m;
	pthread_t t;
	void *ret = NULL;
	struct stat st;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0 || write(p[0], &c, 1) != 1 ||
	    read(p[1], &c, 1) != 1 || fstat(p[0], &st) < 0)
		return 1;
	if (fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) < 0)
		return 2;
	close(p[0]);
	close(p[1]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 3;
	close(s);
	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, 4096, PROT_READ) < 0 || munmap(m, 1 << 20) < 0)
		return 4;
	/* ASan's thread start and exit need sigaltstack, which the filter
	 * (skipped in ASan builds of zone-vmm) does not allow; the integration
	 * tests start the VMM's threads under the filter */
	if (!jail_sanitized() &&
	    (pthread_create(&t, NULL, thread_fn, &c) || pthread_join(t, &ret) || ret != &c))
		return 5;
	/* KVM_RUN is allowed (on a bad fd it just fails) */
	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF)
		return 6;
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) < 0)
		return 7;
	return 0;
}

/* --- outside the filter: each must be fatal --- */

static int do_ptrace(void) { syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0); return 0; }
static int do_mount(void) { syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, NULL); return 0; }
static int do_openat(void) { syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY); return 0; }
static int do_inet(void) { syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); return 0; }
static int do_fork(void) { syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); return 0; }
static int do_execve(void)
{
	char *argv[] = { "/bin/true", NULL };
	syscall(SYS_execve, "/bin/true", argv, NULL);
	return 0;
}
static int do_ioctl(void) { int n; syscall(SYS_ioctl, 0, FIONREAD, &n); return 0; }
static int do_kvm_create(void) { syscall(SYS_ioctl, -1, KVM_CREATE_VCPU, 1); return 0; }
static int do_exec_mem(void)
{
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}
static int do_kill_other(void) { syscall(SYS_kill, getppid(), 0); return 0; }
static int do_tgkill_other(void) { syscall(SYS_tgkill, getppid(), getppid(), 0); return 0; }
static int do_fcntl_dup(void) { syscall(SYS_fcntl, 0, F_DUPFD, 10); return 0; }
static int do_fstatat_path(void)
{
	struct stat st;
	syscall(SYS_newfstatat, AT_FDCWD, "/etc/passwd", &st, 0);
	return 0;
}
static int do_setuid(void) { syscall(SYS_setuid, 0); return 0; }
static int do_unshare(void) { syscall(SYS_unshare, 0x40000000 /* CLONE_NEWNET */); return 0; }

static const struct {
	const char *name;
	int (*fn)(void);
} forbidden[] = {
	{ "ptrace", do_ptrace },
	{ "mount", do_mount },
	{ "openat", do_openat },
	{ "socket(AF_INET)", do_inet },
	{ "clone without CLONE_THREAD (fork)", do_fork },
	{ "execve", do_execve },
	{ "ioctl FIONREAD", do_ioctl },
	{ "ioctl KVM_CREATE_VCPU", do_kvm_create },
	{ "mmap PROT_EXEC", do_exec_mem },
	{ "kill", do_kill_other },
	{ "tgkill to another process", do_tgkill_other },
	{ "fcntl F_DUPFD", do_fcntl_dup },
	{ "newfstatat with a path", do_fstatat_path },
	{ "setuid", do_setuid },
	{ "unshare", do_unshare },
};

/* The whole jail in a child, inspected from outside through /proc. */
static void whole_jail(void)
{
	int to_child[2], to_parent[2];
	char path[64], line[256], ours[64] = "", theirs[64] = "";
	bool cap_eff0 = false, cap_bnd0 = false, nnp = false;
	int seccomp = -1;
	pid_t pid;
	FILE *f;
	int st;

	if (geteuid() != 0) {
		printf("NOT RUN: %s: whole jail (needs root)\n", __FILE__);
		return;
	}
	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char c = 0;
		close(to_child[1]);
		close(to_parent[0]);
		c = jail_enter(&(struct jail_opts){ .socket_path = NULL }) < 0 ? 'F' : 'J';
		if (c == 'F')
			zerr_print("test_jail");
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) < 0)
			syscall(SYS_exit_group, 2);
		syscall(SYS_exit_group, 0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	char c = 0;
	CHECK(read(to_parent[0], &c, 1) == 1 && c == 'J', "jail_enter in a child");
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "CapEff:\t0000000000000000\n"))
			cap_eff0 = true;
		if (!strcmp(line, "CapBnd:\t0000000000000000\n"))
			cap_bnd0 = true;
		if (!strcmp(line, "NoNewPrivs:\t1\n"))
			nnp = true;
		sscanf(line, "Seccomp:\t%d", &seccomp);
	}
	if (f)
		fclose(f);
	CHECK(cap_eff0 && cap_bnd0, "whole jail: no capabilities");
	CHECK(nnp, "whole jail: no_new_privs");
	CHECK(seccomp == (jail_sanitized() ? 0 : 2),
	      jail_sanitized() ? "whole jail: no seccomp filter under ASan"
			       : "whole jail: seccomp filter mode");
	/* its root is an empty tmpfs (holding only the current directory) */
	snprintf(path, sizeof(path), "/proc/%d/root/etc/passwd", pid);
	CHECK(jail_sanitized() ? access(path, F_OK) == 0 : access(path, F_OK) < 0,
	      jail_sanitized() ? "whole jail: host files still visible under ASan (no mount namespace)"
			       : "whole jail: host files are not visible");
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (readlink(path, theirs, sizeof(theirs) - 1) < 0 ||
	    readlink("/proc/self/ns/net", ours, sizeof(ours) - 1) < 0)
		theirs[0] = 0;
	CHECK(theirs[0] && strcmp(ours, theirs), "whole jail: own network namespace");
	close(to_child[1]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "whole jail: the child exits normally");
}

/* In a child under jail/setid_filter: which modes can be set.  Exit code
 * bits: 1 = setuid chmod refused, 2 = setgid+g+x refused, 4 = O_CREAT with
 * setuid refused, 8 = plain modes and setgid without g+x still work. */
static int setid_child(const char *dir)
{
	char f[256], g[256];
	int r = 0, fd;

	snprintf(f, sizeof(f), "%s/f", dir);
	snprintf(g, sizeof(g), "%s/g", dir);
	if (setid_filter_load() < 0)
		return 100;
	fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	if (fd < 0)
		return 101;
	close(fd);
	if (chmod(f, 04755) < 0 && errno == EPERM)
		r |= 1;
	if (fchmodat(AT_FDCWD, f, 02755, 0) < 0 && errno == EPERM)
		r |= 2;
	if (open(g, O_CREAT | O_WRONLY | O_CLOEXEC, 04755) < 0 && errno == EPERM)
		r |= 4;
	if (chmod(f, 0700) == 0 && chmod(f, 02745) == 0 && mkdir(g, 02775) == 0)
		r |= 8;
	return r;
}

static void test_setid_filter(void)
{
	char dir[] = "/tmp/zone-setid.XXXXXX", f[64];
	struct stat st;
	int status;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL, "setid filter: temp dir");
	pid = fork();
	if (pid == 0)
		_exit(setid_child(dir));
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 1), "setid filter: chmod 4755 refused (EPERM)");
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 2), "setid filter: setgid on a g+x file refused");
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 4), "setid filter: creating a setuid file refused");
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) & 8),
	      "setid filter: plain modes, setgid without g+x and setgid directories still work");
	snprintf(f, sizeof(f), "%s/f", dir);
	CHECK(stat(f, &st) == 0 && !(st.st_mode & S_ISUID), "setid filter: the file has no setuid bit");
	unlink(f);
	snprintf(f, sizeof(f), "%s/g", dir);
	rmdir(f);
	rmdir(dir);
}

int main(void)
{
	char name[128];

	test_setid_filter();

	setvbuf(stdout, NULL, _IOLBF, 0);
	int st = jailed(vmm_like);
	if (!exited_ok(st))
		printf("vmm_like: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	CHECK(exited_ok(st),
	      "what the VMM does works under the filter (I/O, sockets, memory, threads)");
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		snprintf(name, sizeof(name), "%s kills the process with SIGSYS", forbidden[i].name);
		CHECK(killed_by_sigsys(jailed(forbidden[i].fn)), name);
	}
	whole_jail();
	CHECK_DONE();
}
