/* Tries the calls a container's default confinement refuses and prints
 * one "name=ok" or "name=ERRNO" line for each, each tried in a child of
 * its own (tests/integration/confine.sh runs it in zones).  usage: probe NAME... (or "all") */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* a child made with these clone flags exits at once */
static long do_clone(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static long do_clone3(void)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static long run(const char *n)
{
	if (!strcmp(n, "keyctl")) /* KEYCTL_GET_KEYRING_ID of the session keyring */
		return syscall(SYS_keyctl, 0, -3, 1) < 0 ? -1 : 0;
	if (!strcmp(n, "add_key"))
		return syscall(SYS_add_key, "user", "zone-probe", "x", 1, -3) < 0 ? -1 : 0;
	if (!strcmp(n, "unshare_user"))
		return unshare(CLONE_NEWUSER);
	if (!strcmp(n, "unshare_mnt"))
		return unshare(CLONE_NEWNS);
	if (!strcmp(n, "clone_newuser"))
		return do_clone(CLONE_NEWUSER);
	if (!strcmp(n, "clone_newnet"))
		return do_clone(CLONE_NEWNET);
	if (!strcmp(n, "clone3"))
		return do_clone3();
	if (!strcmp(n, "fork"))
		return do_clone(0);
	if (!strcmp(n, "mount")) {
		if (mount("probe", "/tmp", "tmpfs", 0, NULL) < 0)
			return -1;
		umount2("/tmp", MNT_DETACH);
		return 0;
	}
	if (!strcmp(n, "personality_rie")) { /* READ_IMPLIES_EXEC */
		if (syscall(SYS_personality, 0x0400000UL) < 0)
			return -1;
		syscall(SYS_personality, 0UL);
		return 0;
	}
	if (!strcmp(n, "personality_query"))
		return syscall(SYS_personality, 0xffffffffUL) < 0 ? -1 : 0;
	if (!strcmp(n, "personality_linux32")) /* UNAME26 | ADDR_NO_RANDOMIZE */
		return syscall(SYS_personality, 0x20008UL) < 0 ? -1 : (syscall(SYS_personality, 0UL), 0);
	if (!strcmp(n, "vsock")) {
		int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	if (!strcmp(n, "bpf")) /* a bad command: EINVAL unless refused first */
		return syscall(SYS_bpf, 0xffff, NULL, 0) < 0 && errno != EINVAL ? -1 : 0;
	if (!strcmp(n, "perf_event_open"))
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) < 0 && errno != EFAULT ? -1 : 0;
	errno = ENOENT;
	return -2;
}

int main(int argc, char **argv)
{
	static const char *all[] = { "keyctl", "add_key", "unshare_user", "unshare_mnt",
				     "clone_newuser", "clone_newnet", "clone3", "fork", "mount",
				     "personality_rie", "personality_query",
				     "personality_linux32", "vsock", "bpf", "perf_event_open",
				     NULL };
	const char *const *names = (const char *const *)argv + 1;

	if (argc == 2 && !strcmp(argv[1], "all"))
		names = all;
	/* each in a child of its own: a call that works (unshare) must not
	 * change what the next one sees */
	for (; *names; names++) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			long r = run(*names);
			if (r == -2) {
				fprintf(stderr, "probe: unknown probe %s\n", *names);
				_exit(2);
			}
			printf("%s=%s\n", *names, r == 0 ? "ok" : strerrorname_np(errno));
			fflush(stdout);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			return 2;
	}
	return 0;
}
