#include "oci/registry_auth.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_FILE_MAX (1 << 20)

char *auth_file_path(void)
{
	const char *env = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");
	char *p;

	if (env && *env)
		return strdup(env);
	if (xdg && *xdg)
		return asprintf(&p, "%s/containers/auth.json", xdg) < 0 ? NULL : p;
	return asprintf(&p, "/run/containers/%u/auth.json", (unsigned)getuid()) < 0 ? NULL : p;
}

static char *docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char *p;

	if (dir && *dir)
		return asprintf(&p, "%s/config.json", dir) < 0 ? NULL : p;
	if (home && *home)
		return asprintf(&p, "%s/.docker/config.json", home) < 0 ? NULL : p;
	return NULL;
}

char *auth_encode(const char *user, const char *pass)
{
	size_t n = strlen(user) + 1 + strlen(pass);
	char *plain = malloc(n + 1), *out = malloc(4 * ((n + 2) / 3) + 1);

	if (!plain || !out) {
		free(plain);
		free(out);
		return NULL;
	}
	snprintf(plain, n + 1, "%s:%s", user, pass);
	EVP_EncodeBlock((unsigned char *)out, (unsigned char *)plain, n);
	explicit_bzero(plain, n);
	free(plain);
	return out;
}

int auth_decode(const char *b64, char **user, char **pass)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *out;
	char *colon;
	int len;

	if (n == 0 || n % 4 || n > 65536)
		return zerr(EINVAL, "bad \"auth\" entry (not base64)");
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return zerr(ENOMEM, "auth");
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, n);
	if (len < 0) {
		free(out);
		return zerr(EINVAL, "bad \"auth\" entry (not base64)");
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	while (pad < 2 && n > pad && b64[n - 1 - pad] == '=')
		pad++;
	len -= pad;
	out[len] = 0;
	colon = memchr(out, ':', len);
	if (!colon || strlen((char *)out) != (size_t)len) {
		free(out);
		return zerr(EINVAL, "bad \"auth\" entry (want base64 of user:password)");
	}
	*colon = 0;
	*user = strdup((char *)out);
	*pass = strdup(colon + 1);
	explicit_bzero(out, len);
	free(out);
	if (!*user || !*pass) {
		free(*user);
		free(*pass);
		*user = *pass = NULL;
		return zerr(ENOMEM, "auth");
	}
	return 0;
}

/* Loads {"auths": {...}} from path; a missing file is empty. */
static int load(const char *path, json_t **out)
{
	uint8_t *buf = NULL;
	size_t len;
	json_error_t je;

	if (read_file(path, AUTH_FILE_MAX, &buf, &len) < 0) {
		if (zerr_errno() == ENOENT) {
			zerr_clear();
			*out = json_pack("{s:{}}", "auths");
			return *out ? 0 : zerr(ENOMEM, "auth");
		}
		return -1;
	}
	*out = json_loadb((char *)buf, len, 0, &je);
	free(buf);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		return zerr(EINVAL, "%s: not a JSON object (%s)", path, je.text);
	}
	if (!json_object_get(*out, "auths"))
		json_object_set_new(*out, "auths", json_object());
	if (!json_is_object(json_object_get(*out, "auths"))) {
		json_decref(*out);
		return zerr(EINVAL, "%s: \"auths\" is not an object", path);
	}
	return 0;
}

/* The entry for host, as podman and docker key them. */
static json_t *entry_for(json_t *auths, const char *host)
{
	char key[512];
	json_t *e = json_object_get(auths, host);

	if (e)
		return e;
	snprintf(key, sizeof(key), "https://%s", host);
	if ((e = json_object_get(auths, key)))
		return e;
	if (!strcmp(host, "docker.io"))
		return json_object_get(auths, "https://index.docker.io/v1/");
	return NULL;
}

static int lookup_in(const char *path, const char *host, char **user, char **pass)
{
	json_t *j, *e;
	const char *b64;
	int rc = 0;

	if (!path || load(path, &j) < 0)
		return path ? zerr_prefix("credentials") : 0;
	e = entry_for(json_object_get(j, "auths"), host);
	b64 = json_string_value(json_object_get(e, "auth"));
	if (b64 && *b64 && auth_decode(b64, user, pass) < 0)
		rc = zerr_prefix("%s: %s", path, host);
	json_decref(j);
	return rc;
}

int auth_lookup(const char *host, char **user, char **pass)
{
	z_autofree char *own = auth_file_path(), *docker = docker_config_path();

	*user = *pass = NULL;
	if (lookup_in(own, host, user, pass) < 0)
		return -1;
	if (!*user && lookup_in(docker, host, user, pass) < 0)
		return -1;
	return 0;
}

static int mkdir_parents(char *dir)
{
	char *slash = strrchr(dir, '/');

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || !slash || slash == dir)
		return zerr(errno, "mkdir %s", dir);
	*slash = 0;
	if (mkdir_parents(dir) < 0)
		return -1;
	*slash = '/';
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : zerr(errno, "mkdir %s", dir);
}

/* mode 0600: the file holds credentials */
static int save(const char *path, json_t *j)
{
	z_autofree char *dir = strdup(path), *text = NULL, *line = NULL;

	if (!dir)
		return zerr(ENOMEM, "auth");
	text = json_dumps(j, JSON_INDENT(1));
	if (!text || asprintf(&line, "%s\n", text) < 0)
		return zerr(ENOMEM, "auth");
	*strrchr(dir, '/') = 0;
	if (*dir && mkdir_parents(dir) < 0)
		return -1;
	return write_file_atomic(path, line, strlen(line), 0600);
}

int auth_store(const char *host, const char *user, const char *pass)
{
	z_autofree char *path = auth_file_path(), *b64 = auth_encode(user, pass);
	json_t *j;
	int rc;

	if (!path || !b64)
		return zerr(ENOMEM, "auth");
	if (load(path, &j) < 0)
		return -1;
	json_object_set_new(json_object_get(j, "auths"), host, json_pack("{s:s}", "auth", b64));
	rc = save(path, j);
	json_decref(j);
	return rc;
}

int auth_remove(const char *host)
{
	z_autofree char *path = auth_file_path();
	json_t *j, *auths;
	int rc;

	if (!path)
		return zerr(ENOMEM, "auth");
	if (load(path, &j) < 0)
		return -1;
	auths = json_object_get(j, "auths");
	if (json_object_del(auths, host) < 0) {
		char key[512];
		snprintf(key, sizeof(key), "https://%s", host);
		if (json_object_del(auths, key) < 0) {
			json_decref(j);
			return zerr(ENOENT, "not logged in to %s", host);
		}
	}
	rc = save(path, j);
	json_decref(j);
	return rc;
}
