/* Flags zone pull, zone run --pull and zone login share. */
#ifndef ZONE_CLI_PULL_FLAGS_H
#define ZONE_CLI_PULL_FLAGS_H

#include <stdbool.h>

/* --tls-verify[=true|false] (optional_argument, as podman: "--tls-verify
 * false" with a space is not this flag's value) */
int parse_tls_verify(const char *arg, bool *verify);

#endif
