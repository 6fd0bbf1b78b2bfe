#include "runtime/net_host.h"
#include "runtime/net_spec.h"
#include "runtime/net_store.h"
#include "runtime/nft.h"
#include "runtime/resolv.h"
#include "runtime/state.h"
#include "devices/tap.h"
#include "common/rtnl.h"
#include "common/util.h"
#include "common/zerr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, value, strlen(value)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return zerr(e, "writing %s", path);
	}
	close(fd);
	return 0;
}

/* Names go into nft scripts: only what net_name_check and the bridge
 * naming allow, never quotes or spaces. */
static bool script_safe(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-:/", *s)))
			return false;
	return true;
}

int net_host_ensure(json_t *net)
{
	const char *name = jstr(net, "name"), *br = jstr(net, "bridge"), *sub = jstr(net, "subnet"),
		   *gw = jstr(net, "gateway");
	char comment[64], path[128], gwcidr[40], *script = NULL;
	struct inet_prefix subnet, gwp;
	int fd, ifindex, r;

	if (!script_safe(name) || !script_safe(br) || !script_safe(sub) || !script_safe(gw) ||
	    inet_prefix_parse(sub, false, &subnet) < 0)
		return zerr(EINVAL, "network %s: bad definition", name);
	snprintf(gwcidr, sizeof(gwcidr), "%s/%u", gw, subnet.prefix);
	if (inet_prefix_parse(gwcidr, false, &gwp) < 0)
		return zerr_prefix("network %s", name);
	if ((fd = rtnl_open()) < 0)
		return -1;
	if (!if_nametoindex(br) && rtnl_bridge_add(fd, br) < 0 && zerr_errno() != EEXIST)
		goto fail;
	if (!(ifindex = if_nametoindex(br))) {
		zerr(ENODEV, "bridge %s", br);
		goto fail;
	}
	if (rtnl_addr_add(fd, ifindex, &gwp) < 0 ||
	    rtnl_link_set(fd, ifindex, true, RTNL_KEEP_MTU, RTNL_KEEP_MASTER) < 0)
		goto fail;
	close(fd);
	fd = -1;
	/* forwarding for NAT; route_localnet lets the host's own traffic to
	 * 127.0.0.1:PORT, DNATed, leave through the bridge (then masqueraded) */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", br);
	if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") < 0 || write_sysctl(path, "1") < 0)
		return -1;
	snprintf(comment, sizeof(comment), "net:%s", name);
	if (nft_ensure_table() < 0)
		return -1;
	if (nft_has_rule(comment))
		return 0;
	r = asprintf(&script,
		     "add rule " NFT_TABLE " postrouting ip saddr %1$s ip daddr != %1$s masquerade "
		     "comment \"%4$s\"\n"
		     "add rule " NFT_TABLE " postrouting oifname \"%2$s\" ip saddr 127.0.0.0/8 "
		     "masquerade comment \"%4$s\"\n"
		     "add rule " NFT_TABLE " forward iifname \"%2$s\" accept comment \"%4$s\"\n"
		     "add rule " NFT_TABLE " forward oifname \"%2$s\" ct state established,related "
		     "accept comment \"%4$s\"\n"
		     "add rule " NFT_TABLE " forward oifname \"%2$s\" ct status dnat accept "
		     "comment \"%4$s\"\n"
		     /* zones reach host services on the gateway address only */
		     "add rule " NFT_TABLE " input iifname \"%2$s\" ip daddr != %3$s fib daddr "
		     "type local drop comment \"%4$s\"\n",
		     sub, br, gw, comment);
	if (r < 0)
		return zerr(ENOMEM, "nft script");
	r = nft_apply(script);
	free(script);
	return r;
fail:
	if (fd >= 0)
		close(fd);
	return zerr_prefix("network %s", name);
}

static bool comment_is(const char *comment, void *want)
{
	return !strcmp(comment, want);
}

int net_host_remove(json_t *net)
{
	char comment[64];
	int fd, ifindex = if_nametoindex(jstr(net, "bridge")), r = 0;

	snprintf(comment, sizeof(comment), "net:%s", jstr(net, "name"));
	if (nft_delete_rules(comment_is, comment) < 0)
		r = -1;
	if (ifindex && (fd = rtnl_open()) >= 0) {
		if (rtnl_link_del(fd, ifindex) < 0)
			r = -1;
		close(fd);
	}
	if (r == 0)
		nft_drop_table_if_empty();
	return r;
}

