/* runtime/oci_spec.c: valid configs, runc's error wording, hostile input. */
#include "tests/unit/check.h"
#include "common/zerr.h"
#include "runtime/oci_spec.h"
#include "runtime/runc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MINIMAL "\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}"
#define PROC "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}"

static int parse(const char *text, struct oci_spec *s)
{
	return oci_spec_parse(text, strlen(text), s);
}

/* The error for text, or "" when it parses. */
static const char *error_of(const char *text)
{
	struct oci_spec s;

	if (parse(text, &s) == 0) {
		oci_spec_free(&s);
		return "";
	}
	return zerr_msg();
}

static void test_full(void)
{
	const char *text =
		"{" MINIMAL ",\"hostname\":\"web\","
		"\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
		" \"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]},"
		" \"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"A=1\",\"B=\"],\"cwd\":\"/tmp\","
		" \"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\",\"CAP_NOT_A_CAP\"],"
		"  \"effective\":[\"CAP_KILL\"]},"
		" \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":512}],"
		" \"noNewPrivileges\":true,\"oomScoreAdj\":-500,\"apparmorProfile\":\"x\",\"selinuxLabel\":\"y\"},"
		"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		" {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\"]}],"
		"\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":5}],"
		" \"poststop\":[{\"path\":\"/bin/echo\"}]},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
		" \"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
		" \"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
		" \"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
		" \"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
		"  \"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\","
		"   \"args\":[{\"index\":0,\"value\":1,\"valueTwo\":18446744073709551615,\"op\":\"SCMP_CMP_EQ\"}]}]},"
		" \"resources\":{\"memory\":{\"limit\":536870913},\"cpu\":{\"quota\":150000,\"period\":100000}}}}";
	struct oci_spec s;
	int r = parse(text, &s);

	CHECK(r == 0, "a full config parses");
	if (r < 0) {
		printf("  error: %s\n", zerr_msg());
		return;
	}
	CHECK(s.process.terminal && s.process.console_height == 24 && s.process.console_width == 80,
	      "terminal and console size");
	CHECK(s.process.uid == 1000 && s.process.gid == 100 && s.process.has_umask && s.process.umask == 18,
	      "uid, gid, umask");
	CHECK(s.process.n_additional_gids == 2 && s.process.additional_gids[1] == 6, "additionalGids");
	CHECK(!strcmp(s.process.args[2], "true") && !s.process.args[3], "args");
	CHECK(!strcmp(s.process.env[1], "B=") && !strcmp(s.process.cwd, "/tmp"), "env and cwd");
	CHECK(s.process.has_caps && s.process.caps.bounding == ((1ULL << 5) | (1ULL << 21)) &&
		      s.process.caps.effective == (1ULL << 5),
	      "capabilities as masks; unknown names ignored as runc does");
	CHECK(s.process.n_rlimits == 1 && s.process.rlimits[0].resource == RLIMIT_NOFILE &&
		      s.process.rlimits[0].soft == 512 && s.process.rlimits[0].hard == 1024,
	      "rlimits");
	CHECK(s.process.no_new_privileges && s.process.has_oom_score_adj && s.process.oom_score_adj == -500,
	      "noNewPrivileges, oomScoreAdj");
	CHECK(!strcmp(s.root_path, "rootfs") && !s.root_readonly && !strcmp(s.hostname, "web"), "root, hostname");
	CHECK(s.n_mounts == 2 && !strcmp(s.mounts[1].source, "/srv") && !strcmp(s.mounts[1].options[1], "ro"),
	      "mounts");
	CHECK(s.hooks[OCI_HOOK_PRESTART].n == 1 && s.hooks[OCI_HOOK_PRESTART].hooks[0].timeout == 5 &&
		      s.hooks[OCI_HOOK_POSTSTOP].n == 1 && s.hooks[OCI_HOOK_POSTSTOP].hooks[0].args[0] == NULL,
	      "hooks");
	CHECK(json_is_string(json_object_get(s.annotations, "io.kubernetes.cri.container-type")), "annotations");
	CHECK(s.n_namespaces == 2 && !strcmp(s.namespaces[1].path, "/proc/1/ns/net"), "namespaces");
	CHECK(s.n_devices == 1 && s.devices[0].major == 10 && s.devices[0].has_mode && s.devices[0].file_mode == 438,
	      "devices");
	CHECK(!strcmp(s.masked_paths[0], "/proc/kcore") && !strcmp(s.readonly_paths[0], "/proc/sys"),
	      "masked and read-only paths");
	CHECK(!strcmp(s.sysctl[0], "net.ipv4.ip_forward=1") && !s.sysctl[1], "sysctl");
	CHECK(s.seccomp && s.resources, "seccomp and resources kept");
	CHECK(s.cpus == 2, "CPU quota 1.5 -> 2 vCPUs");
	CHECK(s.memory == 513ULL << 20, "memory limit rounded up to MiB");
	oci_spec_free(&s);
}

