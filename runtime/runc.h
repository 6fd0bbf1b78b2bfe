/* zone-runc: runc's command line over zones.  A command is one line in
 * RUNC_COMMANDS plus int runc_cmd_<name>(struct runc *, argc, argv) in
 * runtime/runc_*.c; argv[0] is the command name.  Return 0, an exit
 * status, or -1 after zerr(): main logs "<prog> <cmd> failed: msg" or the
 * bare message (as runc does per command) and exits 1. */
#ifndef ZONE_RUNTIME_RUNC_H
#define ZONE_RUNTIME_RUNC_H

#include "idm/messages.h"
#include "runtime/oci_spec.h"
#include "runtime/state.h"

#include <stdbool.h>

#define RUNC_DEFAULT_ROOT "/run/zone-runc"
#define RUNC_VERSION "0.1.0"

struct runc {
	const char *root;     /* --root */
	const char *log_path; /* --log, NULL: stderr */
	bool log_json;	      /* --log-format json */
	bool debug;
	bool systemd_cgroup;  /* accepted: a zone has no host cgroup to name */
	const char *prog;     /* "zone-runc" */
	const char *cmd;      /* the running command, for messages */
	bool usage_error;     /* the failure was bad usage: print usage too */
};

#define RUNC_COMMANDS(X) \
	X(create, "create a container") \
	X(start, "executes the user defined process in a created container") \
	X(run, "create and run a container") \
	X(state, "output the state of a container") \
	X(kill, "kill sends the specified signal (default: SIGTERM) to the container's init process") \
	X(delete, "delete any resources held by the container often used with detached container") \
	X(exec, "execute new process inside the container") \
	X(ps, "ps displays the processes running inside a container") \
	X(list, "lists containers started by zone-runc with the given root") \
	X(pause, "pause suspends all processes inside the container") \
	X(resume, "resumes all processes that have been previously paused") \
	X(update, "update container resource constraints") \
	X(events, "display container events such as OOM notifications, cpu, memory, and IO usage statistics") \
	X(features, "show the enabled features") \
	X(spec, "create a new specification file")

#define RUNC_DECLARE_CMD(name, help) int runc_cmd_##name(struct runc *r, int argc, char **argv);
RUNC_COMMANDS(RUNC_DECLARE_CMD)
#undef RUNC_DECLARE_CMD

/* Logging as runc's logrus: text `time="..." level=error msg="..."` or
 * JSON lines {"level","msg","time"}, to --log or stderr.  Debug lines
 * only with --debug. */
enum runc_level { RUNC_DEBUG, RUNC_INFO, RUNC_WARN, RUNC_ERROR };
void runc_log(const struct runc *r, enum runc_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A usage error (wrong number of arguments, unknown flag): returns -1. */
int runc_usage(struct runc *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An unknown flag, worded as Go's flag package words it: returns -1. */
int runc_bad_flag(struct runc *r, const char *arg);
/* Exactly n / at least n arguments after the options, as runc checks them. */
int runc_nargs(struct runc *r, int argc, int first, int n, bool exact);

/* The container's state, or "container does not exist". */
int runc_open(const struct runc *r, const char *id, struct ctr_state *st);
/* runc's status: created, running, paused or stopped. */
const char *runc_status(const struct ctr_state *st);
/* The host pid that stands for the container's init (0 once stopped). */
pid_t runc_pid(const struct ctr_state *st);
/* runc's state JSON: ociVersion, id, pid, status, bundle, rootfs, created,
 * annotations, owner. */
json_t *runc_state_json(const struct ctr_state *st);
/* Write a pid file atomically, as runc does (temp + rename). */
int runc_write_pid_file(const char *path, pid_t pid);
/* Wait until the container's monitor is gone; false on timeout. */
bool runc_wait_gone(const struct ctr_state *st, long ms);

/* config.json's confinement as runc applies it: linux.seccomp for the
 * container's processes (exec'd ones too) and linux.maskedPaths /
 * readonlyPaths for its root.  runc_seccomp: *out gets the profile (on the
 * heap: sc_profile_free) and 1 is returned, or 0 without one, or -1 (zerr)
 * when it does not convert. */
int runc_seccomp(const struct oci_spec *spec, struct sc_profile *out);
void runc_rootfs_paths(const struct oci_spec *spec, struct idm_rootfs *rf);

/* Run the hooks of kind with the state JSON on stdin, in order; the
 * first failure (exit status, signal, timeout) is the error.  The state's
 * status is the one the runtime spec gives each kind (creating, created,
 * running, stopped), as runc passes it. */
int runc_hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const struct ctr_state *st);

/* Console sockets: connect to path and send the pty master with
 * SCM_RIGHTS, as runc's utils.SendFd does (the message is the master's
 * name, "/dev/ptmx").  Returns the slave fd (the monitor's side) or -1. */
int runc_console_open(const char *socket_path, unsigned rows, unsigned cols);

/* Exit as a process that ended with code (128+N: killed by signal N)
 * did: the same status, or the same signal, for whoever reaps us. */
void runc_exit_like(int code) __attribute__((noreturn));
/* Kill what is left of a container, run its poststop hooks, remove it. */
int runc_delete_container(struct runc *r, const char *id, bool force);

/* Signals by name ("KILL", "SIGKILL") or number; -1 if unknown. */
int runc_parse_signal(const char *s);

#endif
