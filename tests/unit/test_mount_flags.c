/* cli/mount_flags.c (zone run -v/--mount/--tmpfs) and runtime/mounts.c's
 * zone-vmm arguments built from them. */
#include "tests/unit/check.h"
#include "cli/mount_flags.h"
#include "runtime/mounts.h"
#include "common/zerr.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/zone-mflags.XXXXXX";

static const char *str(json_t *m, const char *k)
{
	return json_string_value(json_object_get(m, k)) ?: "";
}

int main(void)
{
	json_t *ms = json_array(), *m;
	char arg[512], file[300];
	char **args;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/f.txt", dir);
	close(open(file, O_CREAT | O_WRONLY, 0644));

	snprintf(arg, sizeof(arg), "%s:/data//x/../y/:ro", dir);
	CHECK(mount_flag_volume(ms, arg) == 0, "-v DIR:CTR:ro accepted");
	m = json_array_get(ms, 0);
	CHECK(!strcmp(str(m, "type"), "bind") && !strcmp(str(m, "source"), dir) &&
		      !strcmp(str(m, "target"), "/data/y") && json_is_true(json_object_get(m, "ro")) &&
		      json_is_false(json_object_get(m, "file")),
	      "-v: source, cleaned target, ro");
	snprintf(arg, sizeof(arg), "type=bind,src=%s,dst=/etc/f.conf,readonly=false", file);
	CHECK(mount_flag_mount(ms, arg) == 0, "--mount type=bind of a file accepted");
	m = json_array_get(ms, 1);
	CHECK(json_is_true(json_object_get(m, "file")) && json_is_false(json_object_get(m, "ro")),
	      "--mount: a file, readonly=false");
	CHECK(mount_flag_mount(ms, "type=tmpfs,dst=/scratch,tmpfs-size=64m,tmpfs-mode=700") == 0,
	      "--mount type=tmpfs accepted");
	m = json_array_get(ms, 2);
	CHECK(json_integer_value(json_object_get(m, "size")) == 64 << 20 &&
		      json_integer_value(json_object_get(m, "mode")) == 0700,
	      "--mount tmpfs: size and mode");
	CHECK(mount_flag_tmpfs(ms, "/run/x:size=1m,exec") == 0, "--tmpfs with options accepted");
	m = json_array_get(ms, 3);
	CHECK(json_is_false(json_object_get(m, "noexec")) && json_is_true(json_object_get(m, "nosuid")),
	      "--tmpfs: exec given, nosuid by default");

	args = mounts_vmm_args(ms);
	snprintf(arg, sizeof(arg), "zv0=%s,ro", dir);
	CHECK(args && !strcmp(args[0], "--fs") && !strcmp(args[1], arg) &&
		      !strcmp(args[2], "--fs") && !strncmp(args[3], "zv1=", 4) &&
		      !strstr(args[3], ",ro") && args[4] == NULL,
	      "one zone-vmm --fs per host path, tags in order, tmpfs needs none");
	mounts_free_args(args);

	snprintf(arg, sizeof(arg), "%s:/opts:rw,suid,noexec,Z", dir);
	CHECK(mount_flag_volume(ms, arg) == 0, "-v with podman's options accepted");
	m = json_array_get(ms, json_array_size(ms) - 1);
	CHECK(json_is_false(json_object_get(m, "nosuid")) && json_is_true(json_object_get(m, "nodev")) &&
		      json_is_true(json_object_get(m, "noexec")) && json_is_false(json_object_get(m, "ro")),
	      "-v options: suid asked, nodev by default, noexec");
	json_array_remove(ms, json_array_size(ms) - 1);

	static const char *const bad_v[] = { "rel/dir:/x", "./d:/x", "name:/x", "/no/such/dir:/x",
					     "/tmp:/proc", "/tmp:/proc/sys", "/tmp:/a/../sys",
					     "/tmp:x", "/tmp:/", "/tmp:/x:bogus", "/tmp", "/dev/null:/x" };
	for (size_t i = 0; i < sizeof(bad_v) / sizeof(*bad_v); i++) {
		char name[128];
		snprintf(name, sizeof(name), "-v %s refused with one line", bad_v[i]);
		CHECK(mount_flag_volume(ms, bad_v[i]) < 0 && !strchr(zerr_msg(), '\n'), name);
	}
	snprintf(arg, sizeof(arg), "%s:/data/y", dir);
	CHECK(mount_flag_volume(ms, arg) < 0 && strstr(zerr_msg(), "already a mount target"),
	      "the same target twice is refused");
	static const char *const bad_mount[] = { "type=bind,dst=/x", "type=bind,src=/tmp",
						 "type=volume,src=v,dst=/x", "dst=/x",
						 "type=tmpfs,src=/tmp,dst=/x", "type=tmpfs,dst=/sys",
						 "type=tmpfs,dst=/x,tmpfs-mode=9", "type=bind,src=/tmp,dst=/x,bogus=1",
						 "type=bind,src=/tmp,dst=/x,ro=maybe" };
	for (size_t i = 0; i < sizeof(bad_mount) / sizeof(*bad_mount); i++) {
		char name[128];
		snprintf(name, sizeof(name), "--mount %s refused", bad_mount[i]);
		CHECK(mount_flag_mount(ms, bad_mount[i]) < 0, name);
	}
	CHECK(mount_flag_tmpfs(ms, "relative") < 0 && mount_flag_tmpfs(ms, "/t:bogus") < 0 &&
		      mount_flag_tmpfs(ms, "/proc") < 0,
	      "--tmpfs: relative, unknown option and /proc refused");
	CHECK(json_array_size(ms) == 4, "refused flags add nothing");
	json_decref(ms);
	unlink(file);
	rmdir(dir);
	CHECK_DONE();
}
