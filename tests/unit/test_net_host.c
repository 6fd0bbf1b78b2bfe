/* runtime/net_*.c on the host side, for real, in a network namespace of
 * the test's own (root): networks and their subnets, a container's TAP,
 * lease and published ports, with traffic: the host connects to a port
 * published on 127.0.0.1 and the test, holding the TAP as zone-vmm would,
 * sees the DNATed, masqueraded SYN arrive for the container (after
 * answering the bridge's ARP).  Then teardown, and a monitor killed with
 * SIGKILL whose leftovers the next run sweeps. */
#include "tests/unit/check.h"
#include "runtime/net_host.h"
#include "runtime/net_spec.h"
#include "runtime/net_store.h"
#include "runtime/nft.h"
#include "runtime/resolv.h"
#include "runtime/state.h"
#include "devices/net_hdr.h"
#include "common/rtnl.h"
#include "common/zerr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];

static bool nft_text_has(const char *needle)
{
	char line[512];
	bool found = false;
	FILE *p = popen("nft list table inet zone 2>/dev/null", "r");

	while (p && fgets(line, sizeof(line), p))
		found |= strstr(line, needle) != NULL;
	if (p)
		pclose(p);
	return found;
}

static bool lease_exists(const char *net, const char *ip)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/networks/%s.leases/%s", root, net, ip);
	return access(path, F_OK) == 0;
}

/* A container's state as zone run writes it: hostname web, the "net"
 * section net_spec_build makes. */
static struct ctr_state *container(const char *id, const char *network, json_t *publish)
{
	struct ctr_state *st = calloc(1, sizeof(*st));

	if (!st)
		abort();
	ctr_set(&st->id, id);
	ctr_set(&st->config.hostname, "web");
	st->config.net = json_pack("{s:s, s:o, s:[], s:[]}", "network", network, "publish", publish,
				   "dns", "add_hosts");
	return st;
}

static void container_free(struct ctr_state *st)
{
	ctr_state_free(st);
	free(st);
}

/* ---- pure parts ---- */

