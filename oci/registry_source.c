/* A registry as a struct oci_source: the manifest a reference names is the
 * source's one-entry index; manifests, indexes and configs are fetched
 * into memory on demand; layers are downloaded by prefetch, in parallel,
 * into the store's partial/ (where a killed pull's downloads are resumed),
 * each verified against its digest and size before the import reads it
 * and renames it into blobs/. */
#include "oci/pull.h"
#include "oci/manifest.h"
#include "oci/progress.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "oci/source.h"
#include "oci/strset.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CACHE_MAX 8
#define DEFAULT_JOBS 3

struct cached {
	char digest[DIGEST_STR_LEN + 1];
	char *buf;
	size_t len;
};

struct staged {
	const char *digest;
	char *path;
};

struct reg_source {
	struct registry *reg;
	const struct store *st;
	struct cached cache[CACHE_MAX];
	size_t ncache;
	struct strset manifests; /* digests an index listed: fetched from /manifests/ */
	struct staged *staged;
	size_t nstaged;
};

/* One layer download, run by a worker thread. */
struct job {
	const struct layer_desc *ld;
	char *path;
	struct progress_row *row;
	int rc;
	char err[ZERR_MAX];
};

struct pool {
	struct registry *reg;
	struct job *jobs;
	size_t njobs, next;
	bool failed;
	pthread_mutex_t mu;
};

static struct reg_source *priv(struct oci_source *s) { return s->priv; }

/* Remembers a manifest's bytes and, for an index, the digests it lists. */
static int cache_put(struct reg_source *rs, const char *digest, char *buf, size_t len)
{
	json_t *j, *list, *d;
	size_t i;

	if (rs->ncache == CACHE_MAX) {
		free(buf);
		return 0;
	}
	snprintf(rs->cache[rs->ncache].digest, sizeof(rs->cache[0].digest), "%s", digest);
	rs->cache[rs->ncache].buf = buf;
	rs->cache[rs->ncache++].len = len;
	j = json_loadb(buf, len, 0, NULL);
	list = json_object_get(j, "manifests");
	json_array_foreach(list, i, d) {
		const char *dg = json_string_value(json_object_get(d, "digest"));
		if (dg && digest_valid(dg) && strset_add(&rs->manifests, dg) < 0) {
			json_decref(j);
			return -1;
		}
	}
	json_decref(j);
	return 0;
}

static int memfd_with(const char *digest, const char *buf, size_t len, int *fd)
{
	*fd = memfd_create("zone-blob", MFD_CLOEXEC);
	if (*fd < 0)
		return zerr(errno, "memfd");
	if (write_all(*fd, buf, len) < 0 || lseek(*fd, 0, SEEK_SET) < 0) {
		close(*fd);
		return zerr(errno, "memfd");
	}
	return 0;
}

static int reg_open_blob(struct oci_source *s, const char *digest, int *fd)
{
	struct reg_source *rs = priv(s);
	char got[DIGEST_STR_LEN + 1];
	char *buf;
	size_t len;
	int rc;

	if (store_has_blob(rs->st, digest)) {
		z_autofree char *p = store_blob_path(rs->st, digest);
		*fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
		if (*fd >= 0)
			return 0;
	}
	for (size_t i = 0; i < rs->ncache; i++)
		if (!strcmp(rs->cache[i].digest, digest))
			return memfd_with(digest, rs->cache[i].buf, rs->cache[i].len, fd);
	if (strset_has(&rs->manifests, digest)) {
		/* one more than the limit, so the reader reports "too large" */
		if (registry_get_manifest(rs->reg, digest, MANIFEST_MAX + 1, &buf, &len, got,
					  NULL) < 0)
			return -1;
		if (strcmp(got, digest)) {
			free(buf);
			return zerr(EPROTO, "manifest %s: content hashes to %s", digest, got);
		}
		rc = memfd_with(digest, buf, len, fd);
		if (rc == 0 && cache_put(rs, digest, buf, len) < 0) {
			close(*fd);
			return -1;
		}
		if (rc < 0)
			free(buf);
		return rc;
	}
	if (registry_get_blob_mem(rs->reg, digest, MANIFEST_MAX + 1, &buf, &len) < 0)
		return -1;
	rc = memfd_with(digest, buf, len, fd);
	free(buf);
	return rc;
}

