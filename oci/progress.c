#include "oci/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BAR 30

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void draw(struct progress *p, uint64_t done, uint64_t total)
{
	char bar[BAR + 1];
	unsigned fill = total ? (unsigned)(done * BAR / (total ? total : 1)) : 0;

	if (fill > BAR)
		fill = BAR;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR - fill);
	bar[BAR] = 0;
	printf("\r%-40s [%s] %7.1f/%.1f MiB", p->label, bar, done / 1048576.0,
	       total / 1048576.0);
	fflush(stdout);
}

void progress_start(struct progress *p, bool on, const char *label)
{
	p->on = on;
	p->last_ns = 0;
	snprintf(p->label, sizeof(p->label), "%s", label);
	if (on)
		draw(p, 0, 0);
}

void progress_update(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	uint64_t t;

	if (!p->on)
		return;
	t = now_ns();
	if (t - p->last_ns < 100000000ull)
		return;
	p->last_ns = t;
	draw(p, done, total);
}

void progress_end(struct progress *p, uint64_t done, uint64_t total)
{
	if (!p->on)
		return;
	draw(p, done, total);
	printf("\n");
	fflush(stdout);
}

void progress_note(bool on, const char *msg)
{
	if (!on)
		return;
	printf("%s\n", msg);
	fflush(stdout);
}

static void bar_text(char *bar, uint64_t done, uint64_t total)
{
	unsigned fill = total ? (unsigned)(done * BAR / total) : 0;

	if (fill > BAR)
		fill = BAR;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR - fill);
	bar[BAR] = 0;
}

static void board_draw(struct progress_board *b)
{
	char bar[BAR + 1];

	if (b->drawn)
		printf("\033[%zuA", b->n);
	for (size_t i = 0; i < b->n; i++) {
		struct progress_row *r = &b->rows[i];
		bar_text(bar, r->done, r->total);
		printf("\r\033[K%-40s [%s] %7.1f/%.1f MiB\n", r->label, bar, r->done / 1048576.0,
		       r->total / 1048576.0);
	}
	b->drawn = true;
	fflush(stdout);
}

int progress_board_start(struct progress_board *b, bool on, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->on = on && n > 0;
	b->n = n;
	b->rows = calloc(n ? n : 1, sizeof(*b->rows));
	if (!b->rows)
		return -1;
	for (size_t i = 0; i < n; i++)
		b->rows[i].board = b;
	pthread_mutex_init(&b->mu, NULL);
	return 0;
}

void progress_board_label(struct progress_board *b, size_t i, const char *label, uint64_t total)
{
	snprintf(b->rows[i].label, sizeof(b->rows[i].label), "%s", label);
	b->rows[i].total = total;
}

void progress_board_update(void *arg, uint64_t done, uint64_t total)
{
	struct progress_row *r = arg;
	struct progress_board *b = r->board;
	uint64_t t;

	pthread_mutex_lock(&b->mu);
	r->done = done;
	r->total = total;
	t = now_ns();
	if (b->on && t - b->last_ns >= 100000000ull) {
		b->last_ns = t;
		board_draw(b);
	}
	pthread_mutex_unlock(&b->mu);
}

void progress_board_end(struct progress_board *b)
{
	if (b->on)
		board_draw(b);
	pthread_mutex_destroy(&b->mu);
	free(b->rows);
	b->rows = NULL;
}