static void test_specs(void)
{
	struct port_map m;
	struct net_flags f = { 0 };
	json_t *out;

	CHECK(port_map_parse("8080:80", &m) == 0 && m.host_port == 8080 && m.port == 80 &&
		      !strcmp(m.proto, "tcp") && !m.host_ip[0],
	      "-p 8080:80");
	CHECK(port_map_parse("127.0.0.1:5353:53/udp", &m) == 0 && !strcmp(m.host_ip, "127.0.0.1") &&
		      !strcmp(m.proto, "udp"),
	      "-p 127.0.0.1:5353:53/udp");
	CHECK(port_map_parse("0.0.0.0:1:2", &m) == 0 && !m.host_ip[0], "-p 0.0.0.0:... is every address");
	const char *bad[] = { "80", "0:80", "80:0", "65536:80", "a:80", "80:b", "1.2.3:80:80",
			      "80:80/sctp", "[::1]:80:80", "80:80/", ":80", "8080:80:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[80];
		snprintf(name, sizeof(name), "-p %s refused with a message", bad[i]);
		CHECK(port_map_parse(bad[i], &m) < 0 && strstr(zerr_msg(), bad[i]), name);
	}
	f.network = "host";
	CHECK(net_spec_build(&f, &out) < 0 && strstr(zerr_msg(), "own kernel"),
	      "--network host refused: a zone has its own kernel");
	f.network = "none";
	f.publish[f.npublish++] = "8080:80";
	CHECK(net_spec_build(&f, &out) < 0 && strstr(zerr_msg(), "none"), "-p with --network none refused");
	f.network = NULL;
	f.publish[f.npublish++] = "8080:81";
	CHECK(net_spec_build(&f, &out) < 0 && strstr(zerr_msg(), "twice"), "a host port published twice refused");
	f.npublish = 1;
	f.dns[f.ndns++] = "1.1.1.1";
	f.add_hosts[f.nadd_hosts++] = "db:10.0.0.5";
	CHECK(net_spec_build(&f, &out) == 0 &&
		      !strcmp(json_string_value(json_object_get(out, "network")), NET_DEFAULT) &&
		      json_array_size(json_object_get(out, "publish")) == 1,
	      "net config for the default network");
	json_decref(out);
	f.add_hosts[0] = "db";
	CHECK(net_spec_build(&f, &out) < 0, "--add-host without an IP refused");
	f.add_hosts[0] = "db:10.0.0.300";
	CHECK(net_spec_build(&f, &out) < 0, "--add-host with a bad IP refused");
	f.nadd_hosts = 0;
	f.dns[0] = "dns.example";
	CHECK(net_spec_build(&f, &out) < 0, "--dns with a name refused");
	f.ndns = 0;
	f.network = "bad name";
	CHECK(net_spec_build(&f, &out) < 0, "a bad network name refused");

	struct v4net avoid[] = { { 0x0a580000, 16 }, { 0x0a590100, 24 } }, pick;
	CHECK(subnet_pick(avoid, 2, &pick) == 0 && pick.addr == 0x0a5a0000 && pick.prefix == 16,
	      "subnet_pick skips 10.88/16 (taken) and 10.89/16 (a /24 inside it)");
	struct v4net wide[] = { { 0x0a000000, 8 } };
	CHECK(subnet_pick(wide, 1, &pick) == 0 && pick.addr == 0xac100000,
	      "subnet_pick falls back to 172.16/16 when 10/8 is routed");

	const char *host = "search example.com\nnameserver 127.0.0.53\noptions edns0\n";
	const char *resolved = "nameserver 192.0.2.1\nnameserver 192.0.2.2\n";
	char *r = resolv_conf_build(host, resolved, NULL, 0);
	CHECK(r && !strstr(r, "127.0.0.53") && strstr(r, "nameserver 192.0.2.1") &&
		      strstr(r, "search example.com") && strstr(r, "options edns0"),
	      "resolv.conf: a loopback resolver is replaced by systemd-resolved's upstreams");
	free(r);
	r = resolv_conf_build("nameserver 127.0.0.1\n", NULL, NULL, 0);
	CHECK(r && strstr(r, "8.8.8.8") && !strstr(r, "127.0.0.1"),
	      "resolv.conf: only loopback resolvers: Google's, as podman");
	free(r);
	const char *dns[] = { "9.9.9.9" };
	r = resolv_conf_build("nameserver 10.0.0.1\n", NULL, dns, 1);
	CHECK(r && strstr(r, "9.9.9.9") && !strstr(r, "10.0.0.1"), "resolv.conf: --dns replaces them");
	free(r);
}

/* ---- the TAP side: what a zone would see ---- */

/* One frame from the TAP (after its virtio-net header), or -1. */
static ssize_t tap_read(int fd, uint8_t *frame, size_t size, int timeout_ms)
{
	uint8_t buf[VNET_HDR_LEN + 2048];
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1 || (n = read(fd, buf, sizeof(buf))) < (ssize_t)VNET_HDR_LEN)
		return -1;
	n -= VNET_HDR_LEN;
	memcpy(frame, buf + VNET_HDR_LEN, (size_t)n < size ? (size_t)n : size);
	return n;
}

/* Wait for a frame of ethertype type; -1 on timeout. */
static ssize_t tap_wait(int fd, uint16_t type, uint8_t *frame, size_t size)
{
	for (int i = 0; i < 50; i++) {
		ssize_t n = tap_read(fd, frame, size, 100);
		if (n >= 14 && (frame[12] << 8 | frame[13]) == type)
			return n;
	}
	return -1;
}

