/* zone run's -v, --mount and --tmpfs, checked the way podman checks them
 * (host paths absolute and existing, container paths absolute, nothing
 * over /proc or /sys, no target twice) and kept as the "mounts" array of
 * the container's config, which the monitor turns into zone-vmm --fs
 * shares and IDM MOUNT requests (runtime/mounts.c). */
#ifndef ZONE_CLI_MOUNT_FLAGS_H
#define ZONE_CLI_MOUNT_FLAGS_H

#include <jansson.h>

/* -v HOSTPATH:CTRPATH[:OPTS], OPTS comma-separated among ro, rw, [no]suid,
 * [no]dev, [no]exec and z/Z (accepted, no SELinux here); nosuid,nodev by
 * default */
int mount_flag_volume(json_t *mounts, const char *arg);
/* --mount type=bind,src=HOSTPATH,dst=CTRPATH[,ro|readonly[=true|false]]
 * --mount type=tmpfs,dst=CTRPATH[,tmpfs-size=SIZE][,tmpfs-mode=OCTAL][,ro] */
int mount_flag_mount(json_t *mounts, const char *arg);
/* --tmpfs CTRPATH[:size=SIZE,mode=OCTAL,ro,rw,exec,noexec,suid,nosuid,dev,nodev] */
int mount_flag_tmpfs(json_t *mounts, const char *arg);

#endif
