#include "devices/vsock_conn.h"

#include <errno.h>
#include <linux/virtio_vsock.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SHUT_BOTH (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)
#define LOG_MAX 20 /* a misbehaving guest must not flood our stderr */

#define guest_error vsock_guest_error

void vsock_guest_error(struct vsock_table *t, const char *fmt, ...)
{
	va_list ap;

	if (t->logged >= LOG_MAX)
		return;
	fprintf(stderr, "zone-vmm: virtio-vsock: guest error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ++t->logged == LOG_MAX ? " (further errors not logged)\n" : "\n");
}

void vsock_table_init(struct vsock_table *t, uint64_t guest_cid, const struct vsock_host_ops *ops,
		      void *arg)
{
	memset(t, 0, sizeof(*t));
	t->guest_cid = guest_cid;
	t->ops = ops;
	t->arg = arg;
	t->next_port = VSOCK_PORT_FIRST;
	TAILQ_INIT(&t->conns);
	TAILQ_INIT(&t->ctl_list);
}

static void set_ctl(struct vsock_table *t, struct vsock_conn *c, uint32_t bit)
{
	if (!c->ctl)
		TAILQ_INSERT_TAIL(&t->ctl_list, c, ctl_link);
	c->ctl |= bit;
}

static void clear_ctl(struct vsock_table *t, struct vsock_conn *c, uint32_t bits)
{
	if (!c->ctl)
		return;
	c->ctl &= ~bits;
	if (!c->ctl)
		TAILQ_REMOVE(&t->ctl_list, c, ctl_link);
}

static void queue_rst(struct vsock_table *t, uint32_t host_port, uint32_t guest_port,
		      uint16_t type)
{
	/* Full only when the guest sends junk and posts no rx buffers; an
	 * RST lost then only leaves a guest socket to its own timeout. */
	if (t->rst_len == VSOCK_RST_QUEUE)
		return;
	t->rst[(t->rst_head + t->rst_len++) % VSOCK_RST_QUEUE] =
		(struct vsock_rst){ host_port, guest_port, type };
}

static void reply_rst(struct vsock_table *t, const struct vsock_hdr *h)
{
	if (h->op != VIRTIO_VSOCK_OP_RST) /* never answer an RST */
		queue_rst(t, h->dst_port, h->src_port, h->type);
}

void vsock_conn_close(struct vsock_table *t, struct vsock_conn *c, bool rst)
{
	if (c->dead)
		return;
	if (rst && c->state != VSOCK_HANDSHAKE)
		queue_rst(t, c->host_port, c->guest_port, VIRTIO_VSOCK_TYPE_STREAM);
	clear_ctl(t, c, ~0u);
	TAILQ_REMOVE(&t->conns, c, link);
	t->n_conns--;
	free(c->pend);
	c->pend = NULL;
	c->pend_len = c->pend_off = 0;
	c->dead = true;
	t->ops->release(t->arg, c);
}

void vsock_table_reset(struct vsock_table *t)
{
	struct vsock_conn *c;

	while ((c = TAILQ_FIRST(&t->conns)))
		vsock_conn_close(t, c, false);
	t->rst_head = t->rst_len = 0;
}

static struct vsock_conn *conn_alloc(struct vsock_table *t, enum vsock_state state, int fd)
{
	struct vsock_conn *c;

	if (t->n_conns >= VSOCK_MAX_CONNS || !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->state = state;
	c->fd = fd;
	c->host_writable = true; /* a fresh socket has room */
	TAILQ_INSERT_TAIL(&t->conns, c, link);
	t->n_conns++;
	return c;
}

struct vsock_conn *vsock_conn_new_host(struct vsock_table *t, int fd)
{
	return conn_alloc(t, VSOCK_HANDSHAKE, fd);
}

static bool host_port_used(const struct vsock_table *t, uint32_t port)
{
	const struct vsock_conn *c;

	TAILQ_FOREACH(c, &t->conns, link)
		if (c->state != VSOCK_HANDSHAKE && c->host_port == port)
			return true;
	return false;
}

int vsock_conn_host_connect(struct vsock_table *t, struct vsock_conn *c, uint32_t guest_port)
{
	const uint32_t span = VSOCK_PORT_LAST - VSOCK_PORT_FIRST + 1;

	if (c->state != VSOCK_HANDSHAKE)
		return -1;
	/* fewer connections than ports, so this finds one within span tries */
	for (uint32_t i = 0; i < span; i++) {
		uint32_t p = t->next_port;
		t->next_port = p == VSOCK_PORT_LAST ? VSOCK_PORT_FIRST : p + 1;
		if (host_port_used(t, p))
			continue;
		c->host_port = p;
		c->guest_port = guest_port;
		c->state = VSOCK_CONNECTING;
		set_ctl(t, c, VSOCK_CTL_REQUEST);
		return 0;
	}
	return -1;
}

static struct vsock_conn *lookup(const struct vsock_table *t, uint32_t host_port,
				 uint32_t guest_port)
{
	struct vsock_conn *c;

	TAILQ_FOREACH(c, &t->conns, link)
		if (c->state != VSOCK_HANDSHAKE && c->host_port == host_port &&
		    c->guest_port == guest_port)
			return c;
	return NULL;
}

static void maybe_credit_update(struct vsock_table *t, struct vsock_conn *c)
{
	/* Advertise freed space in batches; every packet we send carries it
	 * too.  A guest that ran out of credit has at least this much owed. */
	if (c->state == VSOCK_ESTABLISHED && c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 4)
		set_ctl(t, c, VSOCK_CTL_CREDIT);
}

/* Host write failed for good: the connection is over. */
static bool write_failed(struct vsock_table *t, struct vsock_conn *c, ssize_t n)
{
	if (n > 0)
		return false;
	if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->host_writable = false;
		return false;
	}
	vsock_conn_close(t, c, true);
	return true;
}

void vsock_conn_flush(struct vsock_table *t, struct vsock_conn *c)
{
	while (c->pend_len && c->host_writable) {
		struct iovec iov = { c->pend + c->pend_off, c->pend_len };
		ssize_t n = t->ops->write(t->arg, c, &iov, 1);
		if (write_failed(t, c, n))
			return;
		if (n <= 0)
			break;
		if ((size_t)n >= c->pend_len) {
			n = c->pend_len;
		} else {
			c->host_writable = false; /* short write: the socket is full */
		}
		c->pend_off += n;
		c->pend_len -= n;
		c->fwd_cnt += n;
	}
	if (!c->pend_len) {
		c->pend_off = 0;
		if (c->state == VSOCK_CLOSING) {
			vsock_conn_close(t, c, true);
			return;
		}
		if ((c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) && !c->host_wr_shut) {
			c->host_wr_shut = true;
			t->ops->shutdown(t->arg, c, SHUT_WR);
		}
	}
	maybe_credit_update(t, c);
}

static void guest_data(struct vsock_table *t, struct vsock_conn *c, const struct vsock_pkt *p)
{
	uint32_t len = p->hdr.len, done = 0;

	if (c->state != VSOCK_ESTABLISHED || (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)) {
		guest_error(t, "data on port %u after shutdown or before connect", c->host_port);
		vsock_conn_close(t, c, true);
		return;
	}
	/* What we hold is exactly what the guest sent beyond our fwd_cnt. */
	if (len > VSOCK_BUF_ALLOC - c->pend_len) {
		guest_error(t, "port %u: %u bytes sent with %u bytes of credit", c->host_port, len,
			    VSOCK_BUF_ALLOC - c->pend_len);
		vsock_conn_close(t, c, true);
		return;
	}
	if (!len)
		return;
	if (!c->pend_len && c->host_writable) {
		ssize_t n = t->ops->write(t->arg, c, p->payload, p->n_payload);
		if (write_failed(t, c, n))
			return;
		if (n > 0)
			done = (size_t)n > len ? len : n;
		if (done < len)
			c->host_writable = false; /* short write: the socket is full */
		c->fwd_cnt += done;
	}
	if (done < len) {
		/* Keep the rest until the host side drains. */
		if (!c->pend && !(c->pend = malloc(VSOCK_BUF_ALLOC))) {
			vsock_conn_close(t, c, true);
			return;
		}
		if (c->pend_off + c->pend_len + (len - done) > VSOCK_BUF_ALLOC) {
			memmove(c->pend, c->pend + c->pend_off, c->pend_len);
			c->pend_off = 0;
		}
		uint8_t *dst = c->pend + c->pend_off + c->pend_len;
		uint32_t skip = done;
		for (int i = 0; i < p->n_payload; i++) {
			size_t l = p->payload[i].iov_len;
			if (skip >= l) {
				skip -= l;
				continue;
			}
			memcpy(dst, (uint8_t *)p->payload[i].iov_base + skip, l - skip);
			dst += l - skip;
			skip = 0;
		}
		c->pend_len += len - done;
	}
	maybe_credit_update(t, c);
}

static void guest_shutdown(struct vsock_table *t, struct vsock_conn *c, uint32_t flags)
{
	if (c->state != VSOCK_ESTABLISHED) {
		if (c->state == VSOCK_CONNECTING) {
			guest_error(t, "shutdown on port %u before connect", c->host_port);
			vsock_conn_close(t, c, true);
		}
		return;
	}
	flags &= SHUT_BOTH;
	if ((flags & VIRTIO_VSOCK_SHUTDOWN_RCV) && !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV))
		t->ops->shutdown(t->arg, c, SHUT_RD);
	c->guest_shut |= flags;
	if (c->guest_shut == SHUT_BOTH) {
		/* The guest closed its socket: deliver what we hold, then RST
		 * so its close completes without a timeout. */
		c->state = VSOCK_CLOSING;
		clear_ctl(t, c, ~0u);
	}
	vsock_conn_flush(t, c);
}

