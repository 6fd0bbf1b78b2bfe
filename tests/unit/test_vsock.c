/* virtio-vsock without KVM: packet parsing over joined and split
 * descriptor layouts, malformed packets, the CONNECT line, and the
 * connection state machine with credit accounting against fake host ops. */
#include "devices/vsock_conn.h"
#include "devices/vsock_packet.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <linux/virtio_vsock.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define GUEST_CID 3

/* ---- chains built by hand ---- */

static void chain_out(struct vq_chain *c, uint8_t *buf, const uint32_t *splits, unsigned n)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < n; i++) {
		c->out[i].addr = buf;
		c->out[i].len = splits[i];
		c->out_len += splits[i];
		buf += splits[i];
	}
	c->n_out = n;
}

static struct vsock_hdr hdr(uint16_t op, uint32_t host_port, uint32_t guest_port, uint32_t len)
{
	return (struct vsock_hdr){ .src_cid = GUEST_CID,
				   .dst_cid = VSOCK_HOST_CID,
				   .src_port = guest_port,
				   .dst_port = host_port,
				   .len = len,
				   .type = VIRTIO_VSOCK_TYPE_STREAM,
				   .op = op,
				   .buf_alloc = 65536,
				   .fwd_cnt = 0 };
}

/* Gather a parsed payload into out; returns its length. */
static size_t gather(const struct vsock_pkt *p, uint8_t *out)
{
	size_t n = 0;
	for (int i = 0; i < p->n_payload; i++) {
		memcpy(out + n, p->payload[i].iov_base, p->payload[i].iov_len);
		n += p->payload[i].iov_len;
	}
	return n;
}

static void test_header_layout(void)
{
	struct vsock_hdr h = { 0x1122334455667788ULL, 2, 0xaabbccdd, 1234, 5, 1, 5, 3, 9, 10 };
	struct vsock_hdr back;
	struct virtio_vsock_hdr k;
	uint8_t raw[VSOCK_HDR_LEN];

	vsock_hdr_encode(&h, raw);
	memcpy(&k, raw, sizeof(k));
	CHECK(k.src_cid == h.src_cid && k.dst_cid == 2 && k.src_port == 0xaabbccdd &&
		      k.dst_port == 1234 && k.len == 5 && k.type == 1 && k.op == 5 && k.flags == 3 &&
		      k.buf_alloc == 9 && k.fwd_cnt == 10,
	      "encoded header matches the kernel's struct virtio_vsock_hdr");
	uint8_t again[VSOCK_HDR_LEN];
	vsock_hdr_decode(raw, &back);
	vsock_hdr_encode(&back, again);
	CHECK(!memcmp(raw, again, sizeof(raw)) && back.src_cid == h.src_cid &&
		      back.fwd_cnt == 10 && back.op == 5,
	      "header decode inverts encode");
}

static void put_pkt(uint8_t *buf, struct vsock_hdr h, const char *payload)
{
	vsock_hdr_encode(&h, buf);
	memcpy(buf + VSOCK_HDR_LEN, payload, h.len);
}

