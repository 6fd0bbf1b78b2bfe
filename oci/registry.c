#include "oci/registry.h"
#include "oci/registry_auth.h"
#include "oci/registry_headers.h"
#include "common/util.h"
#include "common/zerr.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKENS_MAX 8
#define TOKEN_MAX (64 << 10)
#define ERRBODY_MAX 2048
#define DEFAULT_STALL_SECONDS 30
#define DEFAULT_RETRIES 3
#define MANIFEST_ACCEPT                                                                         \
	"Accept: application/vnd.oci.image.index.v1+json, "                                     \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                           \
	"application/vnd.oci.image.manifest.v1+json, "                                          \
	"application/vnd.docker.distribution.manifest.v2+json"

struct token {
	char scope[AUTH_PARAM_MAX];
	char *value;
};

struct registry {
	char *host, *repo, *base; /* base: "https://host" or "http://host" */
	struct registry_opts o;
	char *user, *pass;
	enum auth_scheme scheme;
	struct auth_challenge chal; /* the Bearer realm and service */
	CURLSH *share;              /* DNS, TLS sessions and connections */
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	pthread_mutex_t mu;         /* tokens, requests */
	struct token tokens[TOKENS_MAX];
	size_t ntokens;
	unsigned long requests;
};

/* What one response carried (the last one of a redirect chain). */
struct resp {
	long status;
	char www_auth[4096];
	char content_type[256];
	char docker_digest[128];
	char content_range[128];
};

/* Where a body goes: memory (fd < 0, at most max bytes) or a blob file. */
struct xfer {
	CURL *h;
	struct resp *rs;
	char *buf;
	size_t len, cap, max;
	int fd;
	struct digest_ctx *dg;
	uint64_t written, range_from;
	int64_t size;
	progress_fn progress;
	void *progress_arg;
	bool checked, too_big, io_err, bad_range;
	char err[ERRBODY_MAX];
	size_t errlen;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *arg)
{
	pthread_mutex_lock(&((struct registry *)arg)->share_mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *arg)
{
	pthread_mutex_unlock(&((struct registry *)arg)->share_mu[d]);
}

/* Copies a header value (without CR/LF) when the line is "name: value". */
static void take_header(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), vl;

	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
		return;
	line += nl + 1;
	n -= nl + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	vl = n < cap - 1 ? n : cap - 1;
	memcpy(out, line, vl);
	out[vl] = 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *rs = arg;
	size_t len = sz * n;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after a redirect or a 100): forget the last */
		long st = rs->status;
		memset(rs, 0, sizeof(*rs));
		rs->status = st;
		return len;
	}
	take_header(p, len, "WWW-Authenticate", rs->www_auth, sizeof(rs->www_auth));
	take_header(p, len, "Content-Type", rs->content_type, sizeof(rs->content_type));
	take_header(p, len, "Docker-Content-Digest", rs->docker_digest, sizeof(rs->docker_digest));
	take_header(p, len, "Content-Range", rs->content_range, sizeof(rs->content_range));
	return len;
}

/* The first body bytes of a ranged request: a 200 means the server sent
 * everything again, a 206 must start where we asked. */
static bool check_range(struct xfer *x, long code)
{
	uint64_t start, end;
	int64_t total;

	x->checked = true;
	if (code == 200 && x->written) {
		char scratch[DIGEST_STR_LEN + 1];
		if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0) {
			x->io_err = true;
			return false;
		}
		digest_final(x->dg, scratch); /* resets */
		x->written = 0;
		return true;
	}
	if (code == 206) {
		if (content_range_parse(x->rs->content_range, &start, &end, &total) < 0 ||
		    start != x->range_from) {
			zerr_clear();
			x->bad_range = true;
			return false;
		}
	}
	return true;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200 && code != 206) {
		size_t k = len < sizeof(x->err) - 1 - x->errlen ? len : sizeof(x->err) - 1 - x->errlen;
		memcpy(x->err + x->errlen, p, k);
		x->errlen += k;
		x->err[x->errlen] = 0;
		return len;
	}
	if (x->fd < 0) {
		if (x->len + len > x->max) {
			x->too_big = true;
			return 0;
		}
		if (x->len + len > x->cap) {
			size_t cap = x->cap ? x->cap : 16384;
			char *nb;
			while (cap < x->len + len)
				cap *= 2;
			nb = realloc(x->buf, cap);
			if (!nb) {
				x->io_err = true;
				return 0;
			}
			x->buf = nb;
			x->cap = cap;
		}
		memcpy(x->buf + x->len, p, len);
		x->len += len;
		return len;
	}
	if (!x->checked && !check_range(x, code))
		return 0;
	if (x->written + len > (uint64_t)x->size) {
		x->too_big = true;
		return 0;
	}
	if (write_all(x->fd, p, len) != (ssize_t)len) {
		x->io_err = true;
		return 0;
	}
	digest_update(x->dg, p, len);
	x->written += len;
	if (x->progress)
		x->progress(x->progress_arg, x->written, x->size);
	return len;
}

