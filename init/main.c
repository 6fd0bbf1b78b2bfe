/* zone-init: PID 1 inside a zone.  Mounts the basic filesystems, then
 * serves IDM on vsock: the host starts and controls every process in the
 * zone through it.  On SHUTDOWN (or a fatal error) it syncs and reboots,
 * which ends the zone (reboot=t: the VMM sees a shutdown). */
#include "common/util.h"
#include "common/zerr.h"
#include "init/idm_server.h"
#include "init/net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define CONSOLE_DEV "/dev/hvc0"

static void mount_one(const char *src, const char *dst, const char *type, unsigned long flags,
		      const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
		fprintf(stderr, "zone-init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static void mount_basics(void)
{
	unsigned long nosuid = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	mount_one("proc", "/proc", "proc", nosuid, NULL);
	mount_one("sysfs", "/sys", "sysfs", nosuid, NULL);
	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755");
	mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620,gid=5");
	mount_one("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

/* zone-init's own messages go to hvc0, which the VMM prints on its stderr;
 * raw mode so they pass unchanged. */
static void console_to_stderr(void)
{
	struct termios t;
	int fd = -1;

	for (int i = 0; i < 200 && fd < 0; i++) {
		fd = open(CONSOLE_DEV, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			usleep(5000);
	}
	if (fd < 0)
		return;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	setvbuf(stderr, NULL, _IONBF, 0);
}

int main(void)
{
	int fd;

	if (getpid() != 1) {
		fprintf(stderr, "zone-init: must run as PID 1 inside a zone\n");
		return 1;
	}
	mount_basics();
	console_to_stderr();
	/* before any process starts: 127.0.0.1 works from its first instruction */
	if (net_loopback_up() < 0)
		zerr_print("zone-init: loopback");
	chdir("/");
	fd = idm_vsock_listen(IDM_VSOCK_PORT);
	if (fd < 0 || idm_serve(fd) < 0)
		zerr_print("zone-init");
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