static void test_parse_layouts(void)
{
	static const char msg[] = "hello, vsock payload";
	const uint32_t len = sizeof(msg) - 1, total = VSOCK_HDR_LEN + len;
	uint8_t buf[256], out[256];
	struct vq_chain c;
	struct vsock_pkt p;

	put_pkt(buf, hdr(VIRTIO_VSOCK_OP_RW, 1, 2, len), msg);

	chain_out(&c, buf, (uint32_t[]){ total }, 1);
	CHECK(vsock_pkt_parse(&c, &p) == 0 && p.hdr.len == len && p.hdr.dst_port == 1 &&
		      gather(&p, out) == len && !memcmp(out, msg, len) && p.n_payload == 1,
	      "joined layout: header and payload in one descriptor");

	chain_out(&c, buf, (uint32_t[]){ VSOCK_HDR_LEN, len }, 2);
	CHECK(vsock_pkt_parse(&c, &p) == 0 && gather(&p, out) == len && !memcmp(out, msg, len) &&
		      p.n_payload == 1 && p.payload[0].iov_base == buf + VSOCK_HDR_LEN,
	      "split layout: header descriptor then payload descriptor");

	chain_out(&c, buf, (uint32_t[]){ 7, 30, 10, 3, len - 3 }, 5);
	CHECK(vsock_pkt_parse(&c, &p) == 0 && p.hdr.src_cid == GUEST_CID &&
		      p.hdr.op == VIRTIO_VSOCK_OP_RW && gather(&p, out) == len &&
		      !memcmp(out, msg, len) && p.n_payload == 3,
	      "header split over three descriptors, payload over three");

	chain_out(&c, buf, (uint32_t[]){ total, 16 }, 2);
	CHECK(vsock_pkt_parse(&c, &p) == 0 && gather(&p, out) == len,
	      "bytes beyond hdr.len are ignored");

	put_pkt(buf, hdr(VIRTIO_VSOCK_OP_REQUEST, 1, 2, 0), "");
	chain_out(&c, buf, (uint32_t[]){ VSOCK_HDR_LEN }, 1);
	CHECK(vsock_pkt_parse(&c, &p) == 0 && p.n_payload == 0, "header-only control packet");
}

static void test_parse_malformed(void)
{
	uint8_t buf[256] = { 0 };
	struct vq_chain c;
	struct vsock_pkt p;

	memset(&c, 0, sizeof(c));
	CHECK(vsock_pkt_parse(&c, &p) < 0, "zero-length chain is rejected");

	chain_out(&c, buf, (uint32_t[]){ 20, 23 }, 2);
	CHECK(vsock_pkt_parse(&c, &p) < 0, "chain one byte shorter than the header is rejected");

	put_pkt(buf, hdr(VIRTIO_VSOCK_OP_RW, 1, 2, 10), "0123456789");
	chain_out(&c, buf, (uint32_t[]){ VSOCK_HDR_LEN, 9 }, 2);
	CHECK(vsock_pkt_parse(&c, &p) < 0 && p.hdr.len == 10,
	      "len beyond the chain is rejected (header still decoded for the RST)");

	put_pkt(buf, hdr(VIRTIO_VSOCK_OP_RW, 1, 2, 0), "");
	struct vsock_hdr h = hdr(VIRTIO_VSOCK_OP_RW, 1, 2, 0xffffffff);
	vsock_hdr_encode(&h, buf);
	chain_out(&c, buf, (uint32_t[]){ 200 }, 1);
	CHECK(vsock_pkt_parse(&c, &p) < 0, "len 0xffffffff is rejected");

	h = hdr(VIRTIO_VSOCK_OP_RW, 1, 2, VSOCK_MAX_PAYLOAD + 1);
	vsock_hdr_encode(&h, buf);
	CHECK(vsock_pkt_parse(&c, &p) < 0, "len above 64 KiB is rejected");

	put_pkt(buf, hdr(VIRTIO_VSOCK_OP_RESPONSE, 1, 2, 4), "abcd");
	chain_out(&c, buf, (uint32_t[]){ VSOCK_HDR_LEN + 4 }, 1);
	CHECK(vsock_pkt_parse(&c, &p) < 0, "payload on a control op is rejected");
}

static void test_rx_iov(void)
{
	uint8_t buf[300];
	struct vq_chain c = { 0 };
	struct iovec iov[VQ_MAX_CHAIN];
	uint32_t room;
	int n;

	c.in[0] = (struct vq_buf){ buf, 30 };
	c.in[1] = (struct vq_buf){ buf + 30, 20 };
	c.in[2] = (struct vq_buf){ buf + 50, 250 };
	c.n_in = 3;
	c.in_len = 300;
	n = vsock_rx_payload_iov(&c, 1000, iov, &room);
	CHECK(n == 2 && room == 256 && iov[0].iov_base == buf + 44 && iov[0].iov_len == 6 &&
		      iov[1].iov_len == 250,
	      "rx payload starts after a header split over descriptors");
	n = vsock_rx_payload_iov(&c, 100, iov, &room);
	CHECK(n == 2 && room == 100 && iov[1].iov_len == 94, "rx payload capped at the credit");
	c.in[0].len = 44;
	c.n_in = 1;
	n = vsock_rx_payload_iov(&c, 100, iov, &room);
	CHECK(n == 0 && room == 0, "header-sized rx buffer has no payload room");
}

