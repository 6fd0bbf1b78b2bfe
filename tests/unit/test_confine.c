/* Container confinement: capability names and flags, the security flags
 * of zone run, docker-format seccomp profiles, the default profile loaded
 * for real in a child process, the IDM pieces the monitor sends, the
 * state's security section, and zone-init's masked and read-only paths
 * (in a private mount namespace). */
#include "check.h"
#include "cli/security_flags.h"
#include "common/caps.h"
#include "common/seccomp_profile.h"
#include "common/zerr.h"
#include "init/masks.h"
#include "runtime/seccomp_json.h"
#include "runtime/security.h"
#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOCKER_DEFAULT_CAPS 0xa80425fbULL /* CapEff of a docker container */

static void test_cap_names(void)
{
	CHECK(cap_from_name("CAP_NET_RAW", 0) == CAP_NET_RAW, "CAP_NET_RAW");
	CHECK(cap_from_name("NET_RAW", 0) == CAP_NET_RAW, "NET_RAW without CAP_");
	CHECK(cap_from_name("net_raw", 0) == CAP_NET_RAW, "lower case");
	CHECK(cap_from_name("cap_sys_admin", 0) == CAP_SYS_ADMIN, "cap_sys_admin");
	CHECK(cap_from_name("CAP_CHECKPOINT_RESTORE", 0) == CAPS_LAST, "the last one");
	CHECK(cap_from_name("NET_RAW", 1) == -1, "config.json form needs CAP_");
	CHECK(cap_from_name("cap_net_raw", 1) == -1, "config.json form is upper case");
	CHECK(cap_from_name("CAP_NET_RAW", 1) == CAP_NET_RAW, "config.json form");
	CHECK(cap_from_name("CAP_", 0) == -1 && cap_from_name("", 0) == -1 &&
		      cap_from_name("NET_RAWX", 0) == -1,
	      "unknown names");
	CHECK(!strcmp(cap_name(CAP_SETFCAP), "SETFCAP") && cap_name(CAPS_LAST + 1) == NULL,
	      "cap_name");
	CHECK(caps_default() == DOCKER_DEFAULT_CAPS, "docker's 14 default capabilities");
	CHECK(__builtin_popcountll(caps_default()) == 14, "14 of them");
}

static uint64_t resolve(const char *const *add, const char *const *drop)
{
	struct caps_flags f = { 0 };

	for (; add && *add; add++)
		if (caps_flag_add(&f, *add) < 0)
			return ~0ULL;
	for (; drop && *drop; drop++)
		if (caps_flag_drop(&f, *drop) < 0)
			return ~0ULL;
	return caps_resolve(&f);
}

