/* zone run --security-opt seccomp=FILE: docker's (and podman's, and the
 * OCI runtime spec's) JSON seccomp profile -> the typed profile that
 * zone-init loads (common/seccomp_profile.h). */
#ifndef ZONE_RUNTIME_SECCOMP_JSON_H
#define ZONE_RUNTIME_SECCOMP_JSON_H

#include "common/seccomp_profile.h"

#include <jansson.h>
#include <stdint.h>

/* Supported: defaultAction, defaultErrnoRet; syscalls[] with names (or
 * name), action, errnoRet, args[] (index, value, valueTwo, op), comment,
 * and includes/excludes by caps (against caps, the container's set) and
 * arches (against x86_64); architectures, archMap, defaultErrno and errno
 * are accepted and ignored (the filter is for the zone's architecture).
 * Anything else (SCMP_ACT_NOTIFY/TRACE, minKernel, listenerPath, flags)
 * is refused with an error naming it.  The result is on the heap
 * (sc_profile_free). */
int seccomp_json_profile(json_t *j, uint64_t caps, struct sc_profile *out);

/* Read and check FILE (its profile as JSON, for the container state). */
int seccomp_json_load(const char *path, json_t **out);

#endif
