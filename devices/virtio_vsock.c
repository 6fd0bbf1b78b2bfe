/* virtio-vsock device: wires the connection table (vsock_conn.c) to the
 * virtqueues and to host Unix sockets on the event loop.  Host sockets are
 * watched edge-triggered; conn->host_readable/writable remember readiness,
 * so a socket is simply not read while the guest has no credit or no rx
 * buffers, and is read again when they come back. */
#include "devices/virtio_vsock.h"
#include "devices/virtio_mmio.h"
#include "devices/vsock_conn.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { RXQ = 0, TXQ = 1, EVQ = 2 };

#define CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* Loop watches point at slots, never at connections: a slot outlives the
 * connections it carries, so an event that races a close (the vCPU thread
 * can reset the device while the loop thread waits for the lock) finds an
 * empty or reused slot, and readiness flags are only hints anyway. */
struct vsock_slot {
	struct virtio_vsock *v;
	struct vsock_conn *c;
};

struct virtio_vsock {
	struct virtio_dev dev;
	struct virtio_vsock_config config;
	struct vsock_table t;
	char *path;
	int listen_fd;
	bool accept_paused; /* out of fds: stop polling the listener until one closes */
	struct vsock_slot slots[VSOCK_MAX_CONNS];
	unsigned free_slots[VSOCK_MAX_CONNS], n_free;
	bool have_rx; /* rx_chain popped but not filled yet */
	struct vq_chain rx_chain, tx_chain;
	struct vsock_pkt pkt;
};

static void on_conn_event(void *arg, uint32_t events);

static struct vsock_slot *slot_get(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct vsock_slot *s;

	if (!v->n_free)
		return NULL; /* cannot happen: as many slots as connections */
	s = &v->slots[v->free_slots[--v->n_free]];
	s->c = c;
	c->priv = s;
	return s;
}

/* Start watching c's fd; on failure c is released by the caller. */
static int watch_conn(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct vsock_slot *s = slot_get(v, c);

	if (!s || loop_add(v->dev.loop, c->fd, CONN_EVENTS, on_conn_event, s) < 0) {
		if (s) {
			s->c = NULL;
			v->free_slots[v->n_free++] = s - v->slots;
			c->priv = NULL;
		}
		return -1;
	}
	return 0;
}

/* --- host side of the connection table --- */

static ssize_t host_write(void *arg, struct vsock_conn *c, const struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n };

	return sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int host_connect(void *arg, struct vsock_conn *c)
{
	struct virtio_vsock *v = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n;

	if (!v->path)
		return -1; /* no host side to connect to */
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->path, c->host_port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	/* Unix connects finish at once or fail (EAGAIN: backlog full). */
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || watch_conn(v, c) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static int host_established(void *arg, struct vsock_conn *c)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "OK %u\n", c->host_port);

	/* a fresh socket always has room for one short line */
	return send(c->fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -1;
}

static void host_shutdown(void *arg, struct vsock_conn *c, int how)
{
	shutdown(c->fd, how);
}

static void host_release(void *arg, struct vsock_conn *c)
{
	struct virtio_vsock *v = arg;
	struct vsock_slot *s = c->priv;

	if (c->fd >= 0) {
		loop_del(v->dev.loop, c->fd);
		close(c->fd);
	}
	if (s) {
		s->c = NULL;
		v->free_slots[v->n_free++] = s - v->slots;
	}
	free(c);
	if (v->accept_paused && loop_mod(v->dev.loop, v->listen_fd, EPOLLIN) == 0)
		v->accept_paused = false;
}

static const struct vsock_host_ops host_ops = {
	.write = host_write,
	.connect = host_connect,
	.established = host_established,
	.shutdown = host_shutdown,
	.release = host_release,
};

/* --- guest rx: control packets first, then data from readable sockets --- */

static void put_rx(struct virtio_vsock *v, const struct vsock_hdr *h, uint32_t payload)
{
	uint8_t raw[VSOCK_HDR_LEN];

	vsock_hdr_encode(h, raw);
	vq_copy_to_in(&v->rx_chain, 0, raw, VSOCK_HDR_LEN);
	vq_push(&v->dev.vqs[RXQ], v->rx_chain.head, VSOCK_HDR_LEN + payload);
	v->have_rx = false;
}

static bool may_send_data(const struct vsock_conn *c)
{
	return c->host_readable && vsock_conn_send_room(c) > 0;
}

static bool data_waiting(struct virtio_vsock *v)
{
	struct vsock_conn *c;

	TAILQ_FOREACH(c, &v->t.conns, link)
		if (may_send_data(c))
			return true;
	return false;
}

/* Move one packet of data from some host socket into the held rx chain.
 * false when no connection had any. */