static void test_connect_line(void)
{
	uint32_t port = 0;
	size_t len = 0;

	CHECK(vsock_parse_connect("CONNECT 1234\nxyz", 16, &port, &len) == 1 && port == 1234 &&
		      len == 13,
	      "CONNECT line parsed, trailing bytes left alone");
	CHECK(vsock_parse_connect("CONN", 4, &port, &len) == 0, "partial verb waits for more");
	CHECK(vsock_parse_connect("CONNECT 12", 10, &port, &len) == 0, "partial port waits");
	CHECK(vsock_parse_connect("CONNECT 4294967295\n", 19, &port, &len) == 1 &&
		      port == 4294967295u,
	      "largest port");
	CHECK(vsock_parse_connect("CONNECT 4294967296\n", 19, &port, &len) == -1,
	      "port overflow refused");
	CHECK(vsock_parse_connect("CONNECT \n", 9, &port, &len) == -1, "no digits refused");
	CHECK(vsock_parse_connect("GET / HTTP", 10, &port, &len) == -1, "wrong verb refused");
	CHECK(vsock_parse_connect("CONNECT 12a\n", 12, &port, &len) == -1, "junk in port refused");
	CHECK(vsock_parse_connect("CONNECT 0000000000000000000000001", 33, &port, &len) == -1,
	      "overlong line refused");
}

/* ---- state machine against fake host ops ---- */

struct fake {
	size_t write_room; /* bytes the host socket takes before EAGAIN */
	size_t written;
	int write_errno;   /* when set, writes fail with it */
	int connect_fail, connects, established, shut_rd, shut_wr, releases;
};

static ssize_t f_write(void *arg, struct vsock_conn *c, const struct iovec *iov, int n)
{
	struct fake *f = arg;
	size_t len = 0;

	if (f->write_errno) {
		errno = f->write_errno;
		return -1;
	}
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (!f->write_room) {
		errno = EAGAIN;
		return -1;
	}
	if (len > f->write_room)
		len = f->write_room;
	f->write_room -= len;
	f->written += len;
	return len;
}

static int f_connect(void *arg, struct vsock_conn *c)
{
	struct fake *f = arg;
	f->connects++;
	return f->connect_fail ? -1 : 0;
}

static int f_established(void *arg, struct vsock_conn *c)
{
	((struct fake *)arg)->established++;
	return 0;
}

static void f_shutdown(void *arg, struct vsock_conn *c, int how)
{
	struct fake *f = arg;
	if (how == SHUT_RD)
		f->shut_rd++;
	else
		f->shut_wr++;
}

static void f_release(void *arg, struct vsock_conn *c)
{
	((struct fake *)arg)->releases++;
	free(c);
}

static const struct vsock_host_ops fake_ops = { f_write, f_connect, f_established, f_shutdown,
						f_release };

static uint8_t payload_buf[VSOCK_BUF_ALLOC + 4096];

static void guest_send(struct vsock_table *t, struct vsock_hdr h)
{
	struct vsock_pkt p = { .hdr = h };
	if (h.len) {
		p.payload[0] = (struct iovec){ payload_buf, h.len };
		p.n_payload = 1;
	}
	vsock_guest_pkt(t, &p);
}

static int ctl_count(struct vsock_table *t, uint16_t op)
{
	struct vsock_hdr h;
	int n = 0, other = 0;
	while (vsock_next_ctl(t, &h)) {
		if (h.op == op)
			n++;
		else
			other++;
	}
	return other ? -1 : n;
}

