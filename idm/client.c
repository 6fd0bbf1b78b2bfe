/* IDM client: request/reply over one connection with a queue for
 * everything that arrives out of turn, per-process credit bookkeeping,
 * and the stdio relay used by `zone exec` and zone-vmm's `-- CMD`.
 * The guest is untrusted: its DATA must stay inside the credit we gave,
 * and the queue of unread messages is bounded. */
#include "idm/client.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUED 65536
/* Bytes of queued replies (DATA is bounded by credit instead): the guest
 * cannot make us hold more by sending replies nobody asked for. */
#define MAX_QUEUED_BYTES (16u << 20)
#define HELLO_TIMEOUT_MS 30000 /* zone-init answers at once, but a loaded host may be slow */
#define HIGH_WATER (1u << 20)
#define IGNORE_RING 16

struct qmsg {
	struct qmsg *next;
	struct idm_msg m;
	uint32_t bytes; /* counted in qbytes */
};

struct cproc {
	uint32_t proc;
	uint32_t in_credit;
	uint32_t out_credit[3];
};

struct idm_conn {
	int fd;
	bool dead;
	struct idm_reader rd;
	struct idm_buf out;
	uint32_t next_id;
	struct qmsg *qhead, **qtail;
	unsigned qlen;
	size_t qbytes;
	struct cproc *procs;
	unsigned nprocs, cap_procs;
	uint32_t start_id; /* the START awaiting its STARTED (calls are sequential) */
	uint32_t ignore[IGNORE_RING]; /* ids of replies nobody waits for */
	unsigned ignore_pos;
};

int idm_conn_fd(const struct idm_conn *c)
{
	return c->fd;
}

/* An ERROR from zone-init: its text already names the cause, so keep its
 * errno without appending strerror a second time. */
static int peer_error(int code, const char *fmt, const char *msg)
{
	zerr(0, fmt, msg);
	zerr_set_errno(code);
	return -1;
}

static struct cproc *cproc_find(struct idm_conn *c, uint32_t proc)
{
	for (unsigned i = 0; i < c->nprocs; i++)
		if (c->procs[i].proc == proc)
			return &c->procs[i];
	return NULL;
}

static int cproc_add(struct idm_conn *c, uint32_t proc)
{
	if (cproc_find(c, proc))
		return zerr(EPROTO, "guest reused process id %u", proc);
	if (c->nprocs == c->cap_procs) {
		unsigned cap = c->cap_procs ? c->cap_procs * 2 : 8;
		struct cproc *p = realloc(c->procs, cap * sizeof(*p));

		if (!p)
			return zerr(ENOMEM, "idm client");
		c->procs = p;
		c->cap_procs = cap;
	}
	c->procs[c->nprocs++] = (struct cproc){ proc, IDM_WINDOW, { 0, IDM_WINDOW, IDM_WINDOW } };
	return 0;
}

static int fail(struct idm_conn *c, int err, const char *why)
{
	c->dead = true;
	return zerr(err, "zone connection: %s", why);
}

/* The same for the error just recorded (zerr's message and errno). */
static int fail_recorded(struct idm_conn *c)
{
	c->dead = true;
	return zerr_prefix("zone connection");
}

static int send_msg(struct idm_conn *c, unsigned type, uint32_t id, const void *body)
{
	if (c->dead)
		return zerr(EPIPE, "zone connection is closed");
	if (idm_msg_write(&c->out, type, id, body) < 0)
		return -1;
	if (idm_buf_flush(&c->out, c->fd) < 0)
		return fail_recorded(c);
	return 0;
}

static uint32_t new_id(struct idm_conn *c)
{
	if (++c->next_id == 0)
		c->next_id = 1;
	return c->next_id;
}

/* Check and account one incoming message (len: its payload size); queue
 * it unless handled here. */
