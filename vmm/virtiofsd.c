#include "vmm/virtiofsd.h"
#include "common/zerr.h"
#include "jail/setid_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Where a shared file's one-entry directory lives inside virtiofsd's own
 * mount namespace (a tmpfs there; the host's /tmp is untouched). */
#define FILE_SHARE_DIR "/tmp/zone-file-share"

int fs_share_parse(char *arg, struct fs_share *s)
{
	char *eq = strchr(arg, '='), *comma;

	memset(s, 0, sizeof(*s));
	if (!eq || eq == arg)
		return zerr(0, "--fs %s: expected TAG=HOSTPATH[,ro]", arg);
	*eq = 0;
	s->tag = arg;
	s->path = eq + 1;
	comma = strrchr(eq + 1, ',');
	if (comma && (!strcmp(comma, ",ro") || !strcmp(comma, ",rw"))) {
		s->readonly = !strcmp(comma, ",ro");
		*comma = 0;
	}
	if (strlen(s->tag) > 36)
		return zerr(0, "--fs %s: the tag is longer than 36 bytes", s->tag);
	if (s->path[0] != '/')
		return zerr(0, "--fs %s: host path '%s' is not absolute", s->tag, s->path);
	return 0;
}

static void child_fail(const char *what)
{
	fprintf(stderr, "zone-vmm: virtiofsd setup: %s: %s\n", what, strerror(errno));
	_exit(125);
}

/* Bind src (an fd path or a real path) read-only when asked; never
 * setuid or device files through it either way. */
static void bind_share(const char *src, const char *dst, bool readonly)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;

	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail("bind mount of the share");
	if (mount(NULL, dst, NULL, flags | (readonly ? MS_RDONLY : 0), NULL) < 0)
		child_fail("remounting the share");
}

/* In the child: a private mount namespace where the source is what the
 * guest may see, then exec virtiofsd.  Never returns. */
static void exec_virtiofsd(const struct fs_share *s, int listen_fd, bool is_file, pid_t parent)
{
	const char *bin = getenv("ZONE_VIRTIOFSD") ? getenv("ZONE_VIRTIOFSD") : VIRTIOFSD_PATH;
	char fd_arg[32], source[PATH_MAX + 16], path_copy[PATH_MAX];
	const char *source_dir = s->path;
	int devnull;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(125);
	if (unshare(CLONE_NEWNS) < 0)
		child_fail("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail("making mounts private");
	if (is_file) {
		char fdpath[64], dst[PATH_MAX + 64];
		int file_fd = open(s->path, O_PATH | O_CLOEXEC | O_NOFOLLOW), tmp;

		if (file_fd < 0)
			child_fail(s->path);
		snprintf(path_copy, sizeof(path_copy), "%s", s->path);
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", file_fd);
		if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0755,size=16k,nr_inodes=8") < 0 ||
		    mkdir(FILE_SHARE_DIR, 0755) < 0)
			child_fail("private tmpfs for a shared file");
		snprintf(dst, sizeof(dst), "%s/%s", FILE_SHARE_DIR, basename(path_copy));
		tmp = open(dst, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (tmp < 0)
			child_fail(dst);
		close(tmp);
		bind_share(fdpath, dst, s->readonly);
		source_dir = FILE_SHARE_DIR;
	} else {
		bind_share(s->path, s->path, s->readonly);
	}
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	if (fcntl(listen_fd, F_SETFD, 0) < 0)
		child_fail("socket");
	if (setid_filter_load() < 0)
		child_fail("seccomp filter against setuid files");
	snprintf(fd_arg, sizeof(fd_arg), "--fd=%d", listen_fd);
	snprintf(source, sizeof(source), "source=%s", source_dir);
	/* cache=auto and no writeback: the untested default (bench/fs owes the
	 * measurement); --thread-pool-size=0 completes each queue in order,
	 * which the EIO takeover in devices/virtio_fs.c relies on; no mknod:
	 * the guest cannot create device nodes on the host; without
	 * CAP_SETFCAP it cannot set security.capability (file capabilities on
	 * the host would be a setuid by another name); by the seccomp filter
	 * above, no setuid bits reach the host.  (An xattrmap that renames
	 * security.capability breaks chown in this virtiofsd: it then removes
	 * the renamed xattr through an O_PATH fd, EBADF.) */
	execl(bin, bin, fd_arg, "-o", source, "-o", "cache=auto", "-o", "no_writeback", "-o",
	      "xattr", "-o", "sandbox=namespace", "-o", "modcaps=-mknod:-setfcap", "-o",
	      "log_level=warn", "--thread-pool-size=0", (char *)NULL);
	child_fail(bin);
}

int virtiofsd_start(const struct fs_share *s, pid_t *pid)
{
	char dir[] = "/tmp/zone-vfs.XXXXXX";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int listen_fd = -1, conn = -1;
	pid_t parent = getpid(), child;
	struct stat st;

	if (s->path[0] != '/')
		return zerr(0, "share %s: host path '%s' is not absolute", s->tag, s->path);
	if (stat(s->path, &st) < 0)
		return zerr(errno, "share %s: host path %s", s->tag, s->path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return zerr(0, "share %s: %s is neither a directory nor a regular file",
			    s->tag, s->path);
	if (!mkdtemp(dir))
		return zerr(errno, "share %s: private socket directory", s->tag);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", dir);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(listen_fd, 1) < 0) {
		zerr(errno, "share %s: vhost-user socket", s->tag);
		goto out;
	}
	child = fork();
	if (child < 0) {
		zerr(errno, "share %s: fork", s->tag);
		goto out;
	}
	if (child == 0)
		exec_virtiofsd(s, listen_fd, S_ISREG(st.st_mode), parent);
	/* The listening socket already queues our connection; virtiofsd
	 * accepts it once it is up.  Nobody else can reach the 0700 dir. */
	conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn < 0 || connect(conn, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		zerr(errno, "share %s: connecting to virtiofsd", s->tag);
		if (conn >= 0)
			close(conn);
		conn = -1;
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		goto out;
	}
	*pid = child;
out:
	if (listen_fd >= 0)
		close(listen_fd);
	unlink(addr.sun_path);
	rmdir(dir);
	return conn;
}

int virtiofsd_reap(pid_t pid, int timeout_ms)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		if (waited >= timeout_ms)
			return zerr(ETIMEDOUT, "virtiofsd %d did not exit", (int)pid);
		nanosleep(&tick, NULL);
	}
}
