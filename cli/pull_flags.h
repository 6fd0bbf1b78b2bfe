/* Flags zone pull, zone run --pull and zone login share. */
#ifndef ZONE_CLI_PULL_FLAGS_H
#define ZONE_CLI_PULL_FLAGS_H

#include <stdbool.h>

/* --tls-verify=true|false */
int parse_tls_verify(const char *arg, bool *verify);

#endif
