#include "idm/codec.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool idm_buf_reserve(struct idm_buf *b, size_t extra)
{
	size_t used = b->len - b->off, need, cap;
	uint8_t *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= extra)
		return true;
	if (b->off) { /* compact before growing */
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		if (b->cap - b->len >= extra)
			return true;
	}
	if (extra > SIZE_MAX / 2 - used)
		goto oom;
	need = used + extra;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto oom;
	b->data = p;
	b->cap = cap;
	return true;
oom:
	b->oom = true;
	return false;
}

void idm_buf_put(struct idm_buf *b, const void *p, size_t n)
{
	if (!n || !idm_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void idm_buf_consume(struct idm_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void idm_buf_truncate(struct idm_buf *b, size_t keep_used)
{
	if (b->off + keep_used < b->len)
		b->len = b->off + keep_used;
}

void idm_buf_free(struct idm_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void put_hdr(struct idm_buf *b, uint16_t tag, uint32_t len)
{
	uint8_t h[IDM_TLV_HDR];

	idm_le16(h, tag);
	idm_le32(h + 2, len);
	idm_buf_put(b, h, sizeof(h));
}

void idm_put_u32(struct idm_buf *b, uint16_t tag, uint32_t v)
{
	uint8_t x[4];

	idm_le32(x, v);
	put_hdr(b, tag, 4);
	idm_buf_put(b, x, 4);
}

void idm_put_u64(struct idm_buf *b, uint16_t tag, uint64_t v)
{
	uint8_t x[8];

	idm_le32(x, (uint32_t)v);
	idm_le32(x + 4, (uint32_t)(v >> 32));
	put_hdr(b, tag, 8);
	idm_buf_put(b, x, 8);
}

void idm_put_bool(struct idm_buf *b, uint16_t tag, bool v)
{
	uint8_t x = v;

	put_hdr(b, tag, 1);
	idm_buf_put(b, &x, 1);
}

void idm_put_bytes(struct idm_buf *b, uint16_t tag, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		b->oom = true;
		return;
	}
	put_hdr(b, tag, n);
	idm_buf_put(b, p, n);
}

void idm_put_str(struct idm_buf *b, uint16_t tag, const char *s)
{
	idm_put_bytes(b, tag, s, strlen(s));
}

size_t idm_put_nest_begin(struct idm_buf *b, uint16_t tag)
{
	size_t mark = idm_buf_used(b);

	put_hdr(b, tag, 0);
	return mark;
}

void idm_put_nest_end(struct idm_buf *b, size_t mark)
{
	size_t inner;

	if (b->oom)
		return;
	inner = idm_buf_used(b) - mark - IDM_TLV_HDR;
	if (inner > UINT32_MAX) {
		b->oom = true;
		return;
	}
	idm_le32(b->data + b->off + mark + 2, inner);
}

int idm_tlv_next(struct idm_tlv_iter *it, struct idm_tlv *t)
{
	size_t left = it->len - it->off;
	uint32_t vlen;

	if (left == 0)
		return 0;
	if (left < IDM_TLV_HDR)
		return zerr(EPROTO, "truncated TLV header at offset %zu", it->off);
	t->tag = idm_rd16(it->p + it->off);
	vlen = idm_rd32(it->p + it->off + 2);
	if (vlen > left - IDM_TLV_HDR)
		return zerr(EPROTO, "TLV tag %u at offset %zu overruns (%u > %zu bytes)", t->tag,
			    it->off, vlen, left - IDM_TLV_HDR);
	t->len = vlen;
	t->val = it->p + it->off + IDM_TLV_HDR;
	it->off += IDM_TLV_HDR + (size_t)vlen;
	return 1;
}

int idm_tlv_u32(const struct idm_tlv *t, uint32_t *out)
{
	if (t->len != 4)
		return zerr(EPROTO, "tag %u: u32 with length %u", t->tag, t->len);
	*out = idm_rd32(t->val);
	return 0;
}

int idm_tlv_u64(const struct idm_tlv *t, uint64_t *out)
{
	if (t->len != 8)
		return zerr(EPROTO, "tag %u: u64 with length %u", t->tag, t->len);
	*out = idm_rd64(t->val);
	return 0;
}

int idm_tlv_bool(const struct idm_tlv *t, bool *out)
{
	if (t->len != 1 || t->val[0] > 1)
		return zerr(EPROTO, "tag %u: bad bool", t->tag);
	*out = t->val[0];
	return 0;
}

int idm_tlv_str_ok(const struct idm_tlv *t)
{
	if (memchr(t->val, 0, t->len))
		return zerr(EPROTO, "tag %u: string contains NUL", t->tag);
	return 0;
}
