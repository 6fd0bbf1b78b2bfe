/* A small rtnetlink client: links up/down, MTU, master, addresses, routes,
 * bridges.  Hand-written rather than libmnl because zone-init is static and
 * Debian ships no libmnl.a; shared by zone-init (lo, eth0) and the host
 * (bridges, TAPs). */
#ifndef ZONE_COMMON_RTNL_H
#define ZONE_COMMON_RTNL_H

#include <stdbool.h>
#include <stdint.h>

/* An IPv4 or IPv6 address with a prefix length ("10.1.0.2/16"). */
struct inet_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/* "ADDR/LEN" (or a bare ADDR when allow_bare: /32 or /128). 0 or -1 (zerr). */
int inet_prefix_parse(const char *s, bool allow_bare, struct inet_prefix *p);
/* Back to text ("10.1.0.2/16"); with_len false gives the bare address. */
void inet_prefix_str(const struct inet_prefix *p, bool with_len, char *buf, unsigned size);

/* A NETLINK_ROUTE socket (close() it).  -1 (zerr). */
int rtnl_open(void);

#define RTNL_KEEP_MTU 0
#define RTNL_KEEP_MASTER (-1)
/* Set a link's MTU (RTNL_KEEP_MTU: unchanged), master (ifindex, 0: none,
 * RTNL_KEEP_MASTER: unchanged), then up or down. */
int rtnl_link_set(int fd, int ifindex, bool up, uint32_t mtu, int master);
int rtnl_addr_add(int fd, int ifindex, const struct inet_prefix *addr);
/* A route to dst (NULL: default route of gw's family) via gw (NULL:
 * directly on ifindex). */
int rtnl_route_add(int fd, const struct inet_prefix *dst, const struct inet_prefix *gw,
		   int ifindex);
/* Create a bridge (EEXIST is an error). */
int rtnl_bridge_add(int fd, const char *name);
int rtnl_link_del(int fd, int ifindex);

/* The interface with this MAC address, or -1 (zerr). */
int link_index_by_mac(const uint8_t mac[6]);
/* "02:00:0a:01:00:02" <-> bytes.  0 or -1 (zerr). */
int mac_parse(const char *s, uint8_t mac[6]);
void mac_str(const uint8_t mac[6], char buf[18]);

#endif
