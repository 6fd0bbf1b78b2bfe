/* init/mounts.c on the host: a temp directory stands in for the container
 * root (in a private mount namespace of a child), tmpfs mounts go where
 * they are told and symlinks in the target cannot lead out of the root.
 * virtio-fs sources need a zone (tests/integration/volumes.sh). */
#include "tests/unit/check.h"
#include "init/mounts.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/zone-mounts-test.XXXXXX";

static bool is_tmpfs(const char *rel)
{
	char p[256];
	struct statfs fs;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return statfs(p, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

static void tests(void)
{
	struct idm_mount m = { .fstype = "tmpfs", .target = "/data", .nosuid = true,
			       .nodev = true, .size = 1 << 20 };
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char p[256];
	struct statfs fs;
	struct stat st;

	CHECK(mount_at(rootfd, &m) == 0 && is_tmpfs("data"), "tmpfs on an existing directory");
	snprintf(p, sizeof(p), "%s/data", root);
	CHECK(statfs(p, &fs) == 0 && (fs.f_flags & ST_NOSUID) && (fs.f_flags & ST_NODEV) &&
		      !(fs.f_flags & ST_RDONLY) && fs.f_blocks * fs.f_bsize == 1 << 20,
	      "flags and size as asked");
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 01777, "tmpfs root mode 1777");

	m.target = "/new/deep/dir";
	m.read_only = true;
	CHECK(mount_at(rootfd, &m) == 0 && is_tmpfs("new/deep/dir"),
	      "missing target directories are created");
	snprintf(p, sizeof(p), "%s/new/deep/dir", root);
	CHECK(statfs(p, &fs) == 0 && (fs.f_flags & ST_RDONLY), "read-only mount");

	/* abs -> "/" and up -> "../../../.." resolve to the container root */
	m.target = "/abs/zone-escape-test";
	CHECK(mount_at(rootfd, &m) == 0 && is_tmpfs("zone-escape-test") &&
		      access("/zone-escape-test", F_OK) < 0,
	      "an absolute symlink in the target stays inside the root");
	m.target = "/up/zone-escape-test2";
	CHECK(mount_at(rootfd, &m) == 0 && is_tmpfs("zone-escape-test2") &&
		      access("/zone-escape-test2", F_OK) < 0,
	      "a climbing symlink in the target stays inside the root");
	m.target = "/proc/sys";
	CHECK(mount_at(rootfd, &m) < 0 && strstr(zerr_msg(), "/proc or /sys"),
	      "a target on /proc is refused");
	m.target = "/hostproc/zz";
	CHECK(mount_at(rootfd, &m) < 0, "a symlink into /proc is refused too");
	m.target = "/file";
	CHECK(mount_at(rootfd, &m) < 0 && zerr_errno() == ENOTDIR,
	      "a directory onto a file is refused");
	m.target = "/";
	CHECK(mount_at(rootfd, &m) < 0, "the root itself is refused");
	m.target = "relative";
	CHECK(mount_at(rootfd, &m) < 0, "a relative target is refused");
	m.target = "/x";
	m.fstype = "ext4";
	CHECK(mount_at(rootfd, &m) < 0 && strstr(zerr_msg(), "only virtiofs and tmpfs"),
	      "other filesystem types are refused");
	m.fstype = "virtiofs";
	m.source = "no-such-tag";
	CHECK(mount_at(rootfd, &m) < 0, "a virtio-fs tag that does not exist fails cleanly");
	close(rootfd);
}

int main(void)
{
	char p[256];
	pid_t pid;
	int status;

	if (geteuid() != 0 || !mkdtemp(root)) {
		CHECK(0, "needs root and a temp dir");
		CHECK_DONE();
	}
	snprintf(p, sizeof(p), "%s/data", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/proc", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/abs", root);
	if (symlink("/", p) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/up", root);
	if (symlink("../../../..", p) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/hostproc", root);
	if (symlink("/proc", p) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/file", root);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* private mount namespace: nothing leaks to the host */
		snprintf(p, sizeof(p), "%s/proc", root);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", p, "proc", 0, NULL) < 0) {
			CHECK(0, "private mount namespace");
			_exit(1);
		}
		tests();
		fflush(stdout);
		_exit(check_failures ? 1 : 0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "all checks in the mount namespace passed");
	snprintf(p, sizeof(p), "rm -rf %s", root);
	if (system(p) != 0)
		return 1;
	CHECK_DONE();
}
