#include "devices/virtio_net.h"
#include "devices/net_hdr.h"
#include "devices/tap.h"
#include "devices/virtio_mmio.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#define F(bit) (1ULL << (bit))
#define QUEUE_MAX 256
/* Chains one received packet may span (mergeable buffers) and the iovec
 * they make: enough for 64 KiB in 1.5 KiB buffers. */
#define RX_MAX_CHAINS 64
#define RX_MAX_IOV 256
/* Packets handled per wakeup before the loop serves other descriptors:
 * a flooding guest (or host) cannot starve the zone's IDM traffic. */
#define RX_BUDGET 64
#define TX_BUDGET 256
#define TX_MAX_IOV (VQ_MAX_CHAIN + 1)
#define LOG_FIRST 5 /* malformed input logged individually, then counted */

struct virtio_net {
	struct virtio_dev dev;
	struct virtio_dev_ops ops;
	struct virtio_net_config config;
	int fd;
	bool polling; /* the TAP is watched for EPOLLIN */
	bool in_loop; /* the TAP is registered with the loop */
	struct virtio_net_stats stats;
	struct vq_chain rx_chains[RX_MAX_CHAINS]; /* a ring: rx_held from rx_head */
	unsigned rx_head, rx_held;
	int rx_errno; /* why the last read failed */
	struct iovec rx_iov[RX_MAX_IOV + 1];
	/* A TAP silently truncates a packet to the buffers it is read into:
	 * whatever lands here did not fit the driver's, and is dropped. */
	uint8_t rx_overflow[VNET_RX_NEED_GSO];
	struct vq_chain tx_chain;
	struct iovec tx_iov[TX_MAX_IOV];
};

static void malformed(struct virtio_net *n, bool tx, const char *why)
{
	uint64_t *count = tx ? &n->stats.tx_malformed : &n->stats.rx_malformed;

	if (++*count <= LOG_FIRST)
		fprintf(stderr, "zone-vmm: virtio-net: dropped a malformed %s buffer: %s\n",
			tx ? "transmit" : "receive", why);
}

static void set_polling(struct virtio_net *n, bool on)
{
	if (n->polling == on || !n->in_loop)
		return;
	if (loop_mod(n->dev.loop, n->fd, on ? EPOLLIN : 0) == 0)
		n->polling = on;
}

/* The TAP's interface was deleted (or the fd broke): epoll would report
 * it forever, so it leaves the loop; the guest's link stays up but
 * carries nothing. */
static void tap_gone(struct virtio_net *n, int err)
{
	if (!n->in_loop)
		return;
	fprintf(stderr, "zone-vmm: virtio-net: the TAP stopped working (%s); no more traffic\n",
		strerror(err));
	loop_del(n->dev.loop, n->fd);
	n->in_loop = false;
	n->polling = false;
}

/* ---- transmit ---- */

static void tx_one(struct virtio_net *n, const struct vq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	const char *why = vnet_tx_chain_check(c);
	unsigned niov;
	ssize_t w;

	if (why) {
		malformed(n, true, why);
		return;
	}
	/* checked on our copy: the guest may rewrite its own meanwhile */
	vq_copy_from_out(c, 0, &hdr, sizeof(hdr));
	hdr.num_buffers = 0;
	if ((why = vnet_tx_check(&hdr, c->out_len - VNET_HDR_LEN, n->dev.driver_features))) {
		malformed(n, true, why);
		return;
	}
	if (!(niov = vnet_tx_iov(c, &hdr, n->tx_iov, TX_MAX_IOV))) {
		malformed(n, true, "too many buffers");
		return;
	}
	do
		w = writev(n->fd, n->tx_iov, niov);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		n->stats.tx_dropped++;
		return;
	}
	n->stats.tx_packets++;
	n->stats.tx_bytes += c->out_len - VNET_HDR_LEN;
}

static void tx_process(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	struct virtq *q = &d->vqs[VNET_TXQ];
	uint16_t old = q->used_idx;
	/* without an ioeventfd to re-arm, everything is done now */
	unsigned budget = d->notify_fds[VNET_TXQ] >= 0 ? TX_BUDGET : ~0u;
	int r = 0;

	while (budget && (r = vq_pop(q, &n->tx_chain)) > 0) {
		tx_one(n, &n->tx_chain);
		vq_push(q, n->tx_chain.head, 0);
		budget--;
	}
	if (r < 0) {
		n->stats.tx_malformed++;
		virtio_device_error(d, zerr_msg());
	}
	virtio_signal_used(d, VNET_TXQ, old);
	/* more to send: come back after the loop's other descriptors */
	if (!budget && vq_has_avail(q)) {
		uint64_t one = 1;
		if (write(d->notify_fds[VNET_TXQ], &one, sizeof(one)) < 0) {
			/* counter cannot overflow in practice */
		}
	}
}

