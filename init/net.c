#include "init/net.h"
#include "common/rtnl.h"
#include "common/zerr.h"

#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

int net_loopback_up(void)
{
	int fd = rtnl_open(), r;
	unsigned lo = if_nametoindex("lo");

	if (fd < 0)
		return -1;
	r = lo ? rtnl_link_set(fd, lo, true, RTNL_KEEP_MTU, RTNL_KEEP_MASTER)
	       : zerr(ENODEV, "no loopback interface");
	close(fd);
	return r;
}

static int gateway(int fd, int ifindex, const char *text, int family)
{
	struct inet_prefix gw;

	if (!text)
		return 0;
	if (inet_prefix_parse(text, true, &gw) < 0)
		return zerr_prefix("gateway");
	if (gw.family != family)
		return zerr(EINVAL, "gateway %s is not an IPv%d address", text,
			    family == AF_INET ? 4 : 6);
	return rtnl_route_add(fd, NULL, &gw, ifindex);
}

int net_configure(const struct idm_netconf *n)
{
	struct inet_prefix addrs[16];
	uint8_t mac[6];
	int fd, ifindex, r = 0;

	/* everything is checked before anything changes */
	if (mac_parse(n->mac, mac) < 0)
		return -1;
	if (n->naddrs > sizeof(addrs) / sizeof(addrs[0]))
		return zerr(EINVAL, "too many addresses");
	if (n->mtu && n->mtu < 68)
		return zerr(EINVAL, "MTU %u is below IPv4's minimum of 68", n->mtu);
	for (uint32_t i = 0; i < n->naddrs; i++)
		if (inet_prefix_parse(n->addrs[i], false, &addrs[i]) < 0)
			return -1;
	if ((ifindex = link_index_by_mac(mac)) < 0 || (fd = rtnl_open()) < 0)
		return -1;
	r = rtnl_link_set(fd, ifindex, true, n->mtu ? n->mtu : RTNL_KEEP_MTU, RTNL_KEEP_MASTER);
	for (uint32_t i = 0; !r && i < n->naddrs; i++)
		r = rtnl_addr_add(fd, ifindex, &addrs[i]);
	/* the gateways are on the link once its addresses are */
	if (!r)
		r = gateway(fd, ifindex, n->gateway4, AF_INET);
	if (!r)
		r = gateway(fd, ifindex, n->gateway6, AF_INET6);
	close(fd);
	return r;
}
