/* The IDM server event loop: connections, processes and their streams.
 *
 * Flow control: each stdout/stderr stream may have IDM_WINDOW bytes in
 * flight to the host; we read from the pipe only while the stream has
 * credit and the connection's send buffer is below HIGH_WATER, so a slow
 * or stalled host makes the process block on its own pipe instead of
 * making zone-init buffer.  stdin is the mirror image: the host may send
 * IDM_WINDOW bytes ahead, we return credit as the pipe takes them. */
#include "init/idm_server.h"
#include "init/mounts.h"
#include "init/rootfs.h"
#include "init/users.h"
#include "init/process.h"
#include "init/stats.h"
#include "idm/messages.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HIGH_WATER (1u << 20) /* per-connection send buffer before we stop producing */
#define MAX_CONNS 256
#define MAX_PROCS 4096
#define MAX_WAITERS 8
#define MAX_ZOMBIES 256 /* exited, unwaited records kept for a later WAIT */

enum wkind { W_LISTEN, W_SIGNAL, W_CONN, W_IN, W_OUT, W_ERR };

struct watch {
	int fd;
	uint8_t kind;
	bool registered;
	uint32_t events;
	void *owner;
};

struct conn {
	struct conn *next;
	struct watch w;
	unsigned id;
	struct idm_reader rd;
	struct idm_buf out;
	bool hello, dead, close_after_flush;
};

struct waiter {
	struct conn *c;
	uint32_t req;
};

struct proc {
	struct proc *next;
	uint32_t id;
	pid_t pid;
	struct conn *owner; /* NULL once detached: output is then discarded */
	bool tty, kill_on_close;
	struct watch w_in, w_out, w_err; /* tty: w_out is the master, both ways */
	bool in_open, in_eof;
	struct idm_buf in_pending;
	uint32_t in_credit; /* bytes the host may still send */
	uint32_t in_grant;  /* written to the process, credit not yet returned */
	uint32_t out_credit[3];
	bool drained[3]; /* read hit EAGAIN after the process exited */
	bool exited, reported, waited;
	int status;
	struct waiter waiters[MAX_WAITERS];
	unsigned nwaiters;
	char cmd[256];
};

struct idm_server {
	int epfd;
	struct watch sigw;
	struct watch listen[4];
	unsigned nlisten;
	struct conn *conns;
	struct proc *procs;
	unsigned nconns, nprocs, next_conn;
	uint32_t next_proc;
	bool stop;
	sigset_t old_mask;
	uint8_t iobuf[IDM_DATA_CHUNK];
};

static void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void slog(const char *fmt, ...)
{
	char line[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "zone-init: idm: %s\n", line);
}

/* ---- epoll bookkeeping ---- */

/* Unwanted fds are removed from epoll, not set to 0 events: a hung-up
 * pipe reports EPOLLHUP regardless and would spin the loop. */
static void watch_apply(struct idm_server *s, struct watch *w, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = w };

	if (w->fd < 0)
		return;
	if (!want) {
		if (w->registered)
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
		w->registered = false;
	} else if (!w->registered) {
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, w->fd, &ev) == 0)
			w->registered = true;
	} else if (w->events != want) {
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, w->fd, &ev);
	}
	w->events = want;
}

