/* IDM messages: C structs and their TLV encoding.
 *
 * Requests from the host carry a non-zero request id; the reply (ACK,
 * ERROR or the typed reply) carries the same id.  Stream messages (DATA,
 * EOF, CREDIT) use id 0 and get no reply.  Tags are scoped per message
 * type; a tag with IDM_TAG_OPTIONAL set may be ignored by a receiver that
 * does not know it, any other unknown tag is an error (so a newer peer can
 * add fields without an old one misreading a request it cannot honour). */
#ifndef ZONE_IDM_MESSAGES_H
#define ZONE_IDM_MESSAGES_H

#include "idm/codec.h"
#include "idm/frame.h"
#include "common/seccomp_profile.h"

#include <stdbool.h>
#include <stdint.h>

enum idm_type {
	IDM_HELLO = 1,    /* both ways: version range; the reply holds the choice */
	IDM_ERROR,        /* reply: errno-style code + message */
	IDM_ACK,          /* reply: success without data */
	IDM_PING,         /* request */
	IDM_PONG,         /* reply */
	IDM_START,        /* request: start a process -> STARTED */
	IDM_STARTED,      /* reply */
	IDM_DATA,         /* stream bytes (host->guest stdin, guest->host stdout/stderr) */
	IDM_EOF,          /* end of one stream */
	IDM_CREDIT,       /* receiver grants the sender more bytes on a stream */
	IDM_SIGNAL,       /* request -> ACK */
	IDM_RESIZE,       /* request -> ACK (tty processes only) */
	IDM_WAIT,         /* request -> EXIT once the process exited and its output was sent */
	IDM_EXIT,         /* reply */
	IDM_LIST,         /* request -> LIST_REPLY */
	IDM_LIST_REPLY,
	IDM_STATS,        /* request -> STATS_REPLY */
	IDM_STATS_REPLY,
	IDM_SHUTDOWN,     /* request -> ACK, then the server returns */
	IDM_ROOTFS,       /* request -> ACK: mount the container root and switch into it */
	IDM_MOUNT,        /* request -> ACK: mount a virtio-fs tag or a tmpfs in the container root */
	/* networking (keep these contiguous) */
	IDM_NETCONF,      /* request -> ACK: configure a network interface (eth0) */
	IDM_TYPE_END
};

#define IDM_TAG_OPTIONAL 0x8000

enum idm_stream { IDM_STDIN = 0, IDM_STDOUT = 1, IDM_STDERR = 2 };

/* Per-stream window: a sender may have at most this many bytes of DATA
 * not yet acknowledged by CREDIT.  Both sides start with it. */
#define IDM_WINDOW (256u * 1024)
/* Largest DATA chunk a well-behaved sender produces (not a decode limit). */
#define IDM_DATA_CHUNK (64u * 1024)

struct idm_hello {
	uint32_t version_min, version_max;
	char *agent; /* optional, informational */
};

struct idm_error {
	uint32_t code; /* errno value */
	char *message;
};

struct idm_ping {
	uint64_t cookie;
};

