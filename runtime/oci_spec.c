/* config.json -> struct oci_spec.  Type errors are worded as Go's
 * encoding/json words them for runc ("json: cannot unmarshal string into
 * Go struct field Process.process.args of type []string"): the innermost
 * Go struct name, then the field path from the top.  Semantic checks
 * follow runc's validation (process, args, cwd, rlimits, namespaces). */
#include "runtime/oci_spec.h"
#include "common/caps.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX (16u << 20)

/* Where a value sits: Go struct name and the dotted field path. */
struct at {
	const char *gostruct;
	const char *path; /* e.g. "process.user"; "" at the top */
};

static const char *json_kind(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return "null";
	}
}

static int type_error(json_t *v, struct at at, const char *field, const char *gotype)
{
	char num[64] = "";

	/* Go names the number when it fits the kind but not the type */
	if (json_is_integer(v) && strstr(gotype, "int"))
		snprintf(num, sizeof(num), " %lld", (long long)json_integer_value(v));
	else if (json_is_real(v) && strstr(gotype, "int"))
		snprintf(num, sizeof(num), " %g", json_real_value(v));
	return zerr(0, "json: cannot unmarshal %s%s into Go struct field %s.%s%s%s of type %s",
		    json_kind(v), num, at.gostruct, at.path, *at.path ? "." : "", field, gotype);
}

/* A whole number that fits in int64 (numbers are reals in documents with a
 * uint64 beyond INT64_MAX, see load_text). */
static bool integral(double d)
{
	return d >= -9223372036854775808.0 && d < 9223372036854775808.0 && (double)(long long)d == d;
}

static bool absent(json_t *v)
{
	return !v || json_is_null(v);
}

static int get_string(json_t *o, const char *key, struct at at, char **out)
{
	json_t *v = json_object_get(o, key);

	if (absent(v))
		return 0;
	if (!json_is_string(v))
		return type_error(v, at, key, "string");
	free(*out);
	*out = strdup(json_string_value(v));
	return *out ? 0 : zerr(ENOMEM, "config.json");
}

static int get_bool(json_t *o, const char *key, struct at at, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (absent(v))
		return 0;
	if (!json_is_boolean(v))
		return type_error(v, at, key, "bool");
	*out = json_is_true(v);
	return 0;
}

/* An integer of Go type gotype within [min, max]; *present tells it was there. */
static int get_int(json_t *o, const char *key, struct at at, const char *gotype, long long min,
		   long long max, long long *out, bool *present)
{
	json_t *v = json_object_get(o, key);

	if (absent(v))
		return 0;
	if (json_is_real(v) && integral(json_real_value(v)) && json_real_value(v) >= (double)min &&
	    json_real_value(v) <= (double)max) {
		*out = json_real_value(v); /* a document with a uint64 was read as reals */
	} else {
		if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
			return type_error(v, at, key, gotype);
		*out = json_integer_value(v);
	}
	if (present)
		*present = true;
	return 0;
}

/* uint64 values above INT64_MAX arrive as reals from jansson. */
static int get_u64(json_t *o, const char *key, struct at at, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (absent(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) <= 18446744073709551616.0) {
		double d = json_real_value(v);
		/* UINT64_MAX (RLIM_INFINITY) reads as 2^64 */
		if (d == 18446744073709551616.0) {
			*out = UINT64_MAX;
			return 0;
		}
		if ((double)(uint64_t)d == d) {
			*out = (uint64_t)d;
			return 0;
		}
	}
	return type_error(v, at, key, "uint64");
}

static int get_strv(json_t *o, const char *key, struct at at, char ***out)
{
	json_t *a = json_object_get(o, key), *e;
	size_t i;

	if (absent(a))
		return (*out = calloc(1, sizeof(char *))) ? 0 : zerr(ENOMEM, "config.json");
	if (!json_is_array(a))
		return type_error(a, at, key, "[]string");
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return zerr(ENOMEM, "config.json");
	json_array_foreach(a, i, e) {
		if (!json_is_string(e))
			return type_error(e, at, key, "string");
		if (!((*out)[i] = strdup(json_string_value(e))))
			return zerr(ENOMEM, "config.json");
	}
	return 0;
}

