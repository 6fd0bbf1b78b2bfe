/* zone-init: PID 1 inside a zone.  Mounts the basic filesystems, runs the
 * command it was given (/zone/cmd, from zone-vmm), forwards its output to
 * the console, reports its exit status and powers the zone off. */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CONSOLE_DEV "/dev/hvc0"
#define STATUS_DEV  "/dev/hvc1"
#define MAX_ARGS 4096

static int console_fd = -1;

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	write_all(console_fd >= 0 ? console_fd : 2, buf, n);
}

static void mount_one(const char *src, const char *dst, const char *type, unsigned long flags,
		      const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
		say("zone-init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static void mount_basics(void)
{
	unsigned long nosuid = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	mount_one("proc", "/proc", "proc", nosuid, NULL);
	mount_one("sysfs", "/sys", "sysfs", nosuid, NULL);
	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755");
	mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620");
	mount_one("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

/* Consoles carry bytes unchanged: no \n -> \r\n, no echo. */
static int open_console(const char *path)
{
	struct termios t;
	int fd = -1;

	/* the device node appears once virtio-console has probed */
	for (int i = 0; i < 200 && fd < 0; i++) {
		fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			usleep(5000);
	}
	if (fd >= 0 && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static char **read_cmd(void)
{
	static char *argv[MAX_ARGS + 1];
	uint8_t *buf;
	size_t len, n = 0;

	if (read_file("/zone/cmd", 1 << 20, &buf, &len) < 0 || len == 0 || buf[len - 1] != 0)
		return NULL;
	for (size_t off = 0; off < len && n < MAX_ARGS; off += strlen((char *)buf + off) + 1)
		argv[n++] = (char *)buf + off;
	argv[n] = NULL;
	return argv;
}

static pid_t spawn(char **argv)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();
	int null = open("/dev/null", O_RDONLY);
	dup2(null >= 0 ? null : console_fd, 0);
	dup2(console_fd, 1);
	dup2(console_fd, 2);
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 0);
	setenv("TERM", "linux", 0);
	chdir("/");
	execvp(argv[0], argv);
	int err = errno;
	say("zone-init: cannot run %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* As PID 1, reap every child; return when `main_pid` has exited. */
static int wait_main(pid_t main_pid)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (p != main_pid)
			continue;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
	}
}

int main(void)
{
	char **argv;
	int status_fd, code;
	char msg[32];

	if (getpid() != 1) {
		fprintf(stderr, "zone-init: must run as PID 1 inside a zone\n");
		return 1;
	}
	mount_basics();
	console_fd = open_console(CONSOLE_DEV);
	status_fd = open_console(STATUS_DEV);
	argv = read_cmd();
	if (!argv) {
		say("zone-init: no command to run (/zone/cmd missing or malformed)\n");
		code = 127;
	} else {
		pid_t pid = spawn(argv);
		code = pid < 0 ? 126 : wait_main(pid);
	}
	/* Output first, then the status: zone-vmm exits on the status. */
	sync();
	if (console_fd >= 0)
		tcdrain(console_fd);
	snprintf(msg, sizeof(msg), "ZONE-EXIT %d\n", code);
	if (status_fd >= 0) {
		write_all(status_fd, msg, strlen(msg));
		tcdrain(status_fd);
	}
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