/* Answer an ARP request for our address as the zone would. */
static bool answer_arp(int fd, const uint8_t mac[6], const char *ip)
{
	uint8_t req[128], reply[VNET_HDR_LEN + 42] = { 0 }, *a = reply + VNET_HDR_LEN + 14;
	struct in_addr me;

	inet_pton(AF_INET, ip, &me);
	for (int i = 0; i < 5; i++) {
		ssize_t n = tap_wait(fd, 0x0806, req, sizeof(req));
		if (n < 42 || memcmp(req + 14 + 24, &me, 4))
			continue; /* not "who has <ip>" */
		uint8_t *e = reply + VNET_HDR_LEN;
		memcpy(e, req + 6, 6);
		memcpy(e + 6, mac, 6);
		e[12] = 0x08, e[13] = 0x06;
		memcpy(a, req + 14, 6); /* htype, ptype, hlen, plen */
		a[6] = 0, a[7] = 2;     /* reply */
		memcpy(a + 8, mac, 6);
		memcpy(a + 14, &me, 4);
		memcpy(a + 18, req + 14 + 8, 10); /* their MAC and IP */
		return write(fd, reply, sizeof(reply)) == (ssize_t)sizeof(reply);
	}
	return false;
}

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* The zone sends a TCP SYN to dst:port; true when the host answers
 * (SYN-ACK or RST) within a second, ARP handled on the way. */