/* An object field: NULL when absent, an error when not an object. */
static int get_obj(json_t *o, const char *key, struct at at, const char *gotype, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (absent(v))
		return 0;
	if (!json_is_object(v))
		return type_error(v, at, key, gotype);
	*out = v;
	return 0;
}

/* An array-of-objects field: check the shape, return the array (or NULL). */
static int get_obj_array(json_t *o, const char *key, struct at at, const char *gotype, json_t **out)
{
	json_t *a = json_object_get(o, key), *e;
	size_t i;

	*out = NULL;
	if (absent(a))
		return 0;
	if (!json_is_array(a))
		return type_error(a, at, key, gotype);
	json_array_foreach(a, i, e)
		if (!json_is_object(e))
			return type_error(e, at, key, gotype + 2); /* "[]specs.X" -> "specs.X" */
	*out = a;
	return 0;
}

/* A map[string]string field: checked, returned as is (or NULL). */
static int get_string_map(json_t *o, const char *key, struct at at, json_t **out)
{
	json_t *m = json_object_get(o, key), *v;
	const char *k;

	*out = NULL;
	if (absent(m))
		return 0;
	if (!json_is_object(m))
		return type_error(m, at, key, "map[string]string");
	json_object_foreach(m, k, v)
		if (!json_is_string(v))
			return type_error(v, at, key, "string");
	*out = m;
	return 0;
}

static const char *const rlimit_names[] = {
	[RLIMIT_CPU] = "RLIMIT_CPU",	       [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA",	       [RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE",	       [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

int oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i] && !strcmp(rlimit_names[i], name))
			return i;
	return -1;
}

int oci_cap_from_name(const char *name)
{
	return cap_from_name(name, 1);
}

static int get_cap_set(json_t *o, const char *key, struct at at, uint64_t *mask)
{
	char **names = NULL;

	if (get_strv(o, key, at, &names) < 0) {
		strv_free(names);
		return -1;
	}
	for (size_t i = 0; names[i]; i++) {
		int cap = oci_cap_from_name(names[i]);
		if (cap >= 0) /* runc ignores capabilities it does not know */
			*mask |= 1ULL << cap;
	}
	strv_free(names);
	return 0;
}