static const char *reg_staged_blob(struct oci_source *s, const char *digest)
{
	struct reg_source *rs = priv(s);

	for (size_t i = 0; i < rs->nstaged; i++)
		if (!strcmp(rs->staged[i].digest, digest))
			return rs->staged[i].path;
	return NULL;
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct job *j;
		int fd;

		pthread_mutex_lock(&p->mu);
		j = !p->failed && p->next < p->njobs ? &p->jobs[p->next++] : NULL;
		pthread_mutex_unlock(&p->mu);
		if (!j)
			return NULL;
		/* partial/: what a killed pull downloaded is resumed */
		fd = open(j->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			j->rc = zerr(errno, "create %s", j->path);
		else
			j->rc = registry_get_blob_file(p->reg, j->ld->digest, j->ld->size, fd,
						       progress_board_update, j->row);
		if (fd >= 0 && j->rc == 0 && fsync(fd) < 0)
			j->rc = zerr(errno, "fsync %s", j->path);
		if (fd >= 0)
			close(fd);
		/* wrong bytes are not worth resuming; a cut or a stall is */
		if (j->rc < 0 && (zerr_errno() == EPROTO || zerr_errno() == EFBIG))
			unlink(j->path);
		if (j->rc < 0) {
			snprintf(j->err, sizeof(j->err), "%s", zerr_msg());
			pthread_mutex_lock(&p->mu);
			p->failed = true;
			pthread_mutex_unlock(&p->mu);
		}
	}
}

static unsigned jobs_wanted(void)
{
	const char *env = getenv("ZONE_PULL_JOBS");
	uint64_t v;

	if (env && parse_uint(env, 1, 16, &v) == 0)
		return v;
	zerr_clear();
	return DEFAULT_JOBS;
}

static bool already(const struct job *jobs, size_t n, const char *digest)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(jobs[i].ld->digest, digest))
			return true;
	return false;
}

static int reg_prefetch(struct oci_source *s, const struct image_manifest *im,
			const struct store *st, const char *dir, bool progress)
{
	struct reg_source *rs = priv(s);
	struct pool p = { .reg = rs->reg };
	struct progress_board board;
	pthread_t tids[16];
	unsigned nthreads = jobs_wanted(), started = 0;
	int rc = 0;

	p.jobs = calloc(im->nlayers + 1, sizeof(*p.jobs));
	rs->staged = calloc(im->nlayers + 1, sizeof(*rs->staged));
	if (!p.jobs || !rs->staged) {
		free(p.jobs);
		return zerr(ENOMEM, "pull");
	}
	/* the layers the store lacks, each once */
	for (size_t i = 0; i < im->nlayers; i++) {
		const struct layer_desc *ld = &im->layers[i];
		if (store_has_blob(st, ld->digest) || already(p.jobs, p.njobs, ld->digest))
			continue;
		p.jobs[p.njobs].ld = ld;
		p.jobs[p.njobs].path = store_partial_path(st, ld->digest);
		if (!p.jobs[p.njobs].path) {
			rc = zerr(ENOMEM, "pull");
			goto out;
		}
		p.njobs++;
	}
	if (progress_board_start(&board, progress, p.njobs) < 0) {
		rc = zerr(ENOMEM, "pull");
		goto out;
	}
	for (size_t i = 0; i < p.njobs; i++) {
		char label[64];
		snprintf(label, sizeof(label), "%.19s", p.jobs[i].ld->digest);
		progress_board_label(&board, i, label, p.jobs[i].ld->size);
		p.jobs[i].row = &board.rows[i];
	}
	pthread_mutex_init(&p.mu, NULL);
	if (nthreads > p.njobs)
		nthreads = p.njobs;
	for (; started < nthreads; started++)
		if (pthread_create(&tids[started], NULL, worker, &p) != 0)
			break;
	if (started == 0 && p.njobs)
		worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.mu);
	progress_board_end(&board);
	for (size_t i = 0; i < p.njobs; i++) {
		if (p.jobs[i].rc < 0) {
			rc = zerr(EPROTO, "%s", p.jobs[i].err);
			goto out;
		}
	}
	for (size_t i = 0; i < p.njobs; i++) {
		if (!p.jobs[i].ld)
			continue;
		rs->staged[rs->nstaged].digest = p.jobs[i].ld->digest;
		rs->staged[rs->nstaged++].path = p.jobs[i].path;
		p.jobs[i].path = NULL;
	}
