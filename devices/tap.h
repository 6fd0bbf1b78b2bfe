/* The host end of a zone's network: a TAP device with virtio-net headers
 * (IFF_VNET_HDR, 12-byte header) and non-blocking I/O.  Opened before the
 * jail; afterwards only read/readv/writev and TUNSETOFFLOAD touch it. */
#ifndef ZONE_DEVICES_TAP_H
#define ZONE_DEVICES_TAP_H

#include <stdbool.h>
#include <stdint.h>

/* Open (creating it if it does not exist, non-persistent) the TAP NAME.
 * Returns the fd or -1 (zerr). */
int tap_open(const char *name);
/* Check that fd is a TAP with IFF_VNET_HDR and IFF_NO_PI, set the header
 * size and non-blocking mode (a TAP opened by another process and passed
 * in).  0 or -1 (zerr). */
int tap_adopt(int fd);
/* Which receive offloads the TAP may hand us (TUN_F_* from the driver's
 * virtio-net features: partial checksums, TSO4/6).  0 or -1 (zerr). */
int tap_set_offload(int fd, uint64_t virtio_features);
/* Whether the kernel accepts every receive offload we offer (probed once
 * at open: a kernel that refuses gets none offered to the guest). */
bool tap_offload_supported(int fd);

#endif
