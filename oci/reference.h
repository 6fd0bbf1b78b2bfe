/* Image references as docker and podman read them:
 *   [HOST[:PORT]/]PATH[:TAG][@sha256:HEX]
 * The first component is a registry host when it holds '.' or ':' or is
 * "localhost"; otherwise the registry is docker.io, and a one-component
 * path on docker.io gets "library/".  No tag and no digest means ":latest". */
#ifndef ZONE_OCI_REFERENCE_H
#define ZONE_OCI_REFERENCE_H

#include "oci/digest.h"

#include <stdbool.h>
#include <stddef.h>

#define REF_DEFAULT_REGISTRY "docker.io"

struct image_ref {
	char *registry;   /* "docker.io", "quay.io", "127.0.0.1:5000" */
	char *repository; /* "library/debian" */
	char *tag;        /* NULL when only a digest was given */
	char digest[DIGEST_STR_LEN + 1]; /* "" when none */
};

/* The parts of a reference, checked alone: a repository path (n bytes),
 * a tag, a registry host (n bytes; name, IPv4 or [IPv6], optional :port). */
bool ref_valid_path(const char *p, size_t n);
bool ref_valid_tag(const char *t);
bool ref_valid_host(const char *h, size_t n);

/* Parses in; on error records a one-line message naming the problem. */
int image_ref_parse(const char *in, struct image_ref *r);
void image_ref_free(struct image_ref *r);
/* "registry/repository:tag" or "registry/repository@digest" (malloc'd):
 * the name a pulled image gets in the store. */
char *image_ref_string(const struct image_ref *r);
/* What the manifest request names: the digest when given, else the tag. */
const char *image_ref_target(const struct image_ref *r);

#endif
