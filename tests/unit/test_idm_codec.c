/* IDM framing and message codec: round trips for every message type and
 * rejection of malformed input. */
#include "idm/messages.h"
#include "common/zerr.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

/* Encode body as type, run it through the frame reader byte-complete and
 * decode it into m.  Returns 0 on success. */
static int roundtrip(unsigned type, uint32_t id, const void *body, struct idm_msg *m)
{
	struct idm_buf b = { 0 };
	struct idm_reader r = { 0 };
	struct idm_hdr h;
	const uint8_t *payload;
	int rc = -1;

	if (idm_msg_write(&b, type, id, body) < 0)
		goto out;
	/* feed one byte at a time: partial frames must not be returned */
	for (size_t i = 0; i + 1 < idm_buf_used(&b); i++) {
		idm_reader_feed(&r, idm_buf_head(&b) + i, 1);
		if (idm_reader_next(&r, &h, &payload) != 0)
			goto out;
	}
	idm_reader_feed(&r, idm_buf_head(&b) + idm_buf_used(&b) - 1, 1);
	if (idm_reader_next(&r, &h, &payload) != 1 || h.type != type || h.id != id)
		goto out;
	rc = idm_msg_decode(&h, payload, m);
	if (rc == 0 && idm_reader_pending(&r) != 0)
		rc = -1;
out:
	idm_buf_free(&b);
	idm_reader_free(&r);
	return rc;
}

/* Decode a hand-built payload for type. */
static int decode_raw(unsigned type, const struct idm_buf *p)
{
	struct idm_hdr h = { IDM_VERSION, type, 0, 7, idm_buf_used(p) };
	struct idm_msg m;
	int rc = idm_msg_decode(&h, idm_buf_head(p), &m);

	if (rc == 0)
		idm_msg_free(&m);
	return rc;
}

