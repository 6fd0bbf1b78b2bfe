#include "oci/name.h"
#include "oci/digest.h"
#include "oci/reference.h"
#include "common/zerr.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int image_name_normalize(const char *in, char **out)
{
	const char *slash, *colon, *at, *repo = in, *end;
	size_t rlen;

	if (!in || !*in)
		return zerr(0, "empty image name");
	/* NAME@sha256:HEX: what a pull by digest names its image */
	at = strchr(in, '@');
	if (at && !digest_valid(at + 1))
		return zerr(0, "image name '%.200s': bad digest", in);
	end = at ? at : in + strlen(in);
	/* a registry host with a port ("127.0.0.1:5000/app") leads the name */
	slash = memchr(in, '/', end - in);
	if (slash && memchr(in, ':', slash - in))
		repo = slash + 1;
	slash = memrchr(repo, '/', end - repo);
	colon = memchr(slash ? slash : repo, ':', end - (slash ? slash : repo));
	rlen = (colon ? colon : end) - in;
	if (repo != in && !ref_valid_host(in, repo - in - 1))
		return zerr(0, "bad registry host in '%.200s'", in);
	if (!ref_valid_path(repo, in + rlen - repo))
		return zerr(0, "bad image name '%.200s' (lowercase letters, digits, '.', '_', '-', '/')",
			    in);
	if (colon && (at || !ref_valid_tag(colon + 1)))
		return zerr(0, "bad tag in '%.200s'", in);
	if (at)
		*out = strdup(in);
	else if (asprintf(out, "%.*s:%s", (int)rlen, in, colon ? colon + 1 : "latest") < 0)
		*out = NULL;
	if (!*out)
		return zerr(ENOMEM, "name");
	return 0;
}

int image_name_default(const char *annotated, const char *ref_tag, const char *path, char **out)
{
	char base[256];
	size_t end = strlen(path), start, n = 0;

	/* Docker's implied registry and namespace are left out */
	if (annotated && !strncmp(annotated, "docker.io/library/", 18))
		annotated += 18;
	if (annotated && image_name_normalize(annotated, out) == 0)
		return 0;
	zerr_clear();
	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	for (size_t i = start; i < end && n < sizeof(base) - 1; i++) {
		unsigned char c = tolower((unsigned char)path[i]);
		base[n++] = (isalnum(c) || c == '-' || c == '_' || c == '.') ? c : '-';
	}
	base[n] = 0;
	if (n > 4 && !strcmp(base + n - 4, ".tar"))
		base[n -= 4] = 0;
	if (!n || !isalnum((unsigned char)base[0]))
		return zerr(0, "cannot derive an image name from %s: use --name", path);
	if (asprintf(out, "%s:%s", base, ref_tag && ref_valid_tag(ref_tag) ? ref_tag : "latest") < 0)
		return zerr(ENOMEM, "name");
	return 0;
}
