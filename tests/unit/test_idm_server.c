/* The real IDM server (init/idm_server.c, forked) against the real client
 * (idm/client.c) over AF_UNIX sockets on the host: processes, exit codes,
 * stdio with backpressure, signals, ptys, credentials, hostile peers. */
#include "idm/client.h"
#include "init/idm_server.h"
#include "common/caps.h"
#include "common/zerr.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/idm-test.XXXXXX";
static char sock_path[128], hybrid_path[128], log_path[128];
static pid_t server_pid, proxy_pid;

static int unix_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void start_server(void)
{
	int lfd = unix_listen(sock_path);

	server_pid = fork();
	if (server_pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(log, 2);
		_exit(idm_serve(lfd) == 0 ? 0 : 1);
	}
	close(lfd);
}

/* A stand-in for the VMM's hybrid vsock socket: answers CONNECT 1024 with
 * OK and splices the stream to the server; refuses other ports. */
static void start_proxy(void)
{
	int lfd = unix_listen(hybrid_path);

	proxy_pid = fork();
	if (proxy_pid) {
		close(lfd);
		return;
	}
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char line[32];
		size_t n = 0;

		if (c < 0)
			_exit(1);
		if (fork()) {
			close(c);
			continue;
		}
		while (n < sizeof(line) - 1 && read(c, line + n, 1) == 1 && line[n] != '\n')
			n++;
		line[n] = 0;
		if (strcmp(line, "CONNECT 1024") != 0)
			_exit(0);
		int s = unix_connect(sock_path);
		if (write(c, "OK 1073741824\n", 14) != 14)
			_exit(1);
		struct pollfd p[2] = { { c, POLLIN, 0 }, { s, POLLIN, 0 } };
		char buf[65536];
		while (poll(p, 2, -1) > 0) {
			for (int i = 0; i < 2; i++) {
				if (!p[i].revents)
					continue;
				ssize_t r = read(p[i].fd, buf, sizeof(buf));
				if (r <= 0 || write(p[1 - i].fd, buf, r) != r)
					_exit(0);
			}
		}
		_exit(0);
	}
}

static struct idm_conn *conn(void)
{
	struct idm_conn *c = NULL;
	int fd = unix_connect(sock_path);

	if (fd < 0 || idm_conn_open_fd(fd, &c) < 0) {
		printf("connect: %s\n", zerr_msg());
		return NULL;
	}
	return c;
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("idm", MFD_CLOEXEC);

	if (len && write(fd, data, len) != (ssize_t)len)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static char *memfd_text(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *s = calloc(1, len + 1);

	if (pread(fd, s, len, 0) != len)
		s[0] = 0;
	close(fd);
	return s;
}

struct res {
	int rc, code;
	char *out, *err;
};

static void res_free(struct res *r)
{
	free(r->out);
	free(r->err);
}

/* Run s through idm_run_process with the given stdin, capture output. */
static struct res run_on(struct idm_conn *c, const struct idm_start *s, const char *in, bool tty)
{
	struct res r = { .code = -1 };
	int ifd = in ? memfd_with(in, strlen(in)) : -1;
	int ofd = memfd_with(NULL, 0), efd = memfd_with(NULL, 0);

	r.rc = idm_run_process(c, s, ifd, ofd, efd, tty, &r.code);
	if (r.rc < 0)
		printf("run %s: %s\n", s->argv[0], zerr_msg());
	if (ifd >= 0)
		close(ifd);
	r.out = memfd_text(ofd);
	r.err = memfd_text(efd);
	return r;
}

#define ARGV(...) .argv = (char *[]){ __VA_ARGS__, NULL }, .argc = sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)
static char *path_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

static struct res run(const struct idm_start *s, const char *in)
{
	struct idm_conn *c = conn();
	struct res r = { .rc = -1, .code = -1 };

