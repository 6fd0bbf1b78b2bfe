/* A one-line progress bar on stdout, drawn only when stdout is a terminal. */
#ifndef ZONE_OCI_PROGRESS_H
#define ZONE_OCI_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress {
	bool on;
	char label[96];
	uint64_t last_ns;
};

/* on: draw at all (the caller checks isatty). */
void progress_start(struct progress *p, bool on, const char *label);
/* A progress_fn (oci/layer.h): throttled to 10 redraws a second. */
void progress_update(void *p, uint64_t done, uint64_t total);
void progress_end(struct progress *p, uint64_t done, uint64_t total);
/* Prints a status line ("building erofs image") when on. */
void progress_note(bool on, const char *msg);

/* One bar per row for transfers running at the same time (parallel layer
 * downloads): rows are redrawn together, from any thread. */
struct progress_row {
	struct progress_board *board;
	char label[64];
	uint64_t done, total;
};

struct progress_board {
	bool on, drawn;
	size_t n;
	struct progress_row *rows;
	pthread_mutex_t mu;
	uint64_t last_ns;
};

int progress_board_start(struct progress_board *b, bool on, size_t n);
void progress_board_label(struct progress_board *b, size_t i, const char *label, uint64_t total);
/* A progress_fn whose arg is a struct progress_row. */
void progress_board_update(void *row, uint64_t done, uint64_t total);
/* Draws the final state and frees the rows. */
void progress_board_end(struct progress_board *b);

#endif
