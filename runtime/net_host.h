/* The host side of zone networking: a network's bridge (gateway address,
 * forwarding, NAT rules) and a container's TAP, address lease and
 * published ports.  Everything a container adds is owned by its monitor
 * ("ctr:ID:PID:START" on its rules, its pid in its lease); the TAP is not
 * persistent, so it goes with zone-vmm's descriptor.  net_sweep removes
 * what monitors that were killed left. */
#ifndef ZONE_RUNTIME_NET_HOST_H
#define ZONE_RUNTIME_NET_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "idm/messages.h"

struct ctr_state;
struct ctr_config;

struct ctr_net {
	bool enabled; /* false: --network none (loopback only) */
	char id[65];
	char network[40], bridge[16], tap[16];
	char ip[16], gateway[16], cidr[24]; /* "10.88.0.2/16" */
	uint8_t mac[6];
	char mac_str[18];
	int tap_fd;
	char owner[128]; /* comment on this container's rules */
	bool leased;
	bool published; /* has nft rules of its own (-p) */
};

/* Bring a network up on the host (idempotent): bridge with the gateway
 * address, IPv4 forwarding, route_localnet (for ports published on
 * 127.0.0.1), the network's nft rules.  Lock held. */
int net_host_ensure(json_t *net);
/* Take it down: its rules and its bridge. */
int net_host_remove(json_t *net);
/* Delete rules and leases whose monitor is gone.  Takes the network lock. */
int net_sweep(const char *root);

/* For the monitor: the container's network (st->config.net), its lease,
 * TAP (attached to the bridge, up) and published ports.  Records it in
 * st->network.  A config without a net section (zone-runc) gets none:
 * loopback only, as --network none.  cn->tap_fd is for zone-vmm
 * (--net fd=N). */
int ctr_net_setup(const char *root, struct ctr_state *st, struct ctr_net *cn);
/* zone-vmm's --net argument ("fd=N,mac=MAC"), or "" without a network. */
void ctr_net_vmm_arg(const struct ctr_net *cn, char *buf, size_t len);
/* Close the monitor's copy of the TAP once zone-vmm holds it. */
void ctr_net_vmm_started(struct ctr_net *cn);
/* The NETCONF for the zone's eth0 (addrs points into cn). */
void ctr_net_netconf(struct ctr_net *cn, struct idm_netconf *nc, char **addrs);
/* /etc/hosts and /etc/resolv.conf contents (malloc'd). */
int ctr_net_etc_files(const struct ctr_config *cfg, const struct ctr_net *cn, char **hosts,
		      char **resolv);
/* Undo ctr_net_setup: rules, lease, TAP fd. */
void ctr_net_teardown(const char *root, struct ctr_net *cn);

#endif