static void test_cap_flags(void)
{
	struct caps_flags f = { 0 };

	CHECK(resolve(NULL, NULL) == DOCKER_DEFAULT_CAPS, "no flags: the default");
	CHECK(resolve((const char *[]){ "NET_RAW", NULL }, (const char *[]){ "ALL", NULL }) ==
		      1ULL << CAP_NET_RAW,
	      "--cap-drop ALL --cap-add NET_RAW");
	CHECK(resolve((const char *[]){ "ALL", NULL }, (const char *[]){ "MKNOD", NULL }) ==
		      (CAPS_ALL & ~(1ULL << CAP_MKNOD)),
	      "--cap-add ALL --cap-drop MKNOD");
	CHECK(resolve((const char *[]){ "ALL", NULL }, (const char *[]){ "ALL", NULL }) == CAPS_ALL,
	      "--cap-add ALL wins over --cap-drop ALL (as docker)");
	CHECK(resolve((const char *[]){ "sys_admin", NULL }, (const char *[]){ "CAP_CHOWN", NULL }) ==
		      ((DOCKER_DEFAULT_CAPS & ~(1ULL << CAP_CHOWN)) | (1ULL << CAP_SYS_ADMIN)),
	      "add and drop from the default");
	CHECK(resolve((const char *[]){ "CHOWN", NULL }, (const char *[]){ "CHOWN", NULL }) ==
		      DOCKER_DEFAULT_CAPS,
	      "an added capability wins over the same one dropped");
	CHECK(resolve(NULL, (const char *[]){ "all", NULL }) == 0, "--cap-drop all (any case)");
	CHECK(caps_flag_add(&f, "NO_SUCH") < 0 && strstr(zerr_msg(), "--cap-add NO_SUCH") &&
		      strstr(zerr_msg(), "unknown capability"),
	      "an unknown --cap-add is named in the error");
	CHECK(caps_flag_drop(&f, "") < 0 && strstr(zerr_msg(), "--cap-drop"), "an empty --cap-drop");
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static void test_security_flags(const char *tmp)
{
	struct security_flags f = { 0 };
	struct ctr_security s;
	char path[256];

	CHECK(security_flag_opt(&f, "no-new-privileges") == 0 && f.no_new_privs,
	      "--security-opt no-new-privileges");
	CHECK(security_flag_opt(&f, "no-new-privileges=false") == 0 && !f.no_new_privs,
	      "--security-opt no-new-privileges=false");
	CHECK(security_flag_opt(&f, "no-new-privileges:true") == 0 && f.no_new_privs,
	      "--security-opt no-new-privileges:true (docker's older form)");
	CHECK(security_flag_opt(&f, "seccomp=unconfined") == 0 && f.seccomp_unconfined &&
		      !f.seccomp_file,
	      "--security-opt seccomp=unconfined");
	CHECK(security_flag_opt(&f, "seccomp=/x.json") == 0 && !f.seccomp_unconfined &&
		      !strcmp(f.seccomp_file, "/x.json"),
	      "--security-opt seccomp=FILE");
	CHECK(security_flag_opt(&f, "seccomp=") < 0, "--security-opt seccomp= is refused");
	CHECK(security_flag_opt(&f, "apparmor=unconfined") < 0 &&
		      strstr(zerr_msg(), "apparmor=unconfined is not supported"),
	      "--security-opt apparmor=... is refused by name");
	CHECK(security_flag_opt(&f, "label=disable") < 0, "--security-opt label=... is refused");

	memset(&f, 0, sizeof(f));
	CHECK(security_flags_build(&f, &s) == 0 && s.confined && !s.privileged &&
		      s.caps == DOCKER_DEFAULT_CAPS && !s.seccomp_unconfined && !s.seccomp &&
		      !s.no_new_privs,
	      "no flags: default caps and the default profile");
	f.privileged = true;
	caps_flag_drop(&f.caps, "ALL");
	CHECK(security_flags_build(&f, &s) == 0 && s.privileged && s.caps == CAPS_ALL &&
		      s.seccomp_unconfined,
	      "--privileged: every capability, no seccomp, whatever --cap-drop says");
	memset(&f, 0, sizeof(f));
	f.seccomp_file = "/no/such/profile.json";
	CHECK(security_flags_build(&f, &s) < 0 && strstr(zerr_msg(), "/no/such/profile.json"),
	      "a missing seccomp FILE is an error naming it");
	snprintf(path, sizeof(path), "%s/notify.json", tmp);
	write_str(path, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
			"\"action\":\"SCMP_ACT_NOTIFY\"}]}");
	f.seccomp_file = path;
	CHECK(security_flags_build(&f, &s) < 0 && strstr(zerr_msg(), "SCMP_ACT_NOTIFY is not supported"),
	      "a profile with SCMP_ACT_NOTIFY is refused, saying so");
	snprintf(path, sizeof(path), "%s/ok.json", tmp);
	write_str(path, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\","
			"\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}");
	f.seccomp_file = path;
	CHECK(security_flags_build(&f, &s) == 0 && json_is_object(s.seccomp), "a good FILE is kept");
	json_decref(s.seccomp);
}

static int profile_of(const char *text, uint64_t caps, struct sc_profile *p)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	int rc;

	if (!j)
		return -2;
	rc = seccomp_json_profile(j, caps, p);
	json_decref(j);
	return rc;
}

static const struct sc_rule *find_rule(const struct sc_profile *p, const char *name)
{
	for (uint32_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].name, name))
			return &p->rules[i];
	return NULL;
}

