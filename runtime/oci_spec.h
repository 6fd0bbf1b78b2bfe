/* The OCI runtime spec's config.json (runtime-spec 1.0/1.1) as a typed
 * struct, parsed strictly with jansson: a field of the wrong type is an
 * error worded as runc's (Go's encoding/json) so tools that show runc's
 * messages read ours the same way.  Fields the zone does not apply yet
 * are still parsed and type-checked (see oci_spec.c). */
#ifndef ZONE_RUNTIME_OCI_SPEC_H
#define ZONE_RUNTIME_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_VERSION "1.0.2"
/* what a zone gets when config.json does not size it */
#define OCI_DEFAULT_MEMORY (256ULL << 20)
#define OCI_MIN_MEMORY (64ULL << 20)
#define OCI_MAX_CPUS 64

struct oci_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* Capability sets as bit masks (bit n = capability n); unknown names are
 * ignored, as runc does. */
struct oci_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_process {
	bool terminal;
	unsigned console_height, console_width;
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username;
	char **args; /* NULL-terminated */
	char **env;  /* NULL-terminated */
	char *cwd;
	bool has_caps;
	struct oci_caps caps;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile, *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
};

struct oci_mount {
	char *destination, *type, *source;
	char **options; /* NULL-terminated */
};

struct oci_hook {
	char *path;
	char **args, **env; /* NULL-terminated (may be empty) */
	int timeout;	    /* seconds; 0: none */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS,
};

struct oci_hook_list {
	struct oci_hook *hooks;
	size_t n;
};

struct oci_namespace {
	char *type; /* pid network mount ipc uts user cgroup (time) */
	char *path;
};

struct oci_device {
	char *path, *type;
	int64_t major, minor;
	bool has_mode, has_uid, has_gid;
	uint32_t file_mode, uid, gid;
};

struct oci_spec {
	char *oci_version;
	bool has_process;
	struct oci_process process;
	char *root_path;
	bool root_readonly;
	char *hostname, *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook_list hooks[OCI_HOOK_KINDS];
	json_t *annotations; /* object of strings, or NULL */
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_device *devices;
	size_t n_devices;
	char **masked_paths, **readonly_paths; /* NULL-terminated */
	char **sysctl;	   /* "key=value", NULL-terminated */
	json_t *seccomp;   /* checked LinuxSeccomp object, or NULL */
	json_t *resources; /* checked LinuxResources object, or NULL */
	char *cgroups_path;
	/* the zone's size, from linux.resources */
	unsigned cpus;
	uint64_t memory;
};

/* Parse config.json text.  Errors (zerr) read like runc's. */
int oci_spec_parse(const char *text, size_t len, struct oci_spec *out);
/* Parse <bundle>/config.json, read relative to the bundle directory. */
int oci_spec_load(const char *bundle, struct oci_spec *out);
/* Parse a process object alone (zone-runc exec --process FILE). */
int oci_process_parse(const char *text, size_t len, struct oci_process *out);
void oci_spec_free(struct oci_spec *s);
void oci_process_free(struct oci_process *p);

const char *oci_hook_kind_name(enum oci_hook_kind k);
/* RLIMIT_NOFILE -> RLIMIT_NOFILE's number, or -1. */
int oci_rlimit_from_name(const char *name);
/* CAP_SYS_ADMIN -> 21, or -1. */
int oci_cap_from_name(const char *name);

/* runc spec's default config.json (a root-run busybox-style container). */
json_t *oci_spec_default(void);

#endif