	if (!c)
		return r;
	r = run_on(c, s, in, s->tty);
	idm_conn_close(c);
	return r;
}

static void test_basics(void)
{
	struct idm_conn *c = conn();

	CHECK(c && idm_ping(c) == 0, "hello + ping");
	idm_conn_close(c);

	struct idm_start s = { ARGV("echo", "hello", "world"), .env = path_env, .envc = 1, .umask = 022 };
	struct res r = run(&s, NULL);
	CHECK(r.rc == 0 && r.code == 0 && !strcmp(r.out, "hello world\n") && !strcmp(r.err, ""),
	      "echo: output and exit 0");
	res_free(&r);

	int codes[] = { 0, 1, 42 };
	for (int i = 0; i < 3; i++) {
		char cmd[32], name[64];
		struct idm_start e = { ARGV("sh", "-c", cmd), .env = path_env, .envc = 1 };

		snprintf(cmd, sizeof(cmd), "echo to-err >&2; exit %d", codes[i]);
		r = run(&e, NULL);
		snprintf(name, sizeof(name), "exit code %d (and stderr)", codes[i]);
		CHECK(r.rc == 0 && r.code == codes[i] && !strcmp(r.err, "to-err\n") && !strcmp(r.out, ""), name);
		res_free(&r);
	}

	struct idm_start k = { ARGV("sh", "-c", "kill -TERM $$"), .env = path_env, .envc = 1 };
	r = run(&k, NULL);
	CHECK(r.rc == 0 && r.code == 128 + SIGTERM, "exit by SIGTERM = 143");
	res_free(&r);
	struct idm_start k9 = { ARGV("sh", "-c", "kill -KILL $$"), .env = path_env, .envc = 1 };
	r = run(&k9, NULL);
	CHECK(r.rc == 0 && r.code == 128 + SIGKILL, "exit by SIGKILL = 137");
	res_free(&r);

	struct idm_start cat = { ARGV("cat"), .env = path_env, .envc = 1 };
	r = run(&cat, "line one\nline two\n");
	CHECK(r.rc == 0 && r.code == 0 && !strcmp(r.out, "line one\nline two\n"), "stdin to cat and back");
	res_free(&r);

	struct idm_start bad = { ARGV("/nonexistent/prog"), .env = path_env, .envc = 1 };
	c = conn();
	uint32_t proc;
	int rc = c ? idm_start(c, &bad, &proc, NULL) : 0;
	CHECK(rc < 0 && zerr_errno() == ENOENT && strstr(zerr_msg(), "exec"), "exec failure reported as ERROR ENOENT");
	CHECK(c && idm_ping(c) == 0, "connection usable after a failed START");

	/* NETCONF reaches init/net.c; these fail before touching anything */
	char *addrs[] = { "10.99.0.2/16", NULL }, *bad_addrs[] = { "10.99.0.300/16", NULL };
	struct idm_netconf nomac = { "02:00:00:00:99:99", 0, addrs, 1, NULL, NULL };
	rc = c ? idm_netconf(c, &nomac) : 0;
	CHECK(rc < 0 && zerr_errno() == ENODEV && strstr(zerr_msg(), "02:00:00:00:99:99"),
	      "NETCONF for a MAC no interface has: ERROR ENODEV");
	struct idm_netconf badaddr = { "02:00:00:00:99:99", 0, bad_addrs, 1, NULL, NULL };
	rc = c ? idm_netconf(c, &badaddr) : 0;
	CHECK(rc < 0 && strstr(zerr_msg(), "10.99.0.300"), "NETCONF with a bad address: ERROR naming it");
	CHECK(c && idm_ping(c) == 0, "connection usable after a failed NETCONF");
	idm_conn_close(c);
}

static void test_credentials(void)
{
	uint32_t groups[] = { 44, 1000 };
	struct idm_start s = { ARGV("grep", "-E", "^(Uid|Gid|Groups|NoNewPrivs|CapEff|CapAmb):",
				    "/proc/self/status"),
			       .env = path_env, .envc = 1, .uid = 1000, .gid = 1001,
			       .groups = groups, .ngroups = 2, .no_new_privs = true };
	struct res r = run(&s, NULL);
	CHECK(r.rc == 0 && r.code == 0 && strstr(r.out, "Uid:\t1000\t1000\t1000\t1000") &&
		      strstr(r.out, "Gid:\t1001\t1001\t1001\t1001") && strstr(r.out, "Groups:\t44 1000") &&
		      strstr(r.out, "NoNewPrivs:\t1") && strstr(r.out, "CapEff:\t0000000000000000"),
	      "uid/gid/groups/no_new_privs applied, no caps for non-root");
	res_free(&r);

	struct idm_caps caps = { 1 << 10, 1 << 10, 0, 1 << 10, 0 };
	struct idm_start sc = { ARGV("grep", "-E", "^Cap(Eff|Prm|Bnd):", "/proc/self/status"),
				.env = path_env, .envc = 1, .caps = &caps };
	r = run(&sc, NULL);
	CHECK(r.rc == 0 && strstr(r.out, "CapEff:\t0000000000000400") && strstr(r.out, "CapPrm:\t0000000000000400") &&
		      strstr(r.out, "CapBnd:\t0000000000000400"),
	      "root with capability sets limited to CAP_NET_BIND_SERVICE");
	res_free(&r);

	struct idm_caps amb = { 1 << 10, 1 << 10, 1 << 10, 1 << 10, 1 << 10 };
	struct idm_start sa = { ARGV("grep", "-E", "^Cap(Eff|Amb):", "/proc/self/status"),
				.env = path_env, .envc = 1, .uid = 1000, .gid = 1000, .caps = &amb };
	r = run(&sa, NULL);
	CHECK(r.rc == 0 && strstr(r.out, "CapEff:\t0000000000000400") && strstr(r.out, "CapAmb:\t0000000000000400"),
	      "non-root keeps an ambient capability across exec");
	res_free(&r);

	struct idm_rlimit rl = { RLIMIT_NOFILE, 123, 456 };
	struct idm_start su = { ARGV("sh", "-c", "umask; ulimit -n; ulimit -Hn; pwd; echo $FOO"),
				.env = (char *[]){ "PATH=/usr/bin:/bin", "FOO=bar baz" }, .envc = 2,
				.umask = 027, .rlimits = &rl, .nrlimits = 1, .cwd = "/tmp" };
	r = run(&su, NULL);
	CHECK(r.rc == 0 && !strcmp(r.out, "0027\n123\n456\n/tmp\nbar baz\n"), "umask, rlimits, cwd, env");
	if (strcmp(r.out, "0027\n123\n456\n/tmp\nbar baz\n"))
		printf("got: %s / %s\n", r.out, r.err);
	res_free(&r);
}

/* zone run's default confinement through the real server: docker's
 * capabilities, the default seccomp profile loaded before setuid (no
 * no_new_privs), caps_root_only for a non-root uid, and a profile that
 * refuses a step before exec failing the start with that step named. */
static void test_confinement(void)
{
	struct idm_caps caps = { caps_default(), caps_default(), 0, caps_default(), 0 };
	char *script = "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\\t';"
		       "unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=refused";
	struct idm_start s = { ARGV("sh", "-c", script), .env = path_env, .envc = 1,
			       .caps = &caps, .caps_root_only = true,
			       .seccomp = (struct sc_profile *)sc_default_profile() };
	struct res r = run(&s, NULL);
	CHECK(r.rc == 0 && r.code == 0 && strstr(r.out, "CapEff:00000000a80425fb") &&
		      strstr(r.out, "Seccomp:2") && strstr(r.out, "NoNewPrivs:0") &&
		      strstr(r.out, "unshare=refused"),
	      "default confinement: docker's caps, seccomp mode 2 without no_new_privs, "
	      "unshare refused");
	if (r.out && !strstr(r.out, "unshare=refused"))
		printf("got: %s / %s\n", r.out, r.err);
	res_free(&r);

	s.uid = s.gid = 1000;
	r = run(&s, NULL);
	CHECK(r.rc == 0 && strstr(r.out, "CapEff:0000000000000000") &&
		      strstr(r.out, "CapBnd:00000000a80425fb") && strstr(r.out, "Seccomp:2"),
	      "caps_root_only: a non-root uid keeps only the bounding set, the filter stays");
	res_free(&r);

	struct sc_rule deny = { "capset", SC_ERRNO, EPERM, NULL, 0 };
	struct sc_profile p = { SC_ALLOW, 0, &deny, 1 };
	s.uid = s.gid = 0;
	s.seccomp = &p;
	r = run(&s, NULL);
	CHECK(r.rc < 0 && strstr(zerr_msg(), "capset"),
	      "a profile that refuses capset fails the start, naming the step");
	res_free(&r);

	s.no_new_privs = true;
	r = run(&s, NULL);
	CHECK(r.rc == 0 && strstr(r.out, "NoNewPrivs:1") && strstr(r.out, "Seccomp:2"),
	      "with no_new_privs the filter is loaded last, after capset");
	res_free(&r);
}

static void test_concurrent(void)
{
	struct idm_conn *c = conn();
	uint32_t proc[20], wait_id[20];
	char cmds[20][64], out[20][32], err[20][32];
	int code[20], ok = 1, exits = 0;
	size_t olen[20] = { 0 }, elen[20] = { 0 };

	for (int i = 0; i < 20 && c; i++) {
		struct idm_start s = { ARGV("sh", "-c", cmds[i]), .env = path_env, .envc = 1 };

		snprintf(cmds[i], sizeof(cmds[i]), "sleep 0.%d; echo out-%d; echo err-%d >&2; exit %d",
			 (20 - i) % 10, i, i, i + 10);
		code[i] = -1;
		if (idm_start(c, &s, &proc[i], NULL) < 0 || idm_send_wait(c, proc[i], &wait_id[i]) < 0 ||
		    idm_close_stdin(c, proc[i]) < 0)
			ok = 0;
	}
	while (c && ok && exits < 20) {
		struct idm_msg m;

		if (idm_recv(c, &m, 10000) != 1) {
			ok = 0;
			break;
		}
		for (int i = 0; i < 20; i++) {
			if (m.type == IDM_DATA && m.u.data.proc == proc[i]) {
				bool o = m.u.data.stream == IDM_STDOUT;
				char *dst = o ? out[i] : err[i];
				size_t *len = o ? &olen[i] : &elen[i];

				if (*len + m.u.data.len < 32) {
					memcpy(dst + *len, m.u.data.data, m.u.data.len);
					*len += m.u.data.len;
				}
				idm_credit(c, proc[i], m.u.data.stream, m.u.data.len);
			} else if (m.type == IDM_EXIT && m.id == wait_id[i]) {
				code[i] = idm_exit_status(&m.u.exit);
				exits++;
			}
		}
		idm_msg_free(&m);
	}
	for (int i = 0; i < 20; i++) {
		char eo[32], ee[32];

		snprintf(eo, sizeof(eo), "out-%d\n", i);
		snprintf(ee, sizeof(ee), "err-%d\n", i);
		if (code[i] != i + 10 || olen[i] != strlen(eo) || memcmp(out[i], eo, olen[i]) ||
		    elen[i] != strlen(ee) || memcmp(err[i], ee, elen[i]))
			ok = 0;
	}
	CHECK(c && ok, "20 concurrent processes on one connection: own output and exit code each");
	idm_conn_close(c);

	/* 20 clients at once, one connection each, through idm_run_process. */
	pid_t kids[20];
	for (int i = 0; i < 20; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char cmd[64], want[32];
			struct idm_start s = { ARGV("sh", "-c", cmd), .env = path_env, .envc = 1 };

			snprintf(cmd, sizeof(cmd), "echo client-%d; exit %d", i, 100 + i);
			snprintf(want, sizeof(want), "client-%d\n", i);
			struct res r = run(&s, NULL);
			if (r.rc == 0 && r.code == 100 + i && !strcmp(r.out, want))
				_exit(0);
			fprintf(stderr, "client %d: rc %d code %d out '%s': %s\n", i, r.rc, r.code, r.out, zerr_msg());
			_exit(1);
		}
	}
	ok = 1;
	for (int i = 0; i < 20; i++) {
		int st;

		if (waitpid(kids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = 0;
	}
	CHECK(ok, "20 concurrent clients, one connection each");
}

static int sha_of(const char *path, char out[65])
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%64s", out) != 1) {
		if (f)
			pclose(f);
		return -1;
	}
	pclose(f);
	return 0;
}

