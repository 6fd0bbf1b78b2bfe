/* libFuzzer target: virtio-vsock packet parsing (over real split
 * virtqueues and over hand-split chains) and the connection state machine
 * with credit accounting, against fake host ops.
 *
 * The input is a little program; each op is one byte followed by its
 * operands (missing bytes read as zero):
 *   0 PKT f h[44] [i] k s16[k] n16 p[n]
 *                           a packet as a chain: f bit0 valid cids, bit1
 *                           stream type, bit2 ports of live connection i,
 *                           bit3 hdr.len = n, bit4 the n payload bytes come
 *                           from a zero buffer (up to 64 KiB) instead of
 *                           the input; k+1 pieces of the sizes given
 *   1 MEM off16 n data[n]   write guest RAM (rings live at fixed places)
 *   2 RING k                pop up to k tx chains, parse and deliver them
 *   3 HOST b port32         a host client; b odd: its CONNECT line arrives
 *   4 CTL k                 take up to k control packets for the guest
 *   5 DATA i len16          send len bytes (capped by credit) on conn i
 *   6 EOF i                 host side of conn i reads EOF
 *   7 FLUSH i room16        host side of conn i takes room bytes
 *   8 CLOSE i b             drop conn i (b odd: RST)
 *   9 FAKE b                b bit0: connects fail, bit1: writes fail EPIPE
 *  10 RESET                 transport reset
 *  11 LINE n b[n]           a host client's CONNECT line
 *  12 RXIOV k s16[k] max16  payload view of an rx chain of k+1 pieces
 * Invariants (credit, buffer bounds, list consistency, header fields of
 * what we send) abort when broken.  ZONE_FUZZ_SEEDS=dir writes seeds. */
#include "devices/vsock_conn.h"
#include "devices/vsock_packet.h"
#include "base/guest_memory.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE  16384u
#define QSIZE	  16
#define DESC_GPA  0
#define AVAIL_GPA 256
#define USED_GPA  512

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t get8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t getn(struct input *in, int bytes)
{
	uint32_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint32_t)get8(in) << (8 * i);
	return v;
}

struct fake {
	size_t room;
	bool connect_fail, write_fail;
	uint8_t sink;
};

static ssize_t f_write(void *arg, struct vsock_conn *c, const struct iovec *iov, int n)
{
	struct fake *f = arg;
	size_t done = 0;

	if (f->write_fail) {
		errno = EPIPE;
		return -1;
	}
	/* touch every byte handed to us so ASan sees bad views */
	for (int i = 0; i < n && done < f->room; i++)
		for (size_t j = 0; j < iov[i].iov_len && done < f->room; j++, done++)
			f->sink ^= ((const uint8_t *)iov[i].iov_base)[j];
	f->room -= done;
	if (!done) {
		errno = EAGAIN;
		return -1;
	}
	return done;
}

static int f_connect(void *arg, struct vsock_conn *c)
{
	return ((struct fake *)arg)->connect_fail ? -1 : 0;
}

static int f_established(void *arg, struct vsock_conn *c) { return 0; }
static void f_shutdown(void *arg, struct vsock_conn *c, int how) {}
static void f_release(void *arg, struct vsock_conn *c) { free(c); }

static const struct vsock_host_ops ops = { f_write, f_connect, f_established, f_shutdown,
					   f_release };

static struct vsock_conn *nth_conn(struct vsock_table *t, unsigned i)
{
	struct vsock_conn *c;

	if (!t->n_conns)
		return NULL;
	i %= t->n_conns;
	TAILQ_FOREACH(c, &t->conns, link)
		if (!i--)
			return c;
	abort(); /* n_conns disagrees with the list */
}

