/* Seccomp profiles: one typed form shared by the host (zone run builds it
 * from the default table or from a docker-format JSON file, and sends it
 * in IDM START) and zone-init (which turns it into a filter with
 * libseccomp and loads it just before the container process runs). */
#ifndef ZONE_COMMON_SECCOMP_PROFILE_H
#define ZONE_COMMON_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

enum sc_action {
	SC_ALLOW = 1,
	SC_ERRNO,	 /* fail with errno_ret */
	SC_KILL_THREAD,
	SC_KILL_PROCESS,
	SC_TRAP,
	SC_LOG,
	SC_ACTION_MAX = SC_LOG,
};

enum sc_op { /* libseccomp's comparisons */
	SC_NE = 1,
	SC_LT,
	SC_LE,
	SC_EQ,
	SC_GE,
	SC_GT,
	SC_MASKED_EQ, /* (arg & value) == value_two */
	SC_OP_MAX = SC_MASKED_EQ,
};

#define SC_MAX_ARGS 6
#define SC_MAX_RULES 4096

struct sc_arg {
	uint32_t index; /* 0..5 */
	uint32_t op;	/* enum sc_op */
	uint64_t value, value_two;
};

/* One syscall, by name (resolved in the zone: a name the kernel's
 * architecture does not have is skipped, as runc does).  All args must
 * match (AND); several rules for one syscall are alternatives (OR). */
struct sc_rule {
	char *name;
	uint32_t action;    /* enum sc_action */
	uint32_t errno_ret; /* SC_ERRNO */
	struct sc_arg *args;
	uint32_t nargs;
};

struct sc_profile {
	uint32_t default_action; /* enum sc_action */
	uint32_t default_errno;
	struct sc_rule *rules;
	uint32_t nrules;
};

/* The default profile (static, never freed).  See the table's comment in
 * common/seccomp_profile.c for the rules and why. */
const struct sc_profile *sc_default_profile(void);

/* Names as in docker's JSON ("SCMP_ACT_ERRNO", "SCMP_CMP_MASKED_EQ");
 * 0 if unknown. */
uint32_t sc_action_from_name(const char *name);
uint32_t sc_op_from_name(const char *name);
const char *sc_action_name(uint32_t action);

/* Check ranges (actions, ops, arg indexes, counts): -1 (zerr) if bad. */
int sc_profile_check(const struct sc_profile *p);

/* Build the libseccomp filter for the native architecture.  no_new_privs
 * says whether loading it also sets no_new_privs (as libseccomp does by
 * default); without it the loader must hold CAP_SYS_ADMIN.  Returns a
 * scmp_filter_ctx (void * here, so that users of the types need not
 * include seccomp.h) or NULL (zerr). */
void *sc_filter_build(const struct sc_profile *p, bool no_new_privs);
/* Load a built filter into the calling thread: -1 with errno set. */
int sc_filter_load(void *filter);
void sc_filter_free(void *filter);

/* Free a profile built on the heap (its rules, names and args). */
void sc_profile_free(struct sc_profile *p);

#endif
