/* oci-archive and docker-archive tars (what skopeo copy, podman save and
 * buildah push write).  The tar is read once; its regular files are staged
 * under the store's tmp/ and hashed on the way.  An oci-archive is a
 * tarred OCI layout; for a docker-archive, manifest.json is turned into
 * OCI manifests (staged like blobs) and an index that names them. */
#include "oci/digest.h"
#include "oci/fsat.h"
#include "oci/path.h"
#include "oci/source.h"
#include "oci/store.h"
#include "common/util.h"
#include "common/zerr.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JSON_MAX (4 << 20)

struct member {
	char *name;   /* sanitized member name */
	char *link;   /* symlink/hard link: sanitized target name */
	char *staged; /* regular file: staged copy */
	char digest[DIGEST_STR_LEN + 1];
	int64_t size;
};

struct staged {
	char *dir;
	struct member *m;
	size_t n, cap;
	unsigned counter;
};

static void staged_free(struct oci_source *s)
{
	struct staged *st = s->priv;

	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->m[i].name);
		free(st->m[i].link);
		free(st->m[i].staged);
	}
	free(st->m);
	if (st->dir)
		fsat_rm_tree(st->dir);
	free(st->dir);
	free(st);
}

static struct member *add_member(struct staged *st)
{
	if (st->n == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 32;
		struct member *m = realloc(st->m, nc * sizeof(*m));
		if (!m)
			return NULL;
		st->m = m;
		st->cap = nc;
	}
	memset(&st->m[st->n], 0, sizeof(st->m[0]));
	return &st->m[st->n++];
}

static struct member *by_name(struct staged *st, const char *name)
{
	for (int hops = 0; hops < 8; hops++) {
		struct member *hit = NULL;
		for (size_t i = st->n; i-- > 0;)
			if (!strcmp(st->m[i].name, name)) {
				hit = &st->m[i];
				break;
			}
		if (!hit || !hit->link)
			return hit;
		name = hit->link;
	}
	return NULL;
}

static struct member *by_digest(struct staged *st, const char *digest)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->m[i].staged && !strcmp(st->m[i].digest, digest))
			return &st->m[i];
	return NULL;
}

static int staged_open_blob(struct oci_source *s, const char *digest, int *fd)
{
	struct member *m = by_digest(s->priv, digest);

	if (!m)
		return zerr(0, "blob %s is missing from %s", digest, s->path);
	*fd = open(m->staged, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return zerr(errno, "open %s", m->staged);
	return 0;
}

static const char *staged_blob(struct oci_source *s, const char *digest)
{
	struct member *m = by_digest(s->priv, digest);

	return m ? m->staged : NULL;
}

/* Copies the member's data to a staged file, hashing it. */
static int stage(struct staged *st, struct archive *a, struct member *m)
{
	struct digest_ctx *dg = digest_new();
	char buf[65536];
	int fd, rc = -1;

	if (!dg)
		return zerr(ENOMEM, "stage");
	if (asprintf(&m->staged, "%s/%u", st->dir, st->counter++) < 0) {
		m->staged = NULL;
		digest_free(dg);
		return zerr(ENOMEM, "stage");
	}
	fd = open(m->staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		digest_free(dg);
		return zerr(errno, "create %s", m->staged);
	}
	m->size = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0) {
			zerr(0, "member %s: %s", m->name, archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
		digest_update(dg, buf, n);
		if (write_all(fd, buf, n) < 0) {
			zerr(errno, "write %s", m->staged);
			goto out;
		}
		m->size += n;
	}
	digest_final(dg, m->digest);
	rc = 0;
out:
	close(fd);
	digest_free(dg);
	return rc;
}

static int check_blob_name(const struct member *m)
{
	const char *p = "blobs/sha256/";
	char want[DIGEST_STR_LEN + 1];

	if (strncmp(m->name, p, strlen(p)) != 0)
		return 0;
	snprintf(want, sizeof(want), "sha256:%s", m->name + strlen(p));
	if (!digest_valid(want))
		return 0;
	if (strcmp(want, m->digest))
		return zerr(0, "archive member %s: digest mismatch (content hashes to %s)", m->name,
			    m->digest);
	return 0;
}

/* A symlink member's target as a member name: resolved lexically from the
 * member's directory; ".." may not climb above the archive's top. */
static int resolve_link(const char *name, const char *target, char **out)
{
	z_autofree char *buf = NULL;
	size_t pl = path_parent_len(name), n = 0;
	char *p, *save = NULL, *tok;

	*out = NULL;
	if (!target || !*target || target[0] == '/')
		return zerr(0, "symlink to '%.200s' refused", target ? target : "");
	if (asprintf(&buf, "%.*s/%s", (int)pl, name, target) < 0)
		return zerr(ENOMEM, "archive");
	*out = malloc(strlen(buf) + 1);
	if (!*out)
		return zerr(ENOMEM, "archive");
	for (p = buf; (tok = strtok_r(p, "/", &save)); p = NULL) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n == 0) {
				free(*out);
				*out = NULL;
				return zerr(0, "symlink to '%.200s' leaves the archive", target);
			}
			while (n > 0 && (*out)[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the slash */
			continue;
		}
		if (n)
			(*out)[n++] = '/';
		memcpy(*out + n, tok, strlen(tok));
		n += strlen(tok);
	}
	(*out)[n] = 0;
	return 0;
}