static int parse_process_obj(json_t *p, struct oci_process *out)
{
	struct at proc = { "Process", "process" }, user_at = { "User", "process.user" };
	struct at box = { "Box", "process.consoleSize" }, caps_at = { "LinuxCapabilities", "process.capabilities" };
	struct at rl_at = { "POSIXRlimit", "process.rlimits" };
	json_t *user, *size, *caps, *rlimits, *e, *gids;
	long long v = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (get_bool(p, "terminal", proc, &out->terminal) < 0 ||
	    get_obj(p, "consoleSize", proc, "specs.Box", &size) < 0)
		return -1;
	if (size) {
		long long h = 0, w = 0;
		if (get_int(size, "height", box, "uint", 0, UINT32_MAX, &h, NULL) < 0 ||
		    get_int(size, "width", box, "uint", 0, UINT32_MAX, &w, NULL) < 0)
			return -1;
		out->console_height = h;
		out->console_width = w;
	}
	if (get_obj(p, "user", proc, "specs.User", &user) < 0)
		return -1;
	if (user) {
		bool has = false;
		if (get_int(user, "uid", user_at, "uint32", 0, UINT32_MAX, &v, NULL) < 0)
			return -1;
		out->uid = v;
		v = 0;
		if (get_int(user, "gid", user_at, "uint32", 0, UINT32_MAX, &v, NULL) < 0)
			return -1;
		out->gid = v;
		v = 0;
		if (get_int(user, "umask", user_at, "uint32", 0, UINT32_MAX, &v, &has) < 0)
			return -1;
		out->has_umask = has;
		out->umask = v;
		if (get_string(user, "username", user_at, &out->username) < 0)
			return -1;
		gids = json_object_get(user, "additionalGids");
		if (!absent(gids)) {
			if (!json_is_array(gids))
				return type_error(gids, user_at, "additionalGids", "[]uint32");
			out->additional_gids = calloc(json_array_size(gids) + 1, sizeof(uint32_t));
			if (!out->additional_gids)
				return zerr(ENOMEM, "config.json");
			json_array_foreach(gids, i, e) {
				double d = json_is_real(e) ? json_real_value(e) : json_integer_value(e);
				if (!json_is_number(e) || d < 0 || d > UINT32_MAX || !integral(d))
					return type_error(e, user_at, "additionalGids", "uint32");
				out->additional_gids[out->n_additional_gids++] = (uint32_t)d;
			}
		}
	}
	if (get_strv(p, "args", proc, &out->args) < 0 || get_strv(p, "env", proc, &out->env) < 0 ||
	    get_string(p, "cwd", proc, &out->cwd) < 0 ||
	    get_obj(p, "capabilities", proc, "specs.LinuxCapabilities", &caps) < 0)
		return -1;
	if (caps) {
		out->has_caps = true;
		if (get_cap_set(caps, "bounding", caps_at, &out->caps.bounding) < 0 ||
		    get_cap_set(caps, "effective", caps_at, &out->caps.effective) < 0 ||
		    get_cap_set(caps, "inheritable", caps_at, &out->caps.inheritable) < 0 ||
		    get_cap_set(caps, "permitted", caps_at, &out->caps.permitted) < 0 ||
		    get_cap_set(caps, "ambient", caps_at, &out->caps.ambient) < 0)
			return -1;
	}
	if (get_obj_array(p, "rlimits", proc, "[]specs.POSIXRlimit", &rlimits) < 0)
		return -1;
	if (rlimits) {
		out->rlimits = calloc(json_array_size(rlimits) + 1, sizeof(*out->rlimits));
		if (!out->rlimits)
			return zerr(ENOMEM, "config.json");
		json_array_foreach(rlimits, i, e) {
			struct oci_rlimit *r = &out->rlimits[out->n_rlimits];
			char *type = NULL;
			if (get_string(e, "type", rl_at, &type) < 0 ||
			    get_u64(e, "hard", rl_at, &r->hard) < 0 || get_u64(e, "soft", rl_at, &r->soft) < 0) {
				free(type);
				return -1;
			}
			r->resource = oci_rlimit_from_name(type ? type : "");
			if (r->resource < 0) {
				zerr(0, "wrong rlimit value: %s", type ? type : "");
				free(type);
				return -1;
			}
			free(type);
			out->n_rlimits++;
		}
	}
	if (get_bool(p, "noNewPrivileges", proc, &out->no_new_privileges) < 0 ||
	    get_string(p, "apparmorProfile", proc, &out->apparmor_profile) < 0 ||
	    get_string(p, "selinuxLabel", proc, &out->selinux_label) < 0 ||
	    get_int(p, "oomScoreAdj", proc, "int", INT32_MIN, INT32_MAX, &v, &out->has_oom_score_adj) < 0)
		return -1;
	if (out->has_oom_score_adj && (v < -1000 || v > 1000))
		return zerr(0, "oomScoreAdj %lld is out of range [-1000, 1000]", v);
	out->oom_score_adj = out->has_oom_score_adj ? v : 0;
	return 0;
}

/* runc's checks on a process (libcontainer/specconv and validate). */
static int validate_process(const struct oci_process *p)
{
	if (!p->args || !p->args[0])
		return zerr(0, "args must not be empty");
	if (!p->cwd || *p->cwd != '/')
		return zerr(0, "Cwd must be an absolute path");
	for (size_t i = 0; p->env && p->env[i]; i++)
		if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
			return zerr(0, "invalid environment variable %s", p->env[i]);
	return 0;
}

static int parse_hooks(json_t *hooks, struct oci_spec *s)
{
	static const char *const keys[OCI_HOOK_KINDS] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
	};
	struct at hooks_at = { "Hooks", "hooks" };

	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		char path[64];
		struct at hook_at = { "Hook", path };
		json_t *a, *e;
		size_t i;

		snprintf(path, sizeof(path), "hooks.%s", keys[k]);
		if (get_obj_array(hooks, keys[k], hooks_at, "[]specs.Hook", &a) < 0)
			return -1;
		if (!a)
			continue;
		s->hooks[k].hooks = calloc(json_array_size(a) + 1, sizeof(struct oci_hook));
		if (!s->hooks[k].hooks)
			return zerr(ENOMEM, "config.json");
		json_array_foreach(a, i, e) {
			struct oci_hook *h = &s->hooks[k].hooks[s->hooks[k].n++];
			long long t = 0;
			if (get_string(e, "path", hook_at, &h->path) < 0 ||
			    get_strv(e, "args", hook_at, &h->args) < 0 ||
			    get_strv(e, "env", hook_at, &h->env) < 0 ||
			    get_int(e, "timeout", hook_at, "int", INT32_MIN, INT32_MAX, &t, NULL) < 0)
				return -1;
			if (t < 0 || (t == 0 && json_object_get(e, "timeout") &&
				      !json_is_null(json_object_get(e, "timeout"))))
				return zerr(0, "hook %s: timeout must be a positive number of seconds",
					    h->path ? h->path : "");
			h->timeout = t;
			if (!h->path || *h->path != '/')
				return zerr(0, "hook path %s is not absolute", h->path ? h->path : "\"\"");
		}
	}
	return 0;
}

