#include "oci/registry_conf.h"
#include "common/util.h"
#include "common/zerr.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_FILE_MAX (1 << 20)

static bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-:[]", *h))
			return false;
	return true;
}

int registry_conf_parse(const char *text, const char *what, struct registry_conf *c)
{
	const char *p = text;
	unsigned lineno = 0;

	memset(c, 0, sizeof(*c));
	while (*p) {
		char line[1024], *words[4], *save = NULL, *w;
		size_t n = strcspn(p, "\n"), nw = 0;

		lineno++;
		if (n >= sizeof(line)) {
			registry_conf_free(c);
			return zerr(EINVAL, "%s:%u: line too long", what, lineno);
		}
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (p[n] == '\n');
		line[strcspn(line, "#")] = 0;
		for (w = strtok_r(line, " \t\r", &save); w && nw < 4; w = strtok_r(NULL, " \t\r", &save))
			words[nw++] = w;
		if (nw == 0)
			continue;
		if (!strcmp(words[0], "insecure") && nw == 2 && host_ok(words[1]) &&
		    c->ninsecure < REGISTRY_CONF_MAX) {
			c->insecure[c->ninsecure] = strdup(words[1]);
			if (!c->insecure[c->ninsecure++])
				goto nomem;
		} else if (!strcmp(words[0], "mirror") && nw == 3 && host_ok(words[1]) &&
			   host_ok(words[2]) && c->nmirrors < REGISTRY_CONF_MAX) {
			c->mirrors[c->nmirrors].host = strdup(words[1]);
			c->mirrors[c->nmirrors].mirror = strdup(words[2]);
			if (!c->mirrors[c->nmirrors].host || !c->mirrors[c->nmirrors++].mirror)
				goto nomem;
		} else {
			registry_conf_free(c);
			return zerr(EINVAL, "%s:%u: want 'insecure HOST' or 'mirror HOST MIRROR' (at most %d each)",
				    what, lineno, REGISTRY_CONF_MAX);
		}
	}
	return 0;
nomem:
	registry_conf_free(c);
	return zerr(ENOMEM, "%s", what);
}

int registry_conf_load(const char *path, struct registry_conf *c)
{
	const char *env = getenv("ZONE_REGISTRIES_CONF");
	uint8_t *buf;
	size_t len;
	int rc;

	if (!path)
		path = env && *env ? env : REGISTRY_CONF_DEFAULT;
	if (read_file(path, CONF_FILE_MAX, &buf, &len) < 0) {
		if (zerr_errno() == ENOENT) {
			zerr_clear();
			memset(c, 0, sizeof(*c));
			return 0;
		}
		return -1;
	}
	if (memchr(buf, 0, len)) {
		free(buf);
		return zerr(EINVAL, "%s: binary data", path);
	}
	{
		char *text = strndup((char *)buf, len);
		free(buf);
		if (!text)
			return zerr(ENOMEM, "%s", path);
		rc = registry_conf_parse(text, path, c);
		free(text);
	}
	return rc;
}

void registry_conf_free(struct registry_conf *c)
{
	for (size_t i = 0; i < c->ninsecure; i++)
		free(c->insecure[i]);
	for (size_t i = 0; i < c->nmirrors; i++) {
		free(c->mirrors[i].host);
		free(c->mirrors[i].mirror);
	}
	memset(c, 0, sizeof(*c));
}

bool registry_conf_insecure(const struct registry_conf *c, const char *host)
{
	for (size_t i = 0; i < c->ninsecure; i++)
		if (!strcmp(c->insecure[i], host))
			return true;
	return false;
}

const char *registry_conf_mirror(const struct registry_conf *c, const char *host, size_t i)
{
	for (size_t k = 0; k < c->nmirrors; k++)
		if (!strcmp(c->mirrors[k].host, host) && i-- == 0)
			return c->mirrors[k].mirror;
	return NULL;
}