static void test_host_initiated(void)
{
	struct fake f = { .write_room = 1 << 30 };
	struct vsock_table t;
	struct vsock_hdr h;
	struct vsock_conn *c;

	vsock_table_init(&t, GUEST_CID, &fake_ops, &f);
	t.logged = 1000;
	c = vsock_conn_new_host(&t, -1);
	CHECK(c && vsock_next_ctl(&t, &h) == 0, "handshake connection owes the guest nothing");
	CHECK(vsock_conn_host_connect(&t, c, 1234) == 0 && c->host_port == VSOCK_PORT_FIRST,
	      "CONNECT picks the first ephemeral port");
	CHECK(vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_REQUEST &&
		      h.src_cid == VSOCK_HOST_CID && h.dst_cid == GUEST_CID &&
		      h.dst_port == 1234 && h.src_port == VSOCK_PORT_FIRST &&
		      h.type == VIRTIO_VSOCK_TYPE_STREAM && h.buf_alloc == VSOCK_BUF_ALLOC,
	      "REQUEST sent to the guest port");
	CHECK(vsock_conn_send_room(c) == 0, "no data before RESPONSE");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, c->host_port, 1234, 4));
	CHECK(f.releases == 1 && ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1,
	      "data before RESPONSE resets the connection");

	c = vsock_conn_new_host(&t, -1);
	vsock_conn_host_connect(&t, c, 1234);
	CHECK(c->host_port == VSOCK_PORT_FIRST + 1, "next connection gets the next port");
	vsock_next_ctl(&t, &h);
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RESPONSE, c->host_port, 1234, 0));
	CHECK(c->state == VSOCK_ESTABLISHED && f.established == 1, "RESPONSE establishes");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RESPONSE, c->host_port, 1234, 0));
	CHECK(f.releases == 2 && ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1,
	      "a second RESPONSE resets the connection");

	c = vsock_conn_new_host(&t, -1);
	vsock_conn_host_connect(&t, c, 999);
	vsock_next_ctl(&t, &h);
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RST, c->host_port, 999, 0));
	CHECK(f.releases == 3 && f.established == 1 && ctl_count(&t, 0) == 0,
	      "RST to a REQUEST (no listener) releases without a reply");
	vsock_table_reset(&t);
}

static void test_guest_initiated(void)
{
	struct fake f = { .write_room = 1 << 30 };
	struct vsock_table t;
	struct vsock_hdr h;
	struct vsock_conn *c;

	vsock_table_init(&t, GUEST_CID, &fake_ops, &f);
	t.logged = 1000;
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 40000, 0));
	c = TAILQ_FIRST(&t.conns);
	CHECK(f.connects == 1 && c && c->host_port == 5000 && c->guest_port == 40000 &&
		      vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_RESPONSE &&
		      h.src_port == 5000 && h.dst_port == 40000,
	      "guest REQUEST connects the host side and gets RESPONSE");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 40000, 0));
	CHECK(f.releases == 1 && ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1,
	      "duplicate REQUEST resets");
	f.connect_fail = 1;
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_REQUEST, 5001, 40001, 0));
	CHECK(f.releases == 2 && vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_RST &&
		      h.src_port == 5001 && h.dst_port == 40001,
	      "REQUEST to a host port nobody serves gets RST");
	vsock_table_reset(&t);
}

static void test_unknown_and_bad(void)
{
	struct fake f = { .write_room = 1 << 30 };
	struct vsock_table t;
	struct vsock_hdr h, b;

	vsock_table_init(&t, GUEST_CID, &fake_ops, &f);
	t.logged = 1000; /* keep test output quiet */
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 7, 8, 3));
	CHECK(vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_RST && h.src_port == 7 &&
		      h.dst_port == 8 && h.dst_cid == GUEST_CID,
	      "packet for an unknown connection gets RST");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RST, 7, 8, 0));
	CHECK(vsock_next_ctl(&t, &h) == 0, "RST is never answered");

	b = hdr(VIRTIO_VSOCK_OP_REQUEST, 7, 8, 0);
	b.dst_cid = 1;
	guest_send(&t, b);
	b = hdr(VIRTIO_VSOCK_OP_REQUEST, 7, 8, 0);
	b.src_cid = 2; /* guest pretending to be the host */
	guest_send(&t, b);
	CHECK(vsock_next_ctl(&t, &h) == 0 && f.connects == 0, "wrong cids are dropped");

	b = hdr(VIRTIO_VSOCK_OP_REQUEST, 7, 8, 0);
	b.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	guest_send(&t, b);
	CHECK(f.connects == 0 && vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_RST &&
		      h.type == VIRTIO_VSOCK_TYPE_SEQPACKET,
	      "seqpacket REQUEST refused with RST of its type");

	b = hdr(99, 7, 8, 0);
	guest_send(&t, b);
	CHECK(ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1, "unknown op on unknown conn gets RST");

	b = hdr(VIRTIO_VSOCK_OP_RW, 7, 8, 10);
	vsock_guest_bad_pkt(&t, &b, "test");
	CHECK(ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1, "malformed packet gets RST");

	for (int i = 0; i < VSOCK_RST_QUEUE + 50; i++)
		guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 7, i, 0));
	CHECK(ctl_count(&t, VIRTIO_VSOCK_OP_RST) == VSOCK_RST_QUEUE,
	      "RST backlog is bounded when the guest posts no rx buffers");
}

