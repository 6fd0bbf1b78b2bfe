#include "oci/reference.h"
#include "common/zerr.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path components: lowercase letters and digits joined by '.', '_', '__'
 * or runs of '-' (distribution's grammar, a little looser on separators). */
bool ref_valid_path(const char *p, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		bool alnum = islower(c) || isdigit(c);
		bool edge = i == 0 || p[i - 1] == '/' || i + 1 == n || p[i + 1] == '/';

		if (!alnum && !strchr("._-/", c))
			return false;
		if (!alnum && edge)
			return false;
	}
	return true;
}

bool ref_valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t) && !strchr("._-", *t))
			return false;
	return true;
}

/* host, IPv4 or [IPv6], optional :port */
bool ref_valid_host(const char *h, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > 255)
		return false;
	if (h[0] == '[') {
		while (i < n && h[i] != ']')
			i++;
		if (i == n)
			return false;
		i++;
	} else {
		for (; i < n && h[i] != ':'; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
				return false;
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (h[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return false;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)h[i]))
			return false;
	return true;
}

void image_ref_free(struct image_ref *r)
{
	free(r->registry);
	free(r->repository);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

int image_ref_parse(const char *in, struct image_ref *r)
{
	const char *at, *name_end, *slash, *colon, *path;
	size_t hlen = 0;

	memset(r, 0, sizeof(*r));
	if (!in || !*in)
		return zerr(EINVAL, "empty image reference");
	if (strlen(in) > 1024)
		return zerr(EINVAL, "image reference longer than 1024 bytes");
	at = strchr(in, '@');
	name_end = at ? at : in + strlen(in);
	if (at) {
		if (!digest_valid(at + 1))
			return zerr(EINVAL, "'%.200s': bad digest (want sha256:<64 hex>)", in);
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
	}
	slash = memchr(in, '/', name_end - in);
	path = in;
	if (slash) {
		hlen = slash - in;
		if (memchr(in, '.', hlen) || memchr(in, ':', hlen) ||
		    (hlen == 9 && !memcmp(in, "localhost", 9)) || (hlen && in[0] == '[')) {
			if (!ref_valid_host(in, hlen))
				return zerr(EINVAL, "'%.200s': bad registry host", in);
			path = slash + 1;
		} else {
			hlen = 0;
		}
	}
	/* a tag is a ':' after the last '/' */
	slash = memrchr(path, '/', name_end - path);
	colon = memchr(slash ? slash : path, ':', name_end - (slash ? slash : path));
	if (hlen)
		r->registry = strndup(in, hlen);
	else
		r->registry = strdup(REF_DEFAULT_REGISTRY);
	if (r->registry && !strcmp(r->registry, "index.docker.io")) {
		free(r->registry);
		r->registry = strdup(REF_DEFAULT_REGISTRY);
	}
	r->repository = strndup(path, (colon ? colon : name_end) - path);
	if (colon)
		r->tag = strndup(colon + 1, name_end - colon - 1);
	else if (!at)
		r->tag = strdup("latest");
	if (!r->registry || !r->repository || (!r->tag && !at)) {
		image_ref_free(r);
		return zerr(ENOMEM, "reference");
	}
	if (!ref_valid_path(r->repository, strlen(r->repository))) {
		image_ref_free(r);
		return zerr(EINVAL, "'%.200s': bad repository name (lowercase letters, digits, '.', '_', '-', '/')", in);
	}
	if (r->tag && !ref_valid_tag(r->tag)) {
		image_ref_free(r);
		return zerr(EINVAL, "'%.200s': bad tag", in);
	}
	if (!strcmp(r->registry, REF_DEFAULT_REGISTRY) && !strchr(r->repository, '/')) {
		char *lib;
		if (asprintf(&lib, "library/%s", r->repository) < 0) {
			image_ref_free(r);
			return zerr(ENOMEM, "reference");
		}
		free(r->repository);
		r->repository = lib;
		/* the prefix counts towards the length limit */
		if (!ref_valid_path(r->repository, strlen(r->repository))) {
			image_ref_free(r);
			return zerr(EINVAL, "'%.200s': repository name too long", in);
		}
	}
	return 0;
}

char *image_ref_string(const struct image_ref *r)
{
	char *s;
	int n = r->digest[0] ? asprintf(&s, "%s/%s@%s", r->registry, r->repository, r->digest)
			     : asprintf(&s, "%s/%s:%s", r->registry, r->repository, r->tag);

	return n < 0 ? NULL : s;
}

const char *image_ref_target(const struct image_ref *r)
{
	return r->digest[0] ? r->digest : r->tag;
}