static void watch_close(struct idm_server *s, struct watch *w)
{
	watch_apply(s, w, 0);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* ---- sending ---- */

static void conn_send(struct conn *c, unsigned type, uint32_t id, const void *body)
{
	if (c->dead)
		return;
	if (idm_msg_write(&c->out, type, id, body) < 0) {
		slog("connection %u: cannot send %s: %s; closing", c->id, idm_type_name(type), zerr_msg());
		c->close_after_flush = true;
	}
}

static void send_error(struct conn *c, uint32_t id, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void send_error(struct conn *c, uint32_t id, int code, const char *fmt, ...)
{
	char msg[512];
	struct idm_error e = { code > 0 ? code : EIO, msg };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_send(c, IDM_ERROR, id, &e);
}

/* ---- processes ---- */

static struct proc *proc_find(struct idm_server *s, uint32_t id)
{
	for (struct proc *p = s->procs; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

static int in_fd(const struct proc *p)
{
	if (!p->in_open)
		return -1;
	return p->tty ? p->w_out.fd : p->w_in.fd;
}

static bool out_wants(const struct proc *p, int st)
{
	const struct watch *w = st == IDM_STDOUT ? &p->w_out : &p->w_err;

	if (w->fd < 0)
		return false;
	if (!p->owner)
		return true;
	return p->out_credit[st] > 0 && idm_buf_used(&p->owner->out) < HIGH_WATER;
}

static void close_stdin(struct idm_server *s, struct proc *p)
{
	if (!p->in_open)
		return;
	p->in_open = false;
	idm_buf_free(&p->in_pending);
	if (!p->tty)
		watch_close(s, &p->w_in);
}

static void give_credit(struct proc *p, bool force)
{
	struct idm_credit cr = { p->id, IDM_STDIN, p->in_grant };

	if (!p->in_grant || (!force && p->in_grant < IDM_WINDOW / 4 && idm_buf_used(&p->in_pending)))
		return;
	p->in_credit += p->in_grant;
	p->in_grant = 0;
	if (p->owner)
		conn_send(p->owner, IDM_CREDIT, 0, &cr);
}

static void stdin_write(struct idm_server *s, struct proc *p)
{
	while (idm_buf_used(&p->in_pending) && in_fd(p) >= 0) {
		ssize_t n = write(in_fd(p), idm_buf_head(&p->in_pending), idm_buf_used(&p->in_pending));

		if (n > 0) {
			idm_buf_consume(&p->in_pending, n);
			p->in_grant += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		/* The process closed its stdin: drop the rest, but give the
		 * credit back so the host is never stuck waiting for it. */
		p->in_grant += idm_buf_used(&p->in_pending);
		close_stdin(s, p);
	}
	if (p->in_open && p->in_eof && !idm_buf_used(&p->in_pending)) {
		if (p->tty) { /* no half-close on a pty: send the EOF character */
			if (write(in_fd(p), "\x04", 1) < 0) {
				/* the line discipline is gone; nothing to signal */
			}
		}
		close_stdin(s, p);
	}
	give_credit(p, !p->in_open);
}

static void close_output(struct idm_server *s, struct proc *p, int st)
{
	struct idm_eof e = { p->id, st };

	if (p->owner)
		conn_send(p->owner, IDM_EOF, 0, &e);
	if (p->tty) {
		p->in_open = false; /* same fd */
		idm_buf_free(&p->in_pending);
	}
	watch_close(s, st == IDM_STDOUT ? &p->w_out : &p->w_err);
}

static void pump_out(struct idm_server *s, struct proc *p, int st)
{
	struct watch *w = st == IDM_STDOUT ? &p->w_out : &p->w_err;

	/* Bounded rounds: one busy process must not starve the others. */
	for (int round = 0; round < 16 && out_wants(p, st); round++) {
		size_t max = sizeof(s->iobuf);
		ssize_t n;

		if (p->owner && p->out_credit[st] < max)
			max = p->out_credit[st];
		n = read(w->fd, s->iobuf, max);
		if (n > 0) {
			if (p->owner) {
				struct idm_data d = { p->id, st, s->iobuf, n };

				p->out_credit[st] -= n;
				conn_send(p->owner, IDM_DATA, 0, &d);
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (p->exited)
				p->drained[st] = true;
			break;
		}
		/* 0: EOF; EIO: pty whose slave side is gone */
		close_output(s, p, st);
		break;
	}
}

static void fill_exit(const struct proc *p, struct idm_exit *e)
{
	memset(e, 0, sizeof(*e));
	e->proc = p->id;
	if (WIFSIGNALED(p->status)) {
		e->signo = WTERMSIG(p->status);
		e->core = WCOREDUMP(p->status);
	} else {
		e->code = WEXITSTATUS(p->status);
	}
}

/* The exit is reported once the output the process wrote before dying
 * has been sent (its pipes hit EOF, or are empty and only held open by
 * descendants), so the host sees all output before EXIT. */
static void maybe_report_exit(struct idm_server *s, struct proc *p)
{
	struct idm_exit e;

	if (!p->exited || p->reported)
		return;
	pump_out(s, p, IDM_STDOUT);
	pump_out(s, p, IDM_STDERR);
	if ((p->w_out.fd >= 0 && !p->drained[IDM_STDOUT]) ||
	    (p->w_err.fd >= 0 && !p->drained[IDM_STDERR]))
		return;
	p->reported = true;
	close_stdin(s, p); /* nobody is left to read it */
	fill_exit(p, &e);
	for (unsigned i = 0; i < p->nwaiters; i++) {
		conn_send(p->waiters[i].c, IDM_EXIT, p->waiters[i].req, &e);
		p->waited = true;
	}
	p->nwaiters = 0;
}

static void proc_free(struct idm_server *s, struct proc *p)
{
	watch_close(s, &p->w_in);
	watch_close(s, &p->w_out);
	watch_close(s, &p->w_err);
	idm_buf_free(&p->in_pending);
	free(p);
	s->nprocs--;
}

static void reap(struct idm_server *s)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(s->sigw.fd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct proc *p = s->procs; p; p = p->next)
			if (p->pid == pid && !p->exited) {
				p->exited = true;
				p->status = status;
				break;
			}
	}
}

/* ---- requests ---- */

#define IDM_MAX_ENV 65536

static bool env_has_home(const struct idm_start *st)
{
	for (uint32_t i = 0; i < st->envc; i++)
		if (!strncmp(st->env[i], "HOME=", 5))
			return true;
	return false;
}

static void do_start(struct idm_server *s, struct conn *c, struct idm_msg *m)
{
	struct idm_start *st = &m->u.start;
	struct spawned sp;
	struct proc *p, **tail;
	size_t off = 0;

	if (s->nprocs >= MAX_PROCS) {
		send_error(c, m->id, EAGAIN, "too many processes (%u)", s->nprocs);
		return;
	}
	if (st->user) {
		/* names come from the container's own /etc/passwd and /etc/group */
		static struct user_ids ids;
		if (resolve_user("/", st->user, &ids) < 0) {
			send_error(c, m->id, zerr_errno(), "%s", zerr_msg());
			return;
		}
		st->uid = ids.uid;
		st->gid = ids.gid;
		st->groups = ids.groups;
		st->ngroups = ids.ngroups;
		/* like podman: HOME from the user's passwd entry, else "/" */
		if (!env_has_home(st)) {
			static char home[300];
			static char *env[IDM_MAX_ENV + 2];
			uint32_t n = st->envc < IDM_MAX_ENV ? st->envc : IDM_MAX_ENV;
			snprintf(home, sizeof(home), "HOME=%s", ids.home[0] ? ids.home : "/");
			memcpy(env, st->env, n * sizeof(char *));
			env[n++] = home;
			env[n] = NULL;
			st->env = env;
			st->envc = n;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		send_error(c, m->id, ENOMEM, "out of memory");
		return;
	}
	if (proc_spawn(st, &sp) < 0) {
		send_error(c, m->id, zerr_errno(), "%s", zerr_msg());
		free(p);
		return;
	}
	p->id = ++s->next_proc;
	p->pid = sp.pid;
	p->owner = c;
	p->tty = st->tty;
	p->kill_on_close = st->kill_on_close;
	p->w_in = (struct watch){ st->tty ? -1 : sp.stdin_fd, W_IN, false, 0, p };
	p->w_out = (struct watch){ sp.stdout_fd, W_OUT, false, 0, p };
	p->w_err = (struct watch){ sp.stderr_fd, W_ERR, false, 0, p };
	p->in_open = true;
	p->in_credit = IDM_WINDOW;
	p->out_credit[IDM_STDOUT] = p->out_credit[IDM_STDERR] = IDM_WINDOW;
	for (uint32_t i = 0; i < st->argc && off + 1 < sizeof(p->cmd); i++)
		off += snprintf(p->cmd + off, sizeof(p->cmd) - off, "%s%s", i ? " " : "", st->argv[i]);
	for (tail = &s->procs; *tail; tail = &(*tail)->next)
		;
	*tail = p; /* oldest first: zombie trimming drops the oldest */
	s->nprocs++;
	struct idm_started r = { p->id, (uint32_t)sp.pid };
	conn_send(c, IDM_STARTED, m->id, &r);
}

static void do_list(struct idm_server *s, struct conn *c, uint32_t id)
{
	struct idm_proc_info *info = calloc(s->nprocs ? s->nprocs : 1, sizeof(*info));
	struct idm_list_reply r = { info, 0 };
	struct idm_exit e;

	if (!info) {
		send_error(c, id, ENOMEM, "out of memory");
		return;
	}
	for (struct proc *p = s->procs; p; p = p->next) {
		struct idm_proc_info *i = &info[r.nprocs++];

		i->proc = p->id;
		i->pid = p->pid;
		i->state = p->exited ? IDM_PROC_EXITED : IDM_PROC_RUNNING;
		if (p->exited) {
			fill_exit(p, &e);
			i->code = e.code;
			i->signo = e.signo;
		}
		i->tty = p->tty;
		i->cmd = p->cmd;
	}
	conn_send(c, IDM_LIST_REPLY, id, &r);
	free(info);
}

static void do_stats(struct idm_server *s, struct conn *c, struct idm_msg *m)
{
	struct idm_stats st = { 0 };
	struct proc *p = NULL;

	if (m->u.stats_req.proc) {
		p = proc_find(s, m->u.stats_req.proc);
		if (!p || p->exited) {
			send_error(c, m->id, ESRCH, "no running process %u", m->u.stats_req.proc);
			return;
		}
	}
	if (stats_zone(&st) < 0 || (p && stats_pid(p->pid, &st) < 0)) {
		send_error(c, m->id, zerr_errno(), "%s", zerr_msg());
		return;
	}
	st.proc = p ? p->id : 0;
	conn_send(c, IDM_STATS_REPLY, m->id, &st);
}

static void protocol_error(struct idm_server *s, struct conn *c, const char *why);

static void do_stream(struct idm_server *s, struct conn *c, struct idm_msg *m)
{
	/* Stream messages for processes that are gone (or belong to another
	 * connection) are dropped: they can legitimately race with an exit. */
	uint32_t proc = m->type == IDM_DATA ? m->u.data.proc
			: m->type == IDM_EOF ? m->u.eof.proc : m->u.credit.proc;
	uint32_t stream = m->type == IDM_DATA ? m->u.data.stream
			  : m->type == IDM_EOF ? m->u.eof.stream : m->u.credit.stream;
	struct proc *p = proc_find(s, proc);

	if ((m->type == IDM_CREDIT) != (stream != IDM_STDIN)) {
		protocol_error(s, c, m->type == IDM_CREDIT ? "CREDIT for stdin" : "host sent output stream data");
		return;
	}
	if (!p || p->owner != c)
		return;
	switch (m->type) {
	case IDM_DATA:
		if (m->u.data.len > p->in_credit) {
			protocol_error(s, c, "stdin window exceeded");
			return;
		}
		if (p->in_eof) {
			protocol_error(s, c, "stdin data after EOF");
			return;
		}
		p->in_credit -= m->u.data.len;
		if (!p->in_open)
			p->in_grant += m->u.data.len;
		else
			idm_buf_put(&p->in_pending, m->u.data.data, m->u.data.len);
		break;
	case IDM_EOF:
		p->in_eof = true;
		break;
	case IDM_CREDIT:
		if (p->out_credit[stream] + (uint64_t)m->u.credit.bytes > IDM_WINDOW) {
			protocol_error(s, c, "credit beyond the window");
			return;
		}
		p->out_credit[stream] += m->u.credit.bytes;
		return;
	}
	stdin_write(s, p);
}

static void handle(struct idm_server *s, struct conn *c, struct idm_msg *m)
{
	struct proc *p;

	if (!c->hello && m->type != IDM_HELLO) {
		protocol_error(s, c, "expected HELLO first");
		return;
	}
	switch (m->type) {
	case IDM_HELLO: {
		struct idm_hello r = { IDM_VERSION, IDM_VERSION, "zone-init" };

		if (c->hello) {
			protocol_error(s, c, "second HELLO");
			return;
		}
		if (m->u.hello.version_min > IDM_VERSION || m->u.hello.version_max < IDM_VERSION) {
			send_error(c, m->id, EPROTONOSUPPORT, "no common version (server speaks %d)",
				   IDM_VERSION);
			c->close_after_flush = true;
			return;
		}
		c->hello = true;
		conn_send(c, IDM_HELLO, m->id, &r);
		return;
	}
	case IDM_PING:
		conn_send(c, IDM_PONG, m->id, &m->u.ping);
		return;
	case IDM_START:
		do_start(s, c, m);
		return;
	case IDM_DATA:
	case IDM_EOF:
	case IDM_CREDIT:
		do_stream(s, c, m);
		return;
	case IDM_SIGNAL:
		p = proc_find(s, m->u.signal.proc);
		if (!p || p->exited)
			send_error(c, m->id, ESRCH, "no running process %u", m->u.signal.proc);
		else if (kill(p->pid, m->u.signal.signo) < 0)
			send_error(c, m->id, errno, "kill: %s", strerror(errno));
		else
			conn_send(c, IDM_ACK, m->id, NULL);
		return;
	case IDM_RESIZE:
		p = proc_find(s, m->u.resize.proc);
		if (!p)
			send_error(c, m->id, ESRCH, "no process %u", m->u.resize.proc);
		else if (!p->tty || p->w_out.fd < 0)
			send_error(c, m->id, ENOTTY, "process %u has no terminal", p->id);
		else if (pty_resize(p->w_out.fd, m->u.resize.rows, m->u.resize.cols) < 0)
			send_error(c, m->id, zerr_errno(), "%s", zerr_msg());
		else
			conn_send(c, IDM_ACK, m->id, NULL);
		return;
	case IDM_WAIT:
		p = proc_find(s, m->u.wait.proc);
		if (!p) {
			send_error(c, m->id, ESRCH, "no process %u", m->u.wait.proc);
		} else if (p->reported) {
			struct idm_exit e;

			fill_exit(p, &e);
			p->waited = true;
			conn_send(c, IDM_EXIT, m->id, &e);
		} else if (p->nwaiters == MAX_WAITERS) {
			send_error(c, m->id, EBUSY, "too many waiters for process %u", p->id);
		} else {
			p->waiters[p->nwaiters++] = (struct waiter){ c, m->id };
		}
		return;
	case IDM_LIST:
		do_list(s, c, m->id);
		return;
	case IDM_STATS:
		do_stats(s, c, m);
		return;
	case IDM_SHUTDOWN:
		conn_send(c, IDM_ACK, m->id, NULL);
		s->stop = true;
		return;
	case IDM_ROOTFS:
		if (rootfs_setup(&m->u.rootfs) < 0)
			send_error(c, m->id, zerr_errno() ? zerr_errno() : EIO, "%s", zerr_msg());
		else
			conn_send(c, IDM_ACK, m->id, NULL);
		return;
	case IDM_MOUNT:
		if (mount_in_root(&m->u.mount) < 0)
			send_error(c, m->id, zerr_errno() ? zerr_errno() : EIO, "%s", zerr_msg());
		else
			conn_send(c, IDM_ACK, m->id, NULL);
		return;
	default: {
		char why[64];

		snprintf(why, sizeof(why), "unexpected %s from the host", idm_type_name(m->type));
		protocol_error(s, c, why);
	}
	}
}

/* ---- connections ---- */

static void conn_close(struct idm_server *s, struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	watch_close(s, &c->w);
	s->nconns--;
	for (struct proc *p = s->procs; p; p = p->next) {
		unsigned k = 0;

		for (unsigned i = 0; i < p->nwaiters; i++)
			if (p->waiters[i].c != c)
				p->waiters[k++] = p->waiters[i];
		p->nwaiters = k;
		if (p->owner != c)
			continue;
		/* Detach: the process keeps running, its output is drained and
		 * dropped so it never blocks on a pipe nobody reads. */
		p->owner = NULL;
		close_stdin(s, p);
		if (p->kill_on_close && !p->exited)
			kill(p->pid, SIGKILL);
	}
}

/* A misbehaving peer: one log line, a best-effort ERROR, then close. */
static void protocol_error(struct idm_server *s, struct conn *c, const char *why)
{
	struct idm_error e = { EPROTO, (char *)why };

	slog("connection %u: protocol error: %s; closing", c->id, why);
	if (idm_msg_write(&c->out, IDM_ERROR, 0, &e) == 0)
		idm_buf_flush(&c->out, c->w.fd);
	conn_close(s, c);
}

static void conn_input(struct idm_server *s, struct conn *c)
{
	ssize_t n = idm_reader_fill(&c->rd, c->w.fd);
	struct idm_hdr h;
	const uint8_t *payload;
	struct idm_msg m;
	int r;

	if (n == IDM_IO_EOF) {
		if (idm_reader_pending(&c->rd))
			slog("connection %u: closed inside a frame (%zu bytes of it)", c->id,
			     idm_reader_pending(&c->rd));
		conn_close(s, c);
		return;
	}
	if (n < 0) { /* reset by peer and the like: not worth a log line */
		conn_close(s, c);
		return;
	}
	while (!c->dead && !c->close_after_flush) {
		r = idm_reader_next(&c->rd, &h, &payload);
		if (r == 0)
			break;
		if (r < 0 || idm_msg_decode(&h, payload, &m) < 0) {
			protocol_error(s, c, zerr_msg());
			return;
		}
		handle(s, c, &m);
		idm_msg_free(&m);
	}
}

static void conn_output(struct idm_server *s, struct conn *c)
{
	if (idm_buf_flush(&c->out, c->w.fd) < 0) {
		conn_close(s, c);
		return;
	}
	if (c->close_after_flush && !idm_buf_used(&c->out))
		conn_close(s, c);
}

static struct conn *conn_add(struct idm_server *s, int fd)
{
	struct conn *c;

	if (s->nconns >= MAX_CONNS) {
		slog("too many connections (%u); refusing one", s->nconns);
		close(fd);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->w = (struct watch){ fd, W_CONN, false, 0, c };
	c->id = ++s->next_conn;
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	return c;
}

static void accept_one(struct idm_server *s, struct watch *w)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			slog("accept: %s", strerror(errno));
		return;
	}
	conn_add(s, fd);
}

/* ---- loop ---- */

static void update_watches(struct idm_server *s)
{
	for (struct conn *c = s->conns; c; c = c->next) {
		uint32_t ev = 0;

		if (c->dead)
			continue;
		if (!c->close_after_flush && idm_buf_used(&c->out) < HIGH_WATER)
			ev |= EPOLLIN;
		if (idm_buf_used(&c->out))
			ev |= EPOLLOUT;
		watch_apply(s, &c->w, ev);
	}
	for (struct proc *p = s->procs; p; p = p->next) {
		bool in_pending = p->in_open && idm_buf_used(&p->in_pending);

		watch_apply(s, &p->w_in, in_pending ? EPOLLOUT : 0);
		watch_apply(s, &p->w_out, (out_wants(p, IDM_STDOUT) ? EPOLLIN : 0) |
					       (p->tty && in_pending ? EPOLLOUT : 0));
		watch_apply(s, &p->w_err, out_wants(p, IDM_STDERR) ? EPOLLIN : 0);
	}
}

static unsigned zombies(struct idm_server *s)
{
	unsigned n = 0;

	for (struct proc *p = s->procs; p; p = p->next)
		n += p->reported && !p->waited && !p->owner;
	return n;
}

/* Free what the batch finished with (never during it: epoll events for
 * the same batch may still point at these objects). */
static void sweep(struct idm_server *s)
{
	unsigned extra = zombies(s);

	extra = extra > MAX_ZOMBIES ? extra - MAX_ZOMBIES : 0;
	for (struct conn **cp = &s->conns; *cp;) {
		struct conn *c = *cp;

		if (!c->dead && c->close_after_flush && !idm_buf_used(&c->out))
			conn_close(s, c);
		if (c->dead) {
			*cp = c->next;
			idm_reader_free(&c->rd);
			idm_buf_free(&c->out);
			free(c);
		} else {
			cp = &c->next;
		}
	}
	for (struct proc **pp = &s->procs; *pp;) {
		struct proc *p = *pp;
		bool io_done = p->w_out.fd < 0 && p->w_err.fd < 0 && !p->in_open;
		bool zombie = p->reported && !p->waited && !p->owner;

		if ((p->reported && p->waited && io_done) || (zombie && io_done && extra && extra--)) {
			*pp = p->next;
			proc_free(s, p);
		} else {
			pp = &p->next;
		}
	}
}

static void dispatch(struct idm_server *s, struct watch *w, uint32_t ev)
{
	struct proc *p = w->owner;

	if (w->fd < 0)
		return; /* closed earlier in this batch */
	switch (w->kind) {
	case W_LISTEN:
		accept_one(s, w);
		break;
	case W_SIGNAL:
		reap(s);
		break;
	case W_CONN: {
		struct conn *c = w->owner;

		if (ev & EPOLLOUT)
			conn_output(s, c);
		if (!c->dead && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			conn_input(s, c);
		break;
	}
	case W_IN:
		stdin_write(s, p);
		break;
	case W_OUT:
		if (p->tty && (ev & (EPOLLOUT | EPOLLERR)))
			stdin_write(s, p);
		if (w->fd >= 0 && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			pump_out(s, p, IDM_STDOUT);
		break;
	case W_ERR:
		pump_out(s, p, IDM_STDERR);
		break;
	}
}

struct idm_server *idm_server_new(void)
{
	struct idm_server *s = calloc(1, sizeof(*s));
	sigset_t chld;

	if (!s) {
		zerr(ENOMEM, "idm server");
		return NULL;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &s->old_mask);
	signal(SIGPIPE, SIG_IGN);
	/* In host tests we are not PID 1: adopt orphans so they are reaped here too. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->sigw = (struct watch){ signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC), W_SIGNAL, false, 0, NULL };
	if (s->epfd < 0 || s->sigw.fd < 0) {
		zerr(errno, "idm server setup");
		idm_server_free(s);
		return NULL;
	}
	watch_apply(s, &s->sigw, EPOLLIN);
	return s;
}

int idm_server_listen(struct idm_server *s, int listen_fd)
{
	struct watch *w;

	if (s->nlisten == sizeof(s->listen) / sizeof(s->listen[0]))
		return zerr(EMFILE, "too many listening sockets");
	if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(listen_fd, F_SETFD, FD_CLOEXEC) < 0)
		return zerr(errno, "listening socket");
	w = &s->listen[s->nlisten++];
	*w = (struct watch){ listen_fd, W_LISTEN, false, 0, NULL };
	watch_apply(s, w, EPOLLIN);
	if (!w->registered)
		return zerr(errno, "epoll");
	return 0;
}

int idm_server_add_conn(struct idm_server *s, int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return zerr(errno, "connection socket");
	return conn_add(s, fd) ? 0 : zerr(EMFILE, "cannot add connection");
}

/* On shutdown: deliver the ACK (bounded wait), stop what still runs. */
static void finish(struct idm_server *s)
{
	for (struct conn *c = s->conns; c; c = c->next) {
		struct pollfd pfd = { c->w.fd, POLLOUT, 0 };

		while (!c->dead && idm_buf_used(&c->out) && poll(&pfd, 1, 1000) > 0)
			if (idm_buf_flush(&c->out, c->w.fd) < 0)
				break;
	}
	for (struct proc *p = s->procs; p; p = p->next)
		if (!p->exited) {
			kill(p->pid, SIGKILL);
			while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
				;
			p->exited = true;
		}
}

int idm_server_run(struct idm_server *s)
{
	struct epoll_event evs[64];

	while (!s->stop) {
		update_watches(s);
		int n = epoll_wait(s->epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return zerr(errno, "epoll_wait");
		}
		for (int i = 0; i < n; i++)
			dispatch(s, evs[i].data.ptr, evs[i].events);
		for (struct proc *p = s->procs; p; p = p->next) {
			maybe_report_exit(s, p);
			if (p->owner && p->in_open)
				give_credit(p, false);
		}
		for (struct conn *c = s->conns; c; c = c->next)
			if (!c->dead && idm_buf_used(&c->out))
				conn_output(s, c); /* try now; EPOLLOUT covers the rest */
		sweep(s);
	}
	finish(s);
	return 0;
}

void idm_server_free(struct idm_server *s)
{
	if (!s)
		return;
	while (s->conns) {
		struct conn *c = s->conns;

		s->conns = c->next;
		conn_close(s, c);
		idm_reader_free(&c->rd);
		idm_buf_free(&c->out);
		free(c);
	}
	while (s->procs) {
		struct proc *p = s->procs;

		s->procs = p->next;
		proc_free(s, p);
	}
	if (s->sigw.fd >= 0)
		close(s->sigw.fd);
	if (s->epfd >= 0)
		close(s->epfd);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	free(s);
}

int idm_serve(int listen_fd)
{
	struct idm_server *s = idm_server_new();
	int rc;

	if (!s)
		return -1;
	rc = idm_server_listen(s, listen_fd);
	if (rc == 0)
		rc = idm_server_run(s);
	idm_server_free(s);
	return rc;
}

int idm_vsock_listen(unsigned port)
{
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return zerr(errno, "vsock socket");
	/* A full backlog refuses connections: many `zone exec`s may arrive at
	 * once while we are busy relaying. */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, SOMAXCONN) < 0) {
		zerr(errno, "vsock port %u", port);
		close(fd);
		return -1;
	}
	return fd;
}