static void test_roundtrips(void)
{
	struct idm_msg m;

	struct idm_hello hello = { 1, 3, "zone-test" };
	CHECK(roundtrip(IDM_HELLO, 1, &hello, &m) == 0 && m.u.hello.version_min == 1 &&
		      m.u.hello.version_max == 3 && !strcmp(m.u.hello.agent, "zone-test"),
	      "HELLO round trip");
	idm_msg_free(&m);

	struct idm_error err = { 2, "no such file" };
	CHECK(roundtrip(IDM_ERROR, 9, &err, &m) == 0 && m.id == 9 && m.u.error.code == 2 &&
		      !strcmp(m.u.error.message, "no such file"),
	      "ERROR round trip");
	idm_msg_free(&m);

	CHECK(roundtrip(IDM_ACK, 3, NULL, &m) == 0 && m.type == IDM_ACK, "ACK round trip");
	idm_msg_free(&m);

	struct idm_ping ping = { 0x1122334455667788ull };
	CHECK(roundtrip(IDM_PING, 4, &ping, &m) == 0 && m.u.ping.cookie == ping.cookie, "PING round trip");
	idm_msg_free(&m);
	CHECK(roundtrip(IDM_PONG, 4, &ping, &m) == 0 && m.u.ping.cookie == ping.cookie, "PONG round trip");
	idm_msg_free(&m);

	struct idm_rlimit rl[2] = { { 7, 100, 200 }, { 3, 1ull << 40, UINT64_MAX } };
	struct idm_caps caps = { 1, 2, 4, 0x3fffffffffull, 8 };
	uint32_t groups[3] = { 10, 20, 4000000000u };
	struct idm_start st = {
		.argv = (char *[]){ "sh", "-c", "echo hi", NULL }, .argc = 3,
		.env = (char *[]){ "PATH=/bin", "A=b=c", "" }, .envc = 3,
		.cwd = "/tmp", .uid = 1000, .gid = 1001, .groups = groups, .ngroups = 3,
		.umask = 027, .rlimits = rl, .nrlimits = 2, .no_new_privs = true,
		.caps = &caps, .tty = true, .rows = 24, .cols = 80, .kill_on_close = true,
	};
	int ok = roundtrip(IDM_START, 5, &st, &m) == 0;
	struct idm_start *d = &m.u.start;
	ok = ok && d->argc == 3 && !strcmp(d->argv[2], "echo hi") && d->argv[3] == NULL &&
	     d->envc == 3 && !strcmp(d->env[1], "A=b=c") && !strcmp(d->env[2], "") &&
	     !strcmp(d->cwd, "/tmp") && d->uid == 1000 && d->gid == 1001 && d->ngroups == 3 &&
	     d->groups[2] == 4000000000u && d->umask == 027 && d->nrlimits == 2 &&
	     d->rlimits[1].resource == 3 && d->rlimits[1].hard == UINT64_MAX &&
	     d->rlimits[0].soft == 100 && d->no_new_privs && d->caps &&
	     d->caps->bounding == 0x3fffffffffull && d->caps->ambient == 8 && d->tty &&
	     d->rows == 24 && d->cols == 80 && d->kill_on_close;
	CHECK(ok, "START round trip (all fields)");
	idm_msg_free(&m);

	struct idm_start minimal = { .argv = (char *[]){ "true", NULL }, .argc = 1 };
	CHECK(roundtrip(IDM_START, 6, &minimal, &m) == 0 && m.u.start.caps == NULL &&
		      m.u.start.cwd == NULL && m.u.start.envc == 0 && m.u.start.env == NULL,
	      "START round trip (minimal: optional fields absent)");
	idm_msg_free(&m);

	struct idm_started sd = { 17, 4242 };
	CHECK(roundtrip(IDM_STARTED, 6, &sd, &m) == 0 && m.u.started.proc == 17 &&
		      m.u.started.pid == 4242,
	      "STARTED round trip");
	idm_msg_free(&m);

	static uint8_t big[IDM_DATA_CHUNK];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	struct idm_data data = { 17, IDM_STDOUT, big, sizeof(big) };
	CHECK(roundtrip(IDM_DATA, 0, &data, &m) == 0 && m.u.data.len == sizeof(big) &&
		      m.u.data.stream == 1 && !memcmp(m.u.data.data, big, sizeof(big)),
	      "DATA round trip (64 KiB)");
	idm_msg_free(&m);
	struct idm_data empty_data = { 17, IDM_STDIN, NULL, 0 };
	CHECK(roundtrip(IDM_DATA, 0, &empty_data, &m) == 0 && m.u.data.len == 0, "DATA round trip (empty)");
	idm_msg_free(&m);

	struct idm_eof eof = { 17, IDM_STDERR };
	CHECK(roundtrip(IDM_EOF, 0, &eof, &m) == 0 && m.u.eof.stream == 2, "EOF round trip");
	idm_msg_free(&m);

	struct idm_credit cr = { 17, IDM_STDIN, 4096 };
	CHECK(roundtrip(IDM_CREDIT, 0, &cr, &m) == 0 && m.u.credit.bytes == 4096, "CREDIT round trip");
	idm_msg_free(&m);

	struct idm_signal sg = { 17, 15 };
	CHECK(roundtrip(IDM_SIGNAL, 8, &sg, &m) == 0 && m.u.signal.signo == 15, "SIGNAL round trip");
	idm_msg_free(&m);

	struct idm_resize rs = { 17, 50, 132 };
	CHECK(roundtrip(IDM_RESIZE, 8, &rs, &m) == 0 && m.u.resize.rows == 50 && m.u.resize.cols == 132,
	      "RESIZE round trip");
	idm_msg_free(&m);

	struct idm_wait wt = { 17 };
	CHECK(roundtrip(IDM_WAIT, 8, &wt, &m) == 0 && m.u.wait.proc == 17, "WAIT round trip");
	idm_msg_free(&m);

	struct idm_exit ex = { 17, 0, 9, true };
	CHECK(roundtrip(IDM_EXIT, 8, &ex, &m) == 0 && m.u.exit.signo == 9 && m.u.exit.core &&
		      idm_exit_status(&m.u.exit) == 137,
	      "EXIT round trip (signal -> 128+N)");
	idm_msg_free(&m);

	CHECK(roundtrip(IDM_LIST, 8, NULL, &m) == 0, "LIST round trip");
	idm_msg_free(&m);

	struct idm_proc_info pi[2] = { { 1, 100, IDM_PROC_RUNNING, 0, 0, true, "sleep 30" },
				       { 2, 101, IDM_PROC_EXITED, 42, 0, false, NULL } };
	struct idm_list_reply lr = { pi, 2 };
	CHECK(roundtrip(IDM_LIST_REPLY, 8, &lr, &m) == 0 && m.u.list.nprocs == 2 &&
		      !strcmp(m.u.list.procs[0].cmd, "sleep 30") && m.u.list.procs[0].tty &&
		      m.u.list.procs[1].code == 42 && m.u.list.procs[1].cmd == NULL,
	      "LIST_REPLY round trip");
	idm_msg_free(&m);

	struct idm_stats_req sq = { 3 };
	CHECK(roundtrip(IDM_STATS, 8, &sq, &m) == 0 && m.u.stats_req.proc == 3, "STATS round trip");
	idm_msg_free(&m);

	struct idm_stats ss = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	CHECK(roundtrip(IDM_STATS_REPLY, 8, &ss, &m) == 0 && m.u.stats.mem_available == 4 &&
		      m.u.stats.pids == 5 && m.u.stats.proc_rss == 9,
	      "STATS_REPLY round trip");
	idm_msg_free(&m);

	CHECK(roundtrip(IDM_SHUTDOWN, 8, NULL, &m) == 0, "SHUTDOWN round trip");
	idm_msg_free(&m);

	struct idm_rootfs rf = { "/dev/vda", "erofs", true, "web1", "127.0.0.1 localhost\n", NULL };
	CHECK(roundtrip(IDM_ROOTFS, 9, &rf, &m) == 0 && !strcmp(m.u.rootfs.device, "/dev/vda") &&
		      !strcmp(m.u.rootfs.fstype, "erofs") && m.u.rootfs.read_only &&
		      !strcmp(m.u.rootfs.hostname, "web1") && m.u.rootfs.resolv_conf == NULL,
	      "ROOTFS round trip");
	idm_msg_free(&m);
	struct idm_rootfs rf_bad = { "/dev/vda", NULL, false, "h", NULL, NULL };
	struct idm_buf b0 = { 0 };
	CHECK(idm_msg_write(&b0, IDM_ROOTFS, 9, &rf_bad) < 0 || roundtrip(IDM_ROOTFS, 9, &rf_bad, &m) < 0,
	      "ROOTFS without fstype is refused");
	idm_buf_free(&b0);

	struct idm_mount mt = { .fstype = "virtiofs", .source = "vol0", .subpath = "f.txt",
				.target = "/data/f.txt", .read_only = true, .nosuid = true,
				.size = 1 << 20, .mode = 0755 };
	CHECK(roundtrip(IDM_MOUNT, 11, &mt, &m) == 0 && !strcmp(m.u.mount.fstype, "virtiofs") &&
		      !strcmp(m.u.mount.source, "vol0") && !strcmp(m.u.mount.subpath, "f.txt") &&
		      !strcmp(m.u.mount.target, "/data/f.txt") && m.u.mount.read_only &&
		      m.u.mount.nosuid && !m.u.mount.nodev && m.u.mount.size == 1 << 20 &&
		      m.u.mount.mode == 0755,
	      "MOUNT round trip");
	idm_msg_free(&m);
	struct idm_mount mt_bad = { .fstype = "tmpfs" };
	CHECK(roundtrip(IDM_MOUNT, 11, &mt_bad, &m) < 0, "MOUNT without a target is refused");
	mt_bad.target = "/t";
	mt_bad.mode = 010000;
	CHECK(roundtrip(IDM_MOUNT, 11, &mt_bad, &m) < 0, "MOUNT with a mode beyond 07777 is refused");
	char *addrs[] = { "10.88.0.2/16", "fd00::2/64", NULL };
	struct idm_netconf nc = { "02:00:0a:58:00:02", 1500, addrs, 2, "10.88.0.1", NULL };
	CHECK(roundtrip(IDM_NETCONF, 11, &nc, &m) == 0 && !strcmp(m.u.netconf.mac, nc.mac) &&
		      m.u.netconf.mtu == 1500 && m.u.netconf.naddrs == 2 &&
		      !strcmp(m.u.netconf.addrs[1], "fd00::2/64") &&
		      !strcmp(m.u.netconf.gateway4, "10.88.0.1") && m.u.netconf.gateway6 == NULL,
	      "NETCONF round trip");
	idm_msg_free(&m);
	struct idm_netconf nc_bad = { NULL, 0, NULL, 0, NULL, NULL };
	struct idm_buf b1 = { 0 };
	CHECK(idm_msg_write(&b1, IDM_NETCONF, 11, &nc_bad) < 0 ||
		      roundtrip(IDM_NETCONF, 11, &nc_bad, &m) < 0,
	      "NETCONF without a MAC is refused");
	idm_buf_free(&b1);

	char *argv1[] = { "id", NULL };
	struct idm_start su = { .argv = argv1, .argc = 1, .user = "nobody:nogroup" };
	CHECK(roundtrip(IDM_START, 10, &su, &m) == 0 && !strcmp(m.u.start.user, "nobody:nogroup"),
	      "START with user round trip");
	idm_msg_free(&m);
}