static bool retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void backoff(unsigned attempt)
{
	unsigned ms = 250u << (attempt < 4 ? attempt : 4);

	usleep(ms * 1000);
}

/* "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)" from a registry error body. */
static void describe_status(const struct xfer *x, char *out, size_t cap)
{
	json_t *j = json_loads(x->err, 0, NULL);
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));

	if (code)
		snprintf(out, cap, "HTTP %ld (%.60s: %.120s)", x->rs->status, code, msg ? msg : "");
	else
		snprintf(out, cap, "HTTP %ld", x->rs->status);
	json_decref(j);
}

static const char *token_lookup(struct registry *r, const char *scope)
{
	for (size_t i = 0; i < r->ntokens; i++)
		if (!strcmp(r->tokens[i].scope, scope))
			return r->tokens[i].value;
	return NULL;
}

static void token_forget(struct registry *r, const char *scope)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->ntokens; i++)
		if (!strcmp(r->tokens[i].scope, scope)) {
			free(r->tokens[i].value);
			r->tokens[i] = r->tokens[--r->ntokens];
			break;
		}
	pthread_mutex_unlock(&r->mu);
}

static int perform(struct registry *r, const char *url, const char *accept, const char *bearer,
		   bool basic, struct xfer *x, CURLcode *code, char *curl_err);

/* Asks the realm for a token for scope (with Basic credentials when we
 * have some) and caches it. */
static int token_fetch(struct registry *r, const struct auth_challenge *c, const char *scope)
{
	CURL *h = curl_easy_init();
	char *svc = NULL, *sc = NULL, *url = NULL, cerr[CURL_ERROR_SIZE] = "";
	struct resp rs = { 0 };
	struct xfer x = { .h = h, .rs = &rs, .fd = -1, .max = TOKEN_MAX };
	const char *tok;
	json_t *j = NULL;
	CURLcode cc;
	int rc = -1;

	if (!h)
		return zerr(ENOMEM, "curl");
	svc = curl_easy_escape(h, c->service, 0);
	sc = curl_easy_escape(h, scope, 0);
	if (!svc || !sc || asprintf(&url, "%s%sservice=%s%s%s", c->realm,
				    strchr(c->realm, '?') ? "&" : "?", svc, scope[0] ? "&scope=" : "",
				    scope[0] ? sc : "") < 0) {
		url = NULL;
		zerr(ENOMEM, "token");
		goto out;
	}
	curl_easy_cleanup(h);
	x.h = NULL;
	for (unsigned attempt = 0;; attempt++) {
		x.len = 0;
		x.errlen = 0;
		if (perform(r, url, NULL, NULL, r->user != NULL, &x, &cc, cerr) < 0)
			goto out;
		if (cc != CURLE_OK && retryable(cc) && attempt < r->o.retries) {
			backoff(attempt);
			continue;
		}
		if (cc != CURLE_OK) {
			zerr(EIO, "token server %s: %s", c->realm,
			     cc == CURLE_WRITE_ERROR ? "token response too large" : cerr);
			goto out;
		}
		if (rs.status >= 500 && attempt < r->o.retries) {
			backoff(attempt);
			continue;
		}
		break;
	}
	if (rs.status == 401 || rs.status == 403) {
		zerr(EACCES, "token server %s refused %s (HTTP %ld)%s", c->realm,
		     r->user ? "the credentials" : "anonymous access", rs.status,
		     r->user ? "" : ": zone login first");
		goto out;
	}
	if (rs.status != 200) {
		zerr(EPROTO, "token server %s: HTTP %ld", c->realm, rs.status);
		goto out;
	}
	j = json_loadb(x.buf ? x.buf : "", x.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok || strpbrk(tok, "\r\n")) {
		zerr(EPROTO, "token server %s: no token in its answer", c->realm);
		goto out;
	}
	pthread_mutex_lock(&r->mu);
	if (!token_lookup(r, scope)) {
		size_t i = r->ntokens < TOKENS_MAX ? r->ntokens++ : 0;
		if (i == 0 && r->ntokens == TOKENS_MAX)
			free(r->tokens[0].value);
		snprintf(r->tokens[i].scope, sizeof(r->tokens[i].scope), "%s", scope);
		r->tokens[i].value = strdup(tok);
	}
	pthread_mutex_unlock(&r->mu);
	rc = 0;
out:
	json_decref(j);
	curl_free(svc);
	curl_free(sc);
	free(url);
	free(x.buf);
	if (x.h)
		curl_easy_cleanup(x.h);
	return rc;
}

