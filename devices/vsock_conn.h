/* virtio-vsock connection table and state machine (stream sockets only).
 * No fds and no virtqueues here: the host side is reached through
 * vsock_host_ops, and packets owed to the guest are handed out by
 * vsock_next_ctl()/vsock_conn_data_hdr(), so the whole protocol runs in
 * unit tests and fuzzers without KVM.  Every guest packet is hostile. */
#ifndef ZONE_DEVICES_VSOCK_CONN_H
#define ZONE_DEVICES_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "devices/vsock_packet.h"

#define VSOCK_BUF_ALLOC	  (256 * 1024) /* what we advertise per connection */
#define VSOCK_MAX_CONNS	  1024
#define VSOCK_RST_QUEUE	  256
#define VSOCK_PORT_FIRST  1024 /* ephemeral host ports for host-initiated connections */
#define VSOCK_PORT_LAST	  65535

enum vsock_state {
	VSOCK_HANDSHAKE,   /* host client accepted, its CONNECT line not read yet */
	VSOCK_CONNECTING,  /* REQUEST owed or sent to the guest, awaiting RESPONSE */
	VSOCK_ESTABLISHED,
	VSOCK_CLOSING,	   /* guest shut both ways: flush what we hold, then RST */
};

/* control packets owed to the guest */
enum { VSOCK_CTL_REQUEST = 1, VSOCK_CTL_RESPONSE = 2, VSOCK_CTL_CREDIT = 4, VSOCK_CTL_SHUTDOWN = 8 };

struct vsock_conn {
	TAILQ_ENTRY(vsock_conn) link;	  /* all connections */
	TAILQ_ENTRY(vsock_conn) ctl_link; /* on ctl_list while ctl != 0 */
	enum vsock_state state;
	uint32_t host_port, guest_port;
	int fd;			/* host side, owned by whoever implements the ops */
	bool host_readable;	/* edge-triggered readiness, kept by the device */
	bool host_writable;
	bool host_eof;		/* host side read EOF; SHUTDOWN(SEND) owed or sent */
	bool host_wr_shut;	/* shutdown(SHUT_WR) done on the host side */
	uint32_t guest_shut;	/* VIRTIO_VSOCK_SHUTDOWN_* flags the guest sent */
	uint32_t ctl;		/* VSOCK_CTL_* */
	/* host -> guest flow control: the guest's credit */
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
	/* guest -> host: bytes passed on, last advertised, still held */
	uint32_t fwd_cnt, fwd_cnt_sent;
	uint8_t *pend;
	uint32_t pend_off, pend_len;
	bool dead; /* released (the ops may free it at once) */
	void *priv; /* for the ops implementer */
};

TAILQ_HEAD(vsock_conn_list, vsock_conn);

struct vsock_host_ops {
	/* Write guest payload to the host side: bytes written (short is fine)
	 * or -1 with errno (EAGAIN: try again when writable; else fatal). */
	ssize_t (*write)(void *arg, struct vsock_conn *c, const struct iovec *iov, int n);
	/* The guest connects to host port c->host_port: open the host side
	 * (set c->fd).  0, or -1 and the guest gets RST. */
	int (*connect)(void *arg, struct vsock_conn *c);
	/* The guest accepted a host-initiated connection: tell the client.
	 * 0, or -1 (the connection is reset). */
	int (*established)(void *arg, struct vsock_conn *c);
	/* shutdown(2) the host side, how = SHUT_RD or SHUT_WR. */
	void (*shutdown)(void *arg, struct vsock_conn *c, int how);
	/* c is gone from the table: close its host side; c may be freed. */
	void (*release)(void *arg, struct vsock_conn *c);
};

struct vsock_rst {
	uint32_t host_port, guest_port;
	uint16_t type;
};

struct vsock_table {
	uint64_t guest_cid;
	const struct vsock_host_ops *ops;
	void *arg;
	struct vsock_conn_list conns, ctl_list;
	unsigned n_conns;
	uint32_t next_port;
	struct vsock_rst rst[VSOCK_RST_QUEUE]; /* RSTs not tied to a live connection */
	unsigned rst_head, rst_len;
	unsigned logged; /* guest error lines printed (capped) */
};

void vsock_table_init(struct vsock_table *t, uint64_t guest_cid, const struct vsock_host_ops *ops,
		      void *arg);
/* Transport reset: release every connection without telling the guest. */
void vsock_table_reset(struct vsock_table *t);

/* A host client arrived on fd: a HANDSHAKE connection, or NULL when the
 * table is full. */
struct vsock_conn *vsock_conn_new_host(struct vsock_table *t, int fd);
/* Its CONNECT line named guest_port: pick an ephemeral host port and owe
 * the guest a REQUEST.  0, or -1 when no port is free. */
int vsock_conn_host_connect(struct vsock_table *t, struct vsock_conn *c, uint32_t guest_port);
/* Drop c (host error, client gone); rst tells the guest when it knows c. */
void vsock_conn_close(struct vsock_table *t, struct vsock_conn *c, bool rst);

/* A packet from the guest's tx queue. */
void vsock_guest_pkt(struct vsock_table *t, const struct vsock_pkt *p);
/* A tx packet that failed vsock_pkt_parse() (why) but whose header h was
 * read: log, and reset the connection it names so no byte is lost
 * silently. */
void vsock_guest_bad_pkt(struct vsock_table *t, const struct vsock_hdr *h, const char *why);
/* Log one line about guest misbehaviour (capped per table). */
void vsock_guest_error(struct vsock_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The next control packet owed to the guest: 1 with *h filled, else 0. */
int vsock_next_ctl(struct vsock_table *t, struct vsock_hdr *h);
/* Payload bytes c may send the guest now (0 unless established, open
 * and the guest has credit). */
uint32_t vsock_conn_send_room(const struct vsock_conn *c);
/* Header for len payload bytes sent on c; accounts them. */
void vsock_conn_data_hdr(struct vsock_table *t, struct vsock_conn *c, uint32_t len,
			 struct vsock_hdr *h);
/* The host side read EOF: owe the guest SHUTDOWN(SEND). */
void vsock_conn_host_eof(struct vsock_table *t, struct vsock_conn *c);
/* The host side may take data again: write what is held.  c may be
 * released (flushed after the guest closed, or a write error). */
void vsock_conn_flush(struct vsock_table *t, struct vsock_conn *c);
bool vsock_table_has_ctl(const struct vsock_table *t);

#endif