struct idm_rlimit {
	uint32_t resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct idm_caps {
	uint64_t effective, permitted, inheritable, bounding, ambient;
};

struct idm_start {
	char **argv; /* argc >= 1; decoded arrays are also NULL-terminated */
	uint32_t argc;
	char **env;
	uint32_t envc;
	char *cwd; /* NULL: "/" */
	uint32_t uid, gid;
	uint32_t *groups;
	uint32_t ngroups;
	uint32_t umask; /* taken literally: 0 means 0 */
	struct idm_rlimit *rlimits;
	uint32_t nrlimits;
	bool no_new_privs;
	struct idm_caps *caps; /* NULL: capabilities as the kernel gives them for uid */
	/* With caps: a process whose uid is not 0 keeps only the bounding
	 * set (docker's --user: a non-root user gets no capabilities) */
	bool caps_root_only;
	/* NULL: no filter.  Loaded last before exec (before setuid when
	 * no_new_privs is off, while zone-init still has CAP_SYS_ADMIN) */
	struct sc_profile *seccomp;
	bool tty;
	uint32_t rows, cols; /* tty window size */
	bool kill_on_close; /* SIGKILL it when the starting connection goes away */
	/* "name|uid[:group|gid]", resolved in the zone's /etc/passwd and
	 * /etc/group; when set it replaces uid, gid and groups. */
	char *user;
};

/* The container's root: an image disk (read-only filesystem) under an
 * overlay whose upper layer is a tmpfs in the zone (or the image alone,
 * read-only).  zone-init mounts it with /proc, /sys, /dev, writes
 * /etc/hostname, /etc/hosts, /etc/resolv.conf and makes it its root. */
struct idm_rootfs {
	char *device;	   /* e.g. /dev/vda */
	char *fstype;	   /* e.g. erofs */
	bool read_only;	   /* no writable upper layer */
	char *hostname;
	char *hosts;	   /* /etc/hosts content (optional) */
	char *resolv_conf; /* /etc/resolv.conf content (optional) */
	/* Inside the container's /proc and /sys (runc's maskedPaths and
	 * readonlyPaths): a masked file gets /dev/null bound over it, a masked
	 * directory an empty read-only tmpfs; a read-only path is bound onto
	 * itself read-only.  Paths that do not exist are skipped. */
	char **masked_paths;
	uint32_t nmasked_paths;
	char **readonly_paths;
	uint32_t nreadonly_paths;
};

/* One mount in the container root, sent after ROOTFS and before the
 * container process starts.  target is resolved inside the container
 * root (symlinks stay in it, no magic links) and may not lie on /proc or
 * /sys; missing directories (or, for a file source, the file) are made.
 * Propagation is always private. */
struct idm_mount {
	char *fstype;  /* "virtiofs" or "tmpfs" */
	char *source;  /* virtiofs: the tag (zone-vmm --fs TAG=...) */
	char *subpath; /* optional: the entry of the tag to mount (a shared file) */
	char *target;  /* absolute path in the container */
	bool read_only, nosuid, nodev, noexec;
	uint64_t size; /* tmpfs: bytes, 0 for the kernel's default */
	uint32_t mode; /* tmpfs: permissions of its root, 0 for 01777 */
};

/* One network interface of the zone, found by its MAC address (the
 * virtio-net device's): MTU, addresses, default routes, then up. */
struct idm_netconf {
	char *mac;	   /* "02:..": which interface */
	uint32_t mtu;	   /* 0: keep the device's */
	char **addrs;	   /* "10.88.0.2/16", IPv4 or IPv6 */
	uint32_t naddrs;
	char *gateway4;	   /* optional: default IPv4 route via this address */
	char *gateway6;	   /* optional: default IPv6 route */
};

struct idm_started {
	uint32_t proc; /* server-assigned handle, never reused by a server */
	uint32_t pid;  /* guest pid, informational */
};

struct idm_data {
	uint32_t proc, stream;
	uint8_t *data;
	uint32_t len;
};

struct idm_eof {
	uint32_t proc, stream;
};

struct idm_credit {
	uint32_t proc, stream, bytes;
};

struct idm_signal {
	uint32_t proc, signo;
};

struct idm_resize {
	uint32_t proc, rows, cols;
};

struct idm_wait {
	uint32_t proc;
};

struct idm_exit {
	uint32_t proc;
	uint32_t code;  /* exit status when signo == 0 */
	uint32_t signo; /* killing signal, 0 when it exited */
	bool core;
};

enum idm_proc_state { IDM_PROC_RUNNING = 1, IDM_PROC_EXITED = 2 };

struct idm_proc_info {
	uint32_t proc, pid, state;
	uint32_t code, signo; /* valid when exited */
	bool tty;
	char *cmd; /* argv joined by spaces, possibly truncated */
};

struct idm_list_reply {
	struct idm_proc_info *procs;
	uint32_t nprocs;
};

struct idm_stats_req {
	uint32_t proc; /* 0: zone-wide numbers only */
};

struct idm_stats {
	uint64_t cpu_user_us, cpu_system_us; /* whole zone */
	uint64_t mem_total, mem_available;   /* bytes */
	uint32_t pids;                        /* tasks in the zone */
	uint32_t proc;                        /* echo of the request; 0: fields below unset */
	uint64_t proc_cpu_user_us, proc_cpu_system_us, proc_rss;
};

/* Every allocation of a decoded message lives in its arena. */
struct idm_arena {
	struct idm_arena_chunk *head;
};

struct idm_msg {
	uint8_t type;
	uint32_t id;
	union {
		struct idm_hello hello;
		struct idm_error error;
		struct idm_ping ping;
		struct idm_start start;
		struct idm_started started;
		struct idm_data data;
		struct idm_eof eof;
		struct idm_credit credit;
		struct idm_signal signal;
		struct idm_resize resize;
		struct idm_wait wait;
		struct idm_exit exit;
		struct idm_list_reply list;
		struct idm_stats_req stats_req;
		struct idm_stats stats;
		struct idm_rootfs rootfs;
		struct idm_mount mount;
		struct idm_netconf netconf;
	} u;
	struct idm_arena arena;
};

bool idm_type_valid(unsigned type);
const char *idm_type_name(unsigned type);

/* Append one complete frame (header + payload) to out.  body points to
 * the struct for type (NULL for ACK/LIST/SHUTDOWN).  -1 (zerr) when the
 * payload would exceed IDM_MAX_PAYLOAD; out is left unchanged then. */
int idm_msg_write(struct idm_buf *out, unsigned type, uint32_t id, const void *body);
/* Decode a payload whose header was validated by idm_hdr_parse.  On
 * success m owns its memory (idm_msg_free); on failure nothing is held. */
int idm_msg_decode(const struct idm_hdr *h, const uint8_t *payload, struct idm_msg *m);
void idm_msg_free(struct idm_msg *m);

/* Exit status as a shell would report it: code, or 128 + signal. */
static inline int idm_exit_status(const struct idm_exit *e)
{
	return e->signo ? 128 + (int)e->signo : (int)e->code;
}

#endif
