/* /etc/zone/registries.conf ($ZONE_REGISTRIES_CONF overrides the path):
 * one directive a line, '#' starts a comment.
 *
 *   insecure HOST[:PORT]           plain HTTP or unverified TLS allowed
 *   mirror HOST[:PORT] MIRROR      pull HOST's images from MIRROR first
 *                                  (several mirror lines: tried in order)
 *
 * A missing file is an empty configuration. */
#ifndef ZONE_OCI_REGISTRY_CONF_H
#define ZONE_OCI_REGISTRY_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define REGISTRY_CONF_DEFAULT "/etc/zone/registries.conf"
#define REGISTRY_CONF_MAX 64

struct registry_conf {
	size_t ninsecure, nmirrors;
	char *insecure[REGISTRY_CONF_MAX];
	struct { char *host, *mirror; } mirrors[REGISTRY_CONF_MAX];
};

/* path NULL: $ZONE_REGISTRIES_CONF or REGISTRY_CONF_DEFAULT.  Bad lines
 * are errors naming file and line. */
int registry_conf_load(const char *path, struct registry_conf *c);
/* Parses text (for tests); what names the source in errors. */
int registry_conf_parse(const char *text, const char *what, struct registry_conf *c);
void registry_conf_free(struct registry_conf *c);
bool registry_conf_insecure(const struct registry_conf *c, const char *host);
/* The i-th mirror of host, NULL after the last. */
const char *registry_conf_mirror(const struct registry_conf *c, const char *host, size_t i);

#endif
