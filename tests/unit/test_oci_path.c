/* Unit tests: member-name sanitising and whiteout name classification. */
#include "tests/unit/check.h"
#include "oci/path.h"
#include "oci/whiteout.h"
#include "oci/name.h"
#include "oci/digest.h"
#include "common/zerr.h"

#include <stdlib.h>
#include <string.h>

static int ok_as(const char *in, const char *want)
{
	char *out = NULL;
	int good = path_sanitize(in, &out) == 0 && out && !strcmp(out, want);

	if (!good)
		printf("  sanitize('%s') -> %s (want '%s')\n", in, out ? out : zerr_msg(), want);
	free(out);
	return good;
}

static int refused(const char *in)
{
	char *out = NULL;
	int r = path_sanitize(in, &out);

	free(out);
	return r < 0 && out == NULL;
}

static int wh(const char *path, enum wh_kind want, const char *target)
{
	enum wh_kind k;
	char *t = NULL;
	int good = whiteout_classify(path, &k, &t) == 0 && k == want &&
		   ((!target && !t) || (target && t && !strcmp(t, target)));

	free(t);
	return good;
}

int main(void)
{
	char deep[8192] = "";

	CHECK(ok_as("etc/passwd", "etc/passwd"), "plain relative path");
	CHECK(ok_as("./etc/passwd", "etc/passwd"), "leading ./ dropped");
	CHECK(ok_as("etc//x/./y/", "etc/x/y"), "// and /./ and trailing / collapsed");
	CHECK(ok_as(".", ""), ". is the root");
	CHECK(ok_as("./", ""), "./ is the root");
	CHECK(ok_as("/", ""), "/ alone is the root");
	CHECK(ok_as("a/..b/c..", "a/..b/c.."), "names merely containing .. are fine");
	CHECK(ok_as("...", "..."), "... is a name");
	CHECK(refused("../etc/passwd"), "leading .. refused");
	CHECK(refused("a/../../b"), "inner .. refused");
	CHECK(refused("a/.."), "trailing .. refused");
	CHECK(refused("./.."), "./.. refused");
	CHECK(refused("/etc/passwd"), "absolute path refused");
	CHECK(refused("//etc"), "// absolute refused");
	CHECK(refused(""), "empty name refused");
	for (int i = 0; i < PATH_MAX_DEPTH + 1; i++)
		strcat(deep, "d/");
	CHECK(refused(deep), "too deep refused");
	{
		char longc[300];
		memset(longc, 'x', 299);
		longc[299] = 0;
		CHECK(refused(longc), "component over 255 bytes refused");
	}
	CHECK(path_parent_len("a/b/c") == 3 && !strcmp(path_base("a/b/c"), "c"), "split a/b/c");
	CHECK(path_parent_len("top") == 0 && !strcmp(path_base("top"), "top"), "split top");

	CHECK(wh("a/b", WH_NONE, NULL), "ordinary entry");
	CHECK(wh("a/.wh.b", WH_FILE, "a/b"), "whiteout a/.wh.b -> a/b");
	CHECK(wh(".wh.top", WH_FILE, "top"), "top-level whiteout");
	CHECK(wh("d/.wh..wh..opq", WH_OPAQUE_DIR, "d"), "opaque marker");
	CHECK(wh(".wh..wh..opq", WH_OPAQUE_DIR, ""), "opaque root");
	CHECK(wh("d/.wh..wh.plnk", WH_META, NULL), "aufs metadata ignored");
	CHECK(wh("d/x.wh.y", WH_NONE, NULL), ".wh. inside a name is not a whiteout");
	{
		enum wh_kind k;
		char *t = NULL;
		CHECK(whiteout_classify("d/.wh.", &k, &t) < 0 && !t, "empty whiteout target refused");
		CHECK(whiteout_classify("d/.wh...", &k, &t) < 0 && !t, ".wh... (..) refused");
	}

	{
		char *n = NULL;
		CHECK(image_name_normalize("demo", &n) == 0 && !strcmp(n, "demo:latest"), "name gets :latest");
		free(n);
		n = NULL;
		CHECK(image_name_normalize("localhost/demo:1.0", &n) == 0 &&
		      !strcmp(n, "localhost/demo:1.0"), "name with tag kept");
		free(n);
		n = NULL;
		CHECK(image_name_normalize("Demo", &n) < 0, "uppercase name refused");
		CHECK(image_name_normalize("a/../b", &n) < 0 || strcmp(n, "a/../b:latest"),
		      "dots are characters, not path steps");
		free(n);
		n = NULL;
		CHECK(image_name_normalize("x@sha256:00", &n) < 0, "digest refs refused as names");
	}
	CHECK(digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	      "valid digest");
	CHECK(!digest_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
	      "uppercase hex refused");
	CHECK(!digest_valid("sha512:e3b0"), "other algorithms refused");
	{
		char d[DIGEST_STR_LEN + 1];
		digest_buf("", 0, d);
		CHECK(!strcmp(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		      "sha256 of nothing");
	}
	CHECK_DONE();
}
