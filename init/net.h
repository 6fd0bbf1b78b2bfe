/* The zone's network interfaces, configured by zone-init with rtnetlink:
 * loopback at boot, eth0 on IDM NETCONF. */
#ifndef ZONE_INIT_NET_H
#define ZONE_INIT_NET_H

#include "idm/messages.h"

/* Bring lo up (127.0.0.1/8 and ::1 come with it).  0 or -1 (zerr). */
int net_loopback_up(void);
/* Apply a NETCONF: MTU, addresses, up, default routes.  0 or -1 (zerr). */
int net_configure(const struct idm_netconf *n);

#endif
