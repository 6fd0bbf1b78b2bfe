#include "runtime/net_spec.h"
#include "common/rtnl.h"
#include "common/util.h"
#include "common/zerr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int port(const char *s, const char *what, const char *spec, uint16_t *out)
{
	uint64_t v;

	if (parse_uint(s, 1, 65535, &v) < 0)
		return zerr(EINVAL, "-p %s: %s port '%s' is not a number from 1 to 65535", spec, what,
			    s);
	*out = v;
	return 0;
}

int port_map_parse(const char *spec, struct port_map *m)
{
	char buf[128], *proto, *colon;
	struct in_addr a;

	memset(m, 0, sizeof(*m));
	if (strlen(spec) >= sizeof(buf))
		return zerr(EINVAL, "-p %s: too long", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	snprintf(m->proto, sizeof(m->proto), "tcp");
	if ((proto = strchr(buf, '/'))) {
		*proto++ = 0;
		if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
			return zerr(EINVAL, "-p %s: protocol must be tcp or udp", spec);
		snprintf(m->proto, sizeof(m->proto), "%s", proto);
	}
	colon = strrchr(buf, ':');
	if (!colon)
		return zerr(EINVAL, "-p %s: want [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]", spec);
	*colon = 0;
	if (port(colon + 1, "container", spec, &m->port) < 0)
		return -1;
	if ((colon = strrchr(buf, ':'))) {
		*colon = 0;
		if (buf[0] == '[' || strchr(buf, ':'))
			return zerr(EINVAL, "-p %s: IPv6 host addresses are not supported", spec);
		if (inet_pton(AF_INET, buf, &a) != 1)
			return zerr(EINVAL, "-p %s: '%s' is not an IPv4 address", spec, buf);
		inet_ntop(AF_INET, &a, m->host_ip, sizeof(m->host_ip));
		if (!strcmp(m->host_ip, "0.0.0.0"))
			m->host_ip[0] = 0;
		return port(colon + 1, "host", spec, &m->host_port);
	}
	return port(buf, "host", spec, &m->host_port);
}

int net_name_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 32)
		return zerr(EINVAL, "network name '%s': 1 to 32 characters", name);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || (p != name && strchr("_.-", *p))))
			return zerr(EINVAL, "network name '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	return 0;
}

static int host_entry(const char *s, json_t *out)
{
	const char *sep = strchr(s, ':');
	struct inet_prefix ip;
	char name[256];

	if (!sep || sep == s || (size_t)(sep - s) >= sizeof(name))
		return zerr(EINVAL, "--add-host %s: want NAME:IP", s);
	snprintf(name, sizeof(name), "%.*s", (int)(sep - s), s);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-.", *p)))
			return zerr(EINVAL, "--add-host %s: '%s' is not a host name", s, name);
	if (inet_prefix_parse(sep + 1, true, &ip) < 0 || strchr(sep + 1, '/'))
		return zerr(EINVAL, "--add-host %s: '%s' is not an IP address", s, sep + 1);
	json_array_append_new(out, json_pack("[ss]", name, sep + 1));
	return 0;
}

int net_spec_build(const struct net_flags *f, json_t **out)
{
	const char *network = f->network ? f->network : NET_DEFAULT;
	json_t *publish = json_array(), *dns = json_array(), *hosts = json_array();

	if (!strcmp(network, "host")) {
		zerr(EINVAL, "--network host is not supported: a zone has its own kernel and "
			     "network stack (publish ports with -p instead)");
		goto fail;
	}
	if (strcmp(network, NET_NONE) && net_name_check(network) < 0)
		goto fail;
	if (!strcmp(network, NET_NONE) && f->npublish) {
		zerr(EINVAL, "-p needs a network: the container has --network none");
		goto fail;
	}
	for (int i = 0; i < f->npublish; i++) {
		struct port_map m;
		if (port_map_parse(f->publish[i], &m) < 0)
			goto fail;
		for (size_t j = 0; j < json_array_size(publish); j++) {
			json_t *o = json_array_get(publish, j);
			if (json_integer_value(json_object_get(o, "host_port")) == m.host_port &&
			    !strcmp(json_string_value(json_object_get(o, "proto")), m.proto)) {
				zerr(EINVAL, "-p %s: host port %u/%s is published twice", f->publish[i],
				     m.host_port, m.proto);
				goto fail;
			}
		}
		json_array_append_new(publish, json_pack("{s:s, s:i, s:i, s:s}", "host_ip", m.host_ip,
							 "host_port", m.host_port, "port", m.port,
							 "proto", m.proto));
	}
	for (int i = 0; i < f->ndns; i++) {
		struct inet_prefix ip;
		if (inet_prefix_parse(f->dns[i], true, &ip) < 0 || strchr(f->dns[i], '/')) {
			zerr(EINVAL, "--dns %s: not an IP address", f->dns[i]);
			goto fail;
		}
		json_array_append_new(dns, json_string(f->dns[i]));
	}
	for (int i = 0; i < f->nadd_hosts; i++)
		if (host_entry(f->add_hosts[i], hosts) < 0)
			goto fail;
	*out = json_pack("{s:s, s:o, s:o, s:o}", "network", network, "publish", publish, "dns", dns,
			 "add_hosts", hosts);
	return *out ? 0 : zerr(ENOMEM, "network config");
fail:
	json_decref(publish);
	json_decref(dns);
	json_decref(hosts);
	return -1;
}