/* One HTTP GET with our options; *code is curl's result. */
static int perform(struct registry *r, const char *url, const char *accept, const char *bearer,
		   bool basic, struct xfer *x, CURLcode *code, char *curl_err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char auth[TOKEN_MAX + 32], range[48];

	if (!h)
		return zerr(ENOMEM, "curl");
	x->h = h;
	x->rs->status = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_SHARE, r->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "zone/1");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)r->o.stall_seconds);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x->rs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (!r->o.tls_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (r->o.ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, r->o.ca_file);
	}
	if (accept)
		hdrs = curl_slist_append(hdrs, accept);
	if (bearer) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, auth);
	} else if (basic && r->user) {
		/* curl sends these to this host only, never after a redirect elsewhere */
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, r->pass ? r->pass : "");
	}
	if (x->fd >= 0 && x->range_from) {
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)x->range_from);
		curl_easy_setopt(h, CURLOPT_RANGE, range);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_err[0] = 0;
	*code = curl_easy_perform(h);
	if (*code == CURLE_OK || x->rs->status == 0)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->rs->status);
	if (!curl_err[0])
		snprintf(curl_err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(*code));
	__atomic_add_fetch(&r->requests, 1, __ATOMIC_RELAXED);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	x->h = NULL;
	return 0;
}

static void scope_for(const struct registry *r, char *scope, size_t cap)
{
	if (r->repo)
		snprintf(scope, cap, "repository:%s:pull", r->repo);
	else
		scope[0] = 0;
}

/* GETs base + path with auth, retries and resume; returns 0 with the
 * final status in x->rs->status (the caller judges it), -1 (zerr) when
 * no answer could be had. */