static int parse_mounts(json_t *spec, struct oci_spec *s)
{
	struct at spec_at = { "Spec", "" }, m_at = { "Mount", "mounts" };
	json_t *a, *e;
	size_t i;

	if (get_obj_array(spec, "mounts", spec_at, "[]specs.Mount", &a) < 0)
		return -1;
	if (!a)
		return 0;
	s->mounts = calloc(json_array_size(a) + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return zerr(ENOMEM, "config.json");
	json_array_foreach(a, i, e) {
		struct oci_mount *m = &s->mounts[s->n_mounts++];
		if (get_string(e, "destination", m_at, &m->destination) < 0 ||
		    get_string(e, "type", m_at, &m->type) < 0 ||
		    get_string(e, "source", m_at, &m->source) < 0 ||
		    get_strv(e, "options", m_at, &m->options) < 0)
			return -1;
		if (!m->destination || *m->destination != '/')
			return zerr(0, "mount destination %s not absolute",
				    m->destination ? m->destination : "");
	}
	return 0;
}

static const char *const ns_types[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };

static int parse_linux_lists(json_t *lx, struct oci_spec *s)
{
	struct at lx_at = { "Linux", "linux" }, ns_at = { "LinuxNamespace", "linux.namespaces" };
	struct at dev_at = { "LinuxDevice", "linux.devices" };
	json_t *a, *e, *map, *v;
	const char *k;
	size_t i;

	if (get_obj_array(lx, "namespaces", lx_at, "[]specs.LinuxNamespace", &a) < 0)
		return -1;
	if (a) {
		s->namespaces = calloc(json_array_size(a) + 1, sizeof(*s->namespaces));
		if (!s->namespaces)
			return zerr(ENOMEM, "config.json");
		json_array_foreach(a, i, e) {
			struct oci_namespace *n = &s->namespaces[s->n_namespaces++];
			bool known = false;
			if (get_string(e, "type", ns_at, &n->type) < 0 || get_string(e, "path", ns_at, &n->path) < 0)
				return -1;
			for (size_t t = 0; n->type && t < ARRAY_SIZE(ns_types); t++)
				known |= !strcmp(n->type, ns_types[t]);
			if (!known)
				return zerr(0, "namespace {\"%s\" \"%s\"} does not exist",
					    n->type ? n->type : "", n->path ? n->path : "");
			for (size_t j = 0; j + 1 < s->n_namespaces; j++)
				if (!strcmp(s->namespaces[j].type, n->type))
					return zerr(0, "malformed spec file: duplicated ns \"%s\"", n->type);
		}
	}
	if (get_obj_array(lx, "devices", lx_at, "[]specs.LinuxDevice", &a) < 0)
		return -1;
	if (a) {
		s->devices = calloc(json_array_size(a) + 1, sizeof(*s->devices));
		if (!s->devices)
			return zerr(ENOMEM, "config.json");
		json_array_foreach(a, i, e) {
			struct oci_device *d = &s->devices[s->n_devices++];
			long long mode = 0, uid = 0, gid = 0, major = 0, minor = 0;
			if (get_string(e, "path", dev_at, &d->path) < 0 || get_string(e, "type", dev_at, &d->type) < 0 ||
			    get_int(e, "major", dev_at, "int64", INT64_MIN, INT64_MAX, &major, NULL) < 0 ||
			    get_int(e, "minor", dev_at, "int64", INT64_MIN, INT64_MAX, &minor, NULL) < 0 ||
			    get_int(e, "fileMode", dev_at, "fs.FileMode", 0, UINT32_MAX, &mode, &d->has_mode) < 0 ||
			    get_int(e, "uid", dev_at, "uint32", 0, UINT32_MAX, &uid, &d->has_uid) < 0 ||
			    get_int(e, "gid", dev_at, "uint32", 0, UINT32_MAX, &gid, &d->has_gid) < 0)
				return -1;
			d->major = major;
			d->minor = minor;
			d->file_mode = mode;
			d->uid = uid;
			d->gid = gid;
			if (!d->path || *d->path != '/')
				return zerr(0, "device path %s is not absolute", d->path ? d->path : "");
			if (!d->type || !strchr("cbup", d->type[0]) || d->type[1])
				return zerr(0, "device %s: unknown type \"%s\"", d->path, d->type ? d->type : "");
		}
	}
	if (get_strv(lx, "maskedPaths", lx_at, &s->masked_paths) < 0 ||
	    get_strv(lx, "readonlyPaths", lx_at, &s->readonly_paths) < 0 ||
	    get_string(lx, "cgroupsPath", lx_at, &s->cgroups_path) < 0 ||
	    get_string_map(lx, "sysctl", lx_at, &map) < 0)
		return -1;
	s->sysctl = calloc((map ? json_object_size(map) : 0) + 1, sizeof(char *));
	if (!s->sysctl)
		return zerr(ENOMEM, "config.json");
	i = 0;
	json_object_foreach(map, k, v)
		if (asprintf(&s->sysctl[i++], "%s=%s", k, json_string_value(v)) < 0)
			return zerr(ENOMEM, "config.json");
	return 0;
}

static const char *const seccomp_actions[] = {
	"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
};
static const char *const seccomp_ops[] = {
	"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
	"SCMP_CMP_MASKED_EQ",
};

static bool one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, set[i]))
			return true;
	return false;
}

