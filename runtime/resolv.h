/* A container's /etc/resolv.conf and /etc/hosts. */
#ifndef ZONE_RUNTIME_RESOLV_H
#define ZONE_RUNTIME_RESOLV_H

/* resolv.conf from the host's (host_text, may be NULL): its search and
 * options lines kept; nameservers replaced by dns[] when given, else the
 * host's minus loopback ones (127.x, ::1: they answer on the host, not in
 * a zone), else those of resolved_text (systemd-resolved's upstream list,
 * may be NULL), else Google's public resolvers, as podman does.  malloc'd. */
char *resolv_conf_build(const char *host_text, const char *resolved_text, const char *const *dns,
			int ndns);
/* resolv.conf for the running host (/etc/resolv.conf,
 * /run/systemd/resolve/resolv.conf). */
char *resolv_conf_for_host(const char *const *dns, int ndns);

#endif
