#include "oci/registry_headers.h"
#include "common/zerr.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEADER_MAX 8192

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool is_token_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Reads a token or a quoted string into out (cap bytes); returns the
 * position after it, or NULL when malformed or too long. */
static const char *read_value(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 >= cap)
				return NULL;
			out[n++] = *p;
		}
		if (*p != '"')
			return NULL;
		p++;
	} else {
		for (; is_token_char(*p) || *p == '/' || *p == ':' || *p == '='; p++) {
			if (n + 1 >= cap)
				return NULL;
			out[n++] = *p;
		}
	}
	out[n] = 0;
	return p;
}

int www_authenticate_parse(const char *value, struct auth_challenge *c)
{
	const char *p = value;

	memset(c, 0, sizeof(*c));
	if (!value || strnlen(value, HEADER_MAX + 1) > HEADER_MAX)
		return zerr(EPROTO, "WWW-Authenticate header missing or too long");
	for (;;) {
		const char *s;
		size_t n;

		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (!*p)
			break;
		for (s = p; is_token_char(*p); p++)
			;
		n = p - s;
		if (n == 0)
			return zerr(EPROTO, "malformed WWW-Authenticate header");
		p = skip_ws(p);
		if (*p == '=' ) {
			/* a parameter of the current challenge */
			char key[32], val[AUTH_PARAM_MAX];
			snprintf(key, sizeof(key), "%.*s", (int)(n < 31 ? n : 31), s);
			p = read_value(skip_ws(p + 1), val, sizeof(val));
			if (!p)
				return zerr(EPROTO, "malformed or oversized WWW-Authenticate parameter");
			if (c->scheme == AUTH_NONE)
				continue;
			if (!strcasecmp(key, "realm"))
				memcpy(c->realm, val, sizeof(val));
			else if (!strcasecmp(key, "service"))
				memcpy(c->service, val, sizeof(val));
			else if (!strcasecmp(key, "scope"))
				memcpy(c->scope, val, sizeof(val));
			continue;
		}
		/* a new scheme: stop at the second usable one */
		if (c->scheme != AUTH_NONE)
			break;
		if (n == 6 && !strncasecmp(s, "Bearer", 6))
			c->scheme = AUTH_BEARER;
		else if (n == 5 && !strncasecmp(s, "Basic", 5))
			c->scheme = AUTH_BASIC;
	}
	if (c->scheme == AUTH_NONE)
		return zerr(EPROTO, "no Basic or Bearer challenge in WWW-Authenticate");
	if (c->scheme == AUTH_BEARER && !c->realm[0])
		return zerr(EPROTO, "Bearer challenge without a realm");
	return 0;
}

static bool read_u64(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (*p - '0');
	}
	*v = x;
	*pp = p;
	return true;
}

int content_range_parse(const char *value, uint64_t *start, uint64_t *end, int64_t *total)
{
	const char *p;
	uint64_t t;

	if (!value || strnlen(value, HEADER_MAX + 1) > HEADER_MAX)
		return zerr(EPROTO, "Content-Range missing or too long");
	p = skip_ws(value);
	if (strncasecmp(p, "bytes", 5) || (p[5] != ' ' && p[5] != '\t'))
		return zerr(EPROTO, "Content-Range '%.80s': not in bytes", value);
	p = skip_ws(p + 5);
	if (!read_u64(&p, start) || *p++ != '-' || !read_u64(&p, end) || *p++ != '/')
		return zerr(EPROTO, "malformed Content-Range '%.80s'", value);
	if (*p == '*') {
		*total = -1;
		p++;
	} else {
		if (!read_u64(&p, &t) || t > INT64_MAX)
			return zerr(EPROTO, "malformed Content-Range '%.80s'", value);
		*total = (int64_t)t;
	}
	p = skip_ws(p);
	if (*p && *p != '\r' && *p != '\n')
		return zerr(EPROTO, "malformed Content-Range '%.80s'", value);
	if (*end < *start || (*total >= 0 && *end >= (uint64_t)*total))
		return zerr(EPROTO, "inconsistent Content-Range '%.80s'", value);
	return 0;
}

int link_next_parse(const char *value, char *url, size_t cap)
{
	const char *p = value;

	if (!value || strnlen(value, HEADER_MAX + 1) > HEADER_MAX || cap == 0)
		return zerr(EPROTO, "Link header missing or too long");
	while (*(p = skip_ws(p))) {
		const char *u, *ue;
		bool next = false;

		if (*p != '<')
			return zerr(EPROTO, "malformed Link header");
		u = p + 1;
		ue = strchr(u, '>');
		if (!ue)
			return zerr(EPROTO, "malformed Link header");
		p = ue + 1;
		/* parameters until the next ',' */
		while (*(p = skip_ws(p)) == ';') {
			char key[32], val[256];
			const char *k = p = skip_ws(p + 1);
			while (is_token_char(*p))
				p++;
			snprintf(key, sizeof(key), "%.*s", (int)(p - k < 31 ? p - k : 31), k);
			p = skip_ws(p);
			if (*p != '=')
				return zerr(EPROTO, "malformed Link parameter");
			p = read_value(skip_ws(p + 1), val, sizeof(val));
			if (!p)
				return zerr(EPROTO, "malformed Link parameter");
			if (!strcasecmp(key, "rel") && !strcasecmp(val, "next"))
				next = true;
		}
		if (next) {
			if ((size_t)(ue - u) >= cap)
				return zerr(EPROTO, "Link URL too long");
			memcpy(url, u, ue - u);
			url[ue - u] = 0;
			return 0;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return zerr(EPROTO, "malformed Link header");
	}
	return zerr(ENOENT, "no rel=\"next\" link");
}
