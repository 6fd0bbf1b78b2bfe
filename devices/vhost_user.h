/* vhost-user front end (the VMM side of the protocol): hands a device's
 * virtqueues and guest RAM to a back-end process over a Unix socket, so
 * the back end reads and writes the rings itself.  Every reply the back
 * end sends is checked (version, reply flag, request, size) before use. */
#ifndef ZONE_DEVICES_VHOST_USER_H
#define ZONE_DEVICES_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/guest_memory.h"

enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_SET_VRING_ENABLE = 18,
};

#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_FLAG_REPLY (1u << 2)
#define VHOST_USER_FLAG_NEED_REPLY (1u << 3)
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_MAX_REGIONS 8
#define VHOST_USER_VRING_NOFD (1ull << 8)

struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes after the header */
} __attribute__((packed));

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr, used_user_addr, avail_user_addr, log_guest_addr;
} __attribute__((packed));

struct vhost_user_region {
	uint64_t guest_phys_addr, memory_size, userspace_addr, mmap_offset;
} __attribute__((packed));

struct vhost_user_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
} __attribute__((packed));

struct vhost_user {
	int fd;		     /* connected socket to the back end, -1 when gone */
	uint64_t features;   /* what the back end offers (GET_FEATURES) */
	uint64_t protocol_features; /* what both sides agreed on */
	int timeout_ms;	     /* how long a reply may take */
};

/* Take over a connected socket and do the opening handshake: SET_OWNER,
 * GET_FEATURES, and the protocol features (REPLY_ACK only) when offered. */
int vhost_user_open(struct vhost_user *vu, int fd);
void vhost_user_close(struct vhost_user *vu);

int vhost_user_set_features(struct vhost_user *vu, uint64_t features);
/* Guest RAM as one or two regions of its memfd (low RAM at GPA 0, the rest
 * at 4 GiB); vring addresses are then host virtual addresses inside it. */
int vhost_user_set_mem_table(struct vhost_user *vu, const struct guest_mem *mem);
int vhost_user_set_vring_num(struct vhost_user *vu, unsigned index, unsigned num);
int vhost_user_set_vring_base(struct vhost_user *vu, unsigned index, unsigned base);
int vhost_user_set_vring_addr(struct vhost_user *vu, unsigned index, uint64_t desc,
			      uint64_t avail, uint64_t used);
/* fd -1 sends the NOFD flag instead of a descriptor. */
int vhost_user_set_vring_kick(struct vhost_user *vu, unsigned index, int fd);
int vhost_user_set_vring_call(struct vhost_user *vu, unsigned index, int fd);
int vhost_user_set_vring_enable(struct vhost_user *vu, unsigned index, bool enable);
/* Stops the ring in the back end; *base is its next avail index. */
int vhost_user_get_vring_base(struct vhost_user *vu, unsigned index, unsigned *base);

/* Check a reply the back end sent (header + payload in buf, len bytes)
 * against the request it answers: version 1, reply flag, same request,
 * payload exactly payload_len bytes, copied to payload.  0 or -1 (zerr).
 * Pure: exposed for unit tests and the fuzzer. */
int vhost_user_parse_reply(const uint8_t *buf, size_t len, uint32_t request, void *payload,
			   size_t payload_len);

#endif