static bool zone_syn_answered(const struct ctr_net *cn, const char *dst, uint16_t port)
{
	uint8_t pkt[VNET_HDR_LEN + 54] = { 0 }, *e = pkt + VNET_HDR_LEN, *ip = e + 14, *tcp = ip + 20;
	uint8_t frame[2048], pseudo[12 + 20];
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", cn->bridge);
	ioctl(s, SIOCGIFHWADDR, &ifr);
	close(s);
	memcpy(e, ifr.ifr_hwaddr.sa_data, 6);
	memcpy(e + 6, cn->mac, 6);
	e[12] = 0x08;
	ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
	inet_pton(AF_INET, cn->ip, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	uint16_t c = csum(ip, 20, 0);
	ip[10] = c >> 8, ip[11] = c & 0xff;
	tcp[0] = 0xa0, tcp[1] = 0x01; /* 40961 */
	tcp[2] = port >> 8, tcp[3] = port & 0xff;
	tcp[7] = 1;
	tcp[12] = 5 << 4, tcp[13] = 0x02, tcp[14] = 0xff;
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0, pseudo[9] = 6, pseudo[10] = 0, pseudo[11] = 20;
	memcpy(pseudo + 12, tcp, 20);
	c = csum(pseudo, sizeof(pseudo), 0);
	tcp[16] = c >> 8, tcp[17] = c & 0xff;
	if (write(cn->tap_fd, pkt, sizeof(pkt)) != (ssize_t)sizeof(pkt))
		return false;
	for (int i = 0; i < 10; i++) {
		ssize_t n = tap_read(cn->tap_fd, frame, sizeof(frame), 100);
		if (n >= 42 && frame[12] == 0x08 && frame[13] == 0x06) {
			uint8_t r[VNET_HDR_LEN + 42] = { 0 }, *a = r + VNET_HDR_LEN + 14;
			memcpy(r + VNET_HDR_LEN, frame + 6, 6);
			memcpy(r + VNET_HDR_LEN + 6, cn->mac, 6);
			r[VNET_HDR_LEN + 12] = 0x08, r[VNET_HDR_LEN + 13] = 0x06;
			memcpy(a, frame + 14, 6);
			a[7] = 2;
			memcpy(a + 8, cn->mac, 6);
			memcpy(a + 14, frame + 14 + 24, 4);
			memcpy(a + 18, frame + 14 + 8, 10);
			if (write(cn->tap_fd, r, sizeof(r)) < 0)
				return false;
			continue;
		}
		if (n >= 54 && frame[12] == 0x08 && frame[23] == 6 && !memcmp(frame + 26, ip + 16, 4) &&
		    (frame[34] << 8 | frame[35]) == port)
			return true;
	}
	return false;
}

static void test_container(void)
{
	json_t *pub = json_pack("[{s:s, s:i, s:i, s:s}, {s:s, s:i, s:i, s:s}]", "host_ip",
				"127.0.0.1", "host_port", 18080, "port", 80, "proto", "tcp", "host_ip",
				"", "host_port", 15353, "port", 53, "proto", "udp");
	struct ctr_state *st = container("c0ffee0000000000000000000000000000000000000000000000000000000001",
			       NET_DEFAULT, pub);
	struct ctr_net cn;
	uint8_t frame[2048];

	CHECK(ctr_net_setup(root, st, &cn) == 0, "setup: the default network is made at first use");
	if (!cn.enabled) {
		printf("FAIL: %s: setup: %s\n", __FILE__, zerr_msg());
		check_failures++;
		return;
	}
	CHECK(!strcmp(cn.ip, "10.89.0.2") && !strcmp(cn.gateway, "10.89.0.1") &&
		      !strcmp(cn.cidr, "10.89.0.2/16"),
	      "setup: 10.89.0.0/16 (10.88/16 is routed here), first address, gateway .1");
	CHECK(lease_exists(NET_DEFAULT, cn.ip), "setup: the address is leased");
	CHECK(st->network.name && !strcmp(st->network.name, NET_DEFAULT) && st->network.ip &&
		      !strcmp(st->network.ip, cn.ip) && st->network.tap && !strcmp(st->network.tap, cn.tap),
	      "setup: the state records the network, address and TAP");
	CHECK(if_nametoindex(cn.tap) && if_nametoindex("zone0"), "setup: TAP and bridge zone0 exist");
	CHECK(nft_text_has("tcp dport 18080 dnat ip to 10.89.0.2:80") &&
		      nft_text_has("udp dport 15353 dnat ip to 10.89.0.2:53"),
	      "setup: DNAT rules for both published ports");
	char vmm_arg[64];
	ctr_net_vmm_arg(&cn, vmm_arg, sizeof(vmm_arg));
	CHECK(!strncmp(vmm_arg, "fd=", 3) && strstr(vmm_arg, ",mac=02:5a:0a:59:00:02"),
	      "setup: zone-vmm gets the TAP fd and a MAC from the address");
	char *hosts, *resolv;
	CHECK(ctr_net_etc_files(&st->config, &cn, &hosts, &resolv) == 0 &&
		      strstr(hosts, "10.89.0.2\tweb") && strstr(resolv, "nameserver"),
	      "etc: /etc/hosts names the container by its address");
	free(hosts);
	free(resolv);

	/* the host connects to 127.0.0.1:18080: DNAT (output hook),
	 * route_localnet, masquerade; the zone sees a SYN from the gateway */
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(18080) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	connect(s, (struct sockaddr *)&to, sizeof(to));
	CHECK(answer_arp(cn.tap_fd, cn.mac, cn.ip), "traffic: the bridge asks for the container's MAC");
	ssize_t n = tap_wait(cn.tap_fd, 0x0800, frame, sizeof(frame));
	struct in_addr src, dst;
	if (n >= 34 + 20) {
		memcpy(&src, frame + 26, 4);
		memcpy(&dst, frame + 30, 4);
	}
	CHECK(n >= 54 && frame[23] == 6 && !strcmp(inet_ntoa(dst), "10.89.0.2") &&
		      (frame[36] << 8 | frame[37]) == 80 && (frame[47] & 0x02),
	      "traffic: 127.0.0.1:18080 reaches the container as a SYN to 10.89.0.2:80");
	CHECK(n >= 54 && !strcmp(inet_ntoa(src), "10.89.0.1"),
	      "traffic: masqueraded to the gateway address");
	close(s);

	/* UDP on every host address: to the bridge's own address */
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "10.89.0.1", &to.sin_addr);
	to.sin_port = htons(15353);
	sendto(u, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to));
	n = tap_wait(cn.tap_fd, 0x0800, frame, sizeof(frame));
	while (n > 0 && frame[23] != 17)
		n = tap_wait(cn.tap_fd, 0x0800, frame, sizeof(frame));
	CHECK(n >= 46 && (frame[36] << 8 | frame[37]) == 53 && !memcmp(frame + 42, "ping", 4),
	      "traffic: a published UDP port forwards the datagram");
	close(u);

	/* from the zone: host services answer on the gateway address only */
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(18090) };
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct inet_prefix other;
	int rt = rtnl_open();
	inet_prefix_parse("198.51.100.1/32", false, &other);
	CHECK(rt >= 0 && rtnl_addr_add(rt, if_nametoindex("lo"), &other) == 0 &&
		      bind(l, (struct sockaddr *)&any, sizeof(any)) == 0 && listen(l, 8) == 0,
	      "isolation: a host service on every address (and a second host address)");
	close(rt);
	CHECK(zone_syn_answered(&cn, "10.89.0.1", 18090),
	      "isolation: the zone reaches a host service on its gateway address");
	CHECK(!zone_syn_answered(&cn, "198.51.100.1", 18090),
	      "isolation: ... but not on another host address (dropped)");
	close(l);

	ctr_net_teardown(root, &cn);
	CHECK(!nft_text_has("dnat ip to") && !lease_exists(NET_DEFAULT, "10.89.0.2"),
	      "teardown: no DNAT rule, no lease");
	usleep(100000);
	CHECK(!if_nametoindex(cn.tap), "teardown: the TAP is gone with its last descriptor");
	CHECK(nft_text_has("net:zone"), "teardown: the network's own rules stay");
	container_free(st);
}