static int incoming(struct idm_conn *c, struct idm_msg *m, uint32_t len)
{
	struct qmsg *q;
	struct cproc *p;

	switch (m->type) {
	case IDM_CREDIT:
		p = cproc_find(c, m->u.credit.proc);
		if (!p || m->u.credit.stream != IDM_STDIN ||
		    p->in_credit + (uint64_t)m->u.credit.bytes > IDM_WINDOW)
			goto bad;
		p->in_credit += m->u.credit.bytes;
		idm_msg_free(m);
		return 0;
	case IDM_DATA:
		p = cproc_find(c, m->u.data.proc);
		if (!p || m->u.data.stream == IDM_STDIN ||
		    m->u.data.len > p->out_credit[m->u.data.stream])
			goto bad;
		p->out_credit[m->u.data.stream] -= m->u.data.len;
		break;
	case IDM_EOF:
		if (!cproc_find(c, m->u.eof.proc) || m->u.eof.stream == IDM_STDIN)
			goto bad;
		break;
	case IDM_STARTED:
		/* Register now: the process's output may be in the same read. */
		if (!m->id || m->id != c->start_id || cproc_add(c, m->u.started.proc) < 0)
			goto bad;
		c->start_id = 0;
		break;
	case IDM_START: case IDM_SIGNAL: case IDM_RESIZE: case IDM_WAIT:
	case IDM_LIST: case IDM_STATS: case IDM_SHUTDOWN: case IDM_PING: case IDM_ROOTFS:
	case IDM_MOUNT:
	case IDM_NETCONF:
		goto bad; /* requests go host -> guest only */
	default:
		if (m->id == 0 && m->type == IDM_ERROR) {
			/* The guest gave up on this connection and says why. */
			peer_error(m->u.error.code, "zone-init: %s",
			     m->u.error.message ? m->u.error.message : "error");
			idm_msg_free(m);
			c->dead = true;
			return -1;
		}
		for (unsigned i = 0; i < IGNORE_RING; i++)
			if (m->id && c->ignore[i] == m->id) {
				c->ignore[i] = 0;
				idm_msg_free(m);
				return 0;
			}
	}
	if (m->type == IDM_DATA)
		len = 0;
	if (c->qlen >= MAX_QUEUED || c->qbytes + len > MAX_QUEUED_BYTES) {
		idm_msg_free(m);
		return fail(c, EPROTO, "too many unread messages from the guest");
	}
	q = malloc(sizeof(*q));
	if (!q) {
		idm_msg_free(m);
		return fail(c, ENOMEM, "queue");
	}
	q->m = *m;
	q->bytes = len;
	c->qbytes += len;
	q->next = NULL;
	*c->qtail = q;
	c->qtail = &q->next;
	c->qlen++;
	return 0;
bad:
	{
		char why[96];

		snprintf(why, sizeof(why), "protocol violation by the guest (%s)", idm_type_name(m->type));
		idm_msg_free(m);
		return fail(c, EPROTO, why);
	}
}

/* One poll round on the connection: flush, read, queue.  0 ok (maybe
 * nothing happened before the timeout), -1 error or closed. */
static int pump(struct idm_conn *c, int timeout_ms)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	struct idm_hdr h;
	const uint8_t *payload;
	struct idm_msg m;
	ssize_t n;
	int r;

	if (c->dead)
		return zerr(EPIPE, "zone connection is closed");
	if (idm_buf_used(&c->out))
		pfd.events |= POLLOUT;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : zerr(errno, "poll");
	if (r == 0)
		return 0;
	if ((pfd.revents & POLLOUT) && idm_buf_flush(&c->out, c->fd) < 0)
		return fail_recorded(c);
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = idm_reader_fill(&c->rd, c->fd);
	if (n == IDM_IO_EOF)
		return fail(c, ECONNRESET, idm_reader_pending(&c->rd) ? "closed inside a frame" : "closed by the zone");
	if (n < 0)
		return fail_recorded(c);
	while ((r = idm_reader_next(&c->rd, &h, &payload)) > 0) {
		if (idm_msg_decode(&h, payload, &m) < 0)
			return fail_recorded(c);
		if (incoming(c, &m, h.len) < 0)
			return -1;
	}
	if (r < 0)
		return fail_recorded(c);
	return 0;
}

