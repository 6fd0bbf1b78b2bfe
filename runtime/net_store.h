/* Networks and address leases, under <root>/networks/:
 *   NAME.json          {"name", "bridge", "subnet": "10.88.0.0/16",
 *                       "gateway": "10.88.0.1", "created"} (atomic writes)
 *   NAME.leases/IP     "ID PID START": the container whose monitor (pid
 *                      and start time) holds the address; a lease whose
 *                      monitor is gone (SIGKILLed) is free again
 *   .lock              serialises changes (flock)
 * The default network is created at first use with a /16 that overlaps
 * none of the host's routes nor another network. */
#ifndef ZONE_RUNTIME_NET_STORE_H
#define ZONE_RUNTIME_NET_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "common/rtnl.h"

#define NET_DEFAULT_BRIDGE "zone0"

/* An IPv4 route or subnet: network address and prefix length. */
struct v4net {
	uint32_t addr; /* host byte order */
	unsigned prefix;
};

bool v4net_overlap(struct v4net a, struct v4net b);
/* The host's IPv4 routes (/proc/net/route, this network namespace),
 * without default routes.  Returns the count (<= max) or -1 (zerr). */
int host_routes_v4(struct v4net *out, int max);
/* The first /16 of 10.88-10.255, then 10.0-10.87, then 172.16-172.31
 * that overlaps none of avoid[].  0 or -1 (zerr: none free). */
int subnet_pick(const struct v4net *avoid, int navoid, struct v4net *out);

/* flock of <root>/networks/.lock: a fd to close, or -1 (zerr). */
int net_lock(const char *root);
/* Load a network (ENOENT: none of that name). */
int net_load(const char *root, const char *name, json_t **out);
/* Every network, sorted by name. */
int net_list(const char *root, json_t **out);
/* Create a network: subnet NULL picks a free /16.  Takes the lock
 * unless locked.  0 or -1 (zerr; EEXIST when the name is taken). */
int net_create(const char *root, const char *name, const char *subnet, bool locked, json_t **out);
/* Delete a network's file and its leases directory (no lock taken). */
int net_delete(const char *root, const char *name);

/* Lease the first free address of network net for container id, held by
 * the calling process.  ip gets the dotted address.  Lock held. */
int lease_take(const char *root, json_t *net, const char *id, char ip[16]);
/* Release ip if id still holds it. */
void lease_release(const char *root, const char *netname, const char *ip, const char *id);
/* Number of leases held by live monitors (a network in use). */
int lease_count_live(const char *root, const char *netname);
/* Remove leases whose monitor is gone; returns how many.  Lock held. */
int lease_sweep(const char *root, const char *netname);
/* Whether the monitor pid/start recorded in a lease or rule is alive. */
bool owner_alive(long pid, unsigned long long start);

#endif
