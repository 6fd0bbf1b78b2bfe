/* Unit tests: image references, registry header parsers, auth files,
 * registries.conf, names with registry ports and digests, platforms. */
#include "tests/unit/check.h"
#include "oci/manifest.h"
#include "oci/name.h"
#include "oci/reference.h"
#include "oci/registry_auth.h"
#include "oci/registry_conf.h"
#include "oci/registry_headers.h"
#include "common/zerr.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define D64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int ref_is(const char *in, const char *reg, const char *repo, const char *tag,
		  const char *digest)
{
	struct image_ref r;
	int ok;

	if (image_ref_parse(in, &r) < 0) {
		printf("  parse('%s'): %s\n", in, zerr_msg());
		return 0;
	}
	ok = !strcmp(r.registry, reg) && !strcmp(r.repository, repo) &&
	     ((!tag && !r.tag) || (tag && r.tag && !strcmp(r.tag, tag))) &&
	     !strcmp(r.digest, digest ? digest : "");
	if (!ok)
		printf("  parse('%s') -> %s %s %s %s\n", in, r.registry, r.repository,
		       r.tag ? r.tag : "(none)", r.digest);
	image_ref_free(&r);
	return ok;
}

static int ref_bad(const char *in)
{
	struct image_ref r;

	if (image_ref_parse(in, &r) == 0) {
		image_ref_free(&r);
		return 0;
	}
	return zerr_msg()[0] != 0;
}

static int ref_str(const char *in, const char *want)
{
	struct image_ref r;
	char *s;
	int ok;

	if (image_ref_parse(in, &r) < 0)
		return 0;
	s = image_ref_string(&r);
	ok = s && !strcmp(s, want);
	if (!ok)
		printf("  string('%s') -> %s\n", in, s ? s : "NULL");
	free(s);
	image_ref_free(&r);
	return ok;
}

static void test_references(void)
{
	CHECK(ref_is("debian", "docker.io", "library/debian", "latest", NULL),
	      "short name: docker.io, library/, latest");
	CHECK(ref_is("debian:bookworm", "docker.io", "library/debian", "bookworm", NULL),
	      "short name with tag");
	CHECK(ref_is("user/app", "docker.io", "user/app", "latest", NULL),
	      "docker.io user repo gets no library/");
	CHECK(ref_is("docker.io/debian", "docker.io", "library/debian", "latest", NULL),
	      "explicit docker.io gets library/");
	CHECK(ref_is("index.docker.io/library/debian:12", "docker.io", "library/debian", "12", NULL),
	      "index.docker.io is docker.io");
	CHECK(ref_is("quay.io/org/app:1.0", "quay.io", "org/app", "1.0", NULL), "host with a dot");
	CHECK(ref_is("localhost/app", "localhost", "app", "latest", NULL), "localhost is a host");
	CHECK(ref_is("127.0.0.1:5000/a/b:v2", "127.0.0.1:5000", "a/b", "v2", NULL),
	      "host:port and a tag");
	CHECK(ref_is("reg:5000/app", "reg:5000", "app", "latest", NULL), "host:port without a dot");
	CHECK(ref_is("quay.io/app@sha256:" D64, "quay.io", "app", NULL, "sha256:" D64),
	      "digest, no tag");
	CHECK(ref_is("quay.io/app:1@sha256:" D64, "quay.io", "app", "1", "sha256:" D64),
	      "tag and digest");
	CHECK(ref_str("alpine", "docker.io/library/alpine:latest"), "string of a short name");
	CHECK(ref_str("h:1/x:2@sha256:" D64, "h:1/x@sha256:" D64), "string prefers the digest");
	CHECK(ref_bad(""), "empty refused");
	CHECK(ref_bad("Debian"), "uppercase repository refused");
	CHECK(ref_bad("app@sha256:abc"), "short digest refused");
	CHECK(ref_bad("app@md5:" D64), "other algorithms refused");
	CHECK(ref_bad("app:"), "empty tag refused");
	CHECK(ref_bad("app:-x"), "tag starting with '-' refused");
	CHECK(ref_bad("host:port/app"), "non-numeric port refused");
	CHECK(ref_bad("a//b"), "empty component refused");
	CHECK(ref_bad("reg.io/"), "empty repository refused");
	{
		char big[1100];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		CHECK(ref_bad(big), "over-long reference refused");
		/* found by fuzz_registry_headers: "library/" pushed it over 255 */
		big[250] = 0;
		CHECK(ref_bad(big), "short name too long once library/ is added");
	}
}

