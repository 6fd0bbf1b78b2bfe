#include "runtime/seccomp_json.h"
#include "common/caps.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_in(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (!strcmp(key, *keys))
			return true;
	return false;
}

/* Unknown members are refused: a profile that asks for something we do
 * not do must not be taken as if it were applied. */
static int only_keys(json_t *o, const char *const *keys, const char *where)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (!key_in(k, keys))
			return zerr(ENOTSUP, "%s: \"%s\" is not supported", where, k);
	return 0;
}

static int action_of(json_t *o, const char *key, const char *where, uint32_t *out)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (!s)
		return zerr(EINVAL, "%s: %s must be a string", where, key);
	*out = sc_action_from_name(s);
	if (!*out)
		return zerr(ENOTSUP, "%s: action %s is not supported (want "
				     "SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_THREAD, _KILL_PROCESS, _TRAP "
				     "or _LOG)", where, s);
	return 0;
}

static int errno_of(json_t *o, const char *key, const char *where, uint32_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = EPERM; /* docker's when none is given */
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4095)
		return zerr(EINVAL, "%s: %s must be an errno number", where, key);
	*out = json_integer_value(v);
	return 0;
}

static bool is_native_arch(const char *a)
{
	return !strcmp(a, "amd64") || !strcmp(a, "x86_64") || !strcmp(a, "SCMP_ARCH_X86_64");
}

/* includes/excludes: does the rule apply to this container? */
static int filter_applies(json_t *s, uint64_t caps, const char *where, bool *applies)
{
	static const char *const keys[] = { "caps", "arches", NULL };
	json_t *inc = json_object_get(s, "includes"), *exc = json_object_get(s, "excludes");
	json_t *set[2] = { inc, exc }, *v, *e;
	size_t i;

	*applies = true;
	for (int k = 0; k < 2; k++) {
		const char *what = k ? "excludes" : "includes";
		bool all_caps = true, any_cap = false, has_caps = false;
		bool arch_match = false, has_arches = false;

		if (!set[k] || json_is_null(set[k]))
			continue;
		if (!json_is_object(set[k]))
			return zerr(EINVAL, "%s: %s must be an object", where, what);
		if (only_keys(set[k], keys, what) < 0)
			return -1;
		if ((v = json_object_get(set[k], "caps")) && !json_is_null(v)) {
			if (!json_is_array(v))
				return zerr(EINVAL, "%s: %s.caps must be an array",
					    where, what);
			json_array_foreach(v, i, e) {
				int c = json_is_string(e) ? cap_from_name(json_string_value(e), 0) : -2;
				if (c == -2)
					return zerr(EINVAL, "%s: %s.caps[%zu] is not "
							    "a string", where, what, i);
				bool have = c >= 0 && (caps & (1ULL << c));
				has_caps = true;
				all_caps = all_caps && have;
				any_cap = any_cap || have;
			}
		}
		if ((v = json_object_get(set[k], "arches")) && !json_is_null(v)) {
			if (!json_is_array(v))
				return zerr(EINVAL, "%s: %s.arches must be an array",
					    where, what);
			json_array_foreach(v, i, e) {
				if (!json_is_string(e))
					return zerr(EINVAL, "%s: %s.arches[%zu] is "
							    "not a string", where, what, i);
				has_arches = true;
				arch_match = arch_match || is_native_arch(json_string_value(e));
			}
		}
		if (k == 0 && ((has_caps && !all_caps) || (has_arches && !arch_match)))
			*applies = false;
		if (k == 1 && ((has_caps && any_cap) || (has_arches && arch_match)))
			*applies = false;
	}
	return 0;
}

static int parse_args(json_t *a, const char *where, struct sc_rule *r)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op", NULL };
	json_t *e;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return zerr(EINVAL, "%s: args must be an array", where);
	if (json_array_size(a) > SC_MAX_ARGS)
		return zerr(EINVAL, "%s: more than %d args", where, SC_MAX_ARGS);
	r->args = calloc(json_array_size(a) + 1, sizeof(*r->args));
	if (!r->args)
		return zerr(ENOMEM, "seccomp profile");
	json_array_foreach(a, i, e) {
		struct sc_arg *g = &r->args[i];
		json_t *idx = json_object_get(e, "index"), *val = json_object_get(e, "value"),
		       *two = json_object_get(e, "valueTwo");
		const char *op = json_string_value(json_object_get(e, "op"));

		if (!json_is_object(e) || only_keys(e, keys, where) < 0)
			return json_is_object(e) ? -1
						 : zerr(EINVAL, "%s: args[%zu] is "
								"not an object", where, i);
		if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) >= SC_MAX_ARGS)
			return zerr(EINVAL, "%s: args[%zu].index must be 0 to 5",
				    where, i);
		if ((val && !json_is_integer(val)) || (two && !json_is_integer(two)))
			return zerr(EINVAL, "%s: args[%zu]: value and valueTwo "
					    "must be numbers", where, i);
		if (!op || !(g->op = sc_op_from_name(op)))
			return zerr(EINVAL, "%s: args[%zu].op %s is not a "
					    "SCMP_CMP_ comparison", where, i, op ? op : "(missing)");
		g->index = json_integer_value(idx);
		/* jansson reads numbers as signed 64-bit; a value such as
		 * 18446744073709551615 does not fit and fails to parse there */
		g->value = (uint64_t)json_integer_value(val);
		g->value_two = (uint64_t)json_integer_value(two);
		r->nargs++;
	}
	return 0;
}

