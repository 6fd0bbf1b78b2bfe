#include "oci/path.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int path_sanitize(const char *name, char **out)
{
	size_t len, o = 0;
	unsigned depth = 0;
	char *buf;
	const char *p;

	*out = NULL;
	if (!name || !*name)
		return zerr(0, "empty member name");
	len = strlen(name);
	if (len > PATH_MAX_LEN)
		return zerr(0, "member name longer than %d bytes", PATH_MAX_LEN);
	if (name[0] == '/') {
		/* "/" alone names the root (umoci insert writes it); any
		 * other absolute name is refused */
		if (name[strspn(name, "/")] == 0) {
			*out = strdup("");
			return *out ? 0 : zerr(ENOMEM, "path");
		}
		return zerr(0, "absolute path '%.200s' refused", name);
	}
	buf = malloc(len + 1);
	if (!buf)
		return zerr(ENOMEM, "path");
	p = name;
	while (*p) {
		const char *s = p;
		size_t n;

		while (*p && *p != '/')
			p++;
		n = p - s;
		while (*p == '/')
			p++;
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			free(buf);
			return zerr(0, "path '%.200s' has a '..' component: refused", name);
		}
		if (n > 255) {
			free(buf);
			return zerr(0, "path '%.200s' has a component longer than 255 bytes", name);
		}
		if (++depth > PATH_MAX_DEPTH) {
			free(buf);
			return zerr(0, "path '%.200s' is deeper than %d components", name,
				    PATH_MAX_DEPTH);
		}
		if (o)
			buf[o++] = '/';
		memcpy(buf + o, s, n);
		o += n;
	}
	buf[o] = 0;
	*out = buf;
	return 0;
}

size_t path_parent_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? (size_t)(slash - path) : 0;
}

const char *path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

char *path_join(const char *parent, const char *name)
{
	char *r;

	if (!*parent)
		return strdup(name);
	if (asprintf(&r, "%s/%s", parent, name) < 0)
		return NULL;
	return r;
}