static void check(const struct vsock_table *t)
{
	const struct vsock_conn *c;
	unsigned n = 0, with_ctl = 0, on_list = 0;

	TAILQ_FOREACH(c, &t->conns, link) {
		n++;
		with_ctl += c->ctl != 0;
		if (c->dead || c->pend_len > VSOCK_BUF_ALLOC ||
		    c->pend_off + c->pend_len > VSOCK_BUF_ALLOC ||
		    vsock_conn_send_room(c) > c->peer_buf_alloc)
			abort();
		if (c->pend_len && !c->pend)
			abort();
	}
	TAILQ_FOREACH(c, &t->ctl_list, ctl_link)
		on_list++;
	if (n != t->n_conns || n > VSOCK_MAX_CONNS || with_ctl != on_list ||
	    t->rst_len > VSOCK_RST_QUEUE)
		abort();
}

static void check_sent(const struct vsock_table *t, const struct vsock_hdr *h)
{
	if (h->src_cid != VSOCK_HOST_CID || h->dst_cid != t->guest_cid || h->len ||
	    h->op < VIRTIO_VSOCK_OP_REQUEST || h->op > VIRTIO_VSOCK_OP_CREDIT_UPDATE)
		abort();
}

static void deliver(struct vsock_table *t, const struct vq_chain *c, struct vsock_pkt *p)
{
	if (vsock_pkt_parse(c, p) == 0) {
		uint64_t sum = 0;
		for (int i = 0; i < p->n_payload; i++)
			sum += p->payload[i].iov_len;
		if (sum != p->hdr.len || p->hdr.len > c->out_len - VSOCK_HDR_LEN)
			abort();
		vsock_guest_pkt(t, p);
	} else if (c->out_len >= VSOCK_HDR_LEN) {
		vsock_guest_bad_pkt(t, &p->hdr, "fuzz");
	}
}

static struct vq_chain chain;
static struct vsock_pkt pkt;
static uint8_t pktbuf[VSOCK_HDR_LEN + 4096];
static uint8_t bigbuf[VSOCK_MAX_PAYLOAD];

static void op_pkt(struct vsock_table *t, struct input *in)
{
	uint8_t f = get8(in);
	struct vsock_hdr h;
	unsigned nsplit, plen, off = 0;

	for (int i = 0; i < VSOCK_HDR_LEN; i++)
		pktbuf[i] = get8(in);
	vsock_hdr_decode(pktbuf, &h);
	if (f & 1) {
		h.src_cid = t->guest_cid;
		h.dst_cid = VSOCK_HOST_CID;
	}
	if (f & 2)
		h.type = VIRTIO_VSOCK_TYPE_STREAM;
	if (f & 4) {
		struct vsock_conn *c = nth_conn(t, get8(in));
		if (c) {
			h.dst_port = c->host_port;
			h.src_port = c->guest_port;
		}
	}
	nsplit = get8(in) % 8 + 1;
	uint32_t splits[8];
	for (unsigned i = 0; i < nsplit; i++)
		splits[i] = getn(in, 2) % sizeof(pktbuf);
	plen = getn(in, 2);
	if (f & 16) {
		/* big payloads (credit limits) without big inputs */
		plen = plen > VSOCK_MAX_PAYLOAD ? VSOCK_MAX_PAYLOAD : plen;
		if (f & 8)
			h.len = plen;
		vsock_hdr_encode(&h, pktbuf);
		memset(&chain, 0, sizeof(chain));
		chain.out[0] = (struct vq_buf){ pktbuf, VSOCK_HDR_LEN };
		chain.out[1] = (struct vq_buf){ bigbuf, plen };
		chain.n_out = plen ? 2 : 1;
		chain.out_len = VSOCK_HDR_LEN + plen;
		deliver(t, &chain, &pkt);
		return;
	}
	plen %= sizeof(pktbuf) - VSOCK_HDR_LEN + 1;
	plen = plen > in->n ? in->n : plen;
	memcpy(pktbuf + VSOCK_HDR_LEN, in->p, plen);
	in->p += plen;
	in->n -= plen;
	if (f & 8)
		h.len = plen;
	vsock_hdr_encode(&h, pktbuf);

	memset(&chain, 0, sizeof(chain));
	for (unsigned i = 0; i < nsplit && off < VSOCK_HDR_LEN + plen; i++) {
		uint32_t l = i + 1 == nsplit ? VSOCK_HDR_LEN + plen - off : splits[i];
		if (l > VSOCK_HDR_LEN + plen - off)
			l = VSOCK_HDR_LEN + plen - off;
		chain.out[chain.n_out++] = (struct vq_buf){ pktbuf + off, l };
		chain.out_len += l;
		off += l;
	}
	deliver(t, &chain, &pkt);
}