static int add_rule(struct sc_profile *p, const char *name, uint32_t action, uint32_t err,
		    json_t *args, const char *where)
{
	struct sc_rule *r, *n;

	if (p->nrules >= SC_MAX_RULES)
		return zerr(E2BIG, "more than %d syscall rules", SC_MAX_RULES);
	n = realloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	if (!n)
		return zerr(ENOMEM, "seccomp profile");
	p->rules = n;
	r = &p->rules[p->nrules++];
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->errno_ret = err;
	r->name = strdup(name);
	if (!r->name)
		return zerr(ENOMEM, "seccomp profile");
	return parse_args(args, where, r);
}

int seccomp_json_profile(json_t *j, uint64_t caps, struct sc_profile *out)
{
	static const char *const top[] = { "defaultAction", "defaultErrnoRet", "defaultErrno",
					   "architectures", "archMap", "syscalls", NULL };
	static const char *const entry[] = { "names", "name", "action", "errnoRet", "errno",
					     "args", "comment", "includes", "excludes", NULL };
	json_t *sys, *s, *names, *e;
	size_t i, k;
	char where[64];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return zerr(EINVAL, "not a JSON object");
	if (only_keys(j, top, "top level") < 0 ||
	    action_of(j, "defaultAction", "top level", &out->default_action) < 0 ||
	    errno_of(j, "defaultErrnoRet", "top level", &out->default_errno) < 0)
		goto fail;
	sys = json_object_get(j, "syscalls");
	if (sys && !json_is_null(sys) && !json_is_array(sys)) {
		zerr(EINVAL, "syscalls must be an array");
		goto fail;
	}
	json_array_foreach(sys, i, s) {
		uint32_t action, err;
		bool applies;

		snprintf(where, sizeof(where), "syscalls[%zu]", i);
		if (!json_is_object(s)) {
			zerr(EINVAL, "%s is not an object", where);
			goto fail;
		}
		if (only_keys(s, entry, where) < 0 || action_of(s, "action", where, &action) < 0 ||
		    errno_of(s, "errnoRet", where, &err) < 0 ||
		    filter_applies(s, caps, where, &applies) < 0)
			goto fail;
		if (!applies)
			continue;
		names = json_object_get(s, "names");
		if (json_is_string(json_object_get(s, "name"))) {
			if (add_rule(out, json_string_value(json_object_get(s, "name")), action, err,
				     json_object_get(s, "args"), where) < 0)
				goto fail;
		} else if (json_object_get(s, "name")) {
			zerr(EINVAL, "%s: name must be a string", where);
			goto fail;
		}
		if (names && !json_is_array(names)) {
			zerr(EINVAL, "%s: names must be an array", where);
			goto fail;
		}
		json_array_foreach(names, k, e) {
			if (!json_is_string(e) || !*json_string_value(e) ||
			    strlen(json_string_value(e)) > 64) {
				zerr(EINVAL, "%s: names[%zu] is not a syscall name",
				     where, k);
				goto fail;
			}
			if (add_rule(out, json_string_value(e), action, err, json_object_get(s, "args"),
				     where) < 0)
				goto fail;
		}
	}
	if (sc_profile_check(out) < 0)
		goto fail;
	return 0;
fail:
	sc_profile_free(out);
	return -1;
}

int seccomp_json_load(const char *path, json_t **out)
{
	json_error_t je;
	struct sc_profile p;
	json_t *j;

	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		if (je.line < 0)
			return zerr(0, "seccomp profile %s: %s", path, je.text);
		return zerr(EINVAL, "seccomp profile %s: line %d: %s", path, je.line, je.text);
	}
	/* checked with every capability: the includes/excludes and the caps
	 * are matched when the profile is applied */
	if (seccomp_json_profile(j, CAPS_ALL, &p) < 0) {
		json_decref(j);
		return zerr_prefix("seccomp profile %s", path);
	}
	sc_profile_free(&p);
	*out = j;
	return 0;
}