static void test_defaults(void)
{
	struct oci_spec s;
	json_t *def = oci_spec_default();
	char *text = json_dumps(def, 0);

	CHECK(parse("{" MINIMAL "," PROC "}", &s) == 0, "a minimal config parses");
	CHECK(s.cpus == 1 && s.memory == OCI_DEFAULT_MEMORY, "default zone size");
	CHECK(s.sysctl && !s.sysctl[0] && s.masked_paths && !s.masked_paths[0], "empty lists are empty, not NULL");
	oci_spec_free(&s);
	int r = text ? parse(text, &s) : -1;
	CHECK(r == 0, "the spec command's default parses");
	if (r == 0) {
		CHECK(s.process.terminal && s.root_readonly && s.n_mounts == 7 && s.n_namespaces == 5,
		      "default: terminal, read-only root, 7 mounts, 5 namespaces");
		oci_spec_free(&s);
	}
	free(text);
	json_decref(def);
	CHECK(parse("{" MINIMAL "," PROC ",\"linux\":{\"resources\":{\"memory\":{\"limit\":1}}}}", &s) == 0 &&
		      s.memory == OCI_MIN_MEMORY,
	      "a tiny memory limit still gets a zone that boots");
	oci_spec_free(&s);
	CHECK(parse("{" MINIMAL "," PROC ",\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"0-3,6\"}}}}", &s) == 0 &&
		      s.cpus == 5,
	      "a cpuset's size is the vCPU count");
	oci_spec_free(&s);
}

static void test_runc_errors(void)
{
	/* the same texts runc 1.1 prints for the same files */
	CHECK(!strcmp(error_of("{}"), "process property must not be empty"), "no process");
	CHECK(!strcmp(error_of("{" MINIMAL ",\"process\":{\"args\":[],\"cwd\":\"/\"}}"), "args must not be empty"),
	      "empty args");
	CHECK(!strcmp(error_of("{" MINIMAL ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\"}}"),
		      "Cwd must be an absolute path"),
	      "relative cwd");
	CHECK(!strcmp(error_of("{\"process\":{\"args\":\"sh\"}}"),
		      "json: cannot unmarshal string into Go struct field Process.process.args of type []string"),
	      "args is a string");
	CHECK(!strcmp(error_of("{\"process\":{\"user\":{\"uid\":-1}}}"),
		      "json: cannot unmarshal number -1 into Go struct field User.process.user.uid of type uint32"),
	      "negative uid");
	CHECK(!strcmp(error_of("{\"process\":{\"user\":{\"uid\":\"0\"}}}"),
		      "json: cannot unmarshal string into Go struct field User.process.user.uid of type uint32"),
	      "uid is a string");
	CHECK(!strcmp(error_of("[1]"), "json: cannot unmarshal array into Go value of type specs.Spec"),
	      "top level array");
	CHECK(!strcmp(error_of("{\"linux\":{\"resources\":{\"memory\":{\"limit\":\"x\"}}}}"),
		      "json: cannot unmarshal string into Go struct field LinuxMemory.linux.resources.memory.limit "
		      "of type int64"),
	      "memory limit is a string");
	CHECK(!strcmp(error_of("{\"mounts\":[{\"destination\":5}]}"),
		      "json: cannot unmarshal number into Go struct field Mount.mounts.destination of type string"),
	      "mount destination is a number");
	CHECK(!strcmp(error_of("{\"hostname\":5}"),
		      "json: cannot unmarshal number into Go struct field Spec.hostname of type string"),
	      "hostname is a number");
	CHECK(!strcmp(error_of("{\"process\":{\"terminal\":\"yes\"}}"),
		      "json: cannot unmarshal string into Go struct field Process.process.terminal of type bool"),
	      "terminal is a string");
	CHECK(!strcmp(error_of("{\"process\":{\"consoleSize\":{\"height\":1.5}}}"),
		      "json: cannot unmarshal number 1.5 into Go struct field Box.process.consoleSize.height of type uint"),
	      "fractional console height");
	CHECK(!strcmp(error_of("{" MINIMAL ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":"
			       "[{\"type\":\"RLIMIT_FOO\",\"hard\":1,\"soft\":1}]}}"),
		      "wrong rlimit value: RLIMIT_FOO"),
	      "unknown rlimit");
	CHECK(!strcmp(error_of("{" MINIMAL "," PROC ",\"linux\":{\"namespaces\":[{\"type\":\"foo\"}]}}"),
		      "namespace {\"foo\" \"\"} does not exist"),
	      "unknown namespace");
	CHECK(!strcmp(error_of("{\"x\":1, \"x\":2"), "unexpected EOF"), "truncated JSON");
	CHECK(!strcmp(error_of("{" PROC "}"), "root property must not be empty"), "no root");
}

