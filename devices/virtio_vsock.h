/* virtio-vsock with the host side on Unix sockets (Firecracker's "hybrid
 * vsock"): host clients connect to PATH and send "CONNECT <port>\n"; the
 * VMM answers "OK <hostport>\n" once the guest accepts, then relays bytes.
 * Guest connections to host port P go to the Unix socket PATH_P. */
#ifndef ZONE_DEVICES_VIRTIO_VSOCK_H
#define ZONE_DEVICES_VIRTIO_VSOCK_H

#include <stdint.h>
#include "devices/virtio.h"

#define VSOCK_GUEST_CID 3

struct virtio_vsock;

/* Listens on path right away (a stale socket file left by a dead VMM is
 * replaced; a live one is an error).  path may be NULL: no host listener,
 * guest connections to the host are refused, and only connections made
 * with virtio_vsock_connect_fd reach the guest. */
struct virtio_vsock *virtio_vsock_new(const char *path, uint64_t guest_cid,
				      const struct guest_mem *mem, struct loop *loop);
struct virtio_dev *virtio_vsock_dev(struct virtio_vsock *v);
/* Connect fd (one end of a socketpair; the device owns it from now on) to
 * guest port, as if a host client had sent "CONNECT <port>\n": the other
 * end reads "OK <hostport>\n" once the guest accepts, or EOF if it refuses.
 * Safe to call from any thread. */
int virtio_vsock_connect_fd(struct virtio_vsock *v, int fd, uint32_t port);
/* Close every connection and the listener, and remove path. */
void virtio_vsock_free(struct virtio_vsock *v);

#endif