static int request(struct registry *r, const char *path, const char *accept, struct xfer *x)
{
	char *url = NULL, cerr[CURL_ERROR_SIZE], scope[AUTH_PARAM_MAX];
	bool reauthed = false;
	unsigned attempt = 0;
	CURLcode cc;
	int rc = -1;

	if (asprintf(&url, "%s%s", r->base, path) < 0)
		return zerr(ENOMEM, "request");
	scope_for(r, scope, sizeof(scope));
	for (;;) {
		const char *bearer = NULL;
		char *tok = NULL;

		if (r->scheme == AUTH_BEARER) {
			struct auth_challenge chal;
			pthread_mutex_lock(&r->mu);
			bearer = token_lookup(r, scope);
			tok = bearer ? strdup(bearer) : NULL;
			chal = r->chal;
			pthread_mutex_unlock(&r->mu);
			if (!tok) {
				if (token_fetch(r, &chal, scope) < 0)
					goto out;
				continue;
			}
		}
		x->len = 0;
		x->errlen = 0;
		x->err[0] = 0;
		x->checked = false;
		x->range_from = x->fd >= 0 ? x->written : 0;
		rc = perform(r, url, accept, tok, r->scheme == AUTH_BASIC, x, &cc, cerr);
		free(tok);
		if (rc < 0)
			goto out;
		rc = -1;
		if (x->too_big) {
			zerr(EFBIG, "%s: the registry sent more than %llu bytes", path,
			     (unsigned long long)(x->fd >= 0 ? (uint64_t)x->size : x->max));
			goto out;
		}
		if (x->io_err) {
			zerr(EIO, "%s: cannot store the download", path);
			goto out;
		}
		if (x->bad_range) {
			zerr(EPROTO, "%s: the registry answered a Range request with '%s'", path,
			     x->rs->content_range);
			goto out;
		}
		if (cc != CURLE_OK) {
			if (retryable(cc) && attempt < r->o.retries) {
				backoff(attempt++);
				continue;
			}
			if (cc == CURLE_OPERATION_TIMEDOUT)
				zerr(ETIMEDOUT, "%s%s: timed out (%s)", r->base, path, cerr);
			else
				zerr(EIO, "%s%s: %s", r->base, path, cerr);
			goto out;
		}
		if (x->rs->status == 401 && !reauthed) {
			struct auth_challenge c;
			reauthed = true;
			if (www_authenticate_parse(x->rs->www_auth, &c) < 0) {
				zerr_prefix("%s%s: HTTP 401", r->base, path);
				goto out;
			}
			if (c.scheme == AUTH_BASIC) {
				if (!r->user) {
					zerr(EACCES, "%s: authentication required: zone login %s",
					     r->host, r->host);
					goto out;
				}
				pthread_mutex_lock(&r->mu);
				r->scheme = AUTH_BASIC;
				pthread_mutex_unlock(&r->mu);
				continue;
			}
			/* a Bearer realm: a (new) token for the scope it names */
			pthread_mutex_lock(&r->mu);
			r->chal = c;
			r->scheme = AUTH_BEARER;
			pthread_mutex_unlock(&r->mu);
			if (c.scope[0] && strcmp(c.scope, scope) && strlen(c.scope) < sizeof(scope))
				snprintf(scope, sizeof(scope), "%s", c.scope);
			token_forget(r, scope);
			continue;
		}
		if (x->rs->status == 401 || x->rs->status == 403) {
			zerr(EACCES, "%s%s: access denied (HTTP %ld)%s", r->base, path, x->rs->status,
			     r->user ? "" : ": zone login first");
			goto out;
		}
		if ((x->rs->status >= 500 || x->rs->status == 429) && attempt < r->o.retries) {
			backoff(attempt++);
			continue;
		}
		/* a blob that ended early: ask for the rest */
		if (x->fd >= 0 && (x->rs->status == 200 || x->rs->status == 206) &&
		    x->written < (uint64_t)x->size && attempt < r->o.retries) {
			backoff(attempt++);
			continue;
		}
		rc = 0;
		break;
	}
out:
	free(url);
	return rc;
}

unsigned long registry_requests(const struct registry *r)
{
	return __atomic_load_n(&r->requests, __ATOMIC_RELAXED);
}

static int probe(struct registry *r)
{
	struct resp rs = { 0 };
	struct xfer x = { .rs = &rs, .fd = -1, .max = 1 << 20 };
	char cerr[CURL_ERROR_SIZE];
	CURLcode cc = CURLE_OK;

	for (unsigned attempt = 0;; attempt++) {
		char *url;
		x.len = 0;
		if (asprintf(&url, "%s/v2/", r->base) < 0)
			return zerr(ENOMEM, "probe");
		perform(r, url, NULL, NULL, false, &x, &cc, cerr);
		free(url);
		if ((cc != CURLE_OK && retryable(cc) && cc != CURLE_COULDNT_CONNECT) ||
		    (cc == CURLE_OK && rs.status >= 500)) {
			if (attempt < r->o.retries) {
				backoff(attempt);
				continue;
			}
		}
		break;
	}
	free(x.buf);
	if (cc != CURLE_OK) {
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
			return zerr(EACCES, "%s: TLS certificate not trusted (%s): give its CA with --ca-file, or --tls-verify=false",
				    r->base, cerr);
		if (cc == CURLE_SSL_CONNECT_ERROR && r->o.tls_verify)
			return zerr(EPROTO, "%s: TLS handshake failed (%s); a plain-HTTP registry needs --tls-verify=false",
				    r->base, cerr);
		return zerr(cc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO, "%s: %s", r->base,
			    cerr);
	}
	if (rs.status == 200)
		return 0;
	if (rs.status == 401) {
		struct auth_challenge c;
		if (www_authenticate_parse(rs.www_auth, &c) < 0)
			return zerr_prefix("%s/v2/: HTTP 401", r->base);
		r->scheme = c.scheme;
		if (c.scheme == AUTH_BEARER) {
			r->chal = c;
			r->chal.scope[0] = 0;
		}
		return 0;
	}
	return zerr(EPROTO, "%s/v2/: HTTP %ld: not an OCI registry", r->base, rs.status);
}

