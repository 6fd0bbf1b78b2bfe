/* The content-addressed image store, under <root>/images:
 *   blobs/sha256/<hex>   manifests, configs and layers, verified on write
 *   disks/<hex>.erofs    flattened read-only rootfs, <hex> = config digest
 *   refs.json            {"refs": {"name:tag": {"manifest": d, "config": d}}}
 *   tmp/                 work files; emptied by the next writer
 *   partial/<hex>        a registry download cut short, resumed by the next
 *                        pull (not yet verified); removed by prune
 *   lock                 flock()ed by writers (import, rm, prune)
 * Every file appears by rename() after fsync, so a writer killed at any
 * point leaves only tmp/ junk and unreferenced blobs or disks. */
#ifndef ZONE_OCI_STORE_H
#define ZONE_OCI_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZONE_DEFAULT_ROOT "/var/lib/zone"

struct store {
	char *dir;   /* <root>/images */
	char *blobs; /* <root>/images/blobs/sha256 */
	char *disks;
	char *tmp;
	char *partial;
	int lockfd;
};

enum {
	STORE_READ = 0,     /* no lock: readers see whole files or none */
	STORE_LOCK = 1,     /* create the directories and take the writer lock */
	STORE_WRITE = 3,    /* STORE_LOCK and empty tmp/ (left by killed writers) */
};
/* root NULL: $ZONE_ROOT or ZONE_DEFAULT_ROOT.  Waits for other writers. */
int store_open(struct store *s, const char *root, int mode);
void store_close(struct store *s);

char *store_blob_path(const struct store *s, const char *digest);
char *store_disk_path(const struct store *s, const char *config_digest);
char *store_partial_path(const struct store *s, const char *digest);
bool store_has_blob(const struct store *s, const char *digest);
bool store_has_disk(const struct store *s, const char *config_digest);

/* Reads a blob of at most max bytes, checking its digest. */
int store_read_blob(const struct store *s, const char *digest, size_t max, char **buf,
		    size_t *len);
/* A new temp file (or directory with dir) under tmp/; *path is malloc'd. */
int store_mktemp(const struct store *s, const char *prefix, char **path, int *fd);
int store_mkdtemp(const struct store *s, const char *prefix, char **path);
/* fsync + rename a verified temp file into blobs/ (a no-op if present). */
int store_commit_blob(const struct store *s, const char *tmp_path, const char *digest);
int store_put_blob(const struct store *s, const char *digest, const void *buf, size_t len);
int store_commit_disk(const struct store *s, const char *tmp_path, const char *config_digest);

/* refs.json: a missing file is an empty set of refs. */
int store_refs_load(const struct store *s, json_t **refs);
int store_refs_save(const struct store *s, json_t *refs);

#endif