static int parse_hdr(const uint8_t *h)
{
	struct idm_hdr hd;

	return idm_hdr_parse(h, &hd);
}

static void test_frames(void)
{
	struct idm_buf b = { 0 };
	struct idm_ping ping = { 1 };
	uint8_t h[IDM_HDR_SIZE];

	idm_msg_write(&b, IDM_PING, 1, &ping);
	memcpy(h, idm_buf_head(&b), sizeof(h));
	CHECK(parse_hdr(h) == 0, "valid header accepted");
	h[0] = 'X';
	CHECK(parse_hdr(h) < 0 && strstr(zerr_msg(), "magic"), "wrong magic rejected");
	memcpy(h, idm_buf_head(&b), sizeof(h));
	h[4] = 2;
	CHECK(parse_hdr(h) < 0 && strstr(zerr_msg(), "version"), "wrong version rejected");
	memcpy(h, idm_buf_head(&b), sizeof(h));
	h[6] = 1;
	CHECK(parse_hdr(h) < 0, "reserved flags rejected");
	memcpy(h, idm_buf_head(&b), sizeof(h));
	h[5] = 0;
	CHECK(parse_hdr(h) < 0 && strstr(zerr_msg(), "type"), "type 0 rejected");
	h[5] = IDM_TYPE_END;
	CHECK(parse_hdr(h) < 0, "unknown type rejected");
	h[5] = 0xff;
	CHECK(parse_hdr(h) < 0, "type 255 rejected");
	memcpy(h, idm_buf_head(&b), sizeof(h));
	idm_le32(h + 12, IDM_MAX_PAYLOAD + 1);
	CHECK(parse_hdr(h) < 0 && strstr(zerr_msg(), "exceeds"), "oversize length rejected");
	idm_le32(h + 12, 0xffffffffu);
	CHECK(parse_hdr(h) < 0, "length 4 GiB rejected");
	idm_le32(h + 12, IDM_MAX_PAYLOAD);
	CHECK(parse_hdr(h) == 0, "maximum length accepted");

	/* The reader rejects an oversize header before buffering the payload. */
	struct idm_reader r = { 0 };
	struct idm_hdr hd;
	const uint8_t *p;
	idm_le32(h + 12, 0x7fffffff);
	idm_reader_feed(&r, h, sizeof(h));
	CHECK(idm_reader_next(&r, &hd, &p) < 0 && r.in.cap < 1024 * 1024,
	      "reader rejects huge length without allocating it");
	idm_reader_free(&r);

	/* Truncated frame: header promises more than arrives. */
	idm_reader_feed(&r, idm_buf_head(&b), idm_buf_used(&b) - 1);
	CHECK(idm_reader_next(&r, &hd, &p) == 0 && idm_reader_pending(&r) == idm_buf_used(&b) - 1,
	      "truncated frame is not returned and stays pending");
	idm_reader_free(&r);
	idm_reader_feed(&r, idm_buf_head(&b), 5);
	CHECK(idm_reader_next(&r, &hd, &p) == 0 && idm_reader_pending(&r) == 5,
	      "truncated header is not returned");
	idm_reader_free(&r);

	/* Two frames in one read come out one by one. */
	idm_msg_write(&b, IDM_ACK, 2, NULL);
	idm_reader_feed(&r, idm_buf_head(&b), idm_buf_used(&b));
	CHECK(idm_reader_next(&r, &hd, &p) == 1 && hd.type == IDM_PING &&
		      idm_reader_next(&r, &hd, &p) == 1 && hd.type == IDM_ACK && hd.id == 2 &&
		      idm_reader_next(&r, &hd, &p) == 0,
	      "two frames in one buffer");
	idm_reader_free(&r);
	idm_buf_free(&b);

	/* Encoder refuses a payload over the maximum and leaves the buffer intact. */
	uint8_t *huge = calloc(1, IDM_MAX_PAYLOAD);
	struct idm_data d = { 1, 1, huge, IDM_MAX_PAYLOAD };
	idm_msg_write(&b, IDM_ACK, 1, NULL);
	CHECK(idm_msg_write(&b, IDM_DATA, 0, &d) < 0 && idm_buf_used(&b) == IDM_HDR_SIZE,
	      "encoder rejects oversize payload");
	free(huge);
	idm_buf_free(&b);
}