/* Remove and return the first queued message matching (proc, id). */
static bool q_take(struct idm_conn *c, uint32_t id, uint32_t proc, struct idm_msg *out)
{
	for (struct qmsg **qp = &c->qhead; *qp; qp = &(*qp)->next) {
		struct qmsg *q = *qp;
		uint32_t mp = q->m.type == IDM_DATA ? q->m.u.data.proc
			      : q->m.type == IDM_EOF ? q->m.u.eof.proc : 0;

		if ((id && q->m.id == id) || (proc && mp == proc) || (!id && !proc)) {
			*qp = q->next;
			if (c->qtail == &q->next)
				c->qtail = qp;
			c->qlen--;
			c->qbytes -= q->bytes;
			*out = q->m;
			free(q);
			return true;
		}
	}
	return false;
}

static int64_t now_ms(void);

/* Send a request and wait for its reply (at most timeout_ms unless it is
 * negative); an ERROR reply becomes -1. */
static int call_wait(struct idm_conn *c, unsigned type, const void *body, struct idm_msg *reply,
		     int timeout_ms)
{
	uint32_t id = new_id(c);
	int64_t deadline = now_ms() + timeout_ms;

	if (type == IDM_START)
		c->start_id = id;
	if (send_msg(c, type, id, body) < 0)
		return -1;
	while (!q_take(c, id, 0, reply)) {
		int64_t left = deadline - now_ms();

		if (timeout_ms >= 0 && left <= 0)
			return fail(c, ETIMEDOUT, "no answer from the guest");
		if (pump(c, timeout_ms >= 0 ? left : -1) < 0)
			return -1;
	}
	if (reply->type == IDM_ERROR) {
		peer_error(reply->u.error.code, "zone-init: %s",
		     reply->u.error.message ? reply->u.error.message : idm_type_name(type));
		idm_msg_free(reply);
		return -1;
	}
	return 0;
}

static int call(struct idm_conn *c, unsigned type, const void *body, struct idm_msg *reply)
{
	return call_wait(c, type, body, reply, -1);
}

static int call_expect(struct idm_conn *c, unsigned type, const void *body, unsigned rtype,
		       struct idm_msg *reply)
{
	if (call(c, type, body, reply) < 0)
		return -1;
	if (reply->type != rtype) {
		idm_msg_free(reply);
		return fail(c, EPROTO, "unexpected reply type");
	}
	return 0;
}

static int call_ack(struct idm_conn *c, unsigned type, const void *body)
{
	struct idm_msg r;

	if (call_expect(c, type, body, IDM_ACK, &r) < 0)
		return -1;
	idm_msg_free(&r);
	return 0;
}

int idm_conn_open_fd(int fd, struct idm_conn **out)
{
	struct idm_conn *c = calloc(1, sizeof(*c));
	struct idm_hello h = { IDM_VERSION, IDM_VERSION, "zone" };
	struct idm_msg r;

	if (!c) {
		close(fd);
		return zerr(ENOMEM, "idm client");
	}
	c->fd = fd;
	c->qtail = &c->qhead;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		zerr(errno, "zone connection");
		goto fail;
	}
	/* A guest that never answers must not hang the host tool. */
	if (call_wait(c, IDM_HELLO, &h, &r, HELLO_TIMEOUT_MS) < 0)
		goto fail;
	if (r.type != IDM_HELLO) {
		idm_msg_free(&r);
		fail(c, EPROTO, "unexpected reply type");
		goto fail;
	}
	if (r.u.hello.version_min != IDM_VERSION || r.u.hello.version_max != IDM_VERSION) {
		zerr(EPROTONOSUPPORT, "zone-init chose IDM version %u", r.u.hello.version_min);
		idm_msg_free(&r);
		goto fail;
	}
	idm_msg_free(&r);
	*out = c;
	return 0;
fail:
	idm_conn_close(c);
	return zerr_prefix("hello");
}