static bool send_data(struct virtio_vsock *v)
{
	struct vsock_conn *c, *next;
	struct iovec iov[VQ_MAX_CHAIN];
	struct vsock_hdr h;

	for (c = TAILQ_FIRST(&v->t.conns); c; c = next) {
		uint32_t room, max;
		int niov;
		ssize_t n;

		next = TAILQ_NEXT(c, link);
		if (!may_send_data(c))
			continue;
		max = vsock_conn_send_room(c);
		if (max > VSOCK_MAX_PAYLOAD)
			max = VSOCK_MAX_PAYLOAD;
		niov = vsock_rx_payload_iov(&v->rx_chain, max, iov, &room);
		n = readv(c->fd, iov, niov);
		if (n > 0) {
			vsock_conn_data_hdr(&v->t, c, n, &h);
			put_rx(v, &h, n);
			/* round robin: the busiest socket goes to the back */
			TAILQ_REMOVE(&v->t.conns, c, link);
			TAILQ_INSERT_TAIL(&v->t.conns, c, link);
			return true;
		}
		c->host_readable = false;
		if (n == 0) {
			vsock_conn_host_eof(&v->t, c);
			return true;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			vsock_conn_close(&v->t, c, true);
			return true;
		}
	}
	return false;
}

static void process_rx(struct virtio_vsock *v)
{
	struct virtq *q = &v->dev.vqs[RXQ];
	uint16_t old = q->used_idx;
	struct vsock_hdr h;

	if (!virtio_driver_ok(&v->dev))
		return;
	for (;;) {
		if (!v->have_rx) {
			if (!vsock_table_has_ctl(&v->t) && !data_waiting(v))
				break;
			int r = vq_pop(q, &v->rx_chain);
			if (r < 0)
				virtio_device_error(&v->dev, zerr_msg());
			if (r <= 0)
				break;
			if (v->rx_chain.in_len <= VSOCK_HDR_LEN) {
				vsock_guest_error(&v->t, "rx buffer of %llu bytes is too small",
						  (unsigned long long)v->rx_chain.in_len);
				vq_push(q, v->rx_chain.head, 0);
				continue;
			}
			v->have_rx = true;
		}
		if (vsock_next_ctl(&v->t, &h))
			put_rx(v, &h, 0);
		else if (!send_data(v))
			break;
	}
	virtio_signal_used(&v->dev, RXQ, old);
}

/* --- guest tx --- */

static void process_tx(struct virtio_vsock *v)
{
	struct virtq *q = &v->dev.vqs[TXQ];
	uint16_t old = q->used_idx;
	int r;

	while ((r = vq_pop(q, &v->tx_chain)) > 0) {
		if (vsock_pkt_parse(&v->tx_chain, &v->pkt) == 0)
			vsock_guest_pkt(&v->t, &v->pkt);
		else if (v->tx_chain.out_len >= VSOCK_HDR_LEN)
			vsock_guest_bad_pkt(&v->t, &v->pkt.hdr, zerr_msg());
		else
			vsock_guest_error(&v->t, "%s", zerr_msg());
		vq_push(q, v->tx_chain.head, 0);
	}
	if (r < 0)
		virtio_device_error(&v->dev, zerr_msg());
	virtio_signal_used(&v->dev, TXQ, old);
}

static void vsock_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_vsock *v = d->priv;

	if (q == TXQ)
		process_tx(v);
	/* rx buffers, or credit and replies from tx: send what we can */
	if (q != EVQ)
		process_rx(v);
}

static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *v = d->priv;

	vsock_table_reset(&v->t);
	v->have_rx = false;
}

/* --- host sockets --- */

/* Read a host client's "CONNECT <port>\n" without consuming what follows. */
static void handshake(struct virtio_vsock *v, struct vsock_conn *c)
{
	char buf[32];
	size_t line_len;
	uint32_t port;
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	r = n > 0 ? vsock_parse_connect(buf, n, &port, &line_len) : -1;
	if (r == 0 && n < (ssize_t)sizeof(buf))
		return; /* wait for the rest of the line */
	if (r != 1 || recv(c->fd, buf, line_len, MSG_DONTWAIT) != (ssize_t)line_len ||
	    vsock_conn_host_connect(&v->t, c, port) < 0) {
		vsock_conn_close(&v->t, c, false);
		return;
	}
	c->host_readable = true; /* bytes after the line raise no new edge */
}

static void on_conn_event(void *arg, uint32_t events)
{
	struct vsock_slot *s = arg;
	struct virtio_vsock *v = s->v;
	struct vsock_conn *c;

	pthread_mutex_lock(&v->dev.lock);
	c = s->c;
	if (c && c->state == VSOCK_HANDSHAKE) {
		handshake(v, c);
	} else if (c) {
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			c->host_readable = true;
		if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
			c->host_writable = true;
			vsock_conn_flush(&v->t, c);
		}
	}
	process_rx(v);
	pthread_mutex_unlock(&v->dev.lock);
}

