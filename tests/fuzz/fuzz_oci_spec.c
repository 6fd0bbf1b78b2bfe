/* libFuzzer target: the OCI config.json parser (zone-runc reads bundles
 * written by anyone) and the exec --process parser on hostile bytes.
 * Whatever parses must satisfy the invariants the runtime relies on.
 * With ZONE_FUZZ_SEEDS=dir set, writes seed configs there and exits. */
#include "runtime/oci_spec.h"
#include "common/zerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct oci_spec *s)
{
	/* runtime invariants: a process with argv[0], an absolute cwd, a root,
	 * a zone size it can boot with, NULL-terminated lists */
	if (!s->has_process || !s->process.args || !s->process.args[0] || !s->process.cwd ||
	    s->process.cwd[0] != '/' || !s->root_path || !*s->root_path)
		abort();
	if (s->cpus < 1 || s->cpus > OCI_MAX_CPUS || s->memory < OCI_MIN_MEMORY)
		abort();
	if (!s->sysctl || !s->masked_paths || !s->readonly_paths || !s->process.env)
		abort();
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!s->mounts[i].destination || s->mounts[i].destination[0] != '/' || !s->mounts[i].options)
			abort();
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		for (size_t i = 0; i < s->hooks[k].n; i++)
			if (!s->hooks[k].hooks[i].path || s->hooks[k].hooks[i].path[0] != '/')
				abort();
	for (size_t i = 0; i < s->process.n_rlimits; i++)
		if (s->process.rlimits[i].resource < 0)
			abort();
}

static void write_seeds(const char *dir)
{
	json_t *def = oci_spec_default();
	char *text = json_dumps(def, 0), path[4096];
	static const char *const extra[] = {
		"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
		"\"user\":{\"uid\":1,\"gid\":2,\"additionalGids\":[3]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
		"\"hard\":18446744073709551615,\"soft\":1}]},\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":1}]},"
		"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}]},"
		"\"resources\":{\"cpu\":{\"cpus\":\"0-2\"},\"memory\":{\"limit\":100000000}},"
		"\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3}],"
		"\"sysctl\":{\"a\":\"b\"}},\"annotations\":{\"k\":\"v\"}}",
		"{\"args\":[\"ls\"],\"cwd\":\"/\",\"env\":[\"A=b\"]}",
	};
	FILE *f;

	snprintf(path, sizeof(path), "%s/default.json", dir);
	if ((f = fopen(path, "w"))) {
		fputs(text, f);
		fclose(f);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		snprintf(path, sizeof(path), "%s/extra%zu.json", dir, i);
		if ((f = fopen(path, "w"))) {
			fputs(extra[i], f);
			fclose(f);
		}
	}
	free(text);
	json_decref(def);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("ZONE_FUZZ_SEEDS");

	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec s;
	struct oci_process p;

	if (oci_spec_parse((const char *)data, size, &s) == 0) {
		check(&s);
		oci_spec_free(&s);
	} else if (!zerr_msg()[0]) {
		abort(); /* every refusal says why */
	}
	if (oci_process_parse((const char *)data, size, &p) == 0) {
		if (!p.args || !p.args[0] || !p.cwd || p.cwd[0] != '/')
			abort();
		oci_process_free(&p);
	}
	return 0;
}