out:
	for (size_t i = 0; i < p.njobs; i++)
		free(p.jobs[i].path);
	free(p.jobs);
	return rc;
}

static void reg_free(struct oci_source *s)
{
	struct reg_source *rs = priv(s);

	if (!rs)
		return;
	registry_close(rs->reg);
	for (size_t i = 0; i < rs->ncache; i++)
		free(rs->cache[i].buf);
	for (size_t i = 0; i < rs->nstaged; i++)
		free(rs->staged[i].path);
	free(rs->staged);
	strset_clear(&rs->manifests);
	free(rs);
}

int source_open_registry(struct registry *reg, const struct image_ref *ref,
			 const struct store *st, struct oci_source **out)
{
	char digest[DIGEST_STR_LEN + 1], *buf = NULL, *ctype = NULL, *name = image_ref_string(ref);
	struct oci_source *s = name ? source_new("registry", name) : NULL;
	struct reg_source *rs = calloc(1, sizeof(*rs));
	const char *mt;
	json_error_t je;
	json_t *j = NULL;
	size_t len;

	free(name);
	if (!s || !rs) {
		free(s ? s->path : NULL);
		free(s);
		free(rs);
		registry_close(reg);
		return zerr(ENOMEM, "pull");
	}
	rs->reg = reg;
	rs->st = st;
	s->priv = rs;
	s->free_priv = reg_free;
	s->open_blob = reg_open_blob;
	s->staged_blob = reg_staged_blob;
	s->prefetch = reg_prefetch;
	if (registry_get_manifest(reg, image_ref_target(ref), MANIFEST_MAX, &buf, &len, digest,
				  &ctype) < 0)
		goto fail;
	if (ref->digest[0] && strcmp(ref->digest, digest)) {
		zerr(EPROTO, "manifest %s: content hashes to %s", ref->digest, digest);
		goto fail;
	}
	j = json_loadb(buf, len, 0, &je);
	if (!json_is_object(j)) {
		zerr(EPROTO, "manifest %s/%s:%s is not a JSON object (%s)", ref->registry,
		     ref->repository, image_ref_target(ref), j ? "" : je.text);
		goto fail;
	}
	mt = json_string_value(json_object_get(j, "mediaType"));
	if (!mt)
		mt = ctype ? ctype : "application/vnd.oci.image.manifest.v1+json";
	s->index = json_pack("{s:[{s:s, s:s, s:I}]}", "manifests", "mediaType", mt, "digest",
			     digest, "size", (json_int_t)len);
	if (!s->index) {
		zerr(ENOMEM, "pull");
		goto fail;
	}
	if (cache_put(rs, digest, buf, len) < 0) {
		buf = NULL; /* the cache owns it */
		goto fail;
	}
	json_decref(j);
	free(ctype);
	*out = s;
	return 0;
fail:
	json_decref(j);
	free(buf);
	free(ctype);
	source_free(s);
	return -1;
}