static void test_bulk(void)
{
	char in_path[160], out_path[160], sa[65] = "", sb[65] = "x";
	const size_t size = 10u << 20;
	uint8_t *data = malloc(size);
	int rnd = open("/dev/urandom", O_RDONLY), code = -1, rc;

	snprintf(in_path, sizeof(in_path), "%s/in.bin", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.bin", dir);
	if (read(rnd, data, size) != (ssize_t)size)
		memset(data, 0x5a, size);
	close(rnd);
	int ifd = open(in_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int ofd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (write(ifd, data, size) != (ssize_t)size)
		printf("short write\n");
	lseek(ifd, 0, SEEK_SET);

	struct idm_conn *c = conn();
	struct idm_start s = { ARGV("cat"), .env = path_env, .envc = 1 };
	rc = c ? idm_run_process(c, &s, ifd, ofd, -1, false, &code) : -1;
	idm_conn_close(c);
	close(ifd);
	close(ofd);
	sha_of(in_path, sa);
	sha_of(out_path, sb);
	CHECK(rc == 0 && code == 0 && !strcmp(sa, sb), "10 MiB through cat: same sha256");
	free(data);

	/* A slow reader on the host: the guest must stop producing at the
	 * window instead of buffering (yes produces without end). */
	c = conn();
	struct idm_start y = { ARGV("yes"), .env = path_env, .envc = 1, .kill_on_close = true };
	uint32_t proc, wid;
	size_t got = 0;
	struct idm_msg m;
	rc = c ? idm_start(c, &y, &proc, NULL) : -1;
	while (rc == 0 && idm_recv(c, &m, 500) == 1) {
		if (m.type == IDM_DATA)
			got += m.u.data.len;
		idm_msg_free(&m);
	}
	CHECK(rc == 0 && got == IDM_WINDOW, "without credit the guest sends exactly one window");
	if (got != IDM_WINDOW)
		printf("got %zu\n", got);
	idm_credit(c, proc, IDM_STDOUT, 4096);
	got = 0;
	while (rc == 0 && idm_recv(c, &m, 300) == 1) {
		if (m.type == IDM_DATA)
			got += m.u.data.len;
		idm_msg_free(&m);
	}
	CHECK(got == 4096, "a 4 KiB credit releases exactly 4 KiB");
	idm_signal(c, proc, SIGKILL);
	idm_send_wait(c, proc, &wid);
	idm_conn_close(c);
}

/* Start argv, wait for `ready` on stdout if given, send sig, return the status. */
static int signal_case(char **argv, unsigned argc, const char *ready, int sig, bool check_alive)
{
	struct idm_conn *c = conn();
	struct idm_start s = { .argv = argv, .argc = argc, .env = path_env, .envc = 1 };
	uint32_t proc, wid;
	struct idm_msg m;
	int status = -1;

	if (!c || idm_start(c, &s, &proc, NULL) < 0)
		goto out;
	if (ready) {
		char buf[64] = "";
		size_t len = 0;

		while (!strstr(buf, ready) && idm_recv(c, &m, 5000) == 1) {
			if (m.type == IDM_DATA && len + m.u.data.len < sizeof(buf)) {
				memcpy(buf + len, m.u.data.data, m.u.data.len);
				len += m.u.data.len;
				idm_credit(c, proc, m.u.data.stream, m.u.data.len);
			}
			idm_msg_free(&m);
		}
	} else {
		usleep(100000);
	}
	if (idm_signal(c, proc, sig) < 0)
		goto out;
	if (check_alive) {
		struct idm_msg l;
		bool running = false;

		usleep(300000);
		if (idm_list(c, &l) == 0) {
			for (uint32_t i = 0; i < l.u.list.nprocs; i++)
				if (l.u.list.procs[i].proc == proc)
					running = l.u.list.procs[i].state == IDM_PROC_RUNNING;
			idm_msg_free(&l);
		}
		CHECK(running, "process that ignores SIGTERM is still running after it");
		if (idm_signal(c, proc, SIGKILL) < 0)
			goto out;
	}
	if (idm_send_wait(c, proc, &wid) < 0)
		goto out;
	while (idm_recv(c, &m, 5000) == 1) {
		bool done = m.type == IDM_EXIT && m.id == wid;

		if (done)
			status = idm_exit_status(&m.u.exit);
		if (m.type == IDM_DATA)
			idm_credit(c, proc, m.u.data.stream, m.u.data.len);
		idm_msg_free(&m);
		if (done)
			break;
	}
out:
	if (status < 0)
		printf("signal case: %s\n", zerr_msg());
	idm_conn_close(c);
	return status;
}

static void test_signals(void)
{
	char *sl[] = { "sleep", "30", NULL };

	CHECK(signal_case(sl, 2, NULL, SIGTERM, false) == 143, "SIGTERM delivered: 143");
	CHECK(signal_case(sl, 2, NULL, SIGINT, false) == 130, "SIGINT delivered: 130");
	CHECK(signal_case(sl, 2, NULL, SIGKILL, false) == 137, "SIGKILL delivered: 137");
	char *trap[] = { "sh", "-c", "trap '' TERM; echo ready; exec sleep 30", NULL };
	CHECK(signal_case(trap, 3, "ready", SIGTERM, true) == 137, "SIGTERM ignored, then SIGKILL: 137");

	struct idm_conn *c = conn();
	CHECK(c && idm_signal(c, 999999, SIGTERM) < 0 && zerr_errno() == ESRCH, "signal to unknown process: ESRCH");
	idm_conn_close(c);
}

static void test_tty(void)
{
	struct idm_start s = { ARGV("tty"), .env = path_env, .envc = 1, .tty = true, .rows = 33, .cols = 97 };
	struct res r = run(&s, NULL);
	CHECK(r.rc == 0 && r.code == 0 && !strncmp(r.out, "/dev/pts/", 9), "tty: process has a pty");
	if (strncmp(r.out, "/dev/pts/", 9))
		printf("tty printed: '%s'\n", r.out);
	res_free(&r);

	struct idm_start z = { ARGV("stty", "size"), .env = path_env, .envc = 1, .tty = true, .rows = 33, .cols = 97 };
	r = run(&z, NULL);
	CHECK(r.rc == 0 && r.code == 0 && strstr(r.out, "33 97\r\n"), "tty: stty size matches the requested window");
	res_free(&r);

	/* Resize while running, then let it print its size. */
	struct idm_conn *c = conn();
	struct idm_start rs = { ARGV("sh", "-c", "read x; stty size"), .env = path_env, .envc = 1,
				.tty = true, .rows = 10, .cols = 20 };
	uint32_t proc, wid;
	char out[256] = "";
	size_t len = 0;
	int code = -1;
	struct idm_msg m;
	if (c && idm_start(c, &rs, &proc, NULL) == 0 && idm_resize(c, proc, 40, 120) == 0 &&
	    idm_write_stdin(c, proc, "go\n", 3) == 0 && idm_send_wait(c, proc, &wid) == 0) {
		while (idm_recv(c, &m, 5000) == 1) {
			bool done = m.type == IDM_EXIT && m.id == wid;

			if (m.type == IDM_DATA && len + m.u.data.len < sizeof(out)) {
				memcpy(out + len, m.u.data.data, m.u.data.len);
				len += m.u.data.len;
				idm_credit(c, proc, m.u.data.stream, m.u.data.len);
			}
			if (done)
				code = idm_exit_status(&m.u.exit);
			idm_msg_free(&m);
			if (done)
				break;
		}
	}
	CHECK(code == 0 && strstr(out, "40 120\r\n"), "tty: RESIZE changes the window of a running process");
	if (!strstr(out, "40 120\r\n"))
		printf("code %d out '%s' (%s)\n", code, out, zerr_msg());
	struct idm_start np = { ARGV("sleep", "1"), .env = path_env, .envc = 1, .kill_on_close = true };
	CHECK(c && idm_start(c, &np, &proc, NULL) == 0 && idm_resize(c, proc, 1, 1) < 0 && zerr_errno() == ENOTTY,
	      "RESIZE without a tty: ENOTTY");
	idm_conn_close(c);
}

static void test_list_stats(void)
{
	struct idm_conn *c = conn();
	struct idm_start s = { ARGV("sleep", "30"), .env = path_env, .envc = 1 };
	uint32_t proc, pid;
	struct idm_msg l;
	struct idm_stats st = { 0 };
	bool found = false;

	if (!c || idm_start(c, &s, &proc, &pid) < 0) {
		CHECK(0, "list: start");
		return;
	}
	if (idm_list(c, &l) == 0) {
		for (uint32_t i = 0; i < l.u.list.nprocs; i++) {
			struct idm_proc_info *p = &l.u.list.procs[i];

			if (p->proc == proc && p->pid == pid && p->state == IDM_PROC_RUNNING &&
			    p->cmd && !strcmp(p->cmd, "sleep 30"))
				found = true;
		}
		idm_msg_free(&l);
	}
	CHECK(found, "LIST shows the running process with pid and command");
	CHECK(idm_stats(c, proc, &st) == 0 && st.mem_total > 0 && st.mem_available > 0 && st.pids > 0 &&
		      st.cpu_user_us + st.cpu_system_us > 0 && st.proc == proc && st.proc_rss > 0,
	      "STATS: zone memory/cpu/pids and process rss");
	CHECK(idm_stats(c, 4000000, &st) < 0 && zerr_errno() == ESRCH, "STATS of unknown process: ESRCH");
	idm_signal(c, proc, SIGKILL);
	idm_conn_close(c);
}

static int log_lines(void)
{
	char *buf = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *f = fopen(log_path, "r");

	while (f && getline(&buf, &cap, f) > 0)
		n++;
	free(buf);
	if (f)
		fclose(f);
	return n;
}

/* Send raw bytes, then expect the server to close the connection. */
static bool closed_after(const void *bytes, size_t len, bool hello_first, bool shut_wr)
{
	int fd = unix_connect(sock_path);
	struct idm_buf b = { 0 };
	char buf[4096];
	bool closed = false;

	if (fd < 0)
		return false;
	if (hello_first) {
		struct idm_hello h = { 1, 1, "raw" };
		idm_msg_write(&b, IDM_HELLO, 1, &h);
	}
	idm_buf_put(&b, bytes, len);
	if (write(fd, idm_buf_head(&b), idm_buf_used(&b)) != (ssize_t)idm_buf_used(&b))
		goto out;
	if (shut_wr)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 3000) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			closed = true;
			break;
		}
	}
