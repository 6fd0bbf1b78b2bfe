/* IDM payload encoding: a growable byte buffer and a TLV (tag, length,
 * value) writer/reader.  Every TLV is  u16 tag | u32 length | value,
 * little-endian.  The reader never trusts a length: each step checks it
 * against the bytes that are really there. */
#ifndef ZONE_IDM_CODEC_H
#define ZONE_IDM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDM_TLV_HDR 6

/* Bytes data[off, len) are valid; cap is the allocation.  Writers never
 * fail mid-message: an allocation failure sets oom and later calls are
 * no-ops, so callers check once at the end. */
struct idm_buf {
	uint8_t *data;
	size_t off, len, cap;
	bool oom;
};

static inline size_t idm_buf_used(const struct idm_buf *b) { return b->len - b->off; }
static inline const uint8_t *idm_buf_head(const struct idm_buf *b) { return b->data + b->off; }

/* Make room for extra more bytes (compacting first); false on OOM. */
bool idm_buf_reserve(struct idm_buf *b, size_t extra);
void idm_buf_put(struct idm_buf *b, const void *p, size_t n);
/* Drop n bytes from the front (after they were written out). */
void idm_buf_consume(struct idm_buf *b, size_t n);
/* Drop everything after the first keep bytes (used to undo a message). */
void idm_buf_truncate(struct idm_buf *b, size_t keep_used);
void idm_buf_free(struct idm_buf *b);

static inline void idm_le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void idm_le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static inline uint16_t idm_rd16(const uint8_t *p) { return p[0] | (uint16_t)p[1] << 8; }
static inline uint32_t idm_rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t idm_rd64(const uint8_t *p)
{
	return idm_rd32(p) | (uint64_t)idm_rd32(p + 4) << 32;
}

/* TLV writers. */
void idm_put_u32(struct idm_buf *b, uint16_t tag, uint32_t v);
void idm_put_u64(struct idm_buf *b, uint16_t tag, uint64_t v);
void idm_put_bool(struct idm_buf *b, uint16_t tag, bool v);
void idm_put_bytes(struct idm_buf *b, uint16_t tag, const void *p, size_t n);
void idm_put_str(struct idm_buf *b, uint16_t tag, const char *s);
/* A nested TLV list: begin returns a mark, end patches the length. */
size_t idm_put_nest_begin(struct idm_buf *b, uint16_t tag);
void idm_put_nest_end(struct idm_buf *b, size_t mark);

/* TLV reader over untrusted bytes. */
struct idm_tlv_iter {
	const uint8_t *p;
	size_t len, off;
};

struct idm_tlv {
	uint16_t tag;
	uint32_t len;
	const uint8_t *val;
};

static inline void idm_tlv_init(struct idm_tlv_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->len = len;
	it->off = 0;
}
/* 1: *t filled, 0: clean end, -1: a TLV overruns the buffer (zerr). */
int idm_tlv_next(struct idm_tlv_iter *it, struct idm_tlv *t);
/* Typed views of a value; -1 (zerr) when the length is wrong. */
int idm_tlv_u32(const struct idm_tlv *t, uint32_t *out);
int idm_tlv_u64(const struct idm_tlv *t, uint64_t *out);
int idm_tlv_bool(const struct idm_tlv *t, bool *out);
/* A string must not contain NUL (it becomes a C string on the other side). */
int idm_tlv_str_ok(const struct idm_tlv *t);

#endif