static void test_payloads(void)
{
	struct idm_buf p = { 0 };

	/* TLV that claims more bytes than the payload holds. */
	idm_put_u32(&p, 1, 5);
	idm_le32(p.data + 2, 1000);
	CHECK(decode_raw(IDM_WAIT, &p) < 0 && strstr(zerr_msg(), "overrun"), "overrunning TLV rejected");
	idm_buf_free(&p);

	/* TLV header cut short. */
	idm_put_u32(&p, 1, 5);
	idm_buf_put(&p, "\x01\x00\x04", 3);
	CHECK(decode_raw(IDM_WAIT, &p) < 0 && strstr(zerr_msg(), "truncated"), "truncated TLV header rejected");
	idm_buf_free(&p);

	/* Nested overrun inside an rlimit. */
	size_t mark;
	idm_put_str(&p, 1, "x");
	mark = idm_put_nest_begin(&p, 8);
	idm_put_u32(&p, 1, 7);
	idm_put_nest_end(&p, mark);
	idm_le32(p.data + mark + IDM_TLV_HDR + 2, 50); /* inner u32 claims 50 bytes */
	CHECK(decode_raw(IDM_START, &p) < 0, "overrunning nested TLV rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	idm_put_u32(&p, 1, 6);
	CHECK(decode_raw(IDM_WAIT, &p) < 0 && strstr(zerr_msg(), "duplicate"), "duplicate field rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	CHECK(decode_raw(IDM_DATA, &p) < 0 && strstr(zerr_msg(), "missing"), "missing required field rejected");
	idm_buf_free(&p);

	idm_put_str(&p, 2, "A=1");
	CHECK(decode_raw(IDM_START, &p) < 0 && strstr(zerr_msg(), "missing"), "START without argv rejected");
	idm_buf_free(&p);

	idm_put_str(&p, 1, "");
	CHECK(decode_raw(IDM_START, &p) < 0, "START with empty argv[0] rejected");
	idm_buf_free(&p);

	idm_put_bytes(&p, 1, "a\0b", 3);
	CHECK(decode_raw(IDM_START, &p) < 0 && strstr(zerr_msg(), "NUL"), "string with NUL rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	idm_put_u32(&p, 99, 1);
	CHECK(decode_raw(IDM_WAIT, &p) < 0 && strstr(zerr_msg(), "unknown tag"), "unknown tag rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	idm_put_u32(&p, IDM_TAG_OPTIONAL | 99, 1);
	CHECK(decode_raw(IDM_WAIT, &p) == 0, "unknown optional tag ignored");
	idm_buf_free(&p);

	idm_put_u64(&p, 1, 5);
	CHECK(decode_raw(IDM_WAIT, &p) < 0, "u32 with wrong length rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 0);
	CHECK(decode_raw(IDM_WAIT, &p) < 0 && strstr(zerr_msg(), "range"), "proc id 0 rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	idm_put_u32(&p, 2, 3);
	idm_put_bytes(&p, 3, "x", 1);
	CHECK(decode_raw(IDM_DATA, &p) < 0, "stream 3 rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	idm_put_u32(&p, 2, 0);
	CHECK(decode_raw(IDM_SIGNAL, &p) < 0, "signal 0 rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 5);
	idm_put_u32(&p, 2, 65);
	CHECK(decode_raw(IDM_SIGNAL, &p) < 0, "signal 65 rejected");
	idm_buf_free(&p);

	uint8_t bad_bool[] = { 9, 0, 1, 0, 0, 0, 2 };
	idm_put_str(&p, 1, "x");
	idm_buf_put(&p, bad_bool, sizeof(bad_bool));
	CHECK(decode_raw(IDM_START, &p) < 0, "bool other than 0/1 rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 5, 1);
	CHECK(decode_raw(IDM_ACK, &p) < 0, "ACK with a field rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 3);
	idm_put_u32(&p, 2, 1);
	CHECK(decode_raw(IDM_HELLO, &p) < 0, "HELLO with min > max rejected");
	idm_buf_free(&p);

	idm_put_u32(&p, 1, 1);
	idm_put_u32(&p, 2, 1);
	idm_put_u32(&p, 3, IDM_WINDOW + 1);
	CHECK(decode_raw(IDM_CREDIT, &p) < 0, "CREDIT above the window rejected");
	idm_buf_free(&p);

	/* Encoder refuses invalid values, so we never send what we would reject. */
	struct idm_signal sg = { 1, 0 };
	CHECK(idm_msg_write(&p, IDM_SIGNAL, 1, &sg) < 0 && idm_buf_used(&p) == 0,
	      "encoder refuses signal 0");
	struct idm_start st = { .argc = 0 };
	CHECK(idm_msg_write(&p, IDM_START, 1, &st) < 0, "encoder refuses START without argv");
	idm_buf_free(&p);
}

/* The confinement pieces of START and ROOTFS (common/seccomp_profile.h). */
static void test_confinement_roundtrip(void)
{
	struct idm_msg m;
	struct sc_arg args[2] = { { 0, SC_MASKED_EQ, 0x10000000, 0x10000000 },
				  { 2, SC_GT, 7, 0 } };
	struct sc_rule rules[2] = { { "clone", SC_ERRNO, 1, args, 2 }, { "mount", SC_KILL_PROCESS, 0, NULL, 0 } };
	struct sc_profile prof = { SC_ALLOW, 0, rules, 2 };
	struct idm_caps caps = { 1, 2, 0, 3, 0 };
	char *argv[] = { "sh", NULL };
	struct idm_start st = { .argv = argv, .argc = 1, .caps = &caps, .caps_root_only = true,
				.seccomp = &prof };

	CHECK(roundtrip(IDM_START, 5, &st, &m) == 0 && m.u.start.caps_root_only &&
		      m.u.start.seccomp && m.u.start.seccomp->default_action == SC_ALLOW &&
		      m.u.start.seccomp->nrules == 2 &&
		      !strcmp(m.u.start.seccomp->rules[0].name, "clone") &&
		      m.u.start.seccomp->rules[0].errno_ret == 1 &&
		      m.u.start.seccomp->rules[0].nargs == 2 &&
		      m.u.start.seccomp->rules[0].args[1].index == 2 &&
		      m.u.start.seccomp->rules[0].args[1].op == SC_GT &&
		      m.u.start.seccomp->rules[0].args[0].value_two == 0x10000000 &&
		      m.u.start.seccomp->rules[1].action == SC_KILL_PROCESS &&
		      m.u.start.seccomp->rules[1].nargs == 0,
	      "START with caps_root_only and a seccomp profile round trip");
	idm_msg_free(&m);
	st.seccomp = NULL;
	CHECK(roundtrip(IDM_START, 6, &st, &m) == 0 && !m.u.start.seccomp, "START without a profile");
	idm_msg_free(&m);

	args[0].index = 6;
	st.seccomp = &prof;
	CHECK(roundtrip(IDM_START, 7, &st, &m) < 0, "an argument index past 5 is not encoded");
	args[0].index = 0;
	rules[1].action = 0;
	CHECK(roundtrip(IDM_START, 8, &st, &m) < 0, "an unknown action is not encoded");
	rules[1].action = SC_ALLOW;

	char *masked[] = { "/proc/kcore", "/sys/firmware" }, *ro[] = { "/proc/sys" };
	struct idm_rootfs rf = { "/dev/vda", "erofs", false, "h", NULL, NULL, masked, 2, ro, 1 };
	CHECK(roundtrip(IDM_ROOTFS, 9, &rf, &m) == 0 && m.u.rootfs.nmasked_paths == 2 &&
		      !strcmp(m.u.rootfs.masked_paths[1], "/sys/firmware") &&
		      m.u.rootfs.nreadonly_paths == 1 && !strcmp(m.u.rootfs.readonly_paths[0], "/proc/sys"),
	      "ROOTFS with masked and read-only paths round trip");
	idm_msg_free(&m);
}

int main(void)
{
	test_roundtrips();
	test_confinement_roundtrip();
	test_frames();
	test_payloads();
	CHECK_DONE();
}