static int read_members(struct staged *st, const char *file)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = -1, r;

	if (!a)
		return zerr(ENOMEM, "archive");
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
		zerr(0, "%s: %s", file, archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct member *m;
		unsigned type;
		char *name;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			zerr(0, "%s: %s", file, archive_error_string(a));
			goto out;
		}
		if (!archive_entry_pathname(e) || path_sanitize(archive_entry_pathname(e), &name) < 0) {
			zerr_prefix("%s", file);
			goto out;
		}
		type = archive_entry_filetype(e);
		if (!archive_entry_hardlink(e) && type != AE_IFREG && type != AE_IFLNK) {
			free(name); /* directories and anything else carry nothing we use */
			continue;
		}
		m = add_member(st);
		if (!m) {
			free(name);
			zerr(ENOMEM, "archive");
			goto out;
		}
		m->name = name;
		if (archive_entry_hardlink(e)) {
			if (path_sanitize(archive_entry_hardlink(e), &m->link) < 0)
				goto bad_link;
		} else if (type == AE_IFLNK) {
			if (resolve_link(name, archive_entry_symlink(e), &m->link) < 0)
				goto bad_link;
		} else if (stage(st, a, m) < 0 || check_blob_name(m) < 0) {
			zerr_prefix("%s", file);
			goto out;
		}
	}
	rc = 0;
	goto out;
bad_link:
	zerr_prefix("%s: member %s", file, st->m[st->n - 1].name);
out:
	archive_read_free(a);
	return rc;
}

static json_t *member_json(struct staged *st, const char *file, const char *name)
{
	struct member *m = by_name(st, name);
	uint8_t *buf;
	size_t len;
	json_error_t je;
	json_t *j;

	if (!m || !m->staged) {
		zerr(0, "%s: no %s", file, name);
		return NULL;
	}
	if (read_file(m->staged, JSON_MAX, &buf, &len) < 0) {
		zerr_prefix("%s: %s", file, name);
		return NULL;
	}
	j = json_loadb((char *)buf, len, 0, &je);
	free(buf);
	if (!j)
		zerr(0, "%s: %s: %s", file, name, je.text);
	return j;
}

static const char *layer_type(const char *path)
{
	unsigned char b[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, b, 4) < 0)
			b[0] = 0;
		close(fd);
	}
	if (b[0] == 0x1f && b[1] == 0x8b)
		return "application/vnd.oci.image.layer.v1.tar+gzip";
	if (b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return "application/vnd.oci.image.layer.v1.tar+zstd";
	return "application/vnd.oci.image.layer.v1.tar";
}