static void test_names(void)
{
	char *n = NULL;

	CHECK(image_name_normalize("127.0.0.1:5000/demo", &n) == 0 &&
	      !strcmp(n, "127.0.0.1:5000/demo:latest"), "name with a registry port");
	free(n);
	n = NULL;
	CHECK(image_name_normalize("h:5000/demo@sha256:" D64, &n) == 0 &&
	      !strcmp(n, "h:5000/demo@sha256:" D64), "name with a digest kept");
	free(n);
	n = NULL;
	CHECK(image_name_normalize("h:x/demo", &n) < 0, "bad port in a name refused");
	CHECK(image_name_normalize("demo:1@sha256:" D64, &n) < 0, "tag and digest in a name refused");
}

static void test_headers(void)
{
	struct auth_challenge c;
	uint64_t s, e;
	int64_t t;
	char url[256];

	CHECK(www_authenticate_parse("Bearer realm=\"https://auth.io/token\",service=\"registry.io\",scope=\"repository:a/b:pull\"", &c) == 0 &&
	      c.scheme == AUTH_BEARER && !strcmp(c.realm, "https://auth.io/token") &&
	      !strcmp(c.service, "registry.io") && !strcmp(c.scope, "repository:a/b:pull"),
	      "Bearer challenge");
	CHECK(www_authenticate_parse("basic realm=\"Registry Realm\"", &c) == 0 &&
	      c.scheme == AUTH_BASIC && !strcmp(c.realm, "Registry Realm"),
	      "Basic challenge, scheme case-insensitive");
	CHECK(www_authenticate_parse("Bearer realm=https://a/t , service=x", &c) == 0 &&
	      !strcmp(c.realm, "https://a/t") && !strcmp(c.service, "x"), "unquoted values");
	CHECK(www_authenticate_parse("Bearer realm=\"a\\\"b\"", &c) == 0 && !strcmp(c.realm, "a\"b"),
	      "escaped quote");
	CHECK(www_authenticate_parse("Negotiate abc, Bearer realm=\"r\"", &c) == 0 &&
	      c.scheme == AUTH_BEARER && !strcmp(c.realm, "r"), "skips an unknown scheme");
	CHECK(www_authenticate_parse("Bearer service=\"x\"", &c) < 0, "Bearer without realm refused");
	CHECK(www_authenticate_parse("Bearer realm=\"unterminated", &c) < 0, "unterminated quote refused");
	CHECK(www_authenticate_parse("", &c) < 0, "empty refused");
	CHECK(www_authenticate_parse(NULL, &c) < 0, "missing refused");
	{
		char big[3000] = "Bearer realm=\"";
		memset(big + 14, 'x', 2000);
		big[2014] = '"';
		big[2015] = 0;
		CHECK(www_authenticate_parse(big, &c) < 0, "oversized parameter refused");
	}
	CHECK(content_range_parse("bytes 100-199/1000", &s, &e, &t) == 0 && s == 100 && e == 199 &&
	      t == 1000, "Content-Range");
	CHECK(content_range_parse("bytes 5-9/*", &s, &e, &t) == 0 && t == -1, "unknown total");
	CHECK(content_range_parse("bytes 9-5/10", &s, &e, &t) < 0, "end before start refused");
	CHECK(content_range_parse("bytes 0-10/10", &s, &e, &t) < 0, "end past total refused");
	CHECK(content_range_parse("bytes 0-99999999999999999999/1", &s, &e, &t) < 0,
	      "overflow refused");
	CHECK(content_range_parse("items 0-1/2", &s, &e, &t) < 0, "other units refused");
	CHECK(content_range_parse("bytes 1-2/3x", &s, &e, &t) < 0, "trailing junk refused");
	CHECK(link_next_parse("</v2/_catalog?n=2&last=b>; rel=\"next\"", url, sizeof(url)) == 0 &&
	      !strcmp(url, "/v2/_catalog?n=2&last=b"), "Link rel=next");
	CHECK(link_next_parse("<a>; rel=\"prev\", <b>; rel=next", url, sizeof(url)) == 0 &&
	      !strcmp(url, "b"), "second link is next");
	CHECK(link_next_parse("<a>; rel=\"prev\"", url, sizeof(url)) < 0, "no next link");
	CHECK(link_next_parse("<unterminated; rel=next", url, sizeof(url)) < 0, "malformed Link");
	CHECK(link_next_parse("<abcdef>; rel=next", url, 4) < 0, "URL longer than the buffer");
}