static void test_hostile(void)
{
	static const char *const bad[] = {
		"", "nul", "\"x\"", "null", "1e999", "{\"process\":[]}", "{\"process\":{\"env\":[1]}}",
		"{\"process\":{\"user\":{\"additionalGids\":[4294967296]}}}",
		"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":-1}]}}",
		"{\"process\":{\"capabilities\":{\"bounding\":\"CAP_KILL\"}}}",
		"{\"process\":{\"oomScoreAdj\":5000}}",
		"{" MINIMAL "," PROC ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}",
		"{" MINIMAL "," PROC ",\"hooks\":{\"prestart\":[{\"path\":\"/x\",\"timeout\":-1}]}}",
		"{" MINIMAL "," PROC ",\"hooks\":{\"prestart\":{}}}",
		"{" MINIMAL "," PROC ",\"mounts\":[{\"destination\":\"rel\"}]}",
		"{" MINIMAL "," PROC ",\"mounts\":[7]}",
		"{" MINIMAL "," PROC ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
		"{" MINIMAL "," PROC ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"z\"}]}}",
		"{" MINIMAL "," PROC ",\"linux\":{\"sysctl\":{\"a\":1}}}",
		"{" MINIMAL "," PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
		"{" MINIMAL "," PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
		"{" MINIMAL "," PROC ",\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"3-1\"}}}}",
		"{" MINIMAL "," PROC ",\"linux\":{\"resources\":{\"cpu\":{\"period\":1e300}}}}",
		"{" MINIMAL "," PROC ",\"annotations\":{\"a\":{}}}",
		"{" MINIMAL ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"NOEQUALS\"]}}",
		"{" MINIMAL "," PROC ",\"hostname\":\"a/b\"}",
	};
	char name[64];
	struct oci_spec s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &s);
		snprintf(name, sizeof(name), "hostile config #%zu is refused with a message", i);
		CHECK(r < 0 && zerr_msg()[0], name);
		if (r == 0)
			oci_spec_free(&s);
	}
	/* embedded NUL: jansson refuses it without a length overrun */
	CHECK(oci_spec_parse("{\"a\":\"\0\"}", 9, &s) < 0, "NUL byte refused");
	/* deep nesting does not blow the stack (jansson limits depth) */
	char *deep = malloc(200001);
	memset(deep, '[', 200000);
	deep[200000] = 0;
	CHECK(parse(deep, &s) < 0, "200000 nested arrays refused");
	free(deep);
}

static void test_process(void)
{
	struct oci_process p;
	const char *ok = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/\",\"env\":[\"X=1\"],\"terminal\":false}";

	CHECK(oci_process_parse(ok, strlen(ok), &p) == 0 && !strcmp(p.args[1], "-l"), "exec --process file");
	oci_process_free(&p);
	CHECK(oci_process_parse("{\"cwd\":\"/\"}", 11, &p) < 0 && !strcmp(zerr_msg(), "args must not be empty"),
	      "exec --process without args");
	CHECK(oci_process_parse("[]", 2, &p) < 0 &&
		      !strcmp(zerr_msg(), "json: cannot unmarshal array into Go value of type specs.Process"),
	      "exec --process that is not an object");
}

/* What zone-runc hands zone-init from config.json: the seccomp profile in
 * the OCI form podman writes, and the masked and read-only paths. */
static void test_confinement(void)
{
	static const char *cfg =
		"{" MINIMAL "," PROC ",\"linux\":{"
		"\"maskedPaths\":[\"/proc/kcore\",\"/sys/firmware\",\"/sys/dev/block\"],"
		"\"readonlyPaths\":[\"/proc/sys\",\"/proc/sysrq-trigger\"],"
		"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
		"\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
		"\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}}}";
	struct oci_spec s;
	struct idm_rootfs rf = { 0 };
	struct sc_profile p = { 0 };

	CHECK(parse(cfg, &s) == 0, "podman-style confinement parses");
	CHECK(runc_seccomp(&s, &p) == 1 && p.nrules >= 3, "linux.seccomp converts for zone-init");
	sc_profile_free(&p);
	runc_rootfs_paths(&s, &rf);
	CHECK(rf.nmasked_paths == 3 && !strcmp(rf.masked_paths[2], "/sys/dev/block") &&
		      rf.nreadonly_paths == 2 && !strcmp(rf.readonly_paths[1], "/proc/sysrq-trigger"),
	      "maskedPaths and readonlyPaths go to ROOTFS");
	oci_spec_free(&s);

	CHECK(parse("{" MINIMAL "," PROC "}", &s) == 0 && runc_seccomp(&s, &p) == 0,
	      "no linux.seccomp: no profile");
	runc_rootfs_paths(&s, &rf);
	CHECK(rf.nmasked_paths == 0 && rf.nreadonly_paths == 0, "no paths: none masked");
	oci_spec_free(&s);
}

int main(void)
{
	test_full();
	test_defaults();
	test_runc_errors();
	test_hostile();
	test_process();
	test_confinement();
	CHECK_DONE();
}