/* Stages a synthesized blob (an OCI manifest made from manifest.json). */
static int stage_buf(struct staged *st, const char *text, struct member **out)
{
	struct member *m = add_member(st);
	int fd;

	if (!m || !(m->name = strdup("(synthesized manifest)")))
		return zerr(ENOMEM, "archive");
	if (asprintf(&m->staged, "%s/%u", st->dir, st->counter++) < 0) {
		m->staged = NULL;
		return zerr(ENOMEM, "archive");
	}
	fd = open(m->staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return zerr(errno, "create %s", m->staged);
	if (write_all(fd, text, strlen(text)) < 0) {
		close(fd);
		return zerr(errno, "write %s", m->staged);
	}
	close(fd);
	m->size = strlen(text);
	digest_buf(text, m->size, m->digest);
	*out = m;
	return 0;
}

static json_t *descriptor(const char *media, const struct member *m)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest", m->digest, "size",
			 (json_int_t)m->size);
}

static int docker_index(struct oci_source *s, struct staged *st)
{
	json_t *dm = member_json(st, s->path, "manifest.json"), *item, *idx = NULL;
	size_t i;
	int rc = -1;

	if (!dm)
		return -1;
	if (!json_is_array(dm) || json_array_size(dm) == 0) {
		zerr(0, "%s: manifest.json is not a non-empty array", s->path);
		goto out;
	}
	idx = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
	if (!idx)
		goto nomem;
	json_array_foreach(dm, i, item) {
		const char *cfg = json_string_value(json_object_get(item, "Config"));
		json_t *layers = json_object_get(item, "Layers"), *l, *man, *ls, *desc;
		json_t *tags = json_object_get(item, "RepoTags");
		struct member *cm, *mm = NULL;
		z_autofree char *text = NULL;
		size_t k;

		if (!cfg || !json_is_array(layers)) {
			zerr(0, "%s: manifest.json entry %zu lacks Config or Layers", s->path, i);
			goto out;
		}
		cm = by_name(st, cfg);
		if (!cm || !cm->staged) {
			zerr(0, "%s: config %s is missing", s->path, cfg);
			goto out;
		}
		ls = json_array();
		man = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
				"application/vnd.oci.image.manifest.v1+json", "config",
				descriptor("application/vnd.oci.image.config.v1+json", cm), "layers", ls);
		if (!ls || !man)
			goto nomem;
		json_array_foreach(layers, k, l) {
			struct member *lm = json_is_string(l) ? by_name(st, json_string_value(l)) : NULL;
			if (!lm || !lm->staged) {
				zerr(0, "%s: layer %s is missing", s->path,
				     json_is_string(l) ? json_string_value(l) : "(not a string)");
				json_decref(man);
				goto out;
			}
			json_array_append_new(ls, descriptor(layer_type(lm->staged), lm));
		}
		text = json_dumps(man, JSON_COMPACT);
		json_decref(man);
		if (!text || stage_buf(st, text, &mm) < 0)
			goto out;
		desc = descriptor("application/vnd.oci.image.manifest.v1+json", mm);
		if (!desc)
			goto nomem;
		if (json_is_array(tags) && json_is_string(json_array_get(tags, 0)))
			json_object_set_new(desc, "annotations",
					    json_pack("{s:O}", "io.containerd.image.name",
						      json_array_get(tags, 0)));
		json_array_append_new(json_object_get(idx, "manifests"), desc);
	}
	s->index = idx;
	idx = NULL;
	rc = 0;
	goto out;
nomem:
	zerr(ENOMEM, "archive");
out:
	json_decref(idx);
	json_decref(dm);
	return rc;
}

int source_open_archive(const char *file, const struct store *store, struct oci_source **out)
{
	struct oci_source *s = source_new("archive", file);
	struct staged *st = calloc(1, sizeof(*st));

	if (!s || !st) {
		free(st);
		source_free(s);
		return zerr(ENOMEM, "archive");
	}
	s->priv = st;
	s->free_priv = staged_free;
	s->open_blob = staged_open_blob;
	s->staged_blob = staged_blob;
	if (store_mkdtemp(store, "stage", &st->dir) < 0 || read_members(st, file) < 0)
		goto fail;
	if (by_name(st, "index.json")) {
		s->kind = "oci-archive";
		s->index = member_json(st, file, "index.json");
		if (!s->index)
			goto fail;
	} else if (by_name(st, "manifest.json")) {
		s->kind = "docker-archive";
		if (docker_index(s, st) < 0)
			goto fail;
	} else {
		zerr(0, "%s: neither an oci-archive (no index.json) nor a docker-archive "
			"(no manifest.json)", file);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	source_free(s);
	return -1;
}
