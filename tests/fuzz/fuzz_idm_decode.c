/* libFuzzer target: IDM frame reader + message decoder on hostile bytes.
 * Input is used twice: as a byte stream of frames, and (first byte =
 * type) as a bare payload.  Whatever decodes must re-encode to a frame
 * that decodes again to the identical encoding (canonical round trip).
 * With ZONE_FUZZ_SEEDS=dir set, writes seed frames there and exits. */
#include "idm/messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_roundtrip(const struct idm_msg *m)
{
	struct idm_buf a = { 0 }, b = { 0 };
	struct idm_reader r = { 0 };
	struct idm_hdr h;
	const uint8_t *p;
	struct idm_msg m2;

	if (idm_msg_write(&a, m->type, m->id, &m->u) < 0)
		abort(); /* decoded messages are always encodable */
	idm_reader_feed(&r, idm_buf_head(&a), idm_buf_used(&a));
	if (idm_reader_next(&r, &h, &p) != 1 || idm_msg_decode(&h, p, &m2) < 0)
		abort();
	if (idm_msg_write(&b, m2.type, m2.id, &m2.u) < 0 || idm_buf_used(&a) != idm_buf_used(&b) ||
	    memcmp(idm_buf_head(&a), idm_buf_head(&b), idm_buf_used(&a)))
		abort();
	idm_msg_free(&m2);
	idm_reader_free(&r);
	idm_buf_free(&a);
	idm_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idm_reader r = { 0 };
	struct idm_hdr h;
	const uint8_t *p;
	struct idm_msg m;

	/* 1: a stream of frames, fed in two parts to exercise partial reads */
	idm_reader_feed(&r, data, size / 2);
	for (int part = 0; part < 2; part++) {
		int rc;

		while ((rc = idm_reader_next(&r, &h, &p)) == 1) {
			if (idm_msg_decode(&h, p, &m) == 0) {
				check_roundtrip(&m);
				idm_msg_free(&m);
			}
		}
		if (rc < 0)
			break;
		if (part == 0)
			idm_reader_feed(&r, data + size / 2, size - size / 2);
	}
	idm_reader_free(&r);

	/* 2: a bare payload for the type in the first byte */
	if (size >= 1 && size - 1 <= IDM_MAX_PAYLOAD) {
		h = (struct idm_hdr){ IDM_VERSION, 1 + data[0] % (IDM_TYPE_END - 1), 0, 1, size - 1 };
		if (idm_msg_decode(&h, data + 1, &m) == 0) {
			check_roundtrip(&m);
			idm_msg_free(&m);
		}
	}
	return 0;
}

static void seed(const char *dir, const char *name, const struct idm_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(idm_buf_head(b), 1, idm_buf_used(b), f);
		fclose(f);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");
	struct idm_buf b = { 0 };

	if (!dir)
		return 0;
	struct idm_hello hello = { 1, 1, "seed" };
	idm_msg_write(&b, IDM_HELLO, 1, &hello);
	seed(dir, "hello", &b);
	struct idm_rlimit rl = { 7, 1024, 4096 };
	struct idm_caps caps = { 1, 1, 0, 0x3ff, 0 };
	uint32_t groups[] = { 10, 27 };
	struct idm_start st = { .argv = (char *[]){ "sh", "-c", "echo hi", NULL }, .argc = 3,
				.env = (char *[]){ "PATH=/bin", NULL }, .envc = 1, .cwd = "/",
				.uid = 1000, .gid = 1000, .groups = groups, .ngroups = 2, .umask = 022,
				.rlimits = &rl, .nrlimits = 1, .no_new_privs = true, .caps = &caps,
				.tty = true, .rows = 24, .cols = 80 };
	idm_msg_write(&b, IDM_START, 2, &st);
	seed(dir, "hello-start", &b);
	idm_buf_free(&b);
	struct idm_data d = { 1, 0, (uint8_t *)"hello\n", 6 };
	struct idm_credit cr = { 1, 1, 4096 };
	struct idm_signal sg = { 1, 15 };
	struct idm_exit ex = { 1, 0, 9, false };
	idm_msg_write(&b, IDM_DATA, 0, &d);
	idm_msg_write(&b, IDM_CREDIT, 0, &cr);
	idm_msg_write(&b, IDM_SIGNAL, 3, &sg);
	idm_msg_write(&b, IDM_EXIT, 4, &ex);
	idm_msg_write(&b, IDM_SHUTDOWN, 5, NULL);
	seed(dir, "stream", &b);
	idm_buf_free(&b);
	struct idm_proc_info pi[2] = { { 1, 100, 1, 0, 0, true, "sleep 30" }, { 2, 101, 2, 3, 0, false, "x" } };
	struct idm_list_reply lr = { pi, 2 };
	struct idm_stats ss = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	idm_msg_write(&b, IDM_LIST_REPLY, 6, &lr);
	idm_msg_write(&b, IDM_STATS_REPLY, 7, &ss);
	seed(dir, "replies", &b);
	idm_buf_free(&b);
	exit(0);
}
