/* virtio-fs (device 26) whose requests a vhost-user back end (virtiofsd)
 * serves: at DRIVER_OK the queues, guest RAM, kick ioeventfds and the
 * irqfd go to the back end, so no VMM thread sits in the I/O path.  If
 * the back end dies, the device takes its queues back and answers every
 * FUSE request with EIO, so the guest sees I/O errors instead of hanging. */
#ifndef ZONE_DEVICES_VIRTIO_FS_H
#define ZONE_DEVICES_VIRTIO_FS_H

#include <stdbool.h>
#include "devices/virtio.h"

#define VIRTIO_FS_TAG_MAX 36 /* bytes of the config space tag, no NUL needed */
#define VIRTIO_FS_QUEUES 2   /* hiprio + one request queue */

struct virtio_fs;

/* backend_fd: a connected vhost-user socket (owned from now on, also on
 * failure).  The handshake happens here, before the jail. */
struct virtio_fs *virtio_fs_new(const char *tag, int backend_fd, const struct guest_mem *mem,
				struct loop *loop);
struct virtio_dev *virtio_fs_dev(struct virtio_fs *fs);
/* Only once the loop no longer runs (as vm_free_virtio is called): a
 * callback of the device may be running on the loop thread otherwise. */
void virtio_fs_free(struct virtio_fs *fs);
/* true once the back end is gone and the device answers EIO itself */
bool virtio_fs_backend_lost(struct virtio_fs *fs);

/* Answer one FUSE request chain with error -err (fuse_out_header only);
 * returns the bytes written (0 for requests without a reply buffer, such
 * as FORGET, or a malformed chain).  Exposed for tests and the fuzzer. */
uint32_t virtio_fs_fail_request(const struct vq_chain *c, int err);

#endif