int idm_conn_connect(const char *uds_path, unsigned port, struct idm_conn **out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	z_autoclose int fd = -1;
	char line[64];
	size_t n = 0;
	int len;

	if (strlen(uds_path) >= sizeof(addr.sun_path))
		return zerr(ENAMETOOLONG, "%s", uds_path);
	strcpy(addr.sun_path, uds_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return zerr(errno, "connect %s", uds_path);
	len = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write_all(fd, line, len) < 0)
		return zerr(errno, "%s: CONNECT", uds_path);
	/* Byte by byte: nothing after the newline belongs to the handshake. */
	while (n < sizeof(line) - 1) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 10000) <= 0)
			return zerr(ETIMEDOUT, "%s: no answer to CONNECT %u", uds_path, port);
		r = read(fd, line + n, 1);
		if (r <= 0)
			return zerr(r < 0 ? errno : ECONNREFUSED,
				    "%s: connection closed during CONNECT %u (nothing listening?)", uds_path, port);
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3) != 0 || line[n - 1] != '\n')
		return zerr(ECONNREFUSED, "%s: CONNECT %u refused: %.*s", uds_path, port,
			    (int)strcspn(line, "\n"), line);
	len = fd;
	fd = -1;
	return idm_conn_open_fd(len, out);
}

void idm_conn_close(struct idm_conn *c)
{
	struct idm_msg m;

	if (!c)
		return;
	while (q_take(c, 0, 0, &m))
		idm_msg_free(&m);
	if (c->fd >= 0)
		close(c->fd);
	idm_reader_free(&c->rd);
	idm_buf_free(&c->out);
	free(c->procs);
	free(c);
}

int idm_ping(struct idm_conn *c)
{
	struct idm_ping p = { 0x5a4f4e45 };
	struct idm_msg r;

	if (call_expect(c, IDM_PING, &p, IDM_PONG, &r) < 0)
		return -1;
	if (r.u.ping.cookie != p.cookie) {
		idm_msg_free(&r);
		return fail(c, EPROTO, "PONG with the wrong cookie");
	}
	idm_msg_free(&r);
	return 0;
}

int idm_start(struct idm_conn *c, const struct idm_start *s, uint32_t *proc, uint32_t *pid)
{
	struct idm_msg r;

	if (call_expect(c, IDM_START, s, IDM_STARTED, &r) < 0)
		return -1;
	*proc = r.u.started.proc;
	if (pid)
		*pid = r.u.started.pid;
	idm_msg_free(&r);
	return 0;
}

int idm_signal(struct idm_conn *c, uint32_t proc, int signo)
{
	struct idm_signal s = { proc, signo };

	return call_ack(c, IDM_SIGNAL, &s);
}

int idm_resize(struct idm_conn *c, uint32_t proc, unsigned rows, unsigned cols)
{
	struct idm_resize r = { proc, rows, cols };

	return call_ack(c, IDM_RESIZE, &r);
}

int idm_list(struct idm_conn *c, struct idm_msg *reply)
{
	return call_expect(c, IDM_LIST, NULL, IDM_LIST_REPLY, reply);
}

int idm_stats(struct idm_conn *c, uint32_t proc, struct idm_stats *out)
{
	struct idm_stats_req q = { proc };
	struct idm_msg r;

	if (call_expect(c, IDM_STATS, &q, IDM_STATS_REPLY, &r) < 0)
		return -1;
	*out = r.u.stats;
	idm_msg_free(&r);
	return 0;
}

int idm_shutdown(struct idm_conn *c)
{
	return call_ack(c, IDM_SHUTDOWN, NULL);
}

int idm_rootfs(struct idm_conn *c, const struct idm_rootfs *r)
{
	return call_ack(c, IDM_ROOTFS, r);
}

int idm_mount(struct idm_conn *c, const struct idm_mount *m)
{
	return call_ack(c, IDM_MOUNT, m);
}

int idm_netconf(struct idm_conn *c, const struct idm_netconf *n)
{
	return call_ack(c, IDM_NETCONF, n);
}

int idm_send_wait(struct idm_conn *c, uint32_t proc, uint32_t *req)
{
	struct idm_wait w = { proc };

	*req = new_id(c);
	return send_msg(c, IDM_WAIT, *req, &w);
}