static void test_seccomp_json(void)
{
	struct sc_profile p;
	const struct sc_rule *r;

	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
			 "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":"
			 "[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"name\":\"personality\","
			 "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,"
			 "\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}],\"comment\":\"x\"}]}",
			 0, &p) == 0,
	      "docker's format: names, name, args, comment, architectures");
	CHECK(p.default_action == SC_ERRNO && p.default_errno == 38 && p.nrules == 3,
	      "default action and errno, one rule per name");
	r = find_rule(&p, "personality");
	CHECK(r && r->action == SC_ALLOW && r->nargs == 1 && r->args[0].op == SC_EQ &&
		      r->args[0].value == 8,
	      "args are kept");
	sc_profile_free(&p);

	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\"}]}", 0, &p) == 0 &&
		      p.rules[0].errno_ret == EPERM,
	      "SCMP_ACT_ERRNO without errnoRet is EPERM (as docker)");
	sc_profile_free(&p);

	const char *inc = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
			  "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
			  "{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
			  "{\"names\":[\"iopl\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"s390x\"]}},"
			  "{\"names\":[\"ioperm\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"amd64\"]}}]}";
	CHECK(profile_of(inc, caps_default(), &p) == 0 && !find_rule(&p, "mount") &&
		      find_rule(&p, "unshare") && !find_rule(&p, "iopl") && find_rule(&p, "ioperm"),
	      "includes/excludes by caps and arches, without CAP_SYS_ADMIN");
	sc_profile_free(&p);
	CHECK(profile_of(inc, CAPS_ALL, &p) == 0 && find_rule(&p, "mount") && !find_rule(&p, "unshare"),
	      "includes/excludes by caps, with CAP_SYS_ADMIN");
	sc_profile_free(&p);

	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]}",
			 0, &p) < 0 && strstr(zerr_msg(), "\"flags\" is not supported"),
	      "top-level flags are refused by name");
	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_TRACE\"}", 0, &p) < 0 &&
		      strstr(zerr_msg(), "SCMP_ACT_TRACE is not supported"),
	      "SCMP_ACT_TRACE is refused by name");
	CHECK(profile_of("{\"syscalls\":[]}", 0, &p) < 0 && strstr(zerr_msg(), "defaultAction"),
	      "defaultAction is required");
	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":"
			 "\"SCMP_CMP_EQ\"}]}]}", 0, &p) < 0 && strstr(zerr_msg(), "index must be 0 to 5"),
	      "an argument index past 5 is refused");
	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":"
			 "\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_NE\"}]}]}", 0, &p) < 0 &&
		      strstr(zerr_msg(), "compared twice"),
	      "one argument compared twice in a rule is refused (libseccomp cannot)");
	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
			 0, &p) < 0 && strstr(zerr_msg(), "SCMP_CMP_ALMOST"),
	      "an unknown comparison is refused by name");
	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[1],"
			 "\"action\":\"SCMP_ACT_ERRNO\"}]}", 0, &p) < 0 && strstr(zerr_msg(), "names[0]"),
	      "a name that is not a string is refused");
	CHECK(profile_of("[]", 0, &p) < 0, "a profile that is not an object is refused");

	/* containers-common's own profile, as podman ships it */
	json_error_t je;
	json_t *j = json_load_file("/usr/share/containers/seccomp.json", 0, &je);
	if (j) {
		void *flt;
		CHECK(seccomp_json_profile(j, caps_default(), &p) == 0 && p.nrules > 300,
		      "podman's seccomp.json converts");
		flt = sc_filter_build(&p, true);
		CHECK(flt != NULL, "podman's seccomp.json builds into a filter");
		sc_filter_free(flt);
		sc_profile_free(&p);
		json_decref(j);
	} else {
		printf("FAIL: %s: podman's seccomp.json: /usr/share/containers/seccomp.json: %s "
		       "(apt-get install golang-github-containers-common)\n", __FILE__, je.text);
		check_failures++;
	}
}

/* Run fn in a child under the filter (loaded with no_new_privs); the
 * child's exit status is fn's result. */