/* ---- receive ---- */

enum rx_result { RX_DONE, RX_NO_DATA, RX_NO_BUFFERS, RX_BROKEN, RX_TAP_GONE };

static uint64_t rx_need(const struct virtio_net *n)
{
	uint64_t f = n->dev.driver_features;
	return f & (F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6)) ? VNET_RX_NEED_GSO
									    : VNET_RX_NEED_MTU;
}

/* The i-th chain held for receiving. */
static struct vq_chain *held(struct virtio_net *n, unsigned i)
{
	return &n->rx_chains[(n->rx_head + i) % RX_MAX_CHAINS];
}

/* Receive one packet from the TAP into the driver's buffers.  Chains are
 * popped (and checked) once and held until a packet uses them: a small
 * packet does not pop and give back the 64 KiB a large one might need. */
static enum rx_result rx_one(struct virtio_net *n)
{
	struct virtq *q = &n->dev.vqs[VNET_RXQ];
	bool mrg = n->dev.driver_features & F(VIRTIO_NET_F_MRG_RXBUF);
	uint64_t need = rx_need(n), cap = 0, left;
	unsigned nch = 0, niov = 0, used = 0;
	bool ring_empty = false;
	struct virtio_net_hdr_v1 hdr;
	const char *why;
	ssize_t got;

	/* one chain holds a whole packet unless buffers merge */
	while (nch < (mrg ? RX_MAX_CHAINS : 1u) && cap < need) {
		struct vq_chain *c;
		if (nch == n->rx_held) {
			int r = vq_pop(q, held(n, nch));
			if (r < 0) {
				n->stats.rx_malformed++;
				return RX_BROKEN;
			}
			if (r == 0) {
				ring_empty = true;
				break;
			}
			if ((why = vnet_rx_chain_check(held(n, nch)))) {
				/* used entries may come out of order: give it back now */
				malformed(n, false, why);
				vq_push(q, held(n, nch)->head, 0);
				continue;
			}
			n->rx_held++;
		}
		c = held(n, nch);
		if (niov + c->n_in > RX_MAX_IOV)
			break;
		for (unsigned i = 0; i < c->n_in; i++)
			n->rx_iov[niov++] = (struct iovec){ c->in[i].addr, c->in[i].len };
		cap += c->in_len;
		nch++;
	}
	/* Wait for more buffers rather than drop a large packet, unless the
	 * driver has given every entry of its ring (it may never post more). */
	if (nch == 0 || (mrg && cap < need && ring_empty && n->rx_held < q->num))
		return RX_NO_BUFFERS;
	n->rx_iov[niov] = (struct iovec){ n->rx_overflow, sizeof(n->rx_overflow) };
	do
		got = readv(n->fd, n->rx_iov, niov + 1);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		n->rx_errno = errno;
		return errno == EAGAIN ? RX_NO_DATA : RX_TAP_GONE;
	}
	/* longer than the driver's buffers (it reached rx_overflow): dropped,
	 * the chains stay held for the next packet */
	if ((uint64_t)got > cap || (uint64_t)got < VNET_HDR_LEN) {
		n->stats.rx_dropped++;
		return RX_DONE;
	}
	for (left = got; used < nch && left; used++)
		left -= left < held(n, used)->in_len ? left : held(n, used)->in_len;
	vq_copy_from_in(held(n, 0), 0, &hdr, sizeof(hdr));
	if ((why = vnet_rx_fixup(&hdr, n->dev.driver_features, used))) {
		n->stats.rx_dropped++;
		return RX_DONE;
	}
	vq_copy_to_in(held(n, 0), 0, &hdr, sizeof(hdr));
	left = got;
	for (unsigned i = 0; i < used; i++) {
		uint64_t k = left < held(n, i)->in_len ? left : held(n, i)->in_len;
		vq_push(q, held(n, i)->head, k);
		left -= k;
	}
	n->rx_head = (n->rx_head + used) % RX_MAX_CHAINS;
	n->rx_held -= used;
	n->stats.rx_packets++;
	n->stats.rx_bytes += got - VNET_HDR_LEN;
	return RX_DONE;
}

