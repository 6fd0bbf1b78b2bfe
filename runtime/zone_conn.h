/* Talking to a container's zone: its zone-init over the zone's vsock
 * socket.  Shared by zone and zone-runc. */
#ifndef ZONE_RUNTIME_ZONE_CONN_H
#define ZONE_RUNTIME_ZONE_CONN_H

struct ctr_state;
struct idm_conn;

/* Connect to the zone-init of the container's zone. */
int zone_connect(const struct ctr_state *st, struct idm_conn **out);
/* Send signo to the container's process (st->proc) in its zone. */
int zone_signal(const struct ctr_state *st, int signo);

#endif