/* "ctr:ID:PID:START" of a monitor that is gone. */
static bool dead_owner(const char *comment, void *arg)
{
	long pid;
	unsigned long long start;
	char id[80];

	if (sscanf(comment, "ctr:%79[^:]:%ld:%llu", id, &pid, &start) != 3)
		return false;
	return !owner_alive(pid, start);
}

int net_sweep(const char *root)
{
	int lock = net_lock(root), r;
	json_t *nets, *n;
	size_t i;

	if (lock < 0)
		return -1;
	r = nft_delete_rules(dead_owner, NULL);
	if (net_list(root, &nets) == 0) {
		json_array_foreach(nets, i, n)
			if (lease_sweep(root, jstr(n, "name")) < 0)
				r = -1;
		json_decref(nets);
	}
	close(lock);
	return r < 0 ? -1 : 0;
}

static bool comment_prefix(const char *comment, void *prefix)
{
	return !strncmp(comment, prefix, strlen(prefix));
}

static int publish_ports(struct ctr_net *cn, json_t *publish)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_t *p;
	FILE *s = open_memstream(&buf, &len);
	int r;

	if (!s)
		return zerr(ENOMEM, "nft script");
	json_array_foreach(publish, i, p) {
		const char *hip = jstr(p, "host_ip"), *proto = jstr(p, "proto");
		struct in_addr a;
		if ((*hip && inet_pton(AF_INET, hip, &a) != 1) ||
		    (strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
			fclose(s);
			free(buf);
			return zerr(EINVAL, "bad published port in the container config");
		}
		fprintf(s, "add rule " NFT_TABLE " published ");
		if (*hip)
			fprintf(s, "ip daddr %s ", hip);
		else
			fprintf(s, "meta nfproto ipv4 ");
		fprintf(s, "%s dport %d dnat ip to %s:%d comment \"%s\"\n", proto,
			(int)json_integer_value(json_object_get(p, "host_port")), cn->ip,
			(int)json_integer_value(json_object_get(p, "port")), cn->owner);
	}
	fclose(s);
	/* from here on teardown has rules to look for (also if this failed
	 * half-way) */
	cn->published = len > 0;
	r = len ? nft_apply(buf) : 0;
	free(buf);
	return r;
}

int ctr_net_setup(const char *root, struct ctr_state *st, struct ctr_net *cn)
{
	json_t *cfg = st->config.net, *net = NULL;
	/* no net section: zone-runc (no network yet), --network none semantics */
	const char *network = !cfg ? NET_NONE
			      : json_object_get(cfg, "network") ? jstr(cfg, "network")
								 : NET_DEFAULT;
	struct inet_prefix ip;
	int lock = -1, fd = -1;

	memset(cn, 0, sizeof(*cn));
	cn->tap_fd = -1;
	snprintf(cn->id, sizeof(cn->id), "%s", st->id ? st->id : "");
	if (!strcmp(network, NET_NONE))
		return 0;
	snprintf(cn->network, sizeof(cn->network), "%s", network);
	snprintf(cn->owner, sizeof(cn->owner), "ctr:%.12s:%ld:%llu", cn->id, (long)getpid(),
		 proc_start_time(getpid()));
	if ((lock = net_lock(root)) < 0)
		return -1;
	nft_cache(true);
	/* what killed monitors left goes first: their ports may be ours now */
	if (nft_delete_rules(dead_owner, NULL) < 0)
		goto fail;
	if (net_load(root, network, &net) < 0) {
		if (strcmp(network, NET_DEFAULT) || zerr_errno() != ENOENT ||
		    net_create(root, network, NULL, true, &net) < 0)
			goto fail;
	}
	if (net_host_ensure(net) < 0 || lease_take(root, net, cn->id, cn->ip) < 0)
		goto fail;
	cn->leased = true;
	cn->enabled = true;
	snprintf(cn->bridge, sizeof(cn->bridge), "%s", jstr(net, "bridge"));
	snprintf(cn->gateway, sizeof(cn->gateway), "%s", jstr(net, "gateway"));
	inet_prefix_parse(jstr(net, "subnet"), false, &ip);
	snprintf(cn->cidr, sizeof(cn->cidr), "%s/%u", cn->ip, ip.prefix);
	inet_prefix_parse(cn->ip, true, &ip);
	/* locally administered, from the address: unique on the network */
	memcpy(cn->mac, (uint8_t[]){ 0x02, 0x5a, ip.addr[0], ip.addr[1], ip.addr[2], ip.addr[3] }, 6);
	snprintf(cn->tap, sizeof(cn->tap), "zt%.12s", cn->id);
	if ((cn->tap_fd = tap_open(cn->tap)) < 0 || (fd = rtnl_open()) < 0 ||
	    rtnl_link_set(fd, if_nametoindex(cn->tap), true, RTNL_KEEP_MTU,
			  if_nametoindex(cn->bridge)) < 0)
		goto fail;
	close(fd);
	fd = -1;
	if (publish_ports(cn, json_object_get(cfg, "publish")) < 0)
		goto fail;
	nft_cache(false);
	close(lock);
	char mac[18];
	mac_str(cn->mac, mac);
	ctr_set(&st->network.name, cn->network);
	ctr_set(&st->network.ip, cn->ip);
	ctr_set(&st->network.cidr, cn->cidr);
	ctr_set(&st->network.gateway, cn->gateway);
	ctr_set(&st->network.mac, mac);
	ctr_set(&st->network.tap, cn->tap);
	json_decref(net);
	return 0;
fail:
	{
		char msg[ZERR_MAX];
		snprintf(msg, sizeof(msg), "%s", zerr_msg());
		if (fd >= 0)
			close(fd);
		nft_cache(false);
		close(lock);
		json_decref(net);
		ctr_net_teardown(root, cn);
		return zerr(0, "network %s: %s", network, msg);
	}
}