/* Two containers on one network: a frame from one TAP reaches the other
 * through the bridge (what their zones' traffic to each other rides on). */
static void test_two_containers(void)
{
	struct ctr_state *a = container("aa00000000000000000000000000000000000000000000000000000000000007",
			      NET_DEFAULT, json_array()),
	       *b = container("bb00000000000000000000000000000000000000000000000000000000000008",
			      NET_DEFAULT, json_array());
	struct ctr_net ca, cb;
	uint8_t f[VNET_HDR_LEN + 60] = { 0 }, *e = f + VNET_HDR_LEN, got[2048];

	CHECK(ctr_net_setup(root, a, &ca) == 0 && ctr_net_setup(root, b, &cb) == 0 &&
		      strcmp(ca.ip, cb.ip) && memcmp(ca.mac, cb.mac, 6),
	      "two containers: distinct addresses and MACs");
	memcpy(e, cb.mac, 6);
	memcpy(e + 6, ca.mac, 6);
	e[12] = 0x88, e[13] = 0xb5;
	memcpy(e + 14, "from a to b", 11);
	CHECK(write(ca.tap_fd, f, sizeof(f)) == (ssize_t)sizeof(f) &&
		      tap_wait(cb.tap_fd, 0x88b5, got, sizeof(got)) == 60 &&
		      !memcmp(got + 14, "from a to b", 11),
	      "two containers: a frame from one reaches the other over the bridge");
	ctr_net_teardown(root, &ca);
	ctr_net_teardown(root, &cb);
	container_free(a);
	container_free(b);
}

static void test_killed_monitor(void)
{
	int p[2];
	char ip[16] = "", tap[16] = "";
	pid_t pid;

	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct ctr_net cn;
		struct ctr_state *st = container("dead000000000000000000000000000000000000000000000000000000000002",
				       NET_DEFAULT,
				       json_pack("[{s:s, s:i, s:i, s:s}]", "host_ip", "", "host_port",
						 18081, "port", 80, "proto", "tcp"));
		if (ctr_net_setup(root, st, &cn) < 0)
			_exit(1);
		dprintf(p[1], "%s %s\n", cn.ip, cn.tap);
		pause();
		_exit(0);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	CHECK(f && fscanf(f, "%15s %15s", ip, tap) == 2, "killed: a monitor set its container up");
	if (f)
		fclose(f);
	CHECK(nft_text_has("dport 18081"), "killed: its port is published");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	usleep(100000);
	CHECK(!if_nametoindex(tap), "killed: SIGKILL took its TAP with it");
	CHECK(nft_text_has("dport 18081") && lease_count_live(root, NET_DEFAULT) == 0,
	      "killed: its rule is left behind, its lease is dead");
	CHECK(net_sweep(root) == 0 && !nft_text_has("dport 18081") && !lease_exists(NET_DEFAULT, ip),
	      "killed: net_sweep removes the rule and the dead lease");

	/* the next container gets the dead lease's address */
	struct ctr_net cn;
	struct ctr_state *st = container("beef000000000000000000000000000000000000000000000000000000000003",
			       NET_DEFAULT, json_array());
	CHECK(ctr_net_setup(root, st, &cn) == 0 && !strcmp(cn.ip, ip),
	      "killed: its address is free again");
	ctr_net_teardown(root, &cn);
	container_free(st);
}

