/* Registry credentials in containers' auth.json format
 * ({"auths": {"HOST": {"auth": base64("user:password")}}}), which docker's
 * ~/.docker/config.json shares.  zone writes $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/<uid>/auth.json
 * (where podman keeps them), atomically and with mode 0600; it reads that
 * file, then $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
#ifndef ZONE_OCI_REGISTRY_AUTH_H
#define ZONE_OCI_REGISTRY_AUTH_H

/* The file zone login writes (malloc'd). */
char *auth_file_path(void);
/* Credentials for host; *user stays NULL when there are none. */
int auth_lookup(const char *host, char **user, char **pass);
int auth_store(const char *host, const char *user, const char *pass);
/* Removes host's entry; ENOENT (zerr) when there was none. */
int auth_remove(const char *host);

/* base64("user:pass") and back (for tests too). */
char *auth_encode(const char *user, const char *pass);
int auth_decode(const char *b64, char **user, char **pass);

#endif