static void guest_connect(struct vsock_table *t, const struct vsock_hdr *h)
{
	struct vsock_conn *c = conn_alloc(t, VSOCK_ESTABLISHED, -1);

	if (!c) {
		reply_rst(t, h);
		return;
	}
	c->host_port = h->dst_port;
	c->guest_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (t->ops->connect(t->arg, c) < 0) {
		vsock_conn_close(t, c, true);
		return;
	}
	set_ctl(t, c, VSOCK_CTL_RESPONSE);
}

void vsock_guest_pkt(struct vsock_table *t, const struct vsock_pkt *p)
{
	const struct vsock_hdr *h = &p->hdr;
	struct vsock_conn *c;

	if (h->src_cid != t->guest_cid || h->dst_cid != VSOCK_HOST_CID) {
		guest_error(t, "packet from cid %llu to cid %llu dropped",
			    (unsigned long long)h->src_cid, (unsigned long long)h->dst_cid);
		return;
	}
	c = lookup(t, h->dst_port, h->src_port);
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM) {
		guest_error(t, "packet of socket type %u refused", h->type);
		if (c)
			vsock_conn_close(t, c, true);
		else
			reply_rst(t, h);
		return;
	}
	if (!c) {
		/* Packets racing a close are normal, so no log line. */
		if (h->op == VIRTIO_VSOCK_OP_REQUEST)
			guest_connect(t, h);
		else
			reply_rst(t, h);
		return;
	}
	/* Every packet carries the guest's current credit. */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state != VSOCK_CONNECTING || (c->ctl & VSOCK_CTL_REQUEST)) {
			guest_error(t, "unexpected RESPONSE on port %u", c->host_port);
			vsock_conn_close(t, c, true);
			break;
		}
		c->state = VSOCK_ESTABLISHED;
		if (t->ops->established(t->arg, c) < 0)
			vsock_conn_close(t, c, true);
		break;
	case VIRTIO_VSOCK_OP_RST:
		vsock_conn_close(t, c, false);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		guest_shutdown(t, c, h->flags);
		break;
	case VIRTIO_VSOCK_OP_RW:
		guest_data(t, c, p);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break; /* credit taken above */
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		if (c->state == VSOCK_ESTABLISHED)
			set_ctl(t, c, VSOCK_CTL_CREDIT);
		break;
	default: /* REQUEST on a live connection, or an unknown op */
		guest_error(t, "op %u on port %u in state %d", h->op, c->host_port, c->state);
		vsock_conn_close(t, c, true);
		break;
	}
}

