/* Container state: one typed struct per container, kept as JSON under
 * <root>/containers/<id>/state.json (persistent: survives the zone, read by
 * ps/logs/inspect until rm) and a runtime directory <rundir>/<id>/ (the
 * zone's vsock socket; gone with the zone).  JSON exists only at the file
 * edge (ctr_load/ctr_save, ctr_state_to_json for inspect and ps). */
#ifndef ZONE_RUNTIME_STATE_H
#define ZONE_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CTR_ID_LEN 64
/* zone-runc ids are chosen by the caller: longer than ours, any [\w+-.] */
#define CTR_REF_MAX 1024

enum ctr_status {
	CTR_CREATED, /* state written, monitor not (yet) running the process */
	CTR_RUNNING, /* the monitor owns a zone (the process may still be starting) */
	CTR_PAUSED,  /* the zone's VMM is stopped (zone-runc pause) */
	CTR_EXITED,  /* the monitor recorded the end */
};

/* zone run's confinement of the container process inside its zone
 * (cli/security_flags.c, runtime/security.c).  confined is false for
 * zone-runc (config.json says what applies) and for containers created
 * before it existed: then nothing is added. */
struct ctr_security {
	bool confined;
	bool privileged;   /* every capability, no seccomp, no masked paths */
	bool no_new_privs;
	uint64_t caps;     /* bounding, permitted and effective set */
	bool seccomp_unconfined;
	json_t *seccomp;   /* a custom profile (docker JSON, checked) or NULL: the default */
};

/* What runs in the container: built from the image and the flags
 * (runtime/spec.c) or from an OCI config.json (runtime/oci_spec.c). */
struct ctr_config {
	char **argv; /* NULL-terminated, owned */
	char **env;  /* NULL-terminated, owned */
	char *cwd, *user, *hostname;
	bool tty, interactive, read_only, rm;
	unsigned cpus;
	uint64_t memory; /* bytes */
	int stop_signal;
	/* zone run --log-opt: ctr.log's bound (runtime/logs.h); 0: unbounded
	 * (zone-runc keeps no log; containers made before the bound) */
	uint64_t log_max_size;
	unsigned log_max_files;
	/* zone run -v/--mount/--tmpfs: an array of mount objects as
	 * runtime/mounts.c reads them (checked to be an array of objects
	 * here), or NULL */
	json_t *mounts;
	/* zone run --network/-p/--dns/--add-host: the object net_spec_build
	 * makes (runtime/net_spec.h; its members' types are checked here), or
	 * NULL: no network but loopback (zone-runc) */
	json_t *net;
	struct ctr_security security;
};

/* The network the monitor attached the container's zone to (recorded by
 * ctr_net_setup; kept after the end for inspect).  All NULL without one. */
struct ctr_netinfo {
	char *name, *ip, *cidr, *gateway, *mac, *tap;
};

struct ctr_state {
	char *id;   /* zone: 64 hex digits; zone-runc: the caller's id */
	char *name;
	char *image, *image_digest;
	char *disk;   /* the image's erofs disk (zone run) */
	char *bundle; /* the OCI bundle (zone-runc); its rootfs is shared in */
	char *rootfs; /* absolute path of the bundle's root directory */
	json_t *annotations; /* OCI annotations (object) or NULL */
	char *created, *started, *finished; /* RFC 3339 */
	char *error;
	enum ctr_status status;
	uint32_t proc; /* the IDM handle of the container's process; 0: none yet */
	pid_t monitor_pid;
	unsigned long long monitor_start;
	pid_t vmm_pid;
	bool exited_known; /* exit_code holds the container's status */
	int exit_code;
	struct ctr_netinfo network;
	struct ctr_config config;
};

const char *ctr_status_name(enum ctr_status s);

/* <root> from --root, $ZONE_ROOT or /var/lib/zone. */
const char *zone_root(const char *opt);
/* $ZONE_RUNTIME_DIR or /run/zone. */
const char *zone_run_dir(void);

/* A name a container can have as its directory: runc's ^[\w+-.]+$, not
 * "." or "..", at most CTR_REF_MAX bytes. */
bool ctr_id_valid(const char *id);
int ctr_dir(const char *root, const char *id, char *buf, size_t len);
int ctr_run_dir(const char *id, char *buf, size_t len);
int ctr_vsock_path(const char *id, char *buf, size_t len);
int ctr_log_path(const char *root, const char *id, char *buf, size_t len);

/* A new random id. */
void ctr_new_id(char id[CTR_ID_LEN + 1]);
/* Serialises creation and removal (name uniqueness): returns a lock fd. */
int ctr_lock(const char *root);
void ctr_unlock(int fd);

/* The file edge: typed state <-> JSON.  from_json rejects wrong types. */
json_t *ctr_state_to_json(const struct ctr_state *st);
int ctr_state_from_json(json_t *j, struct ctr_state *st);
void ctr_state_free(struct ctr_state *st);
void ctr_config_free(struct ctr_config *c);
/* NULL-terminated copy of n strings (n < 0: up to a NULL). */
char **strv_dup(char *const *v, long n);
size_t strv_len(char *const *v);
void strv_free(char **v);
/* Replace a string field (copies s; NULL clears). */
void ctr_set(char **field, const char *s);

/* Write state atomically (temp + fsync + rename). */
int ctr_save(const char *root, const struct ctr_state *st);
int ctr_load(const char *root, const char *id, struct ctr_state *st);
/* Full id, name, or unique id prefix -> full id. */
int ctr_resolve(const char *root, const char *ref, char id[CTR_REF_MAX + 1]);
/* Every container's state, oldest first; ctr_list_free afterwards. */
int ctr_list(const char *root, struct ctr_state **out, size_t *n);
void ctr_list_free(struct ctr_state *list, size_t n);
/* Is name taken by a container? */
bool ctr_name_taken(const char *root, const char *name);
/* Remove both directories of a container. */
int ctr_remove(const char *root, const char *id);

/* The monitor process recorded in the state is still alive. */
bool ctr_monitor_alive(const struct ctr_state *st);
/* Running or paused, and its monitor (which owns the zone) is alive. */
bool ctr_running(const struct ctr_state *st);
/* Identity of a live process (pid + start time), to survive pid reuse. */
unsigned long long proc_start_time(pid_t pid);

/* RFC 3339 time now, UTC, with nanoseconds. */
void now_rfc3339(char *buf, size_t len);

#endif