static struct vsock_conn *established(struct vsock_table *t, uint32_t buf_alloc)
{
	struct vsock_hdr h = hdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 40000, 0);
	h.buf_alloc = buf_alloc;
	guest_send(t, h);
	vsock_next_ctl(t, &h); /* RESPONSE */
	return TAILQ_FIRST(&t->conns);
}

static void test_credit_to_guest(void)
{
	struct fake f = { .write_room = 1 << 30 };
	struct vsock_table t;
	struct vsock_hdr h, g;
	struct vsock_conn *c;

	vsock_table_init(&t, GUEST_CID, &fake_ops, &f);
	c = established(&t, 10000);
	CHECK(vsock_conn_send_room(c) == 10000, "room is the guest's buf_alloc");
	vsock_conn_data_hdr(&t, c, 6000, &h);
	CHECK(h.op == VIRTIO_VSOCK_OP_RW && h.len == 6000 && c->tx_cnt == 6000 &&
		      vsock_conn_send_room(c) == 4000,
	      "sent data uses up credit");
	vsock_conn_data_hdr(&t, c, 4000, &h);
	CHECK(vsock_conn_send_room(c) == 0, "no room once credit is used up");
	g = hdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 5000, 40000, 0);
	g.buf_alloc = 10000;
	g.fwd_cnt = 7000;
	guest_send(&t, g);
	CHECK(vsock_conn_send_room(c) == 7000, "CREDIT_UPDATE returns credit");
	g.fwd_cnt = 20000; /* claims to have consumed more than we sent */
	guest_send(&t, g);
	CHECK(vsock_conn_send_room(c) == 0, "bogus fwd_cnt gives no credit");
	g.fwd_cnt = 10000;
	g.buf_alloc = 2000; /* shrinks below what is in flight */
	guest_send(&t, g);
	CHECK(vsock_conn_send_room(c) == 2000, "smaller buf_alloc honoured");
	c->tx_cnt = 0xfffffff0u; /* counters wrap */
	g.fwd_cnt = 0xffffff00u;
	guest_send(&t, g);
	CHECK(vsock_conn_send_room(c) == 2000 - 0xf0, "credit arithmetic survives wrap-around");
	vsock_conn_host_eof(&t, c);
	CHECK(vsock_conn_send_room(c) == 0 && vsock_next_ctl(&t, &h) == 1 &&
		      h.op == VIRTIO_VSOCK_OP_SHUTDOWN && h.flags == VIRTIO_VSOCK_SHUTDOWN_SEND,
	      "host EOF becomes SHUTDOWN(SEND)");
	vsock_table_reset(&t);
	CHECK(f.releases == 1 && TAILQ_EMPTY(&t.conns), "reset releases every connection");
}