int idm_write_stdin(struct idm_conn *c, uint32_t proc, const void *buf, size_t len)
{
	struct cproc *p = cproc_find(c, proc);
	const uint8_t *b = buf;

	if (!p)
		return zerr(ESRCH, "unknown process %u", proc);
	while (len) {
		struct idm_data d = { proc, IDM_STDIN, (uint8_t *)b, 0 };

		while ((p = cproc_find(c, proc))->in_credit == 0 || idm_buf_used(&c->out) > HIGH_WATER)
			if (pump(c, -1) < 0)
				return -1;
		d.len = len < p->in_credit ? len : p->in_credit;
		if (d.len > IDM_DATA_CHUNK)
			d.len = IDM_DATA_CHUNK;
		if (send_msg(c, IDM_DATA, 0, &d) < 0)
			return -1;
		p->in_credit -= d.len;
		b += d.len;
		len -= d.len;
	}
	return 0;
}

int idm_close_stdin(struct idm_conn *c, uint32_t proc)
{
	struct idm_eof e = { proc, IDM_STDIN };

	return send_msg(c, IDM_EOF, 0, &e);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int idm_recv(struct idm_conn *c, struct idm_msg *m, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (!q_take(c, 0, 0, m)) {
		int left = -1;

		if (timeout_ms >= 0) {
			int64_t d = deadline - now_ms();

			if (d <= 0)
				return 0;
			left = d;
		}
		if (pump(c, left) < 0)
			return -1;
	}
	return 1;
}

int idm_credit(struct idm_conn *c, uint32_t proc, int stream, uint32_t bytes)
{
	struct idm_credit cr = { proc, stream, bytes };
	struct cproc *p = cproc_find(c, proc);

	if (!p || stream < IDM_STDOUT || stream > IDM_STDERR)
		return zerr(EINVAL, "credit for unknown stream %u/%d", proc, stream);
	if (!bytes)
		return 0;
	p->out_credit[stream] += bytes;
	return send_msg(c, IDM_CREDIT, 0, &cr);
}

/* ---- idm_run_process ---- */

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	winch = 1;
}

/* Signals idm_run_process passes on to the process when asked to. */
static const int fwd_sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
#define N_FWD (sizeof(fwd_sigs) / sizeof(fwd_sigs[0]))
static volatile sig_atomic_t fwd_pending[N_FWD];
static bool forward_signals;

static void on_fwd(int sig)
{
	for (unsigned i = 0; i < N_FWD; i++)
		if (fwd_sigs[i] == sig)
			fwd_pending[i] = 1;
}

void idm_forward_signals(bool on)
{
	forward_signals = on;
}

struct relay {
	struct idm_conn *c;
	uint32_t proc, wait_id;
	int fd[3];
	size_t chunk[3];   /* bytes per write: small for pipes so a write never blocks */
	struct idm_buf pend[3];
	uint32_t grant[3]; /* written to the local fd, credit not yet returned */
	bool in_open, exited;
	struct idm_exit exit;
};

static size_t write_chunk(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if ((fl >= 0 && (fl & O_NONBLOCK)) || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)))
		return IDM_DATA_CHUNK;
	return PIPE_BUF;
}

static int relay_take(struct relay *r)
{
	struct idm_msg m;

	while (q_take(r->c, r->wait_id, r->proc, &m)) {
		switch (m.type) {
		case IDM_DATA: {
			int st = m.u.data.stream;

			if (r->fd[st] < 0) /* nobody wants it: discard, keep the window open */
				r->grant[st] += m.u.data.len;
			else
				idm_buf_put(&r->pend[st], m.u.data.data, m.u.data.len);
			break;
		}
		case IDM_EXIT:
			r->exit = m.u.exit;
			r->exited = true;
			break;
		case IDM_ERROR:
			peer_error(m.u.error.code, "zone-init: wait: %s", m.u.error.message ? m.u.error.message : "");
			idm_msg_free(&m);
			return -1;
		default: /* EOF: nothing to do, EXIT follows */
			break;
		}
		idm_msg_free(&m);
	}
	for (int st = IDM_STDOUT; st <= IDM_STDERR; st++)
		if (r->pend[st].oom)
			return zerr(ENOMEM, "output buffer");
	return 0;
}