/* Check a LinuxSeccomp object's types and names; it is applied in the zone. */
static int check_seccomp(json_t *sc)
{
	struct at sc_at = { "LinuxSeccomp", "linux.seccomp" }, sys_at = { "LinuxSyscall", "linux.seccomp.syscalls" };
	struct at arg_at = { "LinuxSeccompArg", "linux.seccomp.syscalls.args" };
	json_t *calls, *c, *args, *a;
	char *action = NULL, **strs = NULL;
	long long n;
	size_t i, j;
	int r = -1;

	if (get_string(sc, "defaultAction", sc_at, &action) < 0)
		goto out;
	if (!one_of(action, seccomp_actions, ARRAY_SIZE(seccomp_actions))) {
		zerr(0, "invalid action %s", action ? action : "\"\"");
		goto out;
	}
	if (get_int(sc, "defaultErrnoRet", sc_at, "uint", 0, UINT32_MAX, &n, NULL) < 0 ||
	    get_strv(sc, "architectures", sc_at, &strs) < 0)
		goto out;
	strv_free(strs);
	strs = NULL;
	if (get_strv(sc, "flags", sc_at, &strs) < 0 ||
	    get_obj_array(sc, "syscalls", sc_at, "[]specs.LinuxSyscall", &calls) < 0)
		goto out;
	json_array_foreach(calls, i, c) {
		strv_free(strs);
		strs = NULL;
		free(action);
		action = NULL;
		if (get_strv(c, "names", sys_at, &strs) < 0 || get_string(c, "action", sys_at, &action) < 0 ||
		    get_int(c, "errnoRet", sys_at, "uint", 0, UINT32_MAX, &n, NULL) < 0 ||
		    get_obj_array(c, "args", sys_at, "[]specs.LinuxSeccompArg", &args) < 0)
			goto out;
		if (!one_of(action, seccomp_actions, ARRAY_SIZE(seccomp_actions))) {
			zerr(0, "invalid action %s", action ? action : "\"\"");
			goto out;
		}
		json_array_foreach(args, j, a) {
			uint64_t u = 0;
			char *op = NULL;
			if (get_int(a, "index", arg_at, "uint", 0, 5, &n, NULL) < 0 ||
			    get_u64(a, "value", arg_at, &u) < 0 || get_u64(a, "valueTwo", arg_at, &u) < 0 ||
			    get_string(a, "op", arg_at, &op) < 0)
				goto out;
			if (!one_of(op, seccomp_ops, ARRAY_SIZE(seccomp_ops))) {
				zerr(0, "invalid operator %s", op ? op : "\"\"");
				free(op);
				goto out;
			}
			free(op);
		}
	}
	r = 0;
out:
	free(action);
	strv_free(strs);
	return r;
}

