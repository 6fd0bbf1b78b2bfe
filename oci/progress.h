/* A one-line progress bar on stdout, drawn only when stdout is a terminal. */
#ifndef ZONE_OCI_PROGRESS_H
#define ZONE_OCI_PROGRESS_H

#include <stdbool.h>
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

#endif
