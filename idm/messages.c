/* Table-driven TLV encoding of the IDM messages: one schema per message
 * type lists its fields, so encode and decode share the same rules and
 * every message is checked the same strict way (no unknown tags unless
 * marked optional, no duplicates, required fields present, ranges). */
#include "idm/messages.h"
#include "common/zerr.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct idm_arena_chunk {
	struct idm_arena_chunk *next;
	max_align_t data[];
};

static void *arena_alloc(struct idm_arena *a, size_t n)
{
	struct idm_arena_chunk *c;

	if (n > IDM_MAX_PAYLOAD * (size_t)16) /* cannot happen from a valid frame */
		return NULL;
	c = calloc(1, sizeof(*c) + n + 1);
	if (!c)
		return NULL;
	c->next = a->head;
	a->head = c;
	return c->data;
}

static void arena_free(struct idm_arena *a)
{
	while (a->head) {
		struct idm_arena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

/* ---- schemas ---- */

enum fkind { F_U32, F_U64, F_BOOL, F_STR, F_BYTES, F_STRV, F_U32V, F_STRUCTV, F_STRUCTP };

struct schema;

struct field {
	uint16_t tag;
	uint8_t kind;
	bool required;
	uint32_t min, max; /* F_U32 value range, or max count/length (0: none) */
	size_t off;        /* member in the struct */
	size_t cnt_off;    /* count member (vectors, bytes) */
	const struct schema *sub;
};

struct schema {
	size_t size;
	const struct field *fields;
	unsigned nfields;
};

#define SCHEMA(name, st, ...)                                                       \
	static const struct field name##_fields[] = { __VA_ARGS__ };                \
	static const struct schema name = { sizeof(st), name##_fields,              \
					    sizeof(name##_fields) / sizeof(struct field) }
#define U32(t, st, m, req, lo, hi) { t, F_U32, req, lo, hi, offsetof(st, m), 0, NULL }
#define U64(t, st, m) { t, F_U64, false, 0, 0, offsetof(st, m), 0, NULL }
#define BOOL(t, st, m) { t, F_BOOL, false, 0, 0, offsetof(st, m), 0, NULL }
#define STR(t, st, m, req, maxlen) { t, F_STR, req, 0, maxlen, offsetof(st, m), 0, NULL }
#define BYTES(t, st, m, n, req) { t, F_BYTES, req, 0, 0, offsetof(st, m), offsetof(st, n), NULL }
#define STRV(t, st, m, n, req, maxn) { t, F_STRV, req, 0, maxn, offsetof(st, m), offsetof(st, n), NULL }
#define U32V(t, st, m, n, maxn) { t, F_U32V, false, 0, maxn, offsetof(st, m), offsetof(st, n), NULL }
#define STRUCTV(t, st, m, n, maxn, s) { t, F_STRUCTV, false, 0, maxn, offsetof(st, m), offsetof(st, n), &s }
#define STRUCTP(t, st, m, s) { t, F_STRUCTP, false, 0, 0, offsetof(st, m), 0, &s }

#define ANY 0
#define MAX_SIG 64

static const struct schema empty = { 0, NULL, 0 };

SCHEMA(hello_s, struct idm_hello,
       U32(1, struct idm_hello, version_min, true, 1, ANY),
       U32(2, struct idm_hello, version_max, true, 1, ANY),
       STR(3, struct idm_hello, agent, false, 256));
SCHEMA(error_s, struct idm_error,
       U32(1, struct idm_error, code, true, 0, ANY),
       STR(2, struct idm_error, message, false, 4096));
SCHEMA(ping_s, struct idm_ping, U64(1, struct idm_ping, cookie));
SCHEMA(rlimit_s, struct idm_rlimit,
       U32(1, struct idm_rlimit, resource, true, 0, 63),
       { 2, F_U64, true, 0, 0, offsetof(struct idm_rlimit, soft), 0, NULL },
       { 3, F_U64, true, 0, 0, offsetof(struct idm_rlimit, hard), 0, NULL });
SCHEMA(caps_s, struct idm_caps,
       U64(1, struct idm_caps, effective),
       U64(2, struct idm_caps, permitted),
       U64(3, struct idm_caps, inheritable),
       U64(4, struct idm_caps, bounding),
       U64(5, struct idm_caps, ambient));
SCHEMA(sc_arg_s, struct sc_arg,
       U32(1, struct sc_arg, index, true, 0, SC_MAX_ARGS - 1),
       U32(2, struct sc_arg, op, true, 1, SC_OP_MAX),
       U64(3, struct sc_arg, value),
       U64(4, struct sc_arg, value_two));
SCHEMA(sc_rule_s, struct sc_rule,
       STR(1, struct sc_rule, name, true, 64),
       U32(2, struct sc_rule, action, true, 1, SC_ACTION_MAX),
       U32(3, struct sc_rule, errno_ret, false, 0, 4095),
       STRUCTV(4, struct sc_rule, args, nargs, SC_MAX_ARGS, sc_arg_s));
SCHEMA(sc_profile_s, struct sc_profile,
       U32(1, struct sc_profile, default_action, true, 1, SC_ACTION_MAX),
       U32(2, struct sc_profile, default_errno, false, 0, 4095),
       STRUCTV(3, struct sc_profile, rules, nrules, SC_MAX_RULES, sc_rule_s));
SCHEMA(start_s, struct idm_start,
       STRV(1, struct idm_start, argv, argc, true, 65536),
       STRV(2, struct idm_start, env, envc, false, 65536),
       STR(3, struct idm_start, cwd, false, 4096),
       U32(4, struct idm_start, uid, false, 0, ANY),
       U32(5, struct idm_start, gid, false, 0, ANY),
       U32V(6, struct idm_start, groups, ngroups, 65536),
       U32(7, struct idm_start, umask, false, 0, 07777),
       STRUCTV(8, struct idm_start, rlimits, nrlimits, 64, rlimit_s),
       BOOL(9, struct idm_start, no_new_privs),
       STRUCTP(10, struct idm_start, caps, caps_s),
       BOOL(11, struct idm_start, tty),
       U32(12, struct idm_start, rows, false, 0, 65535),
       U32(13, struct idm_start, cols, false, 0, 65535),
       BOOL(14, struct idm_start, kill_on_close),
       STR(15, struct idm_start, user, false, 256),
       BOOL(16, struct idm_start, caps_root_only),
       STRUCTP(17, struct idm_start, seccomp, sc_profile_s));
SCHEMA(rootfs_s, struct idm_rootfs,
       STR(1, struct idm_rootfs, device, true, 256),
       STR(2, struct idm_rootfs, fstype, true, 32),
       BOOL(3, struct idm_rootfs, read_only),
       STR(4, struct idm_rootfs, hostname, true, 64),
       STR(5, struct idm_rootfs, hosts, false, 65536),
       STR(6, struct idm_rootfs, resolv_conf, false, 65536),
       STRV(7, struct idm_rootfs, masked_paths, nmasked_paths, false, 256),
       STRV(8, struct idm_rootfs, readonly_paths, nreadonly_paths, false, 256));
SCHEMA(mount_s, struct idm_mount,
       STR(1, struct idm_mount, fstype, true, 32),
       STR(2, struct idm_mount, source, false, 256),
       STR(3, struct idm_mount, subpath, false, 255),
       STR(4, struct idm_mount, target, true, 4096),
       BOOL(5, struct idm_mount, read_only),
       BOOL(6, struct idm_mount, nosuid),
       BOOL(7, struct idm_mount, nodev),
       BOOL(8, struct idm_mount, noexec),
       U64(9, struct idm_mount, size),
       U32(10, struct idm_mount, mode, false, 0, 07777));
SCHEMA(netconf_s, struct idm_netconf,
       STR(1, struct idm_netconf, mac, true, 17),
       U32(2, struct idm_netconf, mtu, false, 0, 65535),
       STRV(3, struct idm_netconf, addrs, naddrs, false, 16),
       STR(4, struct idm_netconf, gateway4, false, 64),
       STR(5, struct idm_netconf, gateway6, false, 64));
SCHEMA(started_s, struct idm_started,
       U32(1, struct idm_started, proc, true, 1, ANY),
       U32(2, struct idm_started, pid, true, 0, ANY));
SCHEMA(data_s, struct idm_data,
       U32(1, struct idm_data, proc, true, 1, ANY),
       U32(2, struct idm_data, stream, true, 0, 2),
       BYTES(3, struct idm_data, data, len, true));
SCHEMA(eof_s, struct idm_eof,
       U32(1, struct idm_eof, proc, true, 1, ANY),
       U32(2, struct idm_eof, stream, true, 0, 2));
SCHEMA(credit_s, struct idm_credit,
       U32(1, struct idm_credit, proc, true, 1, ANY),
       U32(2, struct idm_credit, stream, true, 0, 2),
       U32(3, struct idm_credit, bytes, true, 1, IDM_WINDOW));
SCHEMA(signal_s, struct idm_signal,
       U32(1, struct idm_signal, proc, true, 1, ANY),
       U32(2, struct idm_signal, signo, true, 1, MAX_SIG));
SCHEMA(resize_s, struct idm_resize,
       U32(1, struct idm_resize, proc, true, 1, ANY),
       U32(2, struct idm_resize, rows, true, 0, 65535),
       U32(3, struct idm_resize, cols, true, 0, 65535));
SCHEMA(wait_s, struct idm_wait, U32(1, struct idm_wait, proc, true, 1, ANY));
SCHEMA(exit_s, struct idm_exit,
       U32(1, struct idm_exit, proc, true, 1, ANY),
       U32(2, struct idm_exit, code, false, 0, 255),
       U32(3, struct idm_exit, signo, false, 0, MAX_SIG),
       BOOL(4, struct idm_exit, core));
SCHEMA(procinfo_s, struct idm_proc_info,
       U32(1, struct idm_proc_info, proc, true, 1, ANY),
       U32(2, struct idm_proc_info, pid, true, 0, ANY),
       U32(3, struct idm_proc_info, state, true, IDM_PROC_RUNNING, IDM_PROC_EXITED),
       U32(4, struct idm_proc_info, code, false, 0, 255),
       U32(5, struct idm_proc_info, signo, false, 0, MAX_SIG),
       BOOL(6, struct idm_proc_info, tty),
       STR(7, struct idm_proc_info, cmd, false, 4096));
SCHEMA(list_reply_s, struct idm_list_reply,
       STRUCTV(1, struct idm_list_reply, procs, nprocs, 65536, procinfo_s));
SCHEMA(stats_req_s, struct idm_stats_req, U32(1, struct idm_stats_req, proc, false, 0, ANY));
SCHEMA(stats_s, struct idm_stats,
       U64(1, struct idm_stats, cpu_user_us),
       U64(2, struct idm_stats, cpu_system_us),
       U64(3, struct idm_stats, mem_total),
       U64(4, struct idm_stats, mem_available),
       U32(5, struct idm_stats, pids, false, 0, ANY),
       U32(6, struct idm_stats, proc, false, 0, ANY),
       U64(7, struct idm_stats, proc_cpu_user_us),
       U64(8, struct idm_stats, proc_cpu_system_us),
       U64(9, struct idm_stats, proc_rss));

static const struct {
	const char *name;
	const struct schema *schema;
} types[IDM_TYPE_END] = {
	[IDM_HELLO] = { "HELLO", &hello_s },
	[IDM_ERROR] = { "ERROR", &error_s },
	[IDM_ACK] = { "ACK", &empty },
	[IDM_PING] = { "PING", &ping_s },
	[IDM_PONG] = { "PONG", &ping_s },
	[IDM_START] = { "START", &start_s },
	[IDM_STARTED] = { "STARTED", &started_s },
	[IDM_DATA] = { "DATA", &data_s },
	[IDM_EOF] = { "EOF", &eof_s },
	[IDM_CREDIT] = { "CREDIT", &credit_s },
	[IDM_SIGNAL] = { "SIGNAL", &signal_s },
	[IDM_RESIZE] = { "RESIZE", &resize_s },
	[IDM_WAIT] = { "WAIT", &wait_s },
	[IDM_EXIT] = { "EXIT", &exit_s },
	[IDM_LIST] = { "LIST", &empty },
	[IDM_LIST_REPLY] = { "LIST_REPLY", &list_reply_s },
	[IDM_STATS] = { "STATS", &stats_req_s },
	[IDM_STATS_REPLY] = { "STATS_REPLY", &stats_s },
	[IDM_SHUTDOWN] = { "SHUTDOWN", &empty },
	[IDM_ROOTFS] = { "ROOTFS", &rootfs_s },
	[IDM_MOUNT] = { "MOUNT", &mount_s },
	[IDM_NETCONF] = { "NETCONF", &netconf_s },
};

bool idm_type_valid(unsigned type)
{
	return type > 0 && type < IDM_TYPE_END;
}

const char *idm_type_name(unsigned type)
{
	return idm_type_valid(type) ? types[type].name : "?";
}

#define AT(base, off, T) (*(T *)((char *)(base) + (off)))
#define CAT(base, off, T) (*(const T *)((const char *)(base) + (off)))

/* ---- encode ---- */

static int encode(struct idm_buf *b, const struct schema *s, const void *v)
{
	for (unsigned i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		uint32_t n = f->cnt_off ? CAT(v, f->cnt_off, uint32_t) : 0;

		switch (f->kind) {
		case F_U32: {
			uint32_t x = CAT(v, f->off, uint32_t);

			if (x < f->min || (f->max && x > f->max))
				return zerr(EINVAL, "field %u: value %u out of range", f->tag, x);
			idm_put_u32(b, f->tag, x);
			break;
		}
		case F_U64:
			idm_put_u64(b, f->tag, CAT(v, f->off, uint64_t));
			break;
		case F_BOOL:
			idm_put_bool(b, f->tag, CAT(v, f->off, bool));
			break;
		case F_STR: {
			const char *str = CAT(v, f->off, char *);

			if (!str) {
				if (f->required)
					return zerr(EINVAL, "field %u: missing", f->tag);
				break;
			}
			if (f->max && strlen(str) > f->max)
				return zerr(EINVAL, "field %u: string too long", f->tag);
			idm_put_str(b, f->tag, str);
			break;
		}
		case F_BYTES: {
			const void *p = CAT(v, f->off, void *);

			if (n && !p)
				return zerr(EINVAL, "field %u: NULL data", f->tag);
			idm_put_bytes(b, f->tag, p, n);
			break;
		}
		case F_STRV: {
			typedef char **strv;
			char *const *arr = CAT(v, f->off, strv);

			if ((f->required && n == 0) || (f->max && n > f->max))
				return zerr(EINVAL, "field %u: %u entries", f->tag, n);
			for (uint32_t k = 0; k < n; k++) {
				if (!arr[k])
					return zerr(EINVAL, "field %u: NULL entry", f->tag);
				idm_put_str(b, f->tag, arr[k]);
			}
			break;
		}
		case F_U32V: {
			const uint32_t *arr = CAT(v, f->off, uint32_t *);

			if (f->max && n > f->max)
				return zerr(EINVAL, "field %u: %u entries", f->tag, n);
			for (uint32_t k = 0; k < n; k++)
				idm_put_u32(b, f->tag, arr[k]);
			break;
		}
		case F_STRUCTV: {
			const char *arr = CAT(v, f->off, char *);

			if (f->max && n > f->max)
				return zerr(EINVAL, "field %u: %u entries", f->tag, n);
			for (uint32_t k = 0; k < n; k++) {
				size_t mark = idm_put_nest_begin(b, f->tag);

				if (encode(b, f->sub, arr + (size_t)k * f->sub->size) < 0)
					return -1;
				idm_put_nest_end(b, mark);
			}
			break;
		}
		case F_STRUCTP: {
			const void *p = CAT(v, f->off, void *);
			size_t mark;

			if (!p)
				break;
			mark = idm_put_nest_begin(b, f->tag);
			if (encode(b, f->sub, p) < 0)
				return -1;
			idm_put_nest_end(b, mark);
			break;
		}
		}
	}
	return 0;
}

int idm_msg_write(struct idm_buf *out, unsigned type, uint32_t id, const void *body)
{
	size_t start = idm_buf_used(out), plen;
	struct idm_hdr h = { IDM_VERSION, type, 0, id, 0 };
	uint8_t hdr[IDM_HDR_SIZE] = { 0 };

	if (!idm_type_valid(type))
		return zerr(EINVAL, "unknown message type %u", type);
	idm_buf_put(out, hdr, sizeof(hdr));
	if (types[type].schema->nfields && encode(out, types[type].schema, body) < 0) {
		idm_buf_truncate(out, start);
		return zerr_prefix("encoding %s", idm_type_name(type));
	}
	if (out->oom) {
		/* Keep the buffer usable: undo this message only. */
		out->oom = false;
		idm_buf_truncate(out, start);
		return zerr(ENOMEM, "encoding %s", idm_type_name(type));
	}
	plen = idm_buf_used(out) - start - IDM_HDR_SIZE;
	if (plen > IDM_MAX_PAYLOAD) {
		idm_buf_truncate(out, start);
		return zerr(EMSGSIZE, "%s payload of %zu bytes exceeds %u", idm_type_name(type), plen,
			    IDM_MAX_PAYLOAD);
	}
	h.len = plen;
	idm_hdr_write(out->data + out->off + start, &h);
	return 0;
}

/* ---- decode ---- */

static const struct field *find_field(const struct schema *s, uint16_t tag, unsigned *idx)
{
	for (unsigned i = 0; i < s->nfields; i++)
		if (s->fields[i].tag == tag) {
			*idx = i;
			return &s->fields[i];
		}
	return NULL;
}

static bool repeated(const struct field *f)
{
	return f->kind == F_STRV || f->kind == F_U32V || f->kind == F_STRUCTV;
}

static int decode(const struct schema *s, const uint8_t *p, size_t len, void *v,
		  struct idm_arena *a);

static char *dup_str(const struct idm_tlv *t, const struct field *f, struct idm_arena *a)
{
	char *str;

	if (idm_tlv_str_ok(t) < 0)
		return NULL;
	if (f->max && t->len > f->max) {
		zerr(EPROTO, "tag %u: string of %u bytes exceeds %u", f->tag, t->len, f->max);
		return NULL;
	}
	str = arena_alloc(a, t->len + 1);
	if (!str) {
		zerr(ENOMEM, "decoding");
		return NULL;
	}
	memcpy(str, t->val, t->len);
	return str;
}

/* Second pass: store one TLV into its (already validated) field. */
static int store(const struct field *f, const struct idm_tlv *t, void *v, uint32_t *fill,
		 struct idm_arena *a)
{
	switch (f->kind) {
	case F_U32: {
		uint32_t x;

		if (idm_tlv_u32(t, &x) < 0)
			return -1;
		if (x < f->min || (f->max && x > f->max))
			return zerr(EPROTO, "tag %u: value %u out of range [%u, %u]", f->tag, x, f->min,
				    f->max ? f->max : UINT32_MAX);
		AT(v, f->off, uint32_t) = x;
		return 0;
	}
	case F_U64:
		return idm_tlv_u64(t, &AT(v, f->off, uint64_t));
	case F_BOOL:
		return idm_tlv_bool(t, &AT(v, f->off, bool));
	case F_STR:
		AT(v, f->off, char *) = dup_str(t, f, a);
		return AT(v, f->off, char *) ? 0 : -1;
	case F_BYTES: {
		uint8_t *d = arena_alloc(a, t->len);

		if (!d)
			return zerr(ENOMEM, "decoding");
		memcpy(d, t->val, t->len);
		AT(v, f->off, uint8_t *) = d;
		AT(v, f->cnt_off, uint32_t) = t->len;
		return 0;
	}
	case F_STRV: {
		char *str = dup_str(t, f, a);

		if (!str)
			return -1;
		AT(v, f->off, char **)[(*fill)++] = str;
		return 0;
	}
	case F_U32V:
		return idm_tlv_u32(t, &AT(v, f->off, uint32_t *)[(*fill)++]);
	case F_STRUCTV: {
		char *elem = AT(v, f->off, char *) + (size_t)(*fill)++ * f->sub->size;

		return decode(f->sub, t->val, t->len, elem, a);
	}
	case F_STRUCTP: {
		void *p = arena_alloc(a, f->sub->size);

		if (!p)
			return zerr(ENOMEM, "decoding");
		AT(v, f->off, void *) = p;
		return decode(f->sub, t->val, t->len, p, a);
	}
	}
	return zerr(EPROTO, "bad schema");
}

static int decode(const struct schema *s, const uint8_t *p, size_t len, void *v,
		  struct idm_arena *a)
{
	uint32_t count[32] = { 0 }, fill[32] = { 0 };
	struct idm_tlv_iter it;
	struct idm_tlv t;
	unsigned i;
	int r;

	/* Pass 1: structure, unknown tags, duplicates, counts. */
	idm_tlv_init(&it, p, len);
	while ((r = idm_tlv_next(&it, &t)) > 0) {
		const struct field *f = find_field(s, t.tag, &i);

		if (!f) {
			if (t.tag & IDM_TAG_OPTIONAL)
				continue;
			return zerr(EPROTO, "unknown tag %u", t.tag);
		}
		if (!repeated(f) && count[i])
			return zerr(EPROTO, "duplicate tag %u", t.tag);
		if (repeated(f) && f->max && count[i] >= f->max)
			return zerr(EPROTO, "tag %u: more than %u entries", t.tag, f->max);
		count[i]++;
	}
	if (r < 0)
		return -1;
	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];

		if (f->required && !count[i])
			return zerr(EPROTO, "missing required tag %u", f->tag);
		if (!repeated(f) || !count[i])
			continue;
		/* Counts are bounded by the payload size (>= 6 bytes per TLV). */
		size_t esz = f->kind == F_STRV ? sizeof(char *)
			     : f->kind == F_U32V ? sizeof(uint32_t) : f->sub->size;
		void *arr = arena_alloc(a, (count[i] + 1) * esz); /* +1: NULL-terminated argv */

		if (!arr)
			return zerr(ENOMEM, "decoding");
		AT(v, f->off, void *) = arr;
		AT(v, f->cnt_off, uint32_t) = count[i];
	}
	/* Pass 2: values. */
	idm_tlv_init(&it, p, len);
	while (idm_tlv_next(&it, &t) > 0) {
		const struct field *f = find_field(s, t.tag, &i);

		if (f && store(f, &t, v, &fill[i], a) < 0)
			return -1;
	}
	return 0;
}

static int validate(const struct idm_msg *m)
{
	if (m->type == IDM_START && m->u.start.argv[0][0] == 0)
		return zerr(EPROTO, "empty argv[0]");
	if (m->type == IDM_HELLO && m->u.hello.version_min > m->u.hello.version_max)
		return zerr(EPROTO, "empty version range");
	return 0;
}

int idm_msg_decode(const struct idm_hdr *h, const uint8_t *payload, struct idm_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (!idm_type_valid(h->type))
		return zerr(EPROTO, "unknown message type %u", h->type);
	m->type = h->type;
	m->id = h->id;
	if (decode(types[h->type].schema, payload, h->len, &m->u, &m->arena) < 0 || validate(m) < 0) {
		arena_free(&m->arena);
		memset(m, 0, sizeof(*m));
		return zerr_prefix("%s", types[h->type].name);
	}
	return 0;
}

void idm_msg_free(struct idm_msg *m)
{
	arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}