void vsock_guest_bad_pkt(struct vsock_table *t, const struct vsock_hdr *h, const char *why)
{
	struct vsock_conn *c;

	guest_error(t, "%s", why);
	if (h->src_cid != t->guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return;
	if ((c = lookup(t, h->dst_port, h->src_port)))
		vsock_conn_close(t, c, true);
	else
		reply_rst(t, h);
}

static void fill_hdr(const struct vsock_table *t, struct vsock_conn *c, uint16_t op,
		     struct vsock_hdr *h)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = t->guest_cid,
		.src_port = c->host_port,
		.dst_port = c->guest_port,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = VSOCK_BUF_ALLOC,
		.fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_sent = c->fwd_cnt;
}

bool vsock_table_has_ctl(const struct vsock_table *t)
{
	return t->rst_len || !TAILQ_EMPTY(&t->ctl_list);
}

int vsock_next_ctl(struct vsock_table *t, struct vsock_hdr *h)
{
	struct vsock_conn *c;

	if (t->rst_len) {
		struct vsock_rst *r = &t->rst[t->rst_head];
		*h = (struct vsock_hdr){ .src_cid = VSOCK_HOST_CID,
					 .dst_cid = t->guest_cid,
					 .src_port = r->host_port,
					 .dst_port = r->guest_port,
					 .type = r->type,
					 .op = VIRTIO_VSOCK_OP_RST };
		t->rst_head = (t->rst_head + 1) % VSOCK_RST_QUEUE;
		t->rst_len--;
		return 1;
	}
	c = TAILQ_FIRST(&t->ctl_list);
	if (!c)
		return 0;
	if (c->ctl & VSOCK_CTL_REQUEST) {
		fill_hdr(t, c, VIRTIO_VSOCK_OP_REQUEST, h);
		clear_ctl(t, c, VSOCK_CTL_REQUEST);
	} else if (c->ctl & VSOCK_CTL_RESPONSE) {
		fill_hdr(t, c, VIRTIO_VSOCK_OP_RESPONSE, h);
		clear_ctl(t, c, VSOCK_CTL_RESPONSE);
	} else if (c->ctl & VSOCK_CTL_CREDIT) {
		fill_hdr(t, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, h);
	} else {
		fill_hdr(t, c, VIRTIO_VSOCK_OP_SHUTDOWN, h);
		h->flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
		clear_ctl(t, c, VSOCK_CTL_SHUTDOWN);
	}
	/* any packet carries our credit, so an owed update is now paid */
	clear_ctl(t, c, VSOCK_CTL_CREDIT);
	return 1;
}

uint32_t vsock_conn_send_room(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	if (c->state != VSOCK_ESTABLISHED || c->host_eof ||
	    (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) || (c->ctl & VSOCK_CTL_RESPONSE))
		return 0;
	/* a guest that shrank buf_alloc or reports a bogus fwd_cnt gets nothing */
	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

void vsock_conn_data_hdr(struct vsock_table *t, struct vsock_conn *c, uint32_t len,
			 struct vsock_hdr *h)
{
	fill_hdr(t, c, VIRTIO_VSOCK_OP_RW, h);
	h->len = len;
	c->tx_cnt += len;
	clear_ctl(t, c, VSOCK_CTL_CREDIT);
}

void vsock_conn_host_eof(struct vsock_table *t, struct vsock_conn *c)
{
	if (c->host_eof || c->state != VSOCK_ESTABLISHED)
		return;
	c->host_eof = true;
	set_ctl(t, c, VSOCK_CTL_SHUTDOWN);
}
