#include "runtime/resolv.h"
#include "common/util.h"
#include "common/zerr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool loopback(const char *ip)
{
	return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1");
}

/* Append the nameserver lines of text that are not loopback; count them. */
static int servers(FILE *out, const char *text)
{
	char line[512], ip[256];
	int n = 0;

	if (!text)
		return 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		if (sscanf(line, " nameserver %255s", ip) == 1 && !loopback(ip)) {
			fprintf(out, "nameserver %s\n", ip);
			n++;
		}
	}
	return n;
}

char *resolv_conf_build(const char *host_text, const char *resolved_text, const char *const *dns,
			int ndns)
{
	char *buf = NULL, line[512], word[32];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	if (ndns) {
		for (int i = 0; i < ndns; i++)
			fprintf(out, "nameserver %s\n", dns[i]);
	} else if (!servers(out, host_text) && !servers(out, resolved_text)) {
		fprintf(out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	}
	for (const char *p = host_text ? host_text : ""; *p;) {
		size_t l = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		p += l + (p[l] == '\n');
		if (sscanf(line, " %31s", word) == 1 &&
		    (!strcmp(word, "search") || !strcmp(word, "domain") || !strcmp(word, "options")))
			fprintf(out, "%s\n", line);
	}
	fclose(out);
	return buf;
}

static char *slurp(const char *path)
{
	uint8_t *b;
	size_t len;
	char *s;

	if (read_file(path, 65536, &b, &len) < 0) {
		zerr_clear(); /* a host without one is fine */
		return NULL;
	}
	s = strndup((char *)b, len);
	free(b);
	return s;
}

char *resolv_conf_for_host(const char *const *dns, int ndns)
{
	char *host = slurp("/etc/resolv.conf"), *resolved = NULL, *r;

	if (!host || strstr(host, "127.") || strstr(host, "::1"))
		resolved = slurp("/run/systemd/resolve/resolv.conf");
	r = resolv_conf_build(host, resolved, dns, ndns);
	free(host);
	free(resolved);
	return r;
}
