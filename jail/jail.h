/* zone-vmm's jail: once the VM is set up (every file, device and socket it
 * needs is open, vCPUs created) the process gives up what it no longer
 * needs before any guest code runs:
 *   - namespaces: new net, IPC, UTS, cgroup and mount namespaces; the mount
 *     namespace's root is an empty read-only tmpfs holding only the vsock
 *     socket's directory (guest connections reach PATH_<port> at run time);
 *   - every capability (bounding, ambient, effective, permitted,
 *     inheritable) and PR_SET_NO_NEW_PRIVS;
 *   - a seccomp filter allowing only the system calls the running VMM
 *     makes (ioctl only for KVM_RUN, a few KVM getters and tty requests);
 *     anything else kills the process (SIGSYS) and is logged by the kernel.
 * Under ASan the seccomp filter and the mount namespace are left out: the
 * sanitizer runtime needs ptrace, fork, /proc and more when it reports. */
#ifndef ZONE_JAIL_H
#define ZONE_JAIL_H

#include <stdbool.h>

struct jail_opts {
	/* the vsock socket path (NULL if none): its directory stays reachable
	 * at the same path inside the mount namespace */
	const char *socket_path;
};

/* Everything above, in order.  0, or -1 with zerr set (the process may be
 * half jailed then: callers exit). */
int jail_enter(const struct jail_opts *o);

/* The parts, for tests. */
int jail_namespaces(const struct jail_opts *o);
int jail_drop_privileges(void);
/* Installs the filter (also under ASan); needs no_new_privs or
 * CAP_SYS_ADMIN. */
int jail_seccomp(void);

/* true when built with AddressSanitizer (the jail is lighter then) */
bool jail_sanitized(void);

#endif