static void rx_process(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	struct virtq *q = &d->vqs[VNET_RXQ];
	uint16_t old = q->used_idx;
	enum rx_result r = RX_DONE;

	for (unsigned budget = RX_BUDGET; budget && r == RX_DONE; budget--)
		r = rx_one(n);
	if (r == RX_BROKEN) {
		set_polling(n, false);
		virtio_device_error(d, zerr_msg());
	} else if (r == RX_TAP_GONE) {
		tap_gone(n, n->rx_errno);
	} else if (r == RX_NO_BUFFERS) {
		/* paused until the driver posts buffers and notifies */
		set_polling(n, false);
		if (vq_notify_on_next_avail(q))
			set_polling(n, true);
	} else {
		set_polling(n, true);
	}
	virtio_signal_used(d, VNET_RXQ, old);
}

/* ---- device ops ---- */

static void net_notify(struct virtio_dev *d, unsigned q)
{
	if (q == VNET_RXQ)
		rx_process(d->priv);
	else if (q == VNET_TXQ)
		tx_process(d->priv);
}

static void net_activate(struct virtio_dev *d)
{
	struct virtio_net *n = d->priv;

	/* a socket in tests has no offloads to set: nothing was offered */
	if ((d->ops->features & F(VIRTIO_NET_F_GUEST_CSUM)) &&
	    tap_set_offload(n->fd, d->driver_features) < 0)
		fprintf(stderr, "zone-vmm: virtio-net: %s\n", zerr_msg());
	set_polling(n, true);
}

static void net_reset(struct virtio_dev *d)
{
	struct virtio_net *n = d->priv;

	set_polling(n, false);
	n->rx_head = n->rx_held = 0; /* the driver took every buffer back */
}

static void net_destroy(struct virtio_dev *d)
{
	virtio_net_free(d->priv);
}

void virtio_net_tap_readable(struct virtio_net *n)
{
	virtio_kick_device(&n->dev, VNET_RXQ);
}

static void on_tap(void *arg, uint32_t events)
{
	struct virtio_net *n = arg;
	bool live;

	pthread_mutex_lock(&n->dev.lock);
	if (events & (EPOLLERR | EPOLLHUP))
		tap_gone(n, EPIPE);
	/* a device the driver broke or reset takes nothing: stop polling
	 * (the TAP would stay readable and spin the loop) until DRIVER_OK */
	live = n->in_loop && virtio_driver_ok(&n->dev) && n->dev.vqs[VNET_RXQ].ready;
	if (!live)
		set_polling(n, false);
	pthread_mutex_unlock(&n->dev.lock);
	if (live)
		virtio_net_tap_readable(n);
}

struct virtio_net *virtio_net_new(int fd, const uint8_t mac[6], const struct guest_mem *mem,
				  struct loop *loop)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	uint64_t features = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
			    F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX) |
			    F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
			    F(VIRTIO_NET_F_HOST_TSO6);

	if (!n) {
		close(fd);
		zerr(ENOMEM, "virtio-net");
		return NULL;
	}
	n->fd = fd;
	if (tap_offload_supported(fd))
		features |= F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
			    F(VIRTIO_NET_F_GUEST_TSO6);
	memcpy(n->config.mac, mac, 6);
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->ops = (struct virtio_dev_ops){
		.name = "net",
		.device_id = VIRTIO_ID_NET,
		.features = features,
		.num_queues = 2,
		.queue_max = QUEUE_MAX,
		.queue_notify = net_notify,
		.activate = net_activate,
		.reset = net_reset,
		.destroy = net_destroy,
	};
	if (virtio_dev_init(&n->dev, &n->ops, n, &n->config, sizeof(n->config), mem, loop) < 0)
		goto fail;
	/* registered idle: polled once the driver is ready */
	if (loop) {
		if (loop_add(loop, fd, 0, on_tap, n) < 0)
			goto fail;
		n->in_loop = true;
	}
	return n;
fail:
	close(fd);
	free(n);
	return NULL;
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return &n->dev;
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *out)
{
	pthread_mutex_lock(&n->dev.lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->dev.lock);
}

bool virtio_net_rx_polling(struct virtio_net *n)
{
	bool on;

	pthread_mutex_lock(&n->dev.lock);
	on = n->polling;
	pthread_mutex_unlock(&n->dev.lock);
	return on;
}

void virtio_net_free(struct virtio_net *n)
{
	if (!n)
		return;
	if (n->stats.rx_malformed || n->stats.tx_malformed)
		fprintf(stderr,
			"zone-vmm: virtio-net: the guest posted %llu malformed transmit and %llu "
			"malformed receive buffers (dropped)\n",
			(unsigned long long)n->stats.tx_malformed,
			(unsigned long long)n->stats.rx_malformed);
	if (n->in_loop)
		loop_del(n->dev.loop, n->fd);
	close(n->fd);
	free(n);
}