static int in_filtered_child(const struct sc_profile *p, int (*fn)(void))
{
	void *flt = sc_filter_build(p, true);
	int status;
	pid_t pid;

	if (!flt)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (sc_filter_load(flt) < 0)
			_exit(99);
		_exit(fn());
	}
	sc_filter_free(flt);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int fails_with(long r, int err)
{
	return r < 0 && errno == err;
}

static long clone_flags(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

/* 0, or the number of the first check that does not behave as the
 * profile says (1-based, in the order below). */
static int default_profile_child(void)
{
	int n = 0;
	struct clone_args ca = { .exit_signal = SIGCHLD };
	int s;

#define EXPECT(c) do { n++; if (!(c)) return n; } while (0)
	EXPECT(fails_with(unshare(CLONE_NEWUSER), EPERM));
	EXPECT(fails_with(unshare(CLONE_NEWNS), EPERM));
	EXPECT(fails_with(setns(0, 0), EPERM));
	EXPECT(fails_with(mount("x", "/mnt", "tmpfs", 0, NULL), EPERM));
	EXPECT(fails_with(umount2("/proc", MNT_DETACH), EPERM));
	EXPECT(fails_with(syscall(SYS_keyctl, 0, -3, 1), EPERM));
	EXPECT(fails_with(syscall(SYS_add_key, "user", "t", "x", 1, -3), EPERM));
	EXPECT(fails_with(syscall(SYS_bpf, 0, NULL, 0), EPERM));
	EXPECT(fails_with(clone_flags(CLONE_NEWUSER), EPERM));
	EXPECT(fails_with(clone_flags(CLONE_NEWNET), EPERM));
	EXPECT(fails_with(syscall(SYS_clone3, &ca, sizeof(ca)), ENOSYS));
	EXPECT(fails_with(syscall(SYS_personality, 0x0400000UL), EPERM)); /* READ_IMPLIES_EXEC */
	EXPECT(fails_with(syscall(SYS_personality, 0x1UL), EPERM));
	EXPECT(syscall(SYS_personality, 0xffffffffUL) >= 0); /* the query */
	EXPECT(syscall(SYS_personality, 0x20008UL) >= 0 && syscall(SYS_personality, 0UL) >= 0);
	EXPECT(fails_with(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM));
	EXPECT((s = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0 && close(s) == 0);
	EXPECT(clone_flags(0) == 0); /* fork */
	EXPECT(getpid() > 0 && access("/", R_OK) == 0);
#undef EXPECT
	return 0;
}

/* As zone-init loads it for a container without no_new_privs: with
 * CAP_SYS_ADMIN, leaving no_new_privs off. */
static int no_nnp_child(void)
{
	void *flt = sc_filter_build(sc_default_profile(), false);

	if (!flt || sc_filter_load(flt) < 0)
		return 1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return 2;
	return fails_with(unshare(CLONE_NEWUSER), EPERM) ? 0 : 3;
}

static int mkdir_child(void)
{
	return fails_with(mkdir("/tmp/zone-confine-never", 0700), EACCES) ? 0 : 1;
}

static void test_filters(void)
{
	const struct sc_profile *d = sc_default_profile();
	struct sc_profile p;

	CHECK(sc_profile_check(d) == 0, "the default profile passes its own checks");
	int first_bad = in_filtered_child(d, default_profile_child);
	if (first_bad)
		fprintf(stderr, "default profile: check %d of default_profile_child failed\n", first_bad);
	CHECK(first_bad == 0,
	      "default profile: unshare, setns, mount, umount2, keyctl, add_key, bpf, clone "
	      "with namespace flags, personality flags and AF_VSOCK get EPERM, clone3 ENOSYS; "
	      "fork, the personality query and ordinary calls work");
	if (geteuid() == 0) {
		pid_t pid = fork();
		int status;
		if (pid == 0)
			_exit(no_nnp_child());
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 0,
		      "loaded with CAP_SYS_ADMIN and no_new_privs off, the filter applies and "
		      "no_new_privs stays off");
	}
	CHECK(profile_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\","
			 "\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},{\"names\":"
			 "[\"no_such_call\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", 0, &p) == 0,
	      "a custom profile converts");
	CHECK(in_filtered_child(&p, mkdir_child) == 0,
	      "a custom profile applies: mkdir gets its errnoRet (EACCES); an unknown name and "
	      "a rule equal to the default are skipped");
	sc_profile_free(&p);
}