static void on_accept(void *arg, uint32_t events)
{
	struct virtio_vsock *v = arg;
	int fd;

	pthread_mutex_lock(&v->dev.lock);
	while ((fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct vsock_conn *c = vsock_conn_new_host(&v->t, fd);
		if (!c) {
			close(fd); /* table full */
			continue;
		}
		if (watch_conn(v, c) < 0)
			vsock_conn_close(&v->t, c, false);
	}
	/* A listener we cannot drain would wake the loop forever. */
	if ((errno == EMFILE || errno == ENFILE) && loop_mod(v->dev.loop, v->listen_fd, 0) == 0) {
		fprintf(stderr, "zone-vmm: virtio-vsock: out of file descriptors, "
				"not accepting host clients until a connection closes\n");
		v->accept_paused = true;
	}
	pthread_mutex_unlock(&v->dev.lock);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	z_autoclose int fd = -1;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path) - 12) /* room for "_<port>" too */
		return zerr(ENAMETOOLONG, "vsock socket path %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return zerr(errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		z_autoclose int probe = -1;
		if (errno != EADDRINUSE)
			return zerr(errno, "bind %s", path);
		/* Replace the socket of a VMM that died; never a live one. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0 || connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno != ECONNREFUSED)
			return zerr(EADDRINUSE, "vsock socket %s is in use", path);
		if (unlink(path) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return zerr(errno, "bind %s", path);
	}
	if (listen(fd, 128) < 0)
		return zerr(errno, "listen %s", path);
	ret = fd;
	fd = -1;
	return ret;
}

static void vsock_destroy(struct virtio_dev *d)
{
	virtio_vsock_free(d->priv);
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.features = 0, /* stream only: no VIRTIO_VSOCK_F_SEQPACKET */
	.num_queues = 3,
	.queue_max = 256,
	.queue_notify = vsock_notify,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
};

struct virtio_vsock *virtio_vsock_new(const char *path, uint64_t guest_cid,
				      const struct guest_mem *mem, struct loop *loop)
{
	struct virtio_vsock *v = calloc(1, sizeof(*v));

	if (!v) {
		zerr(ENOMEM, "virtio-vsock");
		return NULL;
	}
	v->listen_fd = -1;
	v->config.guest_cid = guest_cid;
	vsock_table_init(&v->t, guest_cid, &host_ops, v);
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		v->slots[i].v = v;
		v->free_slots[VSOCK_MAX_CONNS - 1 - i] = i;
	}
	v->n_free = VSOCK_MAX_CONNS;
	if (virtio_dev_init(&v->dev, &vsock_ops, v, &v->config, sizeof(v->config), mem, loop) < 0)
		goto fail;
	if (!path)
		return v;
	if (!(v->path = strdup(path))) {
		zerr(ENOMEM, "virtio-vsock");
		goto fail;
	}
	if ((v->listen_fd = listen_unix(path)) < 0)
		goto fail;
	if (loop_add(loop, v->listen_fd, EPOLLIN, on_accept, v) < 0) {
		unlink(path);
		goto fail;
	}
	return v;
fail:
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	free(v->path);
	free(v);
	return NULL;
}

struct virtio_dev *virtio_vsock_dev(struct virtio_vsock *v)
{
	return &v->dev;
}

int virtio_vsock_connect_fd(struct virtio_vsock *v, int fd, uint32_t port)
{
	struct vsock_conn *c;
	int ret = 0;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(fd);
		return zerr(errno, "vsock connection");
	}
	pthread_mutex_lock(&v->dev.lock);
	c = vsock_conn_new_host(&v->t, fd);
	if (!c) {
		close(fd);
		ret = zerr(EMFILE, "vsock: too many connections");
	} else if (watch_conn(v, c) < 0 || vsock_conn_host_connect(&v->t, c, port) < 0) {
		vsock_conn_close(&v->t, c, false);
		ret = zerr(ECONNREFUSED, "vsock: cannot connect to guest port %u", port);
	} else {
		process_rx(v); /* send the REQUEST now, not at the next event */
	}
	pthread_mutex_unlock(&v->dev.lock);
	return ret;
}

void virtio_vsock_free(struct virtio_vsock *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->dev.lock);
	vsock_table_reset(&v->t);
	pthread_mutex_unlock(&v->dev.lock);
	if (v->listen_fd >= 0) {
		loop_del(v->dev.loop, v->listen_fd);
		close(v->listen_fd);
		unlink(v->path);
	}
	free(v->path);
	free(v);
}