int registry_open(const char *host, const char *repository, const struct registry_opts *o,
		  struct registry **out)
{
	struct registry *r = calloc(1, sizeof(*r));
	const char *env;
	uint64_t v;

	if (!r)
		return zerr(ENOMEM, "registry");
	pthread_once(&curl_once, curl_init_once);
	pthread_mutex_init(&r->mu, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&r->share_mu[i], NULL);
	r->o = *o;
	if (!r->o.stall_seconds) {
		env = getenv("ZONE_PULL_STALL_SECONDS");
		r->o.stall_seconds = env && parse_uint(env, 1, 3600, &v) == 0 ? v : DEFAULT_STALL_SECONDS;
		zerr_clear();
	}
	if (!r->o.retries) {
		env = getenv("ZONE_PULL_RETRIES");
		r->o.retries = env && parse_uint(env, 0, 20, &v) == 0 ? v : DEFAULT_RETRIES;
		zerr_clear();
	}
	r->host = strdup(host);
	r->repo = repository ? strdup(repository) : NULL;
	r->share = curl_share_init();
	if (!r->host || (repository && !r->repo) || !r->share) {
		registry_close(r);
		return zerr(ENOMEM, "registry");
	}
	curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	if (o->username) {
		r->user = strdup(o->username);
		r->pass = strdup(o->password ? o->password : "");
	} else if (auth_lookup(host, &r->user, &r->pass) < 0) {
		registry_close(r);
		return -1;
	}
	/* Docker Hub's API lives on its own host */
	if (asprintf(&r->base, "https://%s",
		     strcmp(host, "docker.io") ? host : "registry-1.docker.io") < 0) {
		r->base = NULL;
		registry_close(r);
		return zerr(ENOMEM, "registry");
	}
	if (probe(r) < 0) {
		/* an insecure registry may speak plain HTTP */
		char msg[ZERR_MAX];
		if (r->o.tls_verify) {
			registry_close(r);
			return -1;
		}
		snprintf(msg, sizeof(msg), "%s", zerr_msg());
		free(r->base);
		if (asprintf(&r->base, "http://%s",
			     strcmp(host, "docker.io") ? host : "registry-1.docker.io") < 0) {
			r->base = NULL;
			registry_close(r);
			return zerr(ENOMEM, "registry");
		}
		if (probe(r) < 0) {
			char http_msg[ZERR_MAX];
			snprintf(http_msg, sizeof(http_msg), "%s", zerr_msg());
			zerr(zerr_errno(), "%s (over https: %s)", http_msg, msg);
			registry_close(r);
			return -1;
		}
	}
	*out = r;
	return 0;
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	if (r->share)
		curl_share_cleanup(r->share);
	for (size_t i = 0; i < r->ntokens; i++)
		free(r->tokens[i].value);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&r->share_mu[i]);
	pthread_mutex_destroy(&r->mu);
	free(r->host);
	free(r->repo);
	free(r->base);
	free(r->user);
	if (r->pass)
		explicit_bzero(r->pass, strlen(r->pass));
	free(r->pass);
	free(r);
}

int registry_check_login(struct registry *r)
{
	struct resp rs = { 0 };
	struct xfer x = { .rs = &rs, .fd = -1, .max = 1 << 20 };
	int rc;

	if (r->scheme == AUTH_NONE)
		return 0;
	if (!r->user)
		return zerr(EINVAL, "%s: no credentials", r->host);
	if (r->scheme == AUTH_BEARER)
		return token_fetch(r, &r->chal, "");
	rc = request(r, "/v2/", NULL, &x);
	free(x.buf);
	if (rc == 0 && rs.status != 200)
		return zerr(EACCES, "%s: login refused (HTTP %ld)", r->host, rs.status);
	return rc;
}

static int get_mem(struct registry *r, const char *path, const char *accept, size_t max,
		   const char *what, char **buf, size_t *len, struct resp *rs)
{
	struct xfer x = { .rs = rs, .fd = -1, .max = max };
	char why[256];

	if (request(r, path, accept, &x) < 0) {
		free(x.buf);
		return -1;
	}
	if (rs->status != 200) {
		describe_status(&x, why, sizeof(why));
		free(x.buf);
		return zerr(rs->status == 404 ? ENOENT : EPROTO, "%s %s/%s: %s", what, r->host,
			    r->repo, why);
	}
	*buf = x.buf ? x.buf : strdup("");
	*len = x.len;
	return *buf ? 0 : zerr(ENOMEM, "%s", what);
}

