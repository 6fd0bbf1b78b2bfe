/* libFuzzer target: zone run --security-opt seccomp=FILE's parser (a
 * docker-format JSON profile from anyone) on hostile bytes.  A profile it
 * accepts must pass the checks zone-init relies on, survive IDM START
 * encoding and decoding unchanged, and build into a libseccomp filter.
 * With ZONE_FUZZ_SEEDS=dir set, writes seed profiles there and exits. */
#include "common/seccomp_profile.h"
#include "common/zerr.h"
#include "idm/frame.h"
#include "idm/messages.h"
#include "runtime/seccomp_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const seeds[] = {
	"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
	"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}",
	"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"architectures\":"
	"[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],"
	"\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
	"\"args\":[{\"index\":0,\"value\":8,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":"
	"[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2114060288,"
	"\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}],\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
	"{\"names\":[\"bpf\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_BPF\"],"
	"\"arches\":[\"amd64\"]}}]}",
	"{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[{\"name\":\"getpid\","
	"\"action\":\"SCMP_ACT_LOG\",\"comment\":\"x\"}]}",
};

static void write_seeds(const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/seed-%zu.json", dir, i);
		FILE *f = fopen(path, "w");
		if (f) {
			fputc(i & 1, f); /* the capabilities byte */
			fputs(seeds[i], f);
			fclose(f);
		}
	}
}

static int roundtrip_same(const struct sc_profile *p)
{
	char *argv[] = { "sh", NULL };
	struct idm_start st = { .argv = argv, .argc = 1, .seccomp = (struct sc_profile *)p };
	struct idm_buf b = { 0 };
	struct idm_hdr h;
	struct idm_msg m;
	int same = 1;

	if (idm_msg_write(&b, IDM_START, 1, &st) < 0) {
		idm_buf_free(&b);
		return 1; /* too large for one frame: zone run reports it */
	}
	if (idm_hdr_parse(idm_buf_head(&b), &h) < 0 ||
	    idm_msg_decode(&h, idm_buf_head(&b) + IDM_HDR_SIZE, &m) < 0)
		abort();
	const struct sc_profile *q = m.u.start.seccomp;
	if (!q || q->default_action != p->default_action || q->nrules != p->nrules)
		same = 0;
	for (uint32_t i = 0; same && i < p->nrules; i++) {
		const struct sc_rule *a = &p->rules[i], *c = &q->rules[i];
		same = !strcmp(a->name, c->name) && a->action == c->action &&
		       a->errno_ret == c->errno_ret && a->nargs == c->nargs &&
		       (!a->nargs || !memcmp(a->args, c->args, a->nargs * sizeof(*a->args)));
	}
	idm_msg_free(&m);
	idm_buf_free(&b);
	return same;
}

/* Seeds are written before any input runs: an exit() inside an input
 * is a finding to libFuzzer (it saved the empty input as a crash). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");

	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_profile p;
	json_error_t je;
	json_t *j;
	uint64_t caps;

	if (size < 1)
		return 0;
	/* the first byte picks the container's capabilities (includes/excludes) */
	caps = data[0] & 1 ? ~0ULL : 0xa80425fbULL;
	j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return 0;
	if (seccomp_json_profile(j, caps, &p) == 0) {
		if (sc_profile_check(&p) < 0 || !roundtrip_same(&p))
			abort();
		if (p.nrules <= 64) {
			void *f = sc_filter_build(&p, true);
			sc_filter_free(f); /* NULL is fine: e.g. a rule libseccomp refuses */
		}
		sc_profile_free(&p);
	}
	json_decref(j);
	zerr_clear();
	return 0;
}
