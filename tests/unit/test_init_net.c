/* init/net.c and common/rtnl.c for real: in a network namespace of the
 * test's own, zone-init's loopback bring-up and NETCONF applied to a TAP
 * (standing in for the zone's eth0), read back through the kernel. */
#include "tests/unit/check.h"
#include "common/rtnl.h"
#include "common/zerr.h"
#include "devices/tap.h"
#include "init/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int ifreq_get(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	r = s < 0 ? -1 : ioctl(s, req, ifr);
	if (s >= 0)
		close(s);
	return r;
}

static bool is_up(const char *name)
{
	struct ifreq ifr;
	return ifreq_get(name, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
}

static bool has_addr(const char *name, const char *want)
{
	struct ifaddrs *all, *a;
	bool found = false;

	if (getifaddrs(&all) < 0)
		return false;
	for (a = all; a && !found; a = a->ifa_next) {
		char buf[INET6_ADDRSTRLEN] = "";
		if (!a->ifa_addr || strcmp(a->ifa_name, name))
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, buf, sizeof(buf));
		else if (a->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr, buf,
				  sizeof(buf));
		found = !strcmp(buf, want);
	}
	freeifaddrs(all);
	return found;
}

/* /proc/net/route: "IFACE 00000000 GATEWAY ..." for the default route */
static bool default_route_v4(const char *name, const char *gw)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], ifn[32];
	unsigned dst, via;
	struct in_addr want;
	bool found = false;

	inet_pton(AF_INET, gw, &want);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x", ifn, &dst, &via) == 3 && !strcmp(ifn, name) &&
		    dst == 0 && via == want.s_addr)
			found = true;
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	const uint8_t mac[6] = { 0x02, 0x00, 0x0a, 0x4d, 0x00, 0x02 };
	char *addrs[] = { "10.77.0.2/24", NULL };
	char *bad_addrs[] = { "10.77.0.300/24", NULL };
	struct ifreq ifr;
	int tap, rt;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("FAIL: %s: a network namespace of our own: %s (run as root)\n", __FILE__,
		       strerror(errno));
		return 1;
	}
	CHECK(!is_up("lo"), "a new namespace starts with lo down (as a zone boots)");
	CHECK(net_loopback_up() == 0 && is_up("lo") && has_addr("lo", "127.0.0.1"),
	      "net_loopback_up: lo is up with 127.0.0.1");

	tap = tap_open("zeth0");
	CHECK(tap >= 0, "a TAP stands in for eth0");
	if (tap < 0)
		CHECK_DONE();
	/* give it the MAC the virtio-net device would have */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "zeth0");
	ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0 && ioctl(s, SIOCSIFHWADDR, &ifr) == 0, "TAP MAC set");
	close(s);

	struct idm_netconf bad = { "02:00:0a:4d:00:02", 1400, bad_addrs, 1, "10.77.0.1", NULL };
	CHECK(net_configure(&bad) < 0 && strstr(zerr_msg(), "10.77.0.300") && !is_up("zeth0"),
	      "NETCONF with a bad address fails before changing anything");
	struct idm_netconf nomac = { "02:00:00:00:00:99", 0, addrs, 1, NULL, NULL };
	CHECK(net_configure(&nomac) < 0 && zerr_errno() == ENODEV,
	      "NETCONF for a MAC no interface has: ENODEV");
	struct idm_netconf gw6 = { "02:00:0a:4d:00:02", 0, addrs, 1, "10.77.0.1", "10.77.0.1" };
	CHECK(net_configure(&gw6) < 0, "NETCONF with an IPv4 gateway6 is refused");

	struct idm_netconf nc = { "02:00:0a:4d:00:02", 1400, addrs, 1, "10.77.0.1", NULL };
	CHECK(net_configure(&nc) == 0, "NETCONF applied");
	CHECK(is_up("zeth0"), "NETCONF: the interface is up");
	CHECK(ifreq_get("zeth0", SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == 1400, "NETCONF: MTU 1400");
	CHECK(has_addr("zeth0", "10.77.0.2"), "NETCONF: address 10.77.0.2");
	CHECK(default_route_v4("zeth0", "10.77.0.1"), "NETCONF: default route via 10.77.0.1");

	/* the host-side helpers: a bridge, the TAP as its port, then gone */
	rt = rtnl_open();
	CHECK(rt >= 0 && rtnl_bridge_add(rt, "zbr0") == 0 && if_nametoindex("zbr0") > 0,
	      "rtnl_bridge_add creates a bridge");
	CHECK(rtnl_bridge_add(rt, "zbr0") < 0 && zerr_errno() == EEXIST,
	      "rtnl_bridge_add refuses an existing name");
	CHECK(rtnl_link_set(rt, if_nametoindex("zeth0"), true, RTNL_KEEP_MTU,
			    if_nametoindex("zbr0")) == 0,
	      "rtnl_link_set makes the TAP a bridge port");
	/* sysfs shows the namespace it was mounted in: ask ip(8), which asks
	 * this namespace's rtnetlink */
	char line[512] = "";
	FILE *ip = popen("ip -o link show zeth0 2>&1", "r");
	if (ip) {
		if (!fgets(line, sizeof(line), ip))
			line[0] = 0;
		pclose(ip);
	}
	CHECK(strstr(line, "master zbr0"), "the TAP's master is the bridge");
	CHECK(rtnl_link_del(rt, if_nametoindex("zbr0")) == 0 && if_nametoindex("zbr0") == 0,
	      "rtnl_link_del removes the bridge");

	struct inet_prefix p;
	char txt[64];
	CHECK(inet_prefix_parse("10.1.2.3/16", false, &p) == 0 && p.prefix == 16 &&
		      (inet_prefix_str(&p, true, txt, sizeof(txt)), !strcmp(txt, "10.1.2.3/16")),
	      "inet_prefix_parse/str round trip");
	CHECK(inet_prefix_parse("10.1.2.3", false, &p) < 0 && inet_prefix_parse("10.1.2.3", true, &p) == 0 &&
		      p.prefix == 32,
	      "a bare address only where allowed, as /32");
	CHECK(inet_prefix_parse("10.1.2.3/33", false, &p) < 0 && inet_prefix_parse("10.1.2.3/-1", false, &p) < 0 &&
		      inet_prefix_parse("10.1.2.3/", false, &p) < 0 && inet_prefix_parse("/8", false, &p) < 0,
	      "bad prefixes refused");
	CHECK(inet_prefix_parse("fd00::1/64", false, &p) == 0 && p.family == AF_INET6, "IPv6 prefix");
	uint8_t m[6];
	CHECK(mac_parse("02:ab:cd:ef:01:23", m) == 0 && m[1] == 0xab && mac_parse("02:ab:cd:ef:01", m) < 0 &&
		      mac_parse("02:ab:cd:ef:01:2g", m) < 0 && mac_parse("03:00:00:00:00:00", m) < 0,
	      "mac_parse: valid, short, bad digit, multicast");
	close(rt);
	close(tap);
	CHECK_DONE();
}
