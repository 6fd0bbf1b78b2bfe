/* Helpers the container commands share. */
#ifndef ZONE_CLI_CONTAINER_H
#define ZONE_CLI_CONTAINER_H

#include "runtime/state.h"

#include <stdbool.h>
#include <stdint.h>

/* Resolve ID/name/prefix and load its state. */
int ctr_open(const char *root, const char *ref, struct ctr_state *st);
/* "running", "exited" or "created", with a dead monitor counted as exited. */
const char *ctr_status(const struct ctr_state *st);
/* Send signo to the container's main process over IDM. */
int ctr_signal(const struct ctr_state *st, int signo);
/* Wait until the container's monitor is gone; false on timeout (ms < 0:
 * forever). */
bool ctr_wait_stopped(const char *root, const char *id, long ms);

#endif