static int relay_credit(struct relay *r, int st)
{
	if (!r->grant[st] || (r->grant[st] < IDM_WINDOW / 4 && idm_buf_used(&r->pend[st])))
		return 0;
	uint32_t g = r->grant[st];

	r->grant[st] = 0;
	return idm_credit(r->c, r->proc, st, g);
}

static int relay_write(struct relay *r, int st)
{
	size_t n = idm_buf_used(&r->pend[st]);
	ssize_t w;

	if (n > r->chunk[st])
		n = r->chunk[st];
	w = write(r->fd[st], idm_buf_head(&r->pend[st]), n);
	if (w < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		/* Local reader went away (e.g. `| head`): drop output from now on. */
		r->grant[st] += idm_buf_used(&r->pend[st]);
		idm_buf_free(&r->pend[st]);
		r->fd[st] = -1;
		return relay_credit(r, st);
	}
	idm_buf_consume(&r->pend[st], w);
	r->grant[st] += w;
	return relay_credit(r, st);
}

static int relay_stdin(struct relay *r)
{
	struct cproc *p = cproc_find(r->c, r->proc);
	uint8_t buf[IDM_DATA_CHUNK];
	size_t max = p->in_credit < sizeof(buf) ? p->in_credit : sizeof(buf);
	ssize_t n = read(r->fd[0], buf, max);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) { /* EOF, or EIO from a hung-up terminal */
		r->in_open = false;
		return idm_close_stdin(r->c, r->proc);
	}
	return idm_write_stdin(r->c, r->proc, buf, n);
}

static int relay_loop(struct relay *r, const sigset_t *pollmask)
{
	struct idm_conn *c = r->c;

	for (;;) {
		struct pollfd pfd[4];
		int np = 0, ic = -1, ii = -1, io[3] = { -1, -1, -1 };
		struct cproc *p = cproc_find(c, r->proc);

		if (relay_take(r) < 0)
			return -1;
		if (r->exited && !idm_buf_used(&r->pend[1]) && !idm_buf_used(&r->pend[2]))
			return 0;
		if (r->grant[1] && relay_credit(r, 1) < 0)
			return -1;
		if (r->grant[2] && relay_credit(r, 2) < 0)
			return -1;
		for (unsigned i = 0; i < N_FWD; i++) {
			if (!fwd_pending[i])
				continue;
			struct idm_signal sg = { r->proc, fwd_sigs[i] };
			uint32_t id = new_id(c);

			fwd_pending[i] = 0;
			c->ignore[c->ignore_pos++ % IGNORE_RING] = id; /* ACK dropped */
			if (send_msg(c, IDM_SIGNAL, id, &sg) < 0)
				return -1;
		}
		if (winch) {
			struct winsize ws;

			winch = 0;
			if (ioctl(r->fd[0], TIOCGWINSZ, &ws) == 0) {
				struct idm_resize rs = { r->proc, ws.ws_row, ws.ws_col };
				uint32_t id = new_id(c);

				/* Fire and forget: the ACK is dropped when it arrives. */
				c->ignore[c->ignore_pos++ % IGNORE_RING] = id;
				if (send_msg(c, IDM_RESIZE, id, &rs) < 0)
					return -1;
			}
		}
		ic = np;
		pfd[np++] = (struct pollfd){ c->fd, POLLIN | (idm_buf_used(&c->out) ? POLLOUT : 0), 0 };
		if (r->in_open && !r->exited && p->in_credit && idm_buf_used(&c->out) < HIGH_WATER) {
			ii = np;
			pfd[np++] = (struct pollfd){ r->fd[0], POLLIN, 0 };
		}
		for (int st = 1; st <= 2; st++)
			if (r->fd[st] >= 0 && idm_buf_used(&r->pend[st])) {
				io[st] = np;
				pfd[np++] = (struct pollfd){ r->fd[st], POLLOUT, 0 };
			}
		if (ppoll(pfd, np, NULL, pollmask) < 0) {
			if (errno == EINTR)
				continue;
			return zerr(errno, "poll");
		}
		for (int st = 1; st <= 2; st++)
			if (io[st] >= 0 && pfd[io[st]].revents && relay_write(r, st) < 0)
				return -1;
		if (ii >= 0 && pfd[ii].revents && relay_stdin(r) < 0)
			return -1;
		if (pfd[ic].revents & POLLOUT && idm_buf_flush(&c->out, c->fd) < 0)
			return fail_recorded(c);
		if (pfd[ic].revents & (POLLIN | POLLHUP | POLLERR) && pump(c, 0) < 0)
			return -1;
	}
}