/* "0-3,6" -> 5 */
static int count_cpus(const char *list, unsigned *n)
{
	const char *p = list;

	*n = 0;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -1;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -1;
		}
		if (b - a >= 4096)
			return -1;
		*n += b - a + 1;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

/* Type-check linux.resources and size the zone from CPU and memory. */
static int parse_resources(json_t *res, struct oci_spec *s)
{
	struct at res_at = { "LinuxResources", "linux.resources" };
	struct at mem_at = { "LinuxMemory", "linux.resources.memory" }, cpu_at = { "LinuxCPU", "linux.resources.cpu" };
	struct at pids_at = { "LinuxPids", "linux.resources.pids" };
	json_t *mem, *cpu, *pids, *devs;
	long long limit = 0, quota = 0, x;
	uint64_t period = 0, u;
	char *cpus = NULL, *mems = NULL;
	bool b;

	if (get_obj(res, "memory", res_at, "specs.LinuxMemory", &mem) < 0 ||
	    get_obj(res, "cpu", res_at, "specs.LinuxCPU", &cpu) < 0 ||
	    get_obj(res, "pids", res_at, "specs.LinuxPids", &pids) < 0 ||
	    get_obj_array(res, "devices", res_at, "[]specs.LinuxDeviceCgroup", &devs) < 0)
		return -1;
	if (mem && (get_int(mem, "limit", mem_at, "int64", INT64_MIN, INT64_MAX, &limit, NULL) < 0 ||
		    get_int(mem, "reservation", mem_at, "int64", INT64_MIN, INT64_MAX, &x, NULL) < 0 ||
		    get_int(mem, "swap", mem_at, "int64", INT64_MIN, INT64_MAX, &x, NULL) < 0 ||
		    get_int(mem, "kernel", mem_at, "int64", INT64_MIN, INT64_MAX, &x, NULL) < 0 ||
		    get_int(mem, "kernelTCP", mem_at, "int64", INT64_MIN, INT64_MAX, &x, NULL) < 0 ||
		    get_u64(mem, "swappiness", mem_at, &u) < 0 ||
		    get_bool(mem, "disableOOMKiller", mem_at, &b) < 0 ||
		    get_bool(mem, "useHierarchy", mem_at, &b) < 0))
		return -1;
	if (cpu && (get_u64(cpu, "shares", cpu_at, &u) < 0 ||
		    get_int(cpu, "quota", cpu_at, "int64", INT64_MIN, INT64_MAX, &quota, NULL) < 0 ||
		    get_u64(cpu, "period", cpu_at, &period) < 0 ||
		    get_int(cpu, "realtimeRuntime", cpu_at, "int64", INT64_MIN, INT64_MAX, &x, NULL) < 0 ||
		    get_u64(cpu, "realtimePeriod", cpu_at, &u) < 0 ||
		    get_string(cpu, "cpus", cpu_at, &cpus) < 0 || get_string(cpu, "mems", cpu_at, &mems) < 0))
		goto fail;
	if (pids && get_int(pids, "limit", pids_at, "int64", INT64_MIN, INT64_MAX, &x, NULL) < 0)
		goto fail;

	/* a zone has whole vCPUs: the quota rounded up, else the cpuset's size */
	s->cpus = 1;
	if (quota > 0 && period > 0) {
		uint64_t n = ((uint64_t)quota + period - 1) / period;
		s->cpus = n > OCI_MAX_CPUS ? OCI_MAX_CPUS : n;
	} else if (cpus && *cpus) {
		unsigned n;
		if (count_cpus(cpus, &n) < 0) {
			zerr(0, "invalid cpuset \"%s\"", cpus);
			goto fail;
		}
		s->cpus = n < 1 ? 1 : n > OCI_MAX_CPUS ? OCI_MAX_CPUS : n;
	}
	if (limit > 0) {
		uint64_t m = ALIGN_UP((uint64_t)limit, 1ULL << 20);
		s->memory = m < OCI_MIN_MEMORY ? OCI_MIN_MEMORY : m;
	}
	free(cpus);
	free(mems);
	return 0;
fail:
	free(cpus);
	free(mems);
	return -1;
}