static void op_ring(struct vsock_table *t, struct virtq *q, struct input *in)
{
	unsigned k = get8(in) % 8 + 1;

	for (unsigned i = 0; i < k; i++) {
		int r = vq_pop(q, &chain);
		if (r <= 0)
			break;
		deliver(t, &chain, &pkt);
		vq_push(q, chain.head, 0);
	}
}

static void op_line(struct input *in)
{
	char line[40];
	uint32_t port;
	size_t n = get8(in) % sizeof(line), len = 0;

	for (size_t i = 0; i < n; i++)
		line[i] = get8(in);
	if (vsock_parse_connect(line, n, &port, &len) == 1 &&
	    (len > n || len < 10 || line[len - 1] != '\n' || memcmp(line, "CONNECT ", 8)))
		abort();
}

static void op_rxiov(struct input *in)
{
	struct iovec iov[VQ_MAX_CHAIN];
	unsigned k = get8(in) % 8 + 1;
	uint32_t room, max, off = 0, sum = 0;

	memset(&chain, 0, sizeof(chain));
	for (unsigned i = 0; i < k; i++) {
		uint32_t l = getn(in, 2) % 200;
		if (off + l > sizeof(pktbuf))
			break;
		chain.in[chain.n_in++] = (struct vq_buf){ pktbuf + off, l };
		chain.in_len += l;
		off += l;
	}
	max = getn(in, 2);
	int n = vsock_rx_payload_iov(&chain, max, iov, &room);
	for (int i = 0; i < n; i++) {
		memset(iov[i].iov_base, 0xab, iov[i].iov_len); /* in bounds or ASan says so */
		sum += iov[i].iov_len;
	}
	if (sum != room || room > max ||
	    (chain.in_len > VSOCK_HDR_LEN && room != (chain.in_len - VSOCK_HDR_LEN < max
							      ? chain.in_len - VSOCK_HDR_LEN
							      : max)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fake f = { .room = 1 << 20 };
	struct vsock_table t;
	struct guest_mem gm;
	struct virtq q = { .num = QSIZE, .desc_gpa = DESC_GPA, .avail_gpa = AVAIL_GPA,
			   .used_gpa = USED_GPA };
	uint8_t *ram = calloc(1, RAM_SIZE);
	unsigned steps = 0;

	if (!ram)
		abort();
	gmem_wrap(&gm, ram, RAM_SIZE);
	if (vq_init(&q, &gm) < 0)
		abort();
	q.ready = true;
	vsock_table_init(&t, 3, &ops, &f);
	t.logged = ~0u >> 1; /* silence guest error lines */

	while (in.n && steps++ < 2000) {
		struct vsock_conn *c;
		struct vsock_hdr h;
		unsigned k;

		switch (get8(&in) % 13) {
		case 0: op_pkt(&t, &in); break;
		case 1: {
			uint32_t off = getn(&in, 2) % RAM_SIZE, n = get8(&in);
			for (uint32_t i = 0; i < n; i++)
				ram[(off + i) % RAM_SIZE] = get8(&in);
			break;
		}
		case 2: op_ring(&t, &q, &in); break;
		case 3: {
			uint8_t b = get8(&in);
			uint32_t port = getn(&in, 4);
			c = vsock_conn_new_host(&t, -1);
			if (c && (b & 1))
				vsock_conn_host_connect(&t, c, port);
			break;
		}
		case 4:
			k = get8(&in) % 16 + 1;
			while (k-- && vsock_next_ctl(&t, &h))
				check_sent(&t, &h);
			break;
		case 5: {
			uint32_t len;
			c = nth_conn(&t, get8(&in));
			len = getn(&in, 2) % VSOCK_MAX_PAYLOAD + 1;
			if (c && vsock_conn_send_room(c)) {
				uint32_t room = vsock_conn_send_room(c);
				vsock_conn_data_hdr(&t, c, len < room ? len : room, &h);
				if (h.op != VIRTIO_VSOCK_OP_RW || !h.len)
					abort();
			}
			break;
		}
		case 6:
			if ((c = nth_conn(&t, get8(&in))))
				vsock_conn_host_eof(&t, c);
			break;
		case 7:
			c = nth_conn(&t, get8(&in));
			f.room = getn(&in, 2) * 8;
			if (c) {
				c->host_writable = true;
				vsock_conn_flush(&t, c);
			}
			break;
		case 8:
			c = nth_conn(&t, get8(&in));
			k = get8(&in);
			if (c)
				vsock_conn_close(&t, c, k & 1);
			break;
		case 9:
			k = get8(&in);
			f.connect_fail = k & 1;
			f.write_fail = k & 2;
			break;
		case 10: vsock_table_reset(&t); break;
		case 11: op_line(&in); break;
		case 12: op_rxiov(&in); break;
		}
		check(&t);
	}
	vsock_table_reset(&t);
	free(ram);
	return 0;
}

/* --- seeds --- */

struct seed {
	uint8_t b[2048];
	size_t n;
};

static void put(struct seed *s, const void *p, size_t n)
{
	if (s->n + n <= sizeof(s->b)) {
		memcpy(s->b + s->n, p, n);
		s->n += n;
	}
}

static void put8(struct seed *s, uint8_t v) { put(s, &v, 1); }

/* op PKT with valid cids/type, live-connection ports or given ones */
static void put_pkt(struct seed *s, uint16_t op, uint32_t host_port, uint32_t guest_port,
		    uint32_t flags, int conn, const char *payload)
{
	struct vsock_hdr h = { .src_cid = 3, .dst_cid = 2, .src_port = guest_port,
			       .dst_port = host_port, .type = 1, .op = op, .flags = flags,
			       .buf_alloc = 65536 };
	uint8_t raw[VSOCK_HDR_LEN];

	put8(s, 0);
	put8(s, 1 | 2 | 8 | (conn >= 0 ? 4 : 0));
	vsock_hdr_encode(&h, raw);
	put(s, raw, sizeof(raw));
	if (conn >= 0)
		put8(s, conn);
	put8(s, 1); /* two pieces: header, payload */
	put(s, (uint8_t[]){ VSOCK_HDR_LEN, 0, 0, 0 }, 4);
	put(s, (uint8_t[]){ strlen(payload), 0 }, 2);
	put(s, payload, strlen(payload));
}

/* op PKT on live connection conn with len zero bytes from the big buffer */
static void put_big(struct seed *s, int conn, uint16_t len)
{
	struct vsock_hdr h = { .src_cid = 3, .dst_cid = 2, .type = 1, .op = VIRTIO_VSOCK_OP_RW,
			       .buf_alloc = 65536 };
	uint8_t raw[VSOCK_HDR_LEN];

	put8(s, 0);
	put8(s, 1 | 2 | 4 | 8 | 16);
	vsock_hdr_encode(&h, raw);
	put(s, raw, sizeof(raw));
	put8(s, conn);
	put8(s, 0);
	put(s, (uint8_t[]){ 0, 0 }, 2);
	put(s, (uint8_t[]){ len & 0xff, len >> 8 }, 2);
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb"))) {
		fwrite(s->b, 1, s->n, fp);
		fclose(fp);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");
	struct seed s = { .n = 0 };

	if (!dir)
		return 0;
	/* guest connects, sends data, shuts down both ways */
	put_pkt(&s, VIRTIO_VSOCK_OP_REQUEST, 5000, 40000, 0, -1, "");
	put(&s, (uint8_t[]){ 4, 4 }, 2);
	put_pkt(&s, VIRTIO_VSOCK_OP_RW, 0, 0, 0, 0, "hello");
	put(&s, (uint8_t[]){ 5, 0, 0x10, 0 }, 4);
	put_pkt(&s, VIRTIO_VSOCK_OP_SHUTDOWN, 0, 0, 3, 0, "");
	put(&s, (uint8_t[]){ 7, 0, 0x10, 0, 4, 4 }, 6);
	write_seed(dir, "guest-connect", &s);

	/* host client connects, guest answers, data both ways, credit */
	s.n = 0;
	put(&s, (uint8_t[]){ 3, 1, 0xd2, 4, 0, 0, 4, 1 }, 8);
	put_pkt(&s, VIRTIO_VSOCK_OP_RESPONSE, 0, 0, 0, 0, "");
	put(&s, (uint8_t[]){ 5, 0, 0xff, 0xff, 5, 0, 0xff, 0xff }, 8);
	put_pkt(&s, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, 0, 0, 0, "");
	put(&s, (uint8_t[]){ 9, 0 }, 2);
	put(&s, (uint8_t[]){ 7, 0, 0, 0 }, 4);
	put_pkt(&s, VIRTIO_VSOCK_OP_RW, 0, 0, 0, 0, "some data for the host");
	put(&s, (uint8_t[]){ 6, 0, 4, 8, 7, 0, 0xff, 0 }, 8);
	write_seed(dir, "host-connect", &s);

	/* the host stops reading: the guest fills its credit and overruns it;
	 * a second connection closes with data still held */
	s.n = 0;
	put_pkt(&s, VIRTIO_VSOCK_OP_REQUEST, 5000, 40000, 0, -1, "");
	put_pkt(&s, VIRTIO_VSOCK_OP_REQUEST, 5000, 40001, 0, -1, "");
	put(&s, (uint8_t[]){ 4, 4, 7, 0, 0, 0 }, 6);
	put_big(&s, 1, 60000);
	put_pkt(&s, VIRTIO_VSOCK_OP_SHUTDOWN, 0, 0, 3, 1, "");
	put(&s, (uint8_t[]){ 7, 1, 0xff, 0xff, 4, 4, 7, 0, 0, 0 }, 10);
	for (int i = 0; i < 5; i++)
		put_big(&s, 0, 65535);
	put_pkt(&s, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, 0, 0, 0, "");
	put(&s, (uint8_t[]){ 4, 4 }, 2);
	write_seed(dir, "credit", &s);

	/* a tx ring in guest RAM: one chain of two descriptors */
	s.n = 0;
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d[2] = {
		{ 1024, VSOCK_HDR_LEN, VRING_DESC_F_NEXT, 1 }, { 2048, 5, 0, 0 }
	};
	struct vsock_hdr h = { .src_cid = 3, .dst_cid = 2, .src_port = 1, .dst_port = 2,
			       .len = 5, .type = 1, .op = VIRTIO_VSOCK_OP_RW };
	uint8_t raw[VSOCK_HDR_LEN];
	vsock_hdr_encode(&h, raw);
	put(&s, (uint8_t[]){ 1, 0, 0, sizeof(d) }, 4);
	put(&s, d, sizeof(d));
	put(&s, (uint8_t[]){ 1, AVAIL_GPA & 0xff, AVAIL_GPA >> 8, 6, 0, 0, 1, 0, 0, 0 }, 10);
	put(&s, (uint8_t[]){ 1, 1024 & 0xff, 1024 >> 8, VSOCK_HDR_LEN }, 4);
	put(&s, raw, sizeof(raw));
	put(&s, (uint8_t[]){ 1, 2048 & 0xff, 2048 >> 8, 5, 'h', 'e', 'l', 'l', 'o' }, 9);
	put(&s, (uint8_t[]){ 2, 1, 4, 4 }, 4);
	write_seed(dir, "ring", &s);
	exit(0);
}