int idm_run_process(struct idm_conn *c, const struct idm_start *start, int in_fd, int out_fd,
		    int err_fd, bool tty, int *exit_code)
{
	return idm_run_process_ex(c, start, in_fd, out_fd, err_fd, tty, exit_code, NULL);
}

int idm_run_process_ex(struct idm_conn *c, const struct idm_start *start, int in_fd, int out_fd,
		       int err_fd, bool tty, int *exit_code, const struct idm_run_hooks *hooks)
{
	struct idm_start s = *start;
	struct relay r = { .c = c, .fd = { in_fd, out_fd, err_fd }, .in_open = in_fd >= 0 };
	bool local_tty = tty && in_fd >= 0 && isatty(in_fd);
	struct termios saved, raw;
	struct sigaction sa = { .sa_handler = on_winch }, old_sa, fwd_sa = { .sa_handler = on_fwd },
			 old_fwd[N_FWD];
	sigset_t block, old_mask, pollmask;
	bool fwd = forward_signals, masked = local_tty || fwd;
	struct winsize ws;
	int rc;

	s.tty = tty;
	if (tty && !s.rows && !s.cols) {
		int wfd = out_fd >= 0 && isatty(out_fd) ? out_fd : in_fd;

		if (wfd >= 0 && ioctl(wfd, TIOCGWINSZ, &ws) == 0) {
			s.rows = ws.ws_row;
			s.cols = ws.ws_col;
		}
		if (!s.rows || !s.cols) { /* no local size (e.g. not a terminal) */
			s.rows = 24;
			s.cols = 80;
		}
	}
	for (int st = 1; st <= 2; st++)
		r.chunk[st] = r.fd[st] >= 0 ? write_chunk(r.fd[st]) : 0;
	if (idm_start(c, &s, &r.proc, NULL) < 0) {
		zerr_prefix("starting %s", s.argv ? s.argv[0] : "process");
		return c->dead ? -1 : -2; /* the connection failed, not the start */
	}
	if (hooks && hooks->started && hooks->started(hooks->arg, r.proc) < 0)
		return -1;
	if (idm_send_wait(c, r.proc, &r.wait_id) < 0)
		return -1;
	if (!r.in_open && idm_close_stdin(c, r.proc) < 0)
		return -1;

	/* Handled signals stay blocked except inside ppoll: none is lost. */
	sigemptyset(&block);
	if (local_tty)
		sigaddset(&block, SIGWINCH);
	for (unsigned i = 0; fwd && i < N_FWD; i++) {
		sigaddset(&block, fwd_sigs[i]);
		fwd_pending[i] = 0;
	}
	if (masked) {
		sigprocmask(SIG_BLOCK, &block, &old_mask);
		pollmask = old_mask;
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&block, sig) == 1)
				sigdelset(&pollmask, sig);
	}
	if (local_tty) {
		tcgetattr(in_fd, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(in_fd, TCSANOW, &raw);
		sigaction(SIGWINCH, &sa, &old_sa);
		winch = 0;
	}
	for (unsigned i = 0; fwd && i < N_FWD; i++)
		sigaction(fwd_sigs[i], &fwd_sa, &old_fwd[i]);
	rc = relay_loop(&r, masked ? &pollmask : NULL);
	if (local_tty) {
		tcsetattr(in_fd, TCSADRAIN, &saved);
		sigaction(SIGWINCH, &old_sa, NULL);
	}
	for (unsigned i = 0; fwd && i < N_FWD; i++)
		sigaction(fwd_sigs[i], &old_fwd[i], NULL);
	if (masked)
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (int st = 1; st <= 2; st++)
		idm_buf_free(&r.pend[st]);
	if (rc == 0)
		*exit_code = idm_exit_status(&r.exit);
	return rc;
}
