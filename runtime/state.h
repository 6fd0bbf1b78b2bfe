/* Container state: one JSON document per container under
 * <root>/containers/<id>/state.json (persistent: survives the zone, read by
 * ps/logs/inspect until rm) and a runtime directory <rundir>/<id>/ (the
 * zone's vsock socket; gone with the zone). */
#ifndef ZONE_RUNTIME_STATE_H
#define ZONE_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define CTR_ID_LEN 64

/* <root> from --root, $ZONE_ROOT or /var/lib/zone. */
const char *zone_root(const char *opt);
/* $ZONE_RUNTIME_DIR or /run/zone. */
const char *zone_run_dir(void);

int ctr_dir(const char *root, const char *id, char *buf, size_t len);
int ctr_run_dir(const char *id, char *buf, size_t len);
int ctr_vsock_path(const char *id, char *buf, size_t len);
int ctr_log_path(const char *root, const char *id, char *buf, size_t len);

/* A new random id. */
void ctr_new_id(char id[CTR_ID_LEN + 1]);
/* Serialises creation and removal (name uniqueness): returns a lock fd. */
int ctr_lock(const char *root);
void ctr_unlock(int fd);

/* Write state atomically (temp + fsync + rename). */
int ctr_save(const char *root, json_t *st);
int ctr_load(const char *root, const char *id, json_t **out);
/* Full id, name, or unique id prefix -> full id. */
int ctr_resolve(const char *root, const char *ref, char id[CTR_ID_LEN + 1]);
/* Every container's state, oldest first. */
int ctr_list(const char *root, json_t **out);
/* Is name taken (by another container than except_id)? */
bool ctr_name_taken(const char *root, const char *name);
/* Remove both directories of a container. */
int ctr_remove(const char *root, const char *id);

/* The monitor process that owns the zone is still alive. */
bool ctr_running(json_t *st);
/* Identity of a live process (pid + start time), to survive pid reuse. */
unsigned long long proc_start_time(pid_t pid);

/* RFC 3339 time now, UTC, with nanoseconds. */
void now_rfc3339(char *buf, size_t len);

#endif
