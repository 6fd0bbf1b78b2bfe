#include "base/event_loop.h"
#include "common/zerr.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct watch {
	int fd;
	loop_cb cb;
	void *arg;
	struct watch *next;
};

struct loop {
	int epfd, stopfd;
	int stop_rc, stopped;
	pthread_mutex_t lock;
	struct watch *watches;
	struct watch *dead; /* removed this round; freed when the round ends */
};

static void free_dead(struct loop *l);

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l) {
		zerr(ENOMEM, "event loop");
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stopfd < 0) {
		zerr(errno, "epoll");
		loop_free(l);
		return NULL;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->watches) {
		struct watch *w = l->watches;
		l->watches = w->next;
		free(w);
	}
	free_dead(l);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->stopfd >= 0)
		close(l->stopfd);
	free(l);
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return zerr(ENOMEM, "event loop watch");
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return zerr(errno, "epoll_ctl add fd %d", fd);
	}
	pthread_mutex_lock(&l->lock);
	w->next = l->watches;
	l->watches = w;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

static struct watch *find_watch(struct loop *l, int fd)
{
	for (struct watch *w = l->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int loop_mod(struct loop *l, int fd, uint32_t events)
{
	struct watch *w;
	struct epoll_event ev = { .events = events };

	pthread_mutex_lock(&l->lock);
	w = find_watch(l, fd);
	pthread_mutex_unlock(&l->lock);
	if (!w)
		return zerr(ENOENT, "fd %d not watched", fd);
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return zerr(errno, "epoll_ctl mod fd %d", fd);
	return 0;
}

/* A removed watch may still be named by events of the current epoll round,
 * so it is parked on the dead list (cb cleared) and freed after the round. */
void loop_del(struct loop *l, int fd)
{
	struct watch **pp;

	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	pthread_mutex_lock(&l->lock);
	for (pp = &l->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct watch *w = *pp;
			*pp = w->next;
			w->cb = NULL;
			w->next = l->dead;
			l->dead = w;
			break;
		}
	}
	pthread_mutex_unlock(&l->lock);
}

static void free_dead(struct loop *l)
{
	pthread_mutex_lock(&l->lock);
	while (l->dead) {
		struct watch *w = l->dead;
		l->dead = w->next;
		free(w);
	}
	pthread_mutex_unlock(&l->lock);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];

	while (!l->stopped) {
		int n = epoll_wait(l->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return zerr(errno, "epoll_wait");
		}
		for (int i = 0; i < n && !l->stopped; i++) {
			struct watch *w = evs[i].data.ptr;
			if (w && w->cb)
				w->cb(w->arg, evs[i].events);
		}
		free_dead(l);
	}
	return l->stop_rc;
}

void loop_stop(struct loop *l, int rc)
{
	uint64_t one = 1;

	pthread_mutex_lock(&l->lock);
	if (!l->stopped) {
		l->stop_rc = rc;
		l->stopped = 1;
	}
	pthread_mutex_unlock(&l->lock);
	if (write(l->stopfd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow here; nothing to do */
	}
}

int loop_stopping(struct loop *l)
{
	return l->stopped;
}
