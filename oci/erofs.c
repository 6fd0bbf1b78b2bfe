#include "oci/erofs.h"
#include "oci/digest.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EROFS_SUPER_OFFSET 1024
#define EROFS_MAGIC 0xE0F5E1E2u

static void uuid_from(const char *seed, char out[37])
{
	const char *h = digest_valid(seed) ? digest_hex(seed) : "00000000000000000000000000000000";

	snprintf(out, 37, "%.8s-%.4s-4%.3s-8%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
}

int erofs_build(const char *tree, const char *out, const char *uuid_seed)
{
	const char *comp = getenv("ZONE_EROFS_COMPRESS");
	char uuid[37], zopt[32] = "";
	z_autofree char *log = NULL;
	char *argv[12];
	int argc = 0, status, fd;
	pid_t pid, parent;

	if (!comp || !*comp)
		comp = "lz4";
	if (strcmp(comp, "none") && strcmp(comp, "lz4") && strcmp(comp, "lz4hc"))
		return zerr(0, "ZONE_EROFS_COMPRESS=%s: use lz4hc, lz4 or none", comp);
	uuid_from(uuid_seed, uuid);
	if (asprintf(&log, "%s.log", out) < 0)
		return zerr(ENOMEM, "erofs");
	argv[argc++] = "mkfs.erofs";
	argv[argc++] = "--quiet";
	if (strcmp(comp, "none")) {
		snprintf(zopt, sizeof(zopt), "-z%s", comp);
		argv[argc++] = zopt;
	}
	argv[argc++] = "-U";
	argv[argc++] = uuid;
	argv[argc++] = (char *)out;
	argv[argc++] = (char *)tree;
	argv[argc] = NULL;

	parent = getpid();
	pid = fork();
	if (pid < 0)
		return zerr(errno, "fork");
	if (pid == 0) {
		/* dies with the importer: a killed import leaves no mkfs behind */
		int nul = open("/dev/null", O_RDONLY), lfd;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (nul < 0 || lfd < 0 || dup2(nul, 0) < 0 || dup2(lfd, 1) < 0 || dup2(lfd, 2) < 0)
			_exit(127);
		execvp("mkfs.erofs", argv);
		_exit(126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return zerr(errno, "waitpid mkfs.erofs");
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 126)
		return zerr(0, "cannot run mkfs.erofs (install erofs-utils)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char msg[200] = "";
		FILE *f = fopen(log, "r");
		if (f) {
			if (!fgets(msg, sizeof(msg), f))
				msg[0] = 0;
			fclose(f);
			msg[strcspn(msg, "\n")] = 0;
		}
		return zerr(0, "mkfs.erofs failed (status %d)%s%s", status, *msg ? ": " : "", msg);
	}
	unlink(log);
	fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zerr(errno, "open %s", out);
	if (fsync(fd) < 0) {
		close(fd);
		return zerr(errno, "fsync %s", out);
	}
	close(fd);
	return 0;
}

bool erofs_looks_valid(const char *path)
{
	uint8_t b[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, b, 4, EROFS_SUPER_OFFSET) == 4 &&
	     (b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24) == EROFS_MAGIC;
	close(fd);
	return ok;
}
