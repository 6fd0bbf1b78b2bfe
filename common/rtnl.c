#include "common/rtnl.h"
#include "common/zerr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- addresses ---- */

int inet_prefix_parse(const char *s, bool allow_bare, struct inet_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return zerr(0, "'%s' is not an IP address", s);
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6, max = 128;
	else
		return zerr(0, "'%s' is not an IP address", s);
	if (!slash) {
		if (!allow_bare)
			return zerr(0, "'%s' needs a prefix length (ADDR/LEN)", s);
		p->prefix = max;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long len = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || len > max || slash[1] == '-' || slash[1] == '+')
		return zerr(0, "'%s': prefix length must be 0..%u", s, max);
	p->prefix = len;
	return 0;
}

void inet_prefix_str(const struct inet_prefix *p, bool with_len, char *buf, unsigned size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (with_len)
		snprintf(buf, size, "%s/%u", a, p->prefix);
	else
		snprintf(buf, size, "%s", a);
}

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return zerr(0, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	if (mac[0] & 1)
		return zerr(0, "'%s' is a multicast MAC address", s);
	return 0;
}

void mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

int link_index_by_mac(const uint8_t mac[6])
{
	struct if_nameindex *all = if_nameindex(), *i;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), found = -1;
	char m[18];

	if (all && sock >= 0) {
		for (i = all; i->if_index && found < 0; i++) {
			struct ifreq ifr = { 0 };
			snprintf(ifr.ifr_name, IFNAMSIZ, "%s", i->if_name);
			if (ioctl(sock, SIOCGIFHWADDR, &ifr) == 0 &&
			    !memcmp(ifr.ifr_hwaddr.sa_data, mac, 6))
				found = i->if_index;
		}
	}
	if (all)
		if_freenameindex(all);
	if (sock >= 0)
		close(sock);
	mac_str(mac, m);
	return found > 0 ? found : zerr(ENODEV, "no network interface with MAC %s", m);
}

/* ---- netlink messages ---- */

struct nlreq {
	struct nlmsghdr *h;
	uint8_t buf[1024];
};

static void *req_init(struct nlreq *r, uint16_t type, uint16_t flags, size_t body)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->h = (struct nlmsghdr *)r->buf;
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->h->nlmsg_len = NLMSG_LENGTH(body);
	return NLMSG_DATA(r->h);
}

static struct rtattr *put_attr(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h->nlmsg_len));

	/* every request here is far smaller than the buffer */
	if (NLMSG_ALIGN(r->h->nlmsg_len) + RTA_SPACE(len) > sizeof(r->buf))
		abort();
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = NLMSG_ALIGN(r->h->nlmsg_len) + RTA_SPACE(len);
	return a;
}

static void nest_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = r->buf + r->h->nlmsg_len - (uint8_t *)nest;
}

/* Send and wait for the kernel's ack; returns 0 or -errno. */
static int talk(int fd, struct nlreq *r)
{
	static uint32_t seq;
	uint8_t reply[4096];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	r->h->nlmsg_seq = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	if (sendto(fd, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, reply, sizeof(reply), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h->nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

int rtnl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };

	if (fd < 0)
		return zerr(errno, "netlink socket");
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		int e = errno;
		close(fd);
		return zerr(e, "netlink bind");
	}
	return fd;
}

static int ifname_of(int ifindex, char name[IF_NAMESIZE])
{
	if (!if_indextoname(ifindex, name))
		snprintf(name, IF_NAMESIZE, "#%d", ifindex);
	return 0;
}

int rtnl_link_set(int fd, int ifindex, bool up, uint32_t mtu, int master)
{
	struct nlreq r;
	struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	char name[IF_NAMESIZE];
	int e;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu != RTNL_KEEP_MTU)
		put_attr(&r, IFLA_MTU, &mtu, sizeof(mtu));
	if (master != RTNL_KEEP_MASTER) {
		uint32_t m = master;
		put_attr(&r, IFLA_MASTER, &m, sizeof(m));
	}
	e = talk(fd, &r);
	ifname_of(ifindex, name);
	return e ? zerr(-e, "setting link %s %s", name, up ? "up" : "down") : 0;
}

int rtnl_addr_add(int fd, int ifindex, const struct inet_prefix *a)
{
	struct nlreq r;
	struct ifaddrmsg *ifa = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
					 sizeof(*ifa));
	char name[IF_NAMESIZE], text[64];
	int e;

	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	put_attr(&r, IFA_LOCAL, a->addr, addr_len(a->family));
	put_attr(&r, IFA_ADDRESS, a->addr, addr_len(a->family));
	e = talk(fd, &r);
	ifname_of(ifindex, name);
	inet_prefix_str(a, true, text, sizeof(text));
	return e ? zerr(-e, "adding address %s to %s", text, name) : 0;
}

int rtnl_route_add(int fd, const struct inet_prefix *dst, const struct inet_prefix *gw,
		   int ifindex)
{
	struct nlreq r;
	struct rtmsg *rt = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	int family = dst ? dst->family : gw ? gw->family : AF_INET;
	uint32_t oif = ifindex;
	char text[64];
	int e;

	if (dst && gw && dst->family != gw->family)
		return zerr(EINVAL, "route: destination and gateway of different families");
	rt->rtm_family = family;
	rt->rtm_dst_len = dst ? dst->prefix : 0;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	if (dst)
		put_attr(&r, RTA_DST, dst->addr, addr_len(family));
	if (gw)
		put_attr(&r, RTA_GATEWAY, gw->addr, addr_len(family));
	put_attr(&r, RTA_OIF, &oif, sizeof(oif));
	e = talk(fd, &r);
	if (dst)
		inet_prefix_str(dst, true, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "default");
	return e ? zerr(-e, "adding route %s", text) : 0;
}

int rtnl_bridge_add(int fd, const char *name)
{
	struct nlreq r;
	struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	struct rtattr *info;
	int e;

	if (strlen(name) >= IF_NAMESIZE)
		return zerr(EINVAL, "interface name %s is too long", name);
	ifi->ifi_family = AF_UNSPEC;
	put_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = put_attr(&r, IFLA_LINKINFO, NULL, 0);
	put_attr(&r, IFLA_INFO_KIND, "bridge", strlen("bridge"));
	nest_end(&r, info);
	e = talk(fd, &r);
	return e ? zerr(-e, "creating bridge %s", name) : 0;
}

int rtnl_link_del(int fd, int ifindex)
{
	struct nlreq r;
	struct ifinfomsg *ifi = req_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
	char name[IF_NAMESIZE];
	int e;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	e = talk(fd, &r);
	ifname_of(ifindex, name);
	return e ? zerr(-e, "deleting link %s", name) : 0;
}
