/* The container's PID and mount namespaces inside its zone.  Once ROOTFS
 * has made the container root zone-init's root, the first process started
 * is the container's init, as runc starts one: PID 1 of a new PID
 * namespace, in a mount namespace of its own whose /proc shows only that
 * namespace (the /proc masks applied again).  Later processes (exec) join
 * both while it lives.  zone-init stays in the zone's namespaces and is the
 * parent of every process, so it still reaps them all; when the init ends,
 * the kernel kills what is left in its namespace. */
#ifndef ZONE_INIT_CTR_NS_H
#define ZONE_INIT_CTR_NS_H

#include <stdint.h>
#include <sys/types.h>

enum ctr_ns_role {
	CTR_NS_NONE, /* no container root (yet): the zone's namespaces */
	CTR_NS_INIT, /* the container's init */
	CTR_NS_JOIN, /* a process joining the init's namespaces */
};

/* From ROOTFS: processes started from now on are the container's; keeps
 * the /proc entries of its masked and read-only paths. */
int ctr_ns_enable(char *const *masked, uint32_t nmasked, char *const *readonly,
		  uint32_t nreadonly);
/* fork() for a new process: 0 in the child, with *role saying what
 * ctr_ns_child must do there; the child's pid in zone-init, or -1 (zerr;
 * ESRCH once the container's init has ended). */
pid_t ctr_ns_fork(enum ctr_ns_role *role);
/* First thing in the child: -1 (errno) if it could not get there. */
int ctr_ns_child(enum ctr_ns_role role);
/* In zone-init, once pid has exec'd: for the init, its namespaces and root
 * are kept for the processes that join. */
void ctr_ns_spawned(pid_t pid);

#endif
