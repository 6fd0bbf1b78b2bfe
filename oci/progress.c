#include "oci/progress.h"

#include <stdio.h>
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
