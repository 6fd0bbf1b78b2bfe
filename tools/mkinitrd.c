/* mkinitrd: builds the zone initramfs (an uncompressed newc cpio: the
 * kernel unpacks it faster than it could decompress anything) with
 * zone-init as /init and busybox with its applets for tests and demos. */
#include "common/cpio.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_host_file(struct cpio *c, const char *name, const char *path)
{
	uint8_t *buf;
	size_t len;
	int r;

	if (read_file(path, 64 << 20, &buf, &len) < 0)
		return -1;
	r = cpio_add_file(c, name, 0755, buf, len);
	free(buf);
	return r;
}

static int add_busybox_applets(struct cpio *c, const char *busybox)
{
	char cmd[4200], line[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "'%s' --list-full", busybox);
	p = popen(cmd, "r");
	if (!p)
		return zerr(errno, "running %s --list-full", busybox);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || strstr(line, "..") || line[0] == '/')
			continue;
		/* applets live in bin, sbin, usr/bin, usr/sbin */
		int depth = 0;
		for (char *s = line; *s; s++)
			depth += *s == '/';
		const char *target = depth == 1 ? "../bin/busybox" : "../../bin/busybox";
		if (!strcmp(line, "bin/busybox"))
			continue;
		if (!strncmp(line, "bin/", 4))
			target = "busybox";
		if (cpio_add_symlink(c, line, target) < 0)
			break;
		n++;
	}
	if (pclose(p) != 0 || n == 0)
		return zerr(0, "%s --list-full listed no applets (is it busybox-static?)", busybox);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const dirs[] = { "bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev",
					    "proc", "sys", "run", "tmp", "etc", "root", "zone",
					    "mnt", NULL };
	const char *out = NULL, *init = NULL, *busybox = NULL;
	struct cpio c = { 0 };
	int opt;

	static const struct option longopts[] = { { "init", required_argument, 0, 'i' },
						  { "busybox", required_argument, 0, 'b' },
						  { 0, 0, 0, 0 } };
	while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'i': init = optarg; break;
		case 'b': busybox = optarg; break;
		default:
			fprintf(stderr, "usage: mkinitrd -o OUT --init ZONE_INIT [--busybox PATH]\n");
			return 2;
		}
	}
	if (!out || !init) {
		fprintf(stderr, "mkinitrd: -o and --init are required\n");
		return 2;
	}
	for (int i = 0; dirs[i]; i++)
		if (cpio_add_dir(&c, dirs[i], 0755) < 0)
			goto fail;
	if (cpio_add_chardev(&c, "dev/console", 0600, 5, 1) < 0 ||
	    cpio_add_chardev(&c, "dev/null", 0666, 1, 3) < 0 || add_host_file(&c, "init", init) < 0)
		goto fail;
	if (busybox && (add_host_file(&c, "bin/busybox", busybox) < 0 ||
			add_busybox_applets(&c, busybox) < 0))
		goto fail;
	if (cpio_finish(&c) < 0)
		goto fail;
	if (write_file_atomic(out, c.buf, c.len, 0644) < 0)
		goto fail;
	cpio_free(&c);
	return 0;
fail:
	zerr_print("mkinitrd");
	return 1;
}