out:
	idm_buf_free(&b);
	close(fd);
	return closed;
}

static void test_hostile(void)
{
	int before = log_lines();
	uint8_t h[IDM_HDR_SIZE];
	struct idm_hdr hd = { IDM_VERSION, IDM_PING, 0, 1, 0 };
	struct idm_conn *c;

	CHECK(closed_after("GET / HTTP/1.0\r\n\r\n", 18, false, false), "garbage (wrong magic) closes the connection");
	c = conn();
	CHECK(c && idm_ping(c) == 0, "server still serves a fresh connection after garbage");
	idm_conn_close(c);

	hd.len = 0x7fffffff;
	idm_hdr_write(h, &hd);
	CHECK(closed_after(h, sizeof(h), true, false), "huge length closes the connection");
	memcpy(h, IDM_MAGIC, 4);
	h[4] = 1, h[5] = 200, h[6] = h[7] = 0;
	idm_le32(h + 12, 0);
	CHECK(closed_after(h, sizeof(h), true, false), "unknown type closes the connection");
	hd.len = 100;
	hd.type = IDM_PING;
	idm_hdr_write(h, &hd);
	CHECK(closed_after(h, sizeof(h), true, true), "truncated frame closes the connection");
	struct idm_buf b = { 0 };
	struct idm_ping ping = { 1 };
	idm_msg_write(&b, IDM_PING, 1, &ping);
	CHECK(closed_after(idm_buf_head(&b), idm_buf_used(&b), false, false), "request before HELLO closes the connection");
	idm_buf_free(&b);
	/* Claim stdin data beyond the window: process 1 may not be ours,
	 * so start one on a raw connection and flood it. */
	idm_put_u32(&b, 9, 9); /* a TLV with an unknown tag */
	hd = (struct idm_hdr){ IDM_VERSION, IDM_WAIT, 0, 5, idm_buf_used(&b) };
	uint8_t fr[IDM_HDR_SIZE + 10];
	idm_hdr_write(fr, &hd);
	memcpy(fr + IDM_HDR_SIZE, idm_buf_head(&b), 10);
	CHECK(closed_after(fr, sizeof(fr), true, false), "unknown TLV tag closes the connection");
	idm_buf_free(&b);

	int fd = unix_connect(sock_path);
	struct idm_conn *raw = NULL;
	uint32_t proc = 0;
	struct idm_start s = { ARGV("sleep", "30"), .env = path_env, .envc = 1, .kill_on_close = true };
	bool flooded_closed = false;
	if (fd >= 0 && idm_conn_open_fd(fd, &raw) == 0 && idm_start(raw, &s, &proc, NULL) == 0) {
		static uint8_t chunk[IDM_DATA_CHUNK];
		struct idm_data d = { proc, IDM_STDIN, chunk, sizeof(chunk) };
		for (int i = 0; i < 16; i++)
			idm_msg_write(&b, IDM_DATA, 0, &d);
		/* bypass the client's own credit check: write frames directly */
		size_t off = 0;
		while (off < idm_buf_used(&b)) {
			ssize_t n = send(idm_conn_fd(raw), idm_buf_head(&b) + off, idm_buf_used(&b) - off, MSG_NOSIGNAL);
			if (n <= 0) {
				if (n < 0 && errno == EAGAIN) {
					struct pollfd p = { idm_conn_fd(raw), POLLOUT, 0 };
					if (poll(&p, 1, 3000) > 0)
						continue;
				}
				break;
			}
			off += n;
		}
		flooded_closed = idm_ping(raw) < 0;
	}
	CHECK(flooded_closed, "stdin beyond the credit window closes the connection");
	idm_buf_free(&b);
	idm_conn_close(raw);

	c = conn();
	CHECK(c && idm_ping(c) == 0, "server still serves after all hostile peers");
	idm_conn_close(c);
	int lines = log_lines() - before;
	CHECK(lines == 7, "one log line per misbehaving connection");
	if (lines != 7)
		printf("log has %d new lines\n", lines);
}

