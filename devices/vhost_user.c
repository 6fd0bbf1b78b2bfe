#include "devices/vhost_user.h"
#include "common/zerr.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_TIMEOUT_MS 5000

static const char *request_name(uint32_t r)
{
	switch (r) {
	case VHOST_USER_GET_FEATURES: return "GET_FEATURES";
	case VHOST_USER_SET_FEATURES: return "SET_FEATURES";
	case VHOST_USER_SET_OWNER: return "SET_OWNER";
	case VHOST_USER_SET_MEM_TABLE: return "SET_MEM_TABLE";
	case VHOST_USER_SET_VRING_NUM: return "SET_VRING_NUM";
	case VHOST_USER_SET_VRING_ADDR: return "SET_VRING_ADDR";
	case VHOST_USER_SET_VRING_BASE: return "SET_VRING_BASE";
	case VHOST_USER_GET_VRING_BASE: return "GET_VRING_BASE";
	case VHOST_USER_SET_VRING_KICK: return "SET_VRING_KICK";
	case VHOST_USER_SET_VRING_CALL: return "SET_VRING_CALL";
	case VHOST_USER_GET_PROTOCOL_FEATURES: return "GET_PROTOCOL_FEATURES";
	case VHOST_USER_SET_PROTOCOL_FEATURES: return "SET_PROTOCOL_FEATURES";
	case VHOST_USER_SET_VRING_ENABLE: return "SET_VRING_ENABLE";
	default: return "request";
	}
}

int vhost_user_parse_reply(const uint8_t *buf, size_t len, uint32_t request, void *payload,
			   size_t payload_len)
{
	struct vhost_user_hdr h;

	if (len < sizeof(h))
		return zerr(EPROTO, "vhost-user: short reply to %s (%zu bytes)",
			    request_name(request), len);
	memcpy(&h, buf, sizeof(h));
	if ((h.flags & 0x3) != VHOST_USER_VERSION || !(h.flags & VHOST_USER_FLAG_REPLY))
		return zerr(EPROTO, "vhost-user: reply to %s has flags 0x%x",
			    request_name(request), h.flags);
	if (h.request != request)
		return zerr(EPROTO, "vhost-user: expected a reply to %s, got request %u",
			    request_name(request), h.request);
	if (h.size != payload_len || len - sizeof(h) != payload_len)
		return zerr(EPROTO, "vhost-user: reply to %s carries %u bytes, not %zu",
			    request_name(request), h.size, payload_len);
	memcpy(payload, buf + sizeof(h), payload_len);
	return 0;
}

/* Read exactly len bytes, waiting at most the reply timeout in total. */
static int read_reply_bytes(struct vhost_user *vu, uint8_t *buf, size_t len, uint32_t request)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = vu->fd, .events = POLLIN };
		int r = poll(&p, 1, vu->timeout_ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return zerr(ETIMEDOUT, "vhost-user: no reply to %s within %d ms",
				    request_name(request), vu->timeout_ms);
		n = recv(vu->fd, buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return zerr(errno, "vhost-user: reading the reply to %s",
				    request_name(request));
		if (n == 0)
			return zerr(EPIPE, "vhost-user: back end closed the connection (%s)",
				    request_name(request));
		got += n;
	}
	return 0;
}

static int recv_reply(struct vhost_user *vu, uint32_t request, void *payload, size_t payload_len)
{
	uint8_t buf[sizeof(struct vhost_user_hdr) + 64];
	struct vhost_user_hdr h;

	if (read_reply_bytes(vu, buf, sizeof(h), request) < 0)
		return -1;
	memcpy(&h, buf, sizeof(h));
	/* the size decides how much more to read: never beyond our buffer */
	if (h.size != payload_len)
		return vhost_user_parse_reply(buf, sizeof(h), request, payload, payload_len);
	if (read_reply_bytes(vu, buf + sizeof(h), payload_len, request) < 0)
		return -1;
	return vhost_user_parse_reply(buf, sizeof(h) + payload_len, request, payload,
				      payload_len);
}

