/* virtio-rng: the guest's entropy comes from the host's getrandom(). */
#ifndef ZONE_DEVICES_VIRTIO_RNG_H
#define ZONE_DEVICES_VIRTIO_RNG_H
#include "devices/virtio.h"

struct virtio_dev *virtio_rng_new(const struct guest_mem *mem, struct loop *loop);
#endif