static void test_hybrid(void)
{
	struct idm_conn *c = NULL;
	char bad[160];

	CHECK(idm_conn_connect(hybrid_path, 1024, &c) == 0 && idm_ping(c) == 0, "hybrid vsock CONNECT handshake");
	if (c) {
		struct idm_start s = { ARGV("echo", "via-vsock"), .env = path_env, .envc = 1 };
		struct res r = run_on(c, &s, NULL, false);
		CHECK(r.rc == 0 && r.code == 0 && !strcmp(r.out, "via-vsock\n"), "process over the hybrid socket");
		res_free(&r);
	}
	idm_conn_close(c);
	c = NULL;
	CHECK(idm_conn_connect(hybrid_path, 9, &c) < 0 && strstr(zerr_msg(), "CONNECT 9"), "CONNECT to a closed port fails");
	snprintf(bad, sizeof(bad), "%s/none.sock", dir);
	CHECK(idm_conn_connect(bad, 1024, &c) < 0, "missing socket fails");
}

static void test_shutdown(void)
{
	struct idm_conn *c = conn();
	struct idm_start s = { ARGV("sleep", "60"), .env = path_env, .envc = 1 };
	uint32_t proc, pid;
	int st = -1;

	CHECK(c && idm_start(c, &s, &proc, &pid) == 0 && idm_shutdown(c) == 0, "SHUTDOWN acknowledged");
	CHECK(waitpid(server_pid, &st, 0) == server_pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "server returns 0 after SHUTDOWN");
	CHECK(kill((pid_t)pid, 0) < 0 && errno == ESRCH, "processes still running at SHUTDOWN were killed");
	idm_conn_close(c);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/idm.sock", dir);
	snprintf(hybrid_path, sizeof(hybrid_path), "%s/hybrid.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/server.log", dir);
	signal(SIGPIPE, SIG_IGN);
	alarm(300); /* a hang is a failure, not a stuck test run */
	start_server();
	start_proxy();

	test_basics();
	test_credentials();
	test_confinement();
	test_concurrent();
	test_bulk();
	test_signals();
	test_tty();
	test_list_stats();
	test_hostile();
	test_hybrid();
	test_shutdown();

	kill(proxy_pid, SIGKILL);
	waitpid(proxy_pid, NULL, 0);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("cleanup failed\n");
	CHECK_DONE();
}