/* Send one message with up to VHOST_USER_MAX_REGIONS descriptors. */
static int send_msg(struct vhost_user *vu, uint32_t request, uint32_t flags, const void *payload,
		    uint32_t size, const int *fds, unsigned nfds)
{
	struct vhost_user_hdr h = { .request = request, .flags = VHOST_USER_VERSION | flags,
				    .size = size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (vu->fd < 0)
		return zerr(EPIPE, "vhost-user: back end is gone (%s)", request_name(request));
	if (nfds) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(vu->fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return zerr(errno, "vhost-user: sending %s", request_name(request));
	if ((size_t)n != sizeof(h) + size)
		return zerr(EIO, "vhost-user: %s sent short", request_name(request));
	return 0;
}

/* A message without a reply of its own: with REPLY_ACK the back end says
 * whether it applied it. */
static int send_acked(struct vhost_user *vu, uint32_t request, const void *payload,
		      uint32_t size, const int *fds, unsigned nfds)
{
	bool ack = vu->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	uint64_t status;

	if (send_msg(vu, request, ack ? VHOST_USER_FLAG_NEED_REPLY : 0, payload, size, fds,
		     nfds) < 0)
		return -1;
	if (!ack)
		return 0;
	if (recv_reply(vu, request, &status, sizeof(status)) < 0)
		return -1;
	if (status)
		return zerr(EIO, "vhost-user: back end refused %s (status %llu)",
			    request_name(request), (unsigned long long)status);
	return 0;
}

static int get_u64(struct vhost_user *vu, uint32_t request, uint64_t *v)
{
	if (send_msg(vu, request, 0, NULL, 0, NULL, 0) < 0)
		return -1;
	return recv_reply(vu, request, v, sizeof(*v));
}

int vhost_user_open(struct vhost_user *vu, int fd)
{
	uint64_t proto;

	memset(vu, 0, sizeof(*vu));
	vu->fd = fd;
	vu->timeout_ms = REPLY_TIMEOUT_MS;
	if (send_msg(vu, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0) < 0 ||
	    get_u64(vu, VHOST_USER_GET_FEATURES, &vu->features) < 0)
		return -1;
	if (!(vu->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return 0;
	if (get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, &proto) < 0)
		return -1;
	/* REPLY_ACK is all we use; it turns silent failures into errors */
	proto &= 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK;
	if (send_msg(vu, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &proto, sizeof(proto), NULL, 0) < 0)
		return -1;
	vu->protocol_features = proto;
	return 0;
}

void vhost_user_close(struct vhost_user *vu)
{
	if (vu->fd >= 0)
		close(vu->fd);
	vu->fd = -1;
}

int vhost_user_set_features(struct vhost_user *vu, uint64_t features)
{
	return send_acked(vu, VHOST_USER_SET_FEATURES, &features, sizeof(features), NULL, 0);
}

int vhost_user_set_mem_table(struct vhost_user *vu, const struct guest_mem *mem)
{
	struct vhost_user_memory m = { 0 };
	int fds[2] = { mem->fd, mem->fd };

	if (mem->fd < 0)
		return zerr(EINVAL, "vhost-user: guest RAM has no memfd to share");
	m.regions[0] = (struct vhost_user_region){ .guest_phys_addr = 0,
						   .memory_size = mem->low_size,
						   .userspace_addr = (uintptr_t)mem->host,
						   .mmap_offset = 0 };
	m.nregions = 1;
	if (mem->size > mem->low_size) {
		m.regions[1] = (struct vhost_user_region){
			.guest_phys_addr = HIGH_RAM_START,
			.memory_size = mem->size - mem->low_size,
			.userspace_addr = (uintptr_t)(mem->host + mem->low_size),
			.mmap_offset = mem->low_size
		};
		m.nregions = 2;
	}
	/* the payload always has room for every region, used or not */
	return send_acked(vu, VHOST_USER_SET_MEM_TABLE, &m, sizeof(m), fds, m.nregions);
}

static int send_state(struct vhost_user *vu, uint32_t request, unsigned index, unsigned num)
{
	struct vhost_user_vring_state s = { .index = index, .num = num };
	return send_acked(vu, request, &s, sizeof(s), NULL, 0);
}

int vhost_user_set_vring_num(struct vhost_user *vu, unsigned index, unsigned num)
{
	return send_state(vu, VHOST_USER_SET_VRING_NUM, index, num);
}

int vhost_user_set_vring_base(struct vhost_user *vu, unsigned index, unsigned base)
{
	return send_state(vu, VHOST_USER_SET_VRING_BASE, index, base);
}

int vhost_user_set_vring_enable(struct vhost_user *vu, unsigned index, bool enable)
{
	return send_state(vu, VHOST_USER_SET_VRING_ENABLE, index, enable);
}

int vhost_user_set_vring_addr(struct vhost_user *vu, unsigned index, uint64_t desc,
			      uint64_t avail, uint64_t used)
{
	struct vhost_user_vring_addr a = { .index = index, .desc_user_addr = desc,
					   .used_user_addr = used, .avail_user_addr = avail };
	return send_acked(vu, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

static int send_vring_fd(struct vhost_user *vu, uint32_t request, unsigned index, int fd)
{
	uint64_t v = (index & 0xff) | (fd < 0 ? VHOST_USER_VRING_NOFD : 0);
	return send_acked(vu, request, &v, sizeof(v), &fd, fd < 0 ? 0 : 1);
}

int vhost_user_set_vring_kick(struct vhost_user *vu, unsigned index, int fd)
{
	return send_vring_fd(vu, VHOST_USER_SET_VRING_KICK, index, fd);
}

int vhost_user_set_vring_call(struct vhost_user *vu, unsigned index, int fd)
{
	return send_vring_fd(vu, VHOST_USER_SET_VRING_CALL, index, fd);
}

int vhost_user_get_vring_base(struct vhost_user *vu, unsigned index, unsigned *base)
{
	struct vhost_user_vring_state s = { .index = index };

	if (send_msg(vu, VHOST_USER_GET_VRING_BASE, 0, &s, sizeof(s), NULL, 0) < 0 ||
	    recv_reply(vu, VHOST_USER_GET_VRING_BASE, &s, sizeof(s)) < 0)
		return -1;
	if (s.index != index)
		return zerr(EPROTO, "vhost-user: GET_VRING_BASE answered for ring %u, not %u",
			    s.index, index);
	*base = s.num;
	return 0;
}
