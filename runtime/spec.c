#include "runtime/spec.h"
#include "common/util.h"
#include "common/zerr.h"
#include "runtime/state.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_signal(const char *s)
{
	uint64_t v;

	if (!s || !*s)
		return -1;
	if (isdigit((unsigned char)*s))
		return parse_uint(s, 1, 64, &v) == 0 ? (int)v : (zerr_clear(), -1);
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && !strcasecmp(abbrev, s))
			return sig;
	}
	return -1;
}

/* Set KEY=VALUE in env (a JSON array of strings), replacing KEY. */
static void env_put(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "="), i;
	json_t *e;

	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && !strncmp(s, kv, klen) && s[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

static bool env_has(json_t *env, const char *key)
{
	size_t klen = strlen(key), i;
	json_t *e;

	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && !strncmp(s, key, klen) && s[klen] == '=')
			return true;
	}
	return false;
}

/* -e K=V, or -e K to take K from our own environment (skipped if unset). */
static int env_flag(json_t *env, const char *arg)
{
	char buf[8192];
	const char *v;

	if (!*arg || *arg == '=')
		return zerr(EINVAL, "bad environment variable '%s'", arg);
	if (strchr(arg, '=')) {
		env_put(env, arg);
		return 0;
	}
	v = getenv(arg);
	if (v) {
		snprintf(buf, sizeof(buf), "%s=%s", arg, v);
		env_put(env, buf);
	}
	return 0;
}

static int env_file(json_t *env, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[8192];

	if (!f)
		return zerr(errno, "--env-file %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *s = line;
		s[strcspn(s, "\r\n")] = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		if (env_flag(env, s) < 0) {
			fclose(f);
			return zerr_prefix("--env-file %s", path);
		}
	}
	fclose(f);
	return 0;
}

static json_t *string_array(json_t *a)
{
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(a, i, e)
		if (json_is_string(e))
			json_array_append(out, e);
	return out;
}

/* A JSON array of strings as a NULL-terminated vector. */
static char **json_strv(json_t *a)
{
	size_t n = json_array_size(a), i;
	char **v = calloc(n + 1, sizeof(*v));
	json_t *e;

	if (!v)
		return NULL;
	json_array_foreach(a, i, e)
		if (!(v[i] = strdup(json_string_value(e)))) {
			strv_free(v);
			return NULL;
		}
	return v;
}

int spec_build(const struct run_flags *f, json_t *ic, const char *id, struct ctr_config *out)
{
	json_t *argv = json_array(), *env;
	const char *cwd, *user, *stop;
	char hostname[16];
	int stop_sig;

	/* argv = entrypoint + cmd; --entrypoint drops the image's Cmd */
	if (f->entrypoint) {
		if (*f->entrypoint)
			json_array_append_new(argv, json_string(f->entrypoint));
	} else if (json_is_array(json_object_get(ic, "Entrypoint"))) {
		json_t *ep = string_array(json_object_get(ic, "Entrypoint"));
		json_array_extend(argv, ep);
		json_decref(ep);
	}
	if (f->ncmd) {
		for (int i = 0; i < f->ncmd; i++)
			json_array_append_new(argv, json_string(f->cmd[i]));
	} else if (!f->entrypoint && json_is_array(json_object_get(ic, "Cmd"))) {
		json_t *cmd = string_array(json_object_get(ic, "Cmd"));
		json_array_extend(argv, cmd);
		json_decref(cmd);
	}
	if (json_array_size(argv) == 0) {
		json_decref(argv);
		return zerr(EINVAL, "no command specified (the image has no Entrypoint or Cmd)");
	}

	env = json_is_array(json_object_get(ic, "Env")) ? string_array(json_object_get(ic, "Env"))
							  : json_array();
	for (int i = 0; i < f->nenv_files; i++)
		if (env_file(env, f->env_files[i]) < 0)
			goto fail;
	for (int i = 0; i < f->nenv; i++)
		if (env_flag(env, f->env[i]) < 0)
			goto fail;
	if (!env_has(env, "PATH"))
		env_put(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	/* podman sets container=podman: tools tell they run in a container */
	if (!env_has(env, "container"))
		env_put(env, "container=zone");
	if (f->tty && !env_has(env, "TERM"))
		env_put(env, "TERM=xterm");
	snprintf(hostname, sizeof(hostname), "%.12s", id);
	if (!env_has(env, "HOSTNAME")) {
		char h[128];
		snprintf(h, sizeof(h), "HOSTNAME=%s", f->hostname ? f->hostname : hostname);
		env_put(env, h);
	}

	cwd = f->workdir ? f->workdir : json_string_value(json_object_get(ic, "WorkingDir"));
	if (!cwd || !*cwd)
		cwd = "/";
	if (*cwd != '/') {
		zerr(EINVAL, "working directory '%s' is not absolute", cwd);
		goto fail;
	}
	user = f->user ? f->user : json_string_value(json_object_get(ic, "User"));
	if (!user || !*user)
		user = "0";
	if (!env_has(env, "HOME") && (!strcmp(user, "0") || !strcmp(user, "root") ||
				      !strncmp(user, "0:", 2) || !strncmp(user, "root:", 5)))
		env_put(env, "HOME=/root");
	stop = json_string_value(json_object_get(ic, "StopSignal"));
	stop_sig = stop ? parse_signal(stop) : SIGTERM;
	if (stop_sig < 0)
		stop_sig = SIGTERM;

	memset(out, 0, sizeof(*out));
	out->argv = json_strv(argv);
	out->env = json_strv(env);
	out->cwd = strdup(cwd);
	out->user = strdup(user);
	out->hostname = strdup(f->hostname ? f->hostname : hostname);
	out->tty = f->tty;
	out->interactive = f->interactive;
	out->cpus = f->cpus;
	out->memory = f->memory;
	out->log_max_size = f->log_max_size;
	out->log_max_files = f->log_max_files;
	out->read_only = f->read_only;
	out->rm = f->rm;
	out->stop_signal = stop_sig;
	json_decref(argv);
	json_decref(env);
	if (!out->argv || !out->env || !out->cwd || !out->user || !out->hostname) {
		ctr_config_free(out);
		return zerr(ENOMEM, "container config");
	}
	return 0;
fail:
	json_decref(argv);
	json_decref(env);
	return -1;
}
