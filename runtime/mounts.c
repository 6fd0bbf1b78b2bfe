#include "runtime/mounts.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tags are per zone: zv0, zv1, ... in the order of the host paths. */
static void bind_tag(size_t n, char *tag, size_t len)
{
	snprintf(tag, len, "zv%zu", n);
}

static bool is_bind(json_t *m)
{
	return !strcmp(json_string_value(json_object_get(m, "type")) ?: "", "bind");
}

char **mounts_vmm_args(json_t *mounts)
{
	json_t *m;
	size_t i, n = 0, nbind = 0;
	char **args;

	json_array_foreach(mounts, i, m)
		nbind += is_bind(m);
	args = calloc(2 * nbind + 1, sizeof(*args));
	if (!args) {
		zerr(ENOMEM, "mounts");
		return NULL;
	}
	json_array_foreach(mounts, i, m) {
		char tag[24];
		if (!is_bind(m))
			continue;
		bind_tag(n / 2, tag, sizeof(tag));
		args[n] = strdup("--fs");
		if (!args[n++] ||
		    asprintf(&args[n++], "%s=%s%s", tag,
			     json_string_value(json_object_get(m, "source")),
			     json_is_true(json_object_get(m, "ro")) ? ",ro" : "") < 0) {
			args[n - 1] = NULL;
			mounts_free_args(args);
			zerr(ENOMEM, "mounts");
			return NULL;
		}
	}
	return args;
}

void mounts_free_args(char **args)
{
	for (size_t i = 0; args && args[i]; i++)
		free(args[i]);
	free(args);
}

int mounts_apply(struct idm_conn *c, json_t *mounts)
{
	json_t *m;
	size_t i, nbind = 0;

	json_array_foreach(mounts, i, m) {
		char tag[24];
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *slash = src ? strrchr(src, '/') : NULL;
		struct idm_mount im = {
			.fstype = is_bind(m) ? "virtiofs" : "tmpfs",
			.target = (char *)json_string_value(json_object_get(m, "target")),
			.read_only = json_is_true(json_object_get(m, "ro")),
			.nosuid = json_is_true(json_object_get(m, "nosuid")),
			.nodev = json_is_true(json_object_get(m, "nodev")),
			.noexec = json_is_true(json_object_get(m, "noexec")),
			.size = json_integer_value(json_object_get(m, "size")),
			.mode = json_integer_value(json_object_get(m, "mode")),
		};
		if (is_bind(m)) {
			bind_tag(nbind++, tag, sizeof(tag));
			im.source = tag;
			/* a shared file sits alone in its share, under its name */
			if (json_is_true(json_object_get(m, "file")) && slash)
				im.subpath = (char *)slash + 1;
		}
		if (!im.target)
			return zerr(EINVAL, "mount %zu has no target", i);
		if (idm_mount(c, &im) < 0)
			return zerr_prefix("mounting %s", im.target);
	}
	return 0;
}