int registry_get_manifest(struct registry *r, const char *tag_or_digest, size_t max, char **buf,
			  size_t *len, char digest[DIGEST_STR_LEN + 1], char **media_type)
{
	struct resp rs = { 0 };
	z_autofree char *path = NULL;

	if (asprintf(&path, "/v2/%s/manifests/%s", r->repo, tag_or_digest) < 0)
		return zerr(ENOMEM, "manifest");
	if (get_mem(r, path, MANIFEST_ACCEPT, max, "manifest", buf, len, &rs) < 0) {
		if (zerr_errno() == EFBIG)
			return zerr(EFBIG, "manifest %s/%s:%s is larger than %zu bytes", r->host,
				    r->repo, tag_or_digest, max);
		return -1;
	}
	digest_buf(*buf, *len, digest);
	if (digest_valid(rs.docker_digest) && strcmp(rs.docker_digest, digest)) {
		free(*buf);
		return zerr(EPROTO, "manifest %s: the registry says %s, the content hashes to %s",
			    tag_or_digest, rs.docker_digest, digest);
	}
	if (media_type)
		*media_type = rs.content_type[0] ? strndup(rs.content_type,
							   strcspn(rs.content_type, "; "))
						 : NULL;
	return 0;
}

int registry_get_blob_mem(struct registry *r, const char *digest, size_t max, char **buf,
			  size_t *len)
{
	struct resp rs = { 0 };
	z_autofree char *path = NULL;

	if (asprintf(&path, "/v2/%s/blobs/%s", r->repo, digest) < 0)
		return zerr(ENOMEM, "blob");
	if (get_mem(r, path, NULL, max, "blob", buf, len, &rs) < 0)
		return zerr_errno() == EFBIG ? zerr(EFBIG, "blob %s is larger than %zu bytes",
						    digest, max)
					     : -1;
	return 0;
}

/* The bytes an earlier, interrupted download left in fd count as
 * received (hashed now); more than the blob's size starts over. */
static int resume_from(int fd, int64_t size, struct xfer *x)
{
	char buf[1 << 16];
	struct stat sb;
	off_t off = 0;

	if (fstat(fd, &sb) < 0)
		return zerr(errno, "stat download");
	if (sb.st_size > size) {
		if (ftruncate(fd, 0) < 0)
			return zerr(errno, "truncate download");
		sb.st_size = 0;
	}
	while (off < sb.st_size) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n <= 0)
			return zerr(n < 0 ? errno : EIO, "read download");
		digest_update(x->dg, buf, n);
		off += n;
	}
	if (lseek(fd, off, SEEK_SET) < 0)
		return zerr(errno, "seek download");
	x->written = off;
	return 0;
}

int registry_get_blob_file(struct registry *r, const char *digest, int64_t size, int fd,
			   progress_fn progress, void *progress_arg)
{
	struct resp rs = { 0 };
	struct xfer x = { .rs = &rs, .fd = fd, .size = size, .progress = progress,
			  .progress_arg = progress_arg };
	char got[DIGEST_STR_LEN + 1], why[256];
	z_autofree char *path = NULL;
	int rc = -1;

	if (asprintf(&path, "/v2/%s/blobs/%s", r->repo, digest) < 0)
		return zerr(ENOMEM, "blob");
	x.dg = digest_new();
	if (!x.dg)
		return zerr(ENOMEM, "blob");
	if (resume_from(fd, size, &x) < 0)
		goto out;
	if (x.written == (uint64_t)size)
		rs.status = 206; /* all there from an earlier pull */
	else if (request(r, path, NULL, &x) < 0)
		goto out;
	if (rs.status != 200 && rs.status != 206) {
		describe_status(&x, why, sizeof(why));
		zerr(rs.status == 404 ? ENOENT : EPROTO, "blob %s: %s", digest, why);
		goto out;
	}
	if (x.written != (uint64_t)size) {
		zerr(EPROTO, "blob %s: truncated: the registry sent %llu of %lld bytes", digest,
		     (unsigned long long)x.written, (long long)size);
		goto out;
	}
	digest_final(x.dg, got);
	if (strcmp(got, digest)) {
		zerr(EPROTO, "blob %s: digest mismatch (content hashes to %s)", digest, got);
		goto out;
	}
	rc = 0;
out:
	free(x.buf);
	digest_free(x.dg);
	return rc;
}
