/* libFuzzer target: the registry header parsers (WWW-Authenticate,
 * Content-Range, Link) and image references on hostile strings.  Parsed
 * fields must be NUL-terminated within their buffers and consistent.
 * With ZONE_FUZZ_SEEDS=dir set, writes seed headers there and exits. */
#include "oci/reference.h"
#include "oci/registry_headers.h"
#include "common/zerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *seeds[] = {
	"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/debian:pull\"",
	"Basic realm=\"Registry Realm\"",
	"Negotiate x, Bearer realm=r, service=\"a\\\"b\"",
	"bytes 100-199/1000",
	"bytes 0-0/*",
	"</v2/_catalog?last=b&n=2>; rel=\"next\", <x>; rel=prev",
	"127.0.0.1:5000/a/b:v1@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"debian:bookworm",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ZONE_FUZZ_SEEDS");

	if (!dir)
		return 0;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4096];
		FILE *f;
		snprintf(path, sizeof(path), "%s/seed%zu", dir, i);
		f = fopen(path, "w");
		if (f) {
			fputs(seeds[i], f);
			fclose(f);
		}
	}
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_challenge c;
	struct image_ref r;
	uint64_t s, e;
	int64_t t;
	char url[512], *str;

	str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = 0;
	if (www_authenticate_parse(str, &c) == 0) {
		if (c.scheme == AUTH_NONE || strnlen(c.realm, sizeof(c.realm)) == sizeof(c.realm) ||
		    strnlen(c.service, sizeof(c.service)) == sizeof(c.service) ||
		    strnlen(c.scope, sizeof(c.scope)) == sizeof(c.scope) ||
		    (c.scheme == AUTH_BEARER && !c.realm[0]))
			abort();
	}
	if (content_range_parse(str, &s, &e, &t) == 0 && (e < s || (t >= 0 && e >= (uint64_t)t)))
		abort();
	if (link_next_parse(str, url, sizeof(url)) == 0 && strnlen(url, sizeof(url)) == sizeof(url))
		abort();
	if (image_ref_parse(str, &r) == 0) {
		char *again = image_ref_string(&r);
		struct image_ref r2;
		/* the canonical string parses to the same reference */
		if (!again || image_ref_parse(again, &r2) < 0 || strcmp(r.registry, r2.registry) ||
		    strcmp(r.repository, r2.repository) || strcmp(r.digest, r2.digest))
			abort();
		image_ref_free(&r2);
		free(again);
		image_ref_free(&r);
	}
	zerr_clear();
	free(str);
	return 0;
}