static void test_networks(void)
{
	json_t *net;
	struct ctr_state *st;
	struct ctr_net cn;

	CHECK(net_create(root, "back", "192.168.77.0/24", false, &net) == 0 && net_host_ensure(net) == 0,
	      "network: create with --subnet, bridge up");
	CHECK(net_create(root, "back", NULL, false, NULL) < 0 && zerr_errno() == EEXIST,
	      "network: a taken name is refused");
	CHECK(net_create(root, "other", "10.89.128.0/24", false, NULL) < 0 && zerr_errno() == EADDRINUSE,
	      "network: a subnet inside another network's is refused");
	CHECK(net_create(root, "none", NULL, false, NULL) < 0 && net_create(root, "host", NULL, false, NULL) < 0,
	      "network: none and host are reserved");
	st = container("ab00000000000000000000000000000000000000000000000000000000000004", "back",
		       json_array());
	CHECK(ctr_net_setup(root, st, &cn) == 0 && !strcmp(cn.ip, "192.168.77.2") &&
		      !strcmp(cn.bridge, "zbr1"),
	      "network: a container on it gets 192.168.77.2 on bridge zbr1");
	CHECK(lease_count_live(root, "back") == 1, "network: in use while the container runs");
	ctr_net_teardown(root, &cn);
	container_free(st);
	st = container("ab00000000000000000000000000000000000000000000000000000000000005", "nope",
		       json_array());
	CHECK(ctr_net_setup(root, st, &cn) < 0 && strstr(zerr_msg(), "nope"),
	      "network: an unknown network is refused");
	container_free(st);
	st = container("ab00000000000000000000000000000000000000000000000000000000000006", "none",
		       json_array());
	CHECK(ctr_net_setup(root, st, &cn) == 0 && !cn.enabled && cn.tap_fd < 0,
	      "network none: no TAP, loopback only");
	container_free(st);
	CHECK(net_host_remove(net) == 0 && net_delete(root, "back") == 0 && !if_nametoindex("zbr1") &&
		      !nft_text_has("net:back"),
	      "network: rm removes bridge and rules");
	json_decref(net);
	CHECK(net_load(root, NET_DEFAULT, &net) == 0, "the default network is stored");
	CHECK(net_host_remove(net) == 0 && net_delete(root, NET_DEFAULT) == 0 &&
		      !if_nametoindex("zone0"),
	      "the default network removed too");
	FILE *p = popen("nft list tables 2>/dev/null", "r");
	char line[128] = "";
	bool table = false;
	while (p && fgets(line, sizeof(line), p))
		table |= strstr(line, "inet zone") != NULL;
	if (p)
		pclose(p);
	CHECK(!table, "the nft table goes with the last network");
	json_decref(net);
}

int main(void)
{
	test_specs();
	if (unshare(CLONE_NEWNET) < 0) {
		printf("FAIL: %s: a network namespace of our own: %s (run as root)\n", __FILE__,
		       strerror(errno));
		return 1;
	}
	if (access("/usr/sbin/nft", X_OK) < 0) {
		printf("FAIL: %s: nft (apt-get install nftables)\n", __FILE__);
		return 1;
	}
	/* lo up (127.0.0.1), and 10.88/16 routed: the default network avoids it */
	int fd = rtnl_open();
	struct inet_prefix occupied;
	inet_prefix_parse("10.88.0.0/16", false, &occupied);
	CHECK(fd >= 0 && rtnl_link_set(fd, if_nametoindex("lo"), true, 0, -1) == 0 &&
		      rtnl_route_add(fd, &occupied, NULL, if_nametoindex("lo")) == 0,
	      "a route to 10.88.0.0/16 occupies the first candidate");
	close(fd);
	snprintf(root, sizeof(root), "/tmp/zone-net-test.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	test_container();
	test_two_containers();
	test_killed_monitor();
	test_networks();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", root);
	CHECK_DONE();
}
