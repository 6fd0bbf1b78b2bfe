/* Well-known vsock ports of a zone, shared by zone-init and host tools. */
#ifndef ZONE_IDM_PORTS_H
#define ZONE_IDM_PORTS_H

/* zone-init serves IDM here (host side: "CONNECT 1024\n"). */
#define IDM_VSOCK_PORT 1024

#endif