static void test_security_start(void)
{
	struct ctr_security s = { 0 };
	struct security_start tmp;
	struct idm_start st = { 0 };
	struct idm_rootfs rf = { 0 };

	CHECK(security_start(&s, &tmp, &st) == 0 && !st.caps && !st.seccomp && !st.no_new_privs,
	      "not confined (zone-runc, older containers): nothing added");
	security_rootfs(&s, &rf);
	CHECK(rf.nmasked_paths == 0 && rf.nreadonly_paths == 0, "not confined: no masked paths");

	s.confined = true;
	s.caps = caps_default();
	CHECK(security_start(&s, &tmp, &st) == 0 && st.caps && st.caps->effective == s.caps &&
		      st.caps->permitted == s.caps && st.caps->bounding == s.caps &&
		      st.caps->inheritable == 0 && st.caps->ambient == 0 && st.caps_root_only &&
		      st.seccomp == sc_default_profile(),
	      "confined: caps in bounding/permitted/effective, inheritable and ambient empty, "
	      "the default profile");
	security_start_done(&tmp);
	security_rootfs(&s, &rf);
	bool kcore = false, sysrq = false;
	for (uint32_t i = 0; i < rf.nmasked_paths; i++)
		kcore = kcore || !strcmp(rf.masked_paths[i], "/proc/kcore");
	for (uint32_t i = 0; i < rf.nreadonly_paths; i++)
		sysrq = sysrq || !strcmp(rf.readonly_paths[i], "/proc/sysrq-trigger");
	CHECK(kcore && sysrq, "confined: /proc/kcore masked, /proc/sysrq-trigger read-only");

	memset(&st, 0, sizeof(st));
	s.seccomp_unconfined = true;
	s.no_new_privs = true;
	CHECK(security_start(&s, &tmp, &st) == 0 && st.caps && !st.seccomp && st.no_new_privs,
	      "seccomp=unconfined, no-new-privileges");
	security_start_done(&tmp);

	memset(&st, 0, sizeof(st));
	memset(&rf, 0, sizeof(rf));
	s.privileged = true;
	CHECK(security_start(&s, &tmp, &st) == 0 && !st.caps && !st.seccomp,
	      "privileged: every capability root has, no filter");
	security_rootfs(&s, &rf);
	CHECK(rf.nmasked_paths == 0 && rf.nreadonly_paths == 0, "privileged: no masked paths");

	memset(&st, 0, sizeof(st));
	s = (struct ctr_security){ .confined = true, .caps = caps_default() };
	s.seccomp = json_loads("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			       "[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}", 0, NULL);
	CHECK(security_start(&s, &tmp, &st) == 0 && st.seccomp && st.seccomp->nrules == 1 &&
		      !strcmp(st.seccomp->rules[0].name, "mkdir"),
	      "a stored custom profile is sent");
	security_start_done(&tmp);
	json_decref(s.seccomp);
}

static void test_state(void)
{
	struct ctr_state a = { 0 }, b = { 0 };
	json_t *j;

	a.id = strdup("abc");
	a.name = strdup("n");
	a.config.security = (struct ctr_security){ .confined = true, .no_new_privs = true,
						   .caps = (1ULL << CAP_NET_RAW) | (1ULL << CAP_CHOWN) };
	a.config.security.seccomp = json_loads("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", 0, NULL);
	j = ctr_state_to_json(&a);
	CHECK(j && ctr_state_from_json(j, &b) == 0 && b.config.security.confined &&
		      b.config.security.no_new_privs && !b.config.security.privileged &&
		      b.config.security.caps == a.config.security.caps &&
		      json_equal(b.config.security.seccomp, a.config.security.seccomp),
	      "the security section survives the state file");
	json_decref(j);
	ctr_state_free(&b);

	json_decref(a.config.security.seccomp);
	a.config.security.seccomp = NULL;
	a.config.security.seccomp_unconfined = true;
	j = ctr_state_to_json(&a);
	CHECK(ctr_state_from_json(j, &b) == 0 && b.config.security.seccomp_unconfined &&
		      !b.config.security.seccomp,
	      "seccomp unconfined survives the state file");
	json_decref(j);
	ctr_state_free(&b);

	a.config.security.confined = false;
	j = ctr_state_to_json(&a);
	CHECK(!json_object_get(json_object_get(j, "config"), "security") &&
		      ctr_state_from_json(j, &b) == 0 && !b.config.security.confined,
	      "no security section: not confined");
	json_decref(j);
	ctr_state_free(&b);

	j = json_loads("{\"id\":\"x\",\"name\":\"x\",\"status\":\"created\",\"config\":{\"argv\":[\"a\"],"
		       "\"security\":{\"capabilities\":[\"NOPE\"]}}}", 0, NULL);
	CHECK(ctr_state_from_json(j, &b) < 0 && strstr(zerr_msg(), "capabilities[0]"),
	      "an unknown capability in the state is an error");
	json_decref(j);
	ctr_state_free(&b);
	ctr_state_free(&a);
}

/* masks_apply in a private mount namespace, on a directory of our own */
static void test_masks(const char *tmp)
{
	char file[256], dir[256], dirfile[256], ro[256], rofile[256], missing[256];
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("FAIL: %s: masked paths: needs root (mount namespaces)\n", __FILE__);
		check_failures++;
		return;
	}
	snprintf(file, sizeof(file), "%s/secret", tmp);
	snprintf(dir, sizeof(dir), "%s/dir", tmp);
	snprintf(dirfile, sizeof(dirfile), "%s/dir/inner", tmp);
	snprintf(ro, sizeof(ro), "%s/ro", tmp);
	snprintf(rofile, sizeof(rofile), "%s/ro/f", tmp);
	snprintf(missing, sizeof(missing), "%s/missing", tmp);
	mkdir(dir, 0755);
	mkdir(ro, 0755);
	write_str(file, "secret");
	write_str(dirfile, "inner");
	write_str(rofile, "f");

	pid = fork();
	if (pid == 0) {
		char *masked[] = { file, dir, missing };
		char *readonly[] = { ro, missing };
		char buf[16];
		int bad = 0, fd;

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(100);
		if (masks_apply(masked, 3, readonly, 2) < 0)
			_exit(101);
		fd = open(file, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) != 0)
			bad |= 1; /* /dev/null over the file */
		if (fd >= 0)
			close(fd);
		if (access(dirfile, F_OK) == 0)
			bad |= 2; /* empty tmpfs over the directory */
		if (mkdir(dirfile, 0755) == 0 || errno != EROFS)
			bad |= 4; /* ...and read-only */
		if (open(rofile, O_WRONLY) >= 0 || errno != EROFS)
			bad |= 8; /* read-only bind */
		fd = open(rofile, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) != 1)
			bad |= 16; /* still readable */
		char *rel[] = { "proc/kcore" }, *dots[] = { "/proc/../etc/passwd" };
		if (masks_apply(rel, 1, NULL, 0) == 0 || masks_apply(dots, 1, NULL, 0) == 0)
			bad |= 32; /* relative or .. paths refused */
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "masks: /dev/null over a file, an empty read-only tmpfs over a directory, a "
	      "read-only bind; missing paths skipped; relative and .. paths refused");
	/* outside the namespace nothing changed */
	char buf[16] = { 0 };
	int fd = open(file, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 6 && !strcmp(buf, "secret"),
	      "masks stay in the container's mount namespace");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	char tmp[] = "/tmp/zone-confine.XXXXXX";

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_cap_names();
	test_cap_flags();
	test_security_flags(tmp);
	test_seccomp_json();
	test_filters();
	test_security_start();
	test_state();
	test_masks(tmp);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	CHECK_DONE();
}