static void test_credit_from_guest(void)
{
	struct fake f = { .write_room = 1000 };
	struct vsock_table t;
	struct vsock_hdr h;
	struct vsock_conn *c;

	vsock_table_init(&t, GUEST_CID, &fake_ops, &f);
	t.logged = 1000;
	c = established(&t, 65536);
	for (size_t i = 0; i < sizeof(payload_buf); i++)
		payload_buf[i] = i * 7;
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, 3000));
	CHECK(f.written == 1000 && c->fwd_cnt == 1000 && c->pend_len == 2000 && !c->host_writable,
	      "short host write: the rest is held, fwd_cnt counts only what was written");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, VSOCK_BUF_ALLOC - 2000));
	CHECK(c->pend_len == VSOCK_BUF_ALLOC && f.releases == 0,
	      "guest may fill exactly its credit");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 5000, 40000, 0));
	CHECK(vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE &&
		      h.fwd_cnt == 1000 && h.buf_alloc == VSOCK_BUF_ALLOC,
	      "CREDIT_REQUEST answered with our fwd_cnt");
	f.write_room = VSOCK_BUF_ALLOC / 2;
	c->host_writable = true;
	vsock_conn_flush(&t, c);
	CHECK(c->fwd_cnt == 1000 + VSOCK_BUF_ALLOC / 2 && vsock_next_ctl(&t, &h) == 1 &&
		      h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE && h.fwd_cnt == c->fwd_cnt,
	      "draining a quarter of the buffer sends CREDIT_UPDATE");
	f.write_room = 1 << 30;
	c->host_writable = true;
	vsock_conn_flush(&t, c);
	CHECK(c->pend_len == 0 && f.written == 3000 + VSOCK_BUF_ALLOC - 2000,
	      "everything held reaches the host in order");
	f.write_room = 0;
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, VSOCK_BUF_ALLOC));
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, 1));
	CHECK(f.releases == 1 && ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1,
	      "sending beyond credit resets the connection");

	c = established(&t, 65536);
	f.write_errno = EPIPE;
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, 10));
	CHECK(f.releases == 2 && ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1,
	      "host write error resets the connection");
	vsock_table_reset(&t);
}

static void test_shutdown(void)
{
	struct fake f = { .write_room = 0 };
	struct vsock_table t;
	struct vsock_hdr h;
	struct vsock_conn *c;

	vsock_table_init(&t, GUEST_CID, &fake_ops, &f);
	t.logged = 1000;
	c = established(&t, 65536);
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, 100));
	h = hdr(VIRTIO_VSOCK_OP_SHUTDOWN, 5000, 40000, 0);
	h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
	guest_send(&t, h);
	CHECK(f.shut_wr == 0, "SHUT_WR waits for held data");
	f.write_room = 1 << 20;
	c->host_writable = true;
	vsock_conn_flush(&t, c);
	CHECK(f.shut_wr == 1 && f.written == 100, "SHUTDOWN(SEND) becomes SHUT_WR after the data");
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, 1));
	CHECK(f.releases == 1 && ctl_count(&t, VIRTIO_VSOCK_OP_RST) == 1,
	      "data after SHUTDOWN(SEND) resets");

	c = established(&t, 65536);
	h.flags = VIRTIO_VSOCK_SHUTDOWN_RCV;
	guest_send(&t, h);
	CHECK(f.shut_rd == 1 && vsock_conn_send_room(c) == 0,
	      "SHUTDOWN(RCV) becomes SHUT_RD and stops host reads");
	f.write_room = 0;
	guest_send(&t, hdr(VIRTIO_VSOCK_OP_RW, 5000, 40000, 50));
	h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
	guest_send(&t, h);
	CHECK(c->state == VSOCK_CLOSING && f.releases == 1, "full shutdown flushes first");
	f.write_room = 1 << 20;
	c->host_writable = true;
	vsock_conn_flush(&t, c);
	CHECK(f.releases == 2 && vsock_next_ctl(&t, &h) == 1 && h.op == VIRTIO_VSOCK_OP_RST &&
		      vsock_next_ctl(&t, &h) == 0,
	      "after the flush the guest gets RST and the connection is released");
	vsock_table_reset(&t);
}

int main(void)
{
	test_header_layout();
	test_parse_layouts();
	test_parse_malformed();
	test_rx_iov();
	test_connect_line();
	test_host_initiated();
	test_guest_initiated();
	test_unknown_and_bad();
	test_credit_to_guest();
	test_credit_from_guest();
	test_shutdown();
	CHECK_DONE();
}