static void test_auth(void)
{
	char dir[] = "/tmp/zone-auth.XXXXXX", path[128];
	char *u = NULL, *p = NULL, *b64;
	struct stat sb;
	FILE *f;

	b64 = auth_encode("user", "pa:ss");
	CHECK(b64 && !strcmp(b64, "dXNlcjpwYTpzcw=="), "base64 of user:pass");
	CHECK(b64 && auth_decode(b64, &u, &p) == 0 && !strcmp(u, "user") && !strcmp(p, "pa:ss"),
	      "decode splits at the first ':'");
	free(b64);
	free(u);
	free(p);
	CHECK(auth_decode("bm9jb2xvbg==", &u, &p) < 0, "no ':' refused");
	CHECK(auth_decode("!!!!", &u, &p) < 0, "not base64 refused");
	CHECK(auth_decode("abc", &u, &p) < 0, "bad length refused");

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/sub/auth.json", dir);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	setenv("DOCKER_CONFIG", dir, 1);
	CHECK(auth_lookup("r.io", &u, &p) == 0 && !u, "no file: no credentials");
	CHECK(auth_store("r.io:5000", "alice", "s3cret") == 0, "store");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "auth file is 0600");
	CHECK(auth_lookup("r.io:5000", &u, &p) == 0 && u && !strcmp(u, "alice") &&
	      !strcmp(p, "s3cret"), "lookup after store");
	free(u);
	free(p);
	CHECK(auth_remove("r.io:5000") == 0 && auth_lookup("r.io:5000", &u, &p) == 0 && !u,
	      "remove");
	CHECK(auth_remove("r.io:5000") < 0, "remove twice: not logged in");
	/* docker's config.json, keyed by URL */
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"Ym9iOnB3\"}}}");
		fclose(f);
	}
	CHECK(auth_lookup("docker.io", &u, &p) == 0 && u && !strcmp(u, "bob") && !strcmp(p, "pw"),
	      "docker config.json for docker.io");
	free(u);
	free(p);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "[1,2]");
		fclose(f);
	}
	CHECK(auth_lookup("docker.io", &u, &p) < 0, "a config.json that is not an object fails");
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub/auth.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
}

static void test_conf(void)
{
	struct registry_conf c;

	CHECK(registry_conf_parse("# comment\n\ninsecure 127.0.0.1:5000\n"
				  "mirror docker.io m1.local:5000  # first\n"
				  "mirror docker.io m2.local\n", "t", &c) == 0,
	      "registries.conf parses");
	CHECK(registry_conf_insecure(&c, "127.0.0.1:5000") && !registry_conf_insecure(&c, "x"),
	      "insecure hosts");
	CHECK(!strcmp(registry_conf_mirror(&c, "docker.io", 0) ?: "", "m1.local:5000") &&
	      !strcmp(registry_conf_mirror(&c, "docker.io", 1) ?: "", "m2.local") &&
	      !registry_conf_mirror(&c, "docker.io", 2) && !registry_conf_mirror(&c, "quay.io", 0),
	      "mirrors in order");
	registry_conf_free(&c);
	CHECK(registry_conf_parse("insecure\n", "t", &c) < 0 && strstr(zerr_msg(), "t:1"),
	      "missing host refused with file:line");
	CHECK(registry_conf_parse("mirror a b c\n", "t", &c) < 0, "extra words refused");
	CHECK(registry_conf_parse("insecure a/b\n", "t", &c) < 0, "bad host refused");
	CHECK(registry_conf_load("/nonexistent/registries.conf", &c) == 0 && c.ninsecure == 0,
	      "missing file is empty");
}

static void test_platform(void)
{
	struct platform p;

	CHECK(platform_parse("linux/arm64/v8", &p) == 0 && !strcmp(p.os, "linux") &&
	      !strcmp(p.arch, "arm64") && !strcmp(p.variant, "v8"), "os/arch/variant");
	CHECK(platform_parse("linux/amd64", &p) == 0 && !p.variant[0], "os/arch");
	CHECK(platform_parse(NULL, &p) == 0 && !strcmp(p.os, "linux") && p.arch[0], "host platform");
	CHECK(platform_parse("linux", &p) < 0, "no arch refused");
	CHECK(platform_parse("linux//v8", &p) < 0, "empty arch refused");
	CHECK(platform_parse("/amd64", &p) < 0, "empty os refused");
	CHECK(platform_parse("a/b/c/d", &p) < 0, "four parts refused");
}

int main(void)
{
	test_references();
	test_names();
	test_headers();
	test_auth();
	test_conf();
	test_platform();
	CHECK_DONE();
}