static int parse_linux(json_t *lx, struct oci_spec *s)
{
	struct at lx_at = { "Linux", "linux" };
	json_t *sc, *res, *maps;
	char *str = NULL;
	int r;

	if (parse_linux_lists(lx, s) < 0 || get_obj(lx, "seccomp", lx_at, "specs.LinuxSeccomp", &sc) < 0 ||
	    get_obj(lx, "resources", lx_at, "specs.LinuxResources", &res) < 0 ||
	    get_obj_array(lx, "uidMappings", lx_at, "[]specs.LinuxIDMapping", &maps) < 0 ||
	    get_obj_array(lx, "gidMappings", lx_at, "[]specs.LinuxIDMapping", &maps) < 0)
		return -1;
	r = get_string(lx, "rootfsPropagation", lx_at, &str);
	if (r == 0 && str && !one_of(str, (const char *const[]){ "private", "rprivate", "slave", "rslave",
								   "shared", "rshared", "unbindable",
								   "runbindable", "" }, 9))
		r = zerr(0, "rootfsPropagation of %s is not supported", str);
	free(str);
	if (r < 0)
		return -1;
	if (sc) {
		if (check_seccomp(sc) < 0)
			return -1;
		s->seccomp = json_incref(sc);
	}
	if (res) {
		if (parse_resources(res, s) < 0)
			return -1;
		s->resources = json_incref(res);
	}
	return 0;
}

static int parse_spec(json_t *j, struct oci_spec *s)
{
	struct at spec_at = { "Spec", "" }, root_at = { "Root", "root" };
	json_t *proc, *root, *hooks, *lx;

	if (!json_is_object(j))
		return zerr(0, "json: cannot unmarshal %s into Go value of type specs.Spec", json_kind(j));
	s->cpus = 1;
	s->memory = OCI_DEFAULT_MEMORY;
	if (get_string(j, "ociVersion", spec_at, &s->oci_version) < 0 ||
	    get_obj(j, "process", spec_at, "specs.Process", &proc) < 0 ||
	    get_obj(j, "root", spec_at, "specs.Root", &root) < 0 ||
	    get_string(j, "hostname", spec_at, &s->hostname) < 0 ||
	    get_string(j, "domainname", spec_at, &s->domainname) < 0 ||
	    get_obj(j, "hooks", spec_at, "specs.Hooks", &hooks) < 0 ||
	    get_string_map(j, "annotations", spec_at, &s->annotations) < 0 ||
	    get_obj(j, "linux", spec_at, "specs.Linux", &lx) < 0)
		return -1;
	if (s->annotations)
		json_incref(s->annotations);
	if (proc) {
		s->has_process = true;
		if (parse_process_obj(proc, &s->process) < 0)
			return -1;
	}
	if (root && (get_string(root, "path", root_at, &s->root_path) < 0 ||
		     get_bool(root, "readonly", root_at, &s->root_readonly) < 0))
		return -1;
	if (parse_mounts(j, s) < 0 || (hooks && parse_hooks(hooks, s) < 0) || (lx && parse_linux(lx, s) < 0))
		return -1;
	if (!s->sysctl && !(s->sysctl = calloc(1, sizeof(char *))))
		return zerr(ENOMEM, "config.json");
	if (!s->masked_paths && !(s->masked_paths = calloc(1, sizeof(char *))))
		return zerr(ENOMEM, "config.json");
	if (!s->readonly_paths && !(s->readonly_paths = calloc(1, sizeof(char *))))
		return zerr(ENOMEM, "config.json");

	/* runc's order of semantic checks */
	if (!s->has_process)
		return zerr(0, "process property must not be empty");
	if (validate_process(&s->process) < 0)
		return -1;
	if (!s->root_path || !*s->root_path)
		return zerr(0, "root property must not be empty");
	if (s->hostname && *s->hostname && (strlen(s->hostname) > 64 || strchr(s->hostname, '/')))
		return zerr(0, "invalid hostname %s", s->hostname);
	return 0;
}

