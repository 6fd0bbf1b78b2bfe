/* Zone and process resource numbers for IDM STATS, read from /proc. */
#ifndef ZONE_INIT_STATS_H
#define ZONE_INIT_STATS_H

#include "idm/messages.h"

#include <sys/types.h>

/* Fill the zone-wide fields; -1 (zerr) when /proc is unreadable. */
int stats_zone(struct idm_stats *st);
/* Fill the proc_* fields for pid (CPU of the process and its reaped children). */
int stats_pid(pid_t pid, struct idm_stats *st);

#endif
