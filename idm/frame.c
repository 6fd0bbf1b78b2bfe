#include "idm/frame.h"
#include "idm/messages.h"
#include "common/zerr.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int idm_hdr_parse(const uint8_t *p, struct idm_hdr *h)
{
	if (memcmp(p, IDM_MAGIC, 4) != 0)
		return zerr(EPROTO, "bad magic %02x%02x%02x%02x", p[0], p[1], p[2], p[3]);
	h->version = p[4];
	h->type = p[5];
	h->flags = idm_rd16(p + 6);
	h->id = idm_rd32(p + 8);
	h->len = idm_rd32(p + 12);
	if (h->version != IDM_VERSION)
		return zerr(EPROTO, "unsupported frame version %u", h->version);
	if (h->flags != 0)
		return zerr(EPROTO, "reserved flags 0x%x set", h->flags);
	if (!idm_type_valid(h->type))
		return zerr(EPROTO, "unknown message type %u", h->type);
	if (h->len > IDM_MAX_PAYLOAD)
		return zerr(EPROTO, "frame length %u exceeds maximum %u", h->len, IDM_MAX_PAYLOAD);
	return 0;
}

void idm_hdr_write(uint8_t *p, const struct idm_hdr *h)
{
	memcpy(p, IDM_MAGIC, 4);
	p[4] = h->version;
	p[5] = h->type;
	idm_le16(p + 6, h->flags);
	idm_le32(p + 8, h->id);
	idm_le32(p + 12, h->len);
}

#define READ_CHUNK 65536

ssize_t idm_reader_fill(struct idm_reader *r, int fd)
{
	ssize_t n;

	if (!idm_buf_reserve(&r->in, READ_CHUNK))
		return zerr(ENOMEM, "frame buffer");
	do
		n = read(fd, r->in.data + r->in.len, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		return zerr(errno, "read");
	}
	if (n == 0)
		return IDM_IO_EOF;
	r->in.len += n;
	return n;
}

int idm_reader_feed(struct idm_reader *r, const void *p, size_t n)
{
	idm_buf_put(&r->in, p, n);
	return r->in.oom ? zerr(ENOMEM, "frame buffer") : 0;
}

int idm_reader_next(struct idm_reader *r, struct idm_hdr *h, const uint8_t **payload)
{
	size_t avail = idm_buf_used(&r->in);
	const uint8_t *p = idm_buf_head(&r->in);

	if (avail < IDM_HDR_SIZE)
		return 0;
	if (idm_hdr_parse(p, h) < 0)
		return -1;
	if (avail < IDM_HDR_SIZE + (size_t)h->len)
		return 0;
	*payload = p + IDM_HDR_SIZE;
	/* Consuming only moves the offset, so *payload stays valid until the
	 * next fill compacts the buffer. */
	idm_buf_consume(&r->in, IDM_HDR_SIZE + (size_t)h->len);
	return 1;
}

void idm_reader_free(struct idm_reader *r)
{
	idm_buf_free(&r->in);
}

int idm_buf_flush(struct idm_buf *b, int fd)
{
	while (idm_buf_used(b)) {
		ssize_t n = send(fd, idm_buf_head(b), idm_buf_used(b), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, idm_buf_head(b), idm_buf_used(b));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return zerr(errno, "write");
		}
		idm_buf_consume(b, n);
	}
	return 1;
}