/* jansson's parse errors in Go's words where they map: containerd and
 * podman show these to users. */
static int parse_error(const json_error_t *je)
{
	if (json_error_code(je) == json_error_premature_end_of_input)
		return zerr(0, "unexpected EOF");
	return zerr(0, "invalid JSON at line %d column %d: %s", je->line, je->column, je->text);
}

static json_t *load_text(const char *text, size_t len)
{
	json_error_t je;
	json_t *j;

	if (len == 0) {
		zerr(0, "unexpected end of JSON input");
		return NULL;
	}
	/* a duplicate key: the last one wins, in Go as in jansson */
	j = json_loadb(text, len, 0, &je);
	/* jansson's integers are int64; rlimits and seccomp values are
	 * uint64: read such a document with every number as a real */
	if (!j && json_error_code(&je) == json_error_numeric_overflow)
		j = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &je);
	if (!j)
		parse_error(&je);
	return j;
}

int oci_spec_parse(const char *text, size_t len, struct oci_spec *out)
{
	json_t *j;
	int r;

	memset(out, 0, sizeof(*out));
	if (!(j = load_text(text, len)))
		return -1;
	r = parse_spec(j, out);
	json_decref(j);
	if (r < 0)
		oci_spec_free(out);
	return r;
}

int oci_process_parse(const char *text, size_t len, struct oci_process *out)
{
	json_t *j;
	int r;

	memset(out, 0, sizeof(*out));
	if (!(j = load_text(text, len)))
		return -1;
	if (!json_is_object(j))
		r = zerr(0, "json: cannot unmarshal %s into Go value of type specs.Process", json_kind(j));
	else
		r = parse_process_obj(j, out) < 0 ? -1 : validate_process(out);
	json_decref(j);
	if (r < 0)
		oci_process_free(out);
	return r;
}

int oci_spec_load(const char *bundle, struct oci_spec *out)
{
	int dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	char *text;
	ssize_t n;
	struct stat sb;
	int r;

	memset(out, 0, sizeof(*out));
	if (dir < 0)
		return zerr(errno, "open %s", bundle);
	/* O_NONBLOCK: a FIFO named config.json must not hang us (fstat refuses it) */
	fd = openat(dir, "config.json", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	close(dir);
	if (fd < 0) {
		if (errno == ENOENT) {
			zerr(0, "JSON specification file config.json not found");
			zerr_set_errno(ENOENT);
			return -1;
		}
		return zerr(errno, "open config.json");
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > CONFIG_MAX) {
		close(fd);
		return zerr(0, "config.json is not a regular file of at most %u bytes", CONFIG_MAX);
	}
	text = malloc(sb.st_size + 1);
	if (!text) {
		close(fd);
		return zerr(ENOMEM, "config.json");
	}
	n = read_all(fd, text, sb.st_size);
	close(fd);
	if (n < 0) {
		free(text);
		return zerr(errno, "read config.json");
	}
	r = oci_spec_parse(text, n, out);
	free(text);
	return r;
}

void oci_process_free(struct oci_process *p)
{
	free(p->additional_gids);
	free(p->username);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

void oci_spec_free(struct oci_spec *s)
{
	free(s->oci_version);
	oci_process_free(&s->process);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		strv_free(s->mounts[i].options);
	}
	free(s->mounts);
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].hooks[i].path);
			strv_free(s->hooks[k].hooks[i].args);
			strv_free(s->hooks[k].hooks[i].env);
		}
		free(s->hooks[k].hooks);
	}
	json_decref(s->annotations);
	for (size_t i = 0; i < s->n_namespaces; i++) {
		free(s->namespaces[i].type);
		free(s->namespaces[i].path);
	}
	free(s->namespaces);
	for (size_t i = 0; i < s->n_devices; i++) {
		free(s->devices[i].path);
		free(s->devices[i].type);
	}
	free(s->devices);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	strv_free(s->sysctl);
	json_decref(s->seccomp);
	json_decref(s->resources);
	free(s->cgroups_path);
	memset(s, 0, sizeof(*s));
}

const char *oci_hook_kind_name(enum oci_hook_kind k)
{
	static const char *const names[OCI_HOOK_KINDS] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
	};
	return (unsigned)k < OCI_HOOK_KINDS ? names[k] : "?";
}
