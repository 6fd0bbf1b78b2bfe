#include "oci/pull.h"
#include "oci/image.h"
#include "oci/progress.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "oci/registry_conf.h"
#include "oci/source.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registry that serves ref: its mirrors in order, then itself. */
static int open_source(const struct image_ref *ref, const struct registry_conf *conf,
		       const struct pull_opts *o, const struct store *st, struct oci_source **out)
{
	for (size_t i = 0;; i++) {
		const char *mirror = registry_conf_mirror(conf, ref->registry, i);
		const char *host = mirror ? mirror : ref->registry;
		struct registry_opts ro = {
			.tls_verify = o->tls_verify && !registry_conf_insecure(conf, host),
			.ca_file = o->ca_file,
		};
		struct registry *reg;

		if (registry_open(host, ref->repository, &ro, &reg) == 0 &&
		    source_open_registry(reg, ref, st, out) == 0)
			return 0;
		if (!mirror)
			return -1; /* the registry's own error says most */
		if (o->progress)
			fprintf(stderr, "zone: mirror %s: %s; trying the next\n", mirror, zerr_msg());
		zerr_clear();
	}
}

int image_pull(struct store *st, const char *refstr, const struct pull_opts *o, char **name_out)
{
	struct import_opts io = { .platform = o->platform, .progress = o->progress,
				  .max_bytes = o->max_bytes };
	struct registry_conf conf;
	struct oci_source *src;
	struct image_ref ref;
	char *name;
	int rc;

	if (image_ref_parse(refstr, &ref) < 0)
		return zerr_prefix("pull");
	name = image_ref_string(&ref);
	if (!name) {
		image_ref_free(&ref);
		return zerr(ENOMEM, "pull");
	}
	if (registry_conf_load(NULL, &conf) < 0) {
		free(name);
		image_ref_free(&ref);
		return zerr_prefix("pull %s", refstr);
	}
	rc = open_source(&ref, &conf, o, st, &src);
	registry_conf_free(&conf);
	image_ref_free(&ref);
	if (rc < 0) {
		zerr_prefix("pull %s", name);
		free(name);
		return -1;
	}
	io.name = name;
	rc = image_import_from(st, src, name, &io, name_out);
	free(name);
	return rc;
}
