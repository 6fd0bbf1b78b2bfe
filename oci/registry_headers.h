/* Pure parsers for the HTTP headers a registry client reads:
 * WWW-Authenticate challenges, Content-Range and Link.  Headers come from
 * the network: every parser bounds its input and fails cleanly. */
#ifndef ZONE_OCI_REGISTRY_HEADERS_H
#define ZONE_OCI_REGISTRY_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_PARAM_MAX 1024

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct auth_challenge {
	enum auth_scheme scheme;
	char realm[AUTH_PARAM_MAX];
	char service[AUTH_PARAM_MAX];
	char scope[AUTH_PARAM_MAX];
};

/* Parses the first Basic or Bearer challenge of a WWW-Authenticate value
 * ('Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"').
 * Unknown parameters are skipped.  -1 (zerr) when there is no usable one. */
int www_authenticate_parse(const char *value, struct auth_challenge *c);

/* "bytes START-END/TOTAL" (TOTAL may be "*": *total = -1). */
int content_range_parse(const char *value, uint64_t *start, uint64_t *end, int64_t *total);

/* The URL of the rel="next" link in a Link value ("<url>; rel=\"next\"");
 * writes it NUL-terminated into url (cap bytes). */
int link_next_parse(const char *value, char *url, size_t cap);

#endif
