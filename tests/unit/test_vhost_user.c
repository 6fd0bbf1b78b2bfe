/* devices/vhost_user.c: reply validation, and the handshake against a
 * scripted peer on a socketpair (replies are queued before the call, the
 * peer's end then shut down, so a missing reply is EOF rather than a
 * timeout). */
#include "tests/unit/check.h"
#include "devices/vhost_user.h"
#include "common/zerr.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t reply(uint8_t *buf, uint32_t request, uint32_t flags, const void *payload,
		    uint32_t size)
{
	struct vhost_user_hdr h = { .request = request, .flags = flags, .size = size };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, size);
	return sizeof(h) + size;
}

static void test_parse(void)
{
	const uint32_t ok = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
	uint64_t v = 0x1234, out = 0;
	uint8_t buf[64];
	size_t n;

	n = reply(buf, VHOST_USER_GET_FEATURES, ok, &v, 8);
	CHECK(vhost_user_parse_reply(buf, n, VHOST_USER_GET_FEATURES, &out, 8) == 0 &&
		      out == 0x1234,
	      "a well-formed reply is accepted");
	CHECK(vhost_user_parse_reply(buf, n, VHOST_USER_GET_PROTOCOL_FEATURES, &out, 8) < 0 &&
		      strstr(zerr_msg(), "expected a reply to GET_PROTOCOL_FEATURES"),
	      "a reply to another request is refused");
	n = reply(buf, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, &v, 8);
	CHECK(vhost_user_parse_reply(buf, n, VHOST_USER_GET_FEATURES, &out, 8) < 0,
	      "a message without the reply flag is refused");
	n = reply(buf, VHOST_USER_GET_FEATURES, 0x2 | VHOST_USER_FLAG_REPLY, &v, 8);
	CHECK(vhost_user_parse_reply(buf, n, VHOST_USER_GET_FEATURES, &out, 8) < 0,
	      "another protocol version is refused");
	n = reply(buf, VHOST_USER_GET_FEATURES, ok, &v, 4);
	CHECK(vhost_user_parse_reply(buf, n, VHOST_USER_GET_FEATURES, &out, 8) < 0 &&
		      zerr_errno() == EPROTO,
	      "a short payload is refused");
	CHECK(vhost_user_parse_reply(buf, 5, VHOST_USER_GET_FEATURES, &out, 8) < 0,
	      "a truncated header is refused");
}

/* Run vhost_user_open against queued replies; returns its result and
 * leaves what it sent readable on peer. */
static int open_with(struct vhost_user *vu, const uint8_t *replies, size_t len, int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -2;
	if (len && write(sv[1], replies, len) != (ssize_t)len)
		return -2;
	shutdown(sv[1], SHUT_WR);
	*peer = sv[1];
	return vhost_user_open(vu, sv[0]);
}

static void test_handshake(void)
{
	const uint32_t ok = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
	uint64_t feats = (1ull << 32) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	uint64_t proto = 0xffff, sent_proto = 0;
	struct vhost_user_hdr h;
	struct vhost_user vu;
	uint8_t buf[256];
	size_t n = 0;
	int peer;

	n += reply(buf + n, VHOST_USER_GET_FEATURES, ok, &feats, 8);
	n += reply(buf + n, VHOST_USER_GET_PROTOCOL_FEATURES, ok, &proto, 8);
	CHECK(open_with(&vu, buf, n, &peer) == 0 && vu.features == feats,
	      "handshake: features read");
	CHECK(vu.protocol_features == (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK),
	      "handshake: only REPLY_ACK is taken of the protocol features offered");
	CHECK(read(peer, &h, sizeof(h)) == sizeof(h) && h.request == VHOST_USER_SET_OWNER &&
		      h.flags == VHOST_USER_VERSION && h.size == 0,
	      "handshake starts with SET_OWNER");
	CHECK(read(peer, &h, sizeof(h)) == sizeof(h) && h.request == VHOST_USER_GET_FEATURES,
	      "then GET_FEATURES");
	CHECK(read(peer, &h, sizeof(h)) == sizeof(h) &&
		      h.request == VHOST_USER_GET_PROTOCOL_FEATURES,
	      "then GET_PROTOCOL_FEATURES");
	CHECK(read(peer, &h, sizeof(h)) == sizeof(h) &&
		      h.request == VHOST_USER_SET_PROTOCOL_FEATURES && h.size == 8 &&
		      read(peer, &sent_proto, 8) == 8 && sent_proto == vu.protocol_features,
	      "then SET_PROTOCOL_FEATURES with what was agreed");

	vhost_user_close(&vu);
	close(peer);

	n = reply(buf, VHOST_USER_GET_VRING_BASE, ok, &feats, 8);
	CHECK(open_with(&vu, buf, n, &peer) < 0 && strstr(zerr_msg(), "GET_FEATURES"),
	      "a reply to the wrong request fails the handshake with a clear error");
	vhost_user_close(&vu);
	close(peer);

	CHECK(open_with(&vu, buf, 0, &peer) < 0 && zerr_errno() == EPIPE,
	      "a back end that hangs up fails the handshake (EPIPE)");
	vhost_user_close(&vu);
	close(peer);

	/* a size field far beyond any reply: refused, nothing read past it */
	struct vhost_user_hdr big = { VHOST_USER_GET_FEATURES, ok, 0xfffffff0u };
	CHECK(open_with(&vu, (uint8_t *)&big, sizeof(big), &peer) < 0 &&
		      zerr_errno() == EPROTO,
	      "a reply claiming a huge payload is refused");
	vhost_user_close(&vu);
	close(peer);
}

static void test_reply_ack(void)
{
	const uint32_t ok = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
	uint64_t feats = (1ull << 32) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	uint64_t proto = 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK, zero = 0, one = 1;
	struct vhost_user vu;
	unsigned base = 0;
	uint8_t buf[256];
	struct vhost_user_vring_state st = { .index = 1, .num = 77 };
	size_t n = 0;
	int peer;

	n += reply(buf + n, VHOST_USER_GET_FEATURES, ok, &feats, 8);
	n += reply(buf + n, VHOST_USER_GET_PROTOCOL_FEATURES, ok, &proto, 8);
	n += reply(buf + n, VHOST_USER_SET_VRING_NUM, ok, &zero, 8);
	n += reply(buf + n, VHOST_USER_SET_VRING_BASE, ok, &one, 8);
	n += reply(buf + n, VHOST_USER_GET_VRING_BASE, ok, &st, sizeof(st));
	n += reply(buf + n, VHOST_USER_GET_VRING_BASE, ok, &st, sizeof(st));
	CHECK(open_with(&vu, buf, n, &peer) == 0, "REPLY_ACK handshake");
	CHECK(vhost_user_set_vring_num(&vu, 0, 128) == 0, "an acknowledged message succeeds");
	CHECK(vhost_user_set_vring_base(&vu, 0, 0) < 0 && strstr(zerr_msg(), "refused"),
	      "a non-zero REPLY_ACK status is an error");
	CHECK(vhost_user_get_vring_base(&vu, 1, &base) == 0 && base == 77,
	      "GET_VRING_BASE returns the back end's index");
	CHECK(vhost_user_get_vring_base(&vu, 0, &base) < 0,
	      "GET_VRING_BASE answered for another ring is refused");
	vhost_user_close(&vu);
	CHECK(vhost_user_set_vring_num(&vu, 0, 1) < 0 && zerr_errno() == EPIPE,
	      "nothing is sent once the back end is gone");
	close(peer);
}

int main(void)
{
	test_parse();
	test_handshake();
	test_reply_ack();
	CHECK_DONE();
}
