/* An OCI distribution (registry v2) client for one repository, on libcurl:
 * HTTP/1.1 or HTTP/2, TLS with the system CA store or a CA file, the
 * GET /v2/ probe, anonymous, Basic and Bearer token auth (tokens cached
 * per scope), redirects, retries with backoff on 5xx and network errors,
 * a low-speed timeout, and downloads bounded by size and verified by
 * digest.  One struct registry may be used from several threads. */
#ifndef ZONE_OCI_REGISTRY_H
#define ZONE_OCI_REGISTRY_H

#include "oci/digest.h"
#include "oci/layer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct registry;

struct registry_opts {
	bool tls_verify;        /* false: unverified TLS, and plain HTTP allowed */
	const char *ca_file;    /* PEM CAs trusted besides the system store */
	const char *username;   /* explicit credentials (zone login) ... */
	const char *password;   /* ... else the auth files (oci/registry_auth.h) */
	unsigned stall_seconds; /* abort a transfer below 1 byte/s this long; 0: 30 */
	unsigned retries;       /* attempts after the first; ZONE_PULL_RETRIES */
};

/* host as in a reference ("quay.io", "127.0.0.1:5000"); repository may be
 * NULL (login probes the registry only).  Probes GET /v2/: the registry
 * must answer, and its auth scheme is learnt here. */
int registry_open(const char *host, const char *repository, const struct registry_opts *o,
		  struct registry **out);
void registry_close(struct registry *r);

/* Checks the credentials: a Basic registry accepts them, a Bearer one
 * gives a token for them. */
int registry_check_login(struct registry *r);

/* GETs a manifest by tag or digest (at most max bytes) with every manifest
 * type accepted.  *digest gets the sha256 of the body (checked against
 * Docker-Content-Digest when the registry sends one), *media_type the
 * Content-Type (malloc'd, may be NULL). */
int registry_get_manifest(struct registry *r, const char *tag_or_digest, size_t max, char **buf,
			  size_t *len, char digest[DIGEST_STR_LEN + 1], char **media_type);

/* GETs a small blob (a config) into memory, at most max bytes. */
int registry_get_blob_mem(struct registry *r, const char *digest, size_t max, char **buf,
			  size_t *len);

/* Streams a blob into fd, resuming with Range after a cut, and fails
 * unless exactly size bytes arrived that hash to digest.  Bytes already
 * in fd (an earlier pull's) are kept and the rest is asked for. */
int registry_get_blob_file(struct registry *r, const char *digest, int64_t size, int fd,
			   progress_fn progress, void *progress_arg);

/* The number of HTTP requests made so far (for tests and benchmarks). */
unsigned long registry_requests(const struct registry *r);

#endif
