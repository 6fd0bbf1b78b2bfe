/* virtio-console, single port (hvc).  Output from the guest goes to a sink
 * callback; input comes from a host fd when one is given. */
#ifndef ZONE_DEVICES_VIRTIO_CONSOLE_H
#define ZONE_DEVICES_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include "devices/virtio.h"

typedef void (*console_sink)(void *arg, const uint8_t *buf, size_t len);

struct virtio_console;

/* in_fd may be -1 (no input).  sink receives everything the guest writes. */
struct virtio_console *virtio_console_new(const struct guest_mem *mem, struct loop *loop,
					  int in_fd, console_sink sink, void *sink_arg);
struct virtio_dev *virtio_console_dev(struct virtio_console *c);
void virtio_console_free(struct virtio_console *c);

#endif
