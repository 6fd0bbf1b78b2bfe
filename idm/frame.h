/* IDM framing.  Every message is one frame:
 *
 *   off size
 *    0   4   magic "ZIDM"
 *    4   1   version (IDM_VERSION)
 *    5   1   message type (enum idm_type)
 *    6   2   flags, must be 0 (reserved)
 *    8   4   request id, little-endian (0 for stream messages)
 *   12   4   payload length, little-endian, <= IDM_MAX_PAYLOAD
 *   16   ... payload: a TLV list (idm/codec.h)
 *
 * The header is checked before anything is allocated, so a peer cannot
 * make us buffer more than IDM_MAX_PAYLOAD + 16 bytes per connection. */
#ifndef ZONE_IDM_FRAME_H
#define ZONE_IDM_FRAME_H

#include "idm/codec.h"

#include <stdint.h>
#include <sys/types.h>

#define IDM_MAGIC "ZIDM"
#define IDM_VERSION 1
#define IDM_HDR_SIZE 16
#define IDM_MAX_PAYLOAD (1u << 20)

struct idm_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t id;
	uint32_t len;
};

/* Validate and decode a header (magic, version, flags, known type,
 * length limit).  -1 (zerr, EPROTO) when invalid. */
int idm_hdr_parse(const uint8_t *p, struct idm_hdr *h);
void idm_hdr_write(uint8_t *p, const struct idm_hdr *h);

/* Incremental frame reader for a nonblocking fd. */
struct idm_reader {
	struct idm_buf in;
};

#define IDM_IO_EOF (-2)

/* One read(2) into the buffer: >0 bytes read, 0 would block,
 * IDM_IO_EOF on end of stream, -1 error (zerr). */
ssize_t idm_reader_fill(struct idm_reader *r, int fd);
/* Feed bytes from memory instead of an fd (tests, fuzzing). */
int idm_reader_feed(struct idm_reader *r, const void *p, size_t n);
/* Next complete frame: 1 and *payload valid until the next call,
 * 0 when more bytes are needed, -1 on a bad header (zerr). */
int idm_reader_next(struct idm_reader *r, struct idm_hdr *h, const uint8_t **payload);
/* Bytes of an incomplete frame still buffered (non-zero at EOF = truncated). */
static inline size_t idm_reader_pending(const struct idm_reader *r) { return idm_buf_used(&r->in); }
void idm_reader_free(struct idm_reader *r);

/* Write as much of b as the fd takes: 1 all written, 0 some left
 * (would block), -1 error (zerr).  Uses MSG_NOSIGNAL on sockets. */
int idm_buf_flush(struct idm_buf *b, int fd);

#endif