void ctr_net_vmm_arg(const struct ctr_net *cn, char *buf, size_t len)
{
	char mac[18];

	if (cn->tap_fd < 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	mac_str(cn->mac, mac);
	snprintf(buf, len, "fd=%d,mac=%s", cn->tap_fd, mac);
}

void ctr_net_vmm_started(struct ctr_net *cn)
{
	if (cn->tap_fd >= 0)
		close(cn->tap_fd);
	cn->tap_fd = -1;
}

void ctr_net_netconf(struct ctr_net *cn, struct idm_netconf *nc, char **addrs)
{
	mac_str(cn->mac, cn->mac_str);
	addrs[0] = cn->cidr;
	addrs[1] = NULL;
	*nc = (struct idm_netconf){ .mac = cn->mac_str, .mtu = 0, .addrs = addrs, .naddrs = 1,
				    .gateway4 = cn->gateway };
}

int ctr_net_etc_files(const struct ctr_config *cfg, const struct ctr_net *cn, char **hosts,
		      char **resolv)
{
	json_t *net = cfg->net, *dns = json_object_get(net, "dns"), *e;
	const char *hostname = cfg->hostname ? cfg->hostname : "", *servers[NET_MAX_FLAGS];
	char *buf = NULL;
	size_t len = 0, i;
	int n = 0;
	FILE *s = open_memstream(&buf, &len);

	if (!s)
		return zerr(ENOMEM, "hosts");
	fprintf(s, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	fprintf(s, "%s\t%s\n", cn->enabled ? cn->ip : "127.0.1.1", hostname);
	json_array_foreach(json_object_get(net, "add_hosts"), i, e)
		fprintf(s, "%s\t%s\n", json_string_value(json_array_get(e, 1)),
			json_string_value(json_array_get(e, 0)));
	fclose(s);
	json_array_foreach(dns, i, e)
		if (n < NET_MAX_FLAGS)
			servers[n++] = json_string_value(e);
	*hosts = buf;
	*resolv = resolv_conf_for_host(servers, n);
	if (!*resolv) {
		free(buf);
		return zerr(ENOMEM, "resolv.conf");
	}
	return 0;
}

void ctr_net_teardown(const char *root, struct ctr_net *cn)
{
	char prefix[32];

	if (cn->published) {
		/* this container's rules, whichever monitor added them */
		int lock = net_lock(root);
		snprintf(prefix, sizeof(prefix), "ctr:%.12s:", cn->id);
		if (nft_delete_rules(comment_prefix, prefix) < 0)
			zerr_clear();
		if (lock >= 0)
			close(lock);
		zerr_clear();
		cn->published = false;
	}
	if (cn->leased)
		lease_release(root, cn->network, cn->ip, cn->id);
	cn->leased = false;
	ctr_net_vmm_started(cn);
	cn->enabled = false;
}
