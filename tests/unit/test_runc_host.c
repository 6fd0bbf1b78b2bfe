/* zone-runc's host-side pieces: console socket fd passing as runc does
 * it, hooks with the state on stdin (order, failure, timeout), pid files. */
#include "tests/unit/check.h"
#include "common/zerr.h"
#include "runtime/runc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/zone-runc-test.XXXXXX";

static void test_console(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char data[128] = { 0 }, control[CMSG_SPACE(sizeof(int))], buf[16];
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	int lsock, conn, slave, master = -1;
	pid_t child;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/console.sock", dir);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(lsock, 1) == 0,
	      "console socket listens");
	child = fork();
	if (child == 0) {
		/* the runtime's side, in its own process as in zone-runc */
		int s = runc_console_open(addr.sun_path, 24, 80);
		if (s < 0)
			_exit(1);
		_exit(write(s, "hi", 2) == 2 ? 0 : 2);
	}
	conn = accept(lsock, NULL, NULL);
	ssize_t n = recvmsg(conn, &msg, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (n > 0 && c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&master, CMSG_DATA(c), sizeof(int));
	CHECK(master >= 0, "the pty master arrives with SCM_RIGHTS");
	CHECK(!strcmp(data, "/dev/ptmx"), "the message names the master /dev/ptmx, as runc's does");
	int status;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the slave side writes");
	memset(buf, 0, sizeof(buf));
	CHECK(master >= 0 && read(master, buf, 2) == 2 && !memcmp(buf, "hi", 2),
	      "what the slave writes reads from the master");
	close(conn);
	close(lsock);
	if (master >= 0)
		close(master);
	slave = runc_console_open("/nonexistent/console.sock", 0, 0);
	CHECK(slave < 0 && strstr(zerr_msg(), "dial unix"), "a missing console socket is an error");
}

static void hook_file(const char *name, const char *script)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(path, 0755);
}

static void test_hooks(void)
{
	struct oci_spec spec = { 0 };
	struct ctr_state st = { 0 };
	struct oci_hook hooks[2] = { 0 };
	char p1[256], p2[256], out[256], cmd[1024];
	char *env[] = { "HOOKVAR=x", NULL }, *noargs[] = { NULL };

	snprintf(out, sizeof(out), "%s/hook.out", dir);
	snprintf(cmd, sizeof(cmd), "cat > %s; echo >> %s; echo \"$HOOKVAR $1\" >> %s", out, out, out);
	hook_file("h1", cmd);
	snprintf(cmd, sizeof(cmd), "echo second >> %s", out);
	hook_file("h2", cmd);
	snprintf(p1, sizeof(p1), "%s/h1", dir);
	snprintf(p2, sizeof(p2), "%s/h2", dir);
	char *args1[] = { "h1", "arg1", NULL };
	hooks[0] = (struct oci_hook){ p1, args1, env, 5 };
	hooks[1] = (struct oci_hook){ p2, noargs, noargs, 0 };
	spec.hooks[OCI_HOOK_PRESTART] = (struct oci_hook_list){ hooks, 2 };
	ctr_set(&st.id, "hooked");
	ctr_set(&st.bundle, "/b");
	st.status = CTR_CREATED;

	CHECK(runc_hooks_run(&spec, OCI_HOOK_PRESTART, &st) == 0, "two hooks run");
	FILE *f = fopen(out, "r");
	char line[1024] = "", l2[64] = "", l3[64] = "";
	if (f) {
		if (!fgets(line, sizeof(line), f) || !fgets(l2, sizeof(l2), f) || !fgets(l3, sizeof(l3), f))
			l3[0] = 0;
		fclose(f);
	}
	json_t *j = json_loads(line, 0, NULL);
	CHECK(j && !strcmp(json_string_value(json_object_get(j, "id")), "hooked") &&
		      !strcmp(json_string_value(json_object_get(j, "status")), "creating") &&
		      json_object_get(j, "ociVersion"),
	      "the state JSON on stdin, status creating for prestart as runc");
	json_decref(j);
	CHECK(!strcmp(l2, "x arg1\n"), "the hook's env and args");
	CHECK(!strcmp(l3, "second\n"), "hooks run in order");
	CHECK(runc_hooks_run(&spec, OCI_HOOK_POSTSTOP, &st) == 0, "no hooks of a kind: nothing to do");

	hook_file("fails", "exit 3");
	snprintf(p1, sizeof(p1), "%s/fails", dir);
	hooks[0] = (struct oci_hook){ p1, noargs, noargs, 0 };
	spec.hooks[OCI_HOOK_PRESTART].n = 1;
	CHECK(runc_hooks_run(&spec, OCI_HOOK_PRESTART, &st) < 0 && strstr(zerr_msg(), "exit status 3"),
	      "a failing hook is an error");
	hook_file("slow", "sleep 30");
	snprintf(p1, sizeof(p1), "%s/slow", dir);
	hooks[0] = (struct oci_hook){ p1, noargs, noargs, 1 };
	CHECK(runc_hooks_run(&spec, OCI_HOOK_PRESTART, &st) < 0 && strstr(zerr_msg(), "timeout"),
	      "a hook past its timeout is killed and an error");
	ctr_state_free(&st);
}

static void test_pid_file(void)
{
	char path[256], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/pid", dir);
	CHECK(runc_write_pid_file(path, 4242) == 0, "pid file written");
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 4 && !strcmp(buf, "4242"),
	      "pid file holds the pid alone, as runc writes it");
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/no/such/dir/pid", dir);
	CHECK(runc_write_pid_file(path, 1) < 0, "an unwritable pid file is an error");
	CHECK(runc_parse_signal("KILL") == 9 && runc_parse_signal("SIGTERM") == 15 &&
		      runc_parse_signal("9") == 9 && runc_parse_signal("FOO") < 0,
	      "signals by name and number");
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	test_console();
	test_hooks();
	test_pid_file();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	CHECK_DONE();
}
