/* A container's network flags (--network, -p, --dns, --add-host), checked
 * and turned into the "net" section of its config:
 *   {"network": "zone"|"none"|NAME, "publish": [{"host_ip", "host_port",
 *    "port", "proto"}], "dns": [IP...], "add_hosts": [[NAME, IP]...]} */
#ifndef ZONE_RUNTIME_NET_SPEC_H
#define ZONE_RUNTIME_NET_SPEC_H

#include <jansson.h>
#include <stdint.h>

#define NET_DEFAULT "zone"   /* the default network (bridge zone0) */
#define NET_NONE "none"	     /* loopback only */
#define NET_MAX_FLAGS 64

struct net_flags {
	const char *network; /* NULL: the default network */
	const char *publish[NET_MAX_FLAGS];
	int npublish;
	const char *dns[NET_MAX_FLAGS];
	int ndns;
	const char *add_hosts[NET_MAX_FLAGS];
	int nadd_hosts;
};

struct port_map {
	char host_ip[16]; /* "" : every host address */
	uint16_t host_port, port;
	char proto[4]; /* "tcp" or "udp" */
};

/* "[HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]".  0 or -1 (zerr, one line). */
int port_map_parse(const char *s, struct port_map *m);
/* A network name: [a-zA-Z0-9][a-zA-Z0-9_.-]{0,31}. 0 or -1 (zerr). */
int net_name_check(const char *name);
/* The "net" config section for the flags, or -1 (zerr): --network host,
 * bad -p, --dns or --add-host values, -p with --network none. */
int net_spec_build(const struct net_flags *f, json_t **out);

#endif
