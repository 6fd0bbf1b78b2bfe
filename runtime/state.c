#include "runtime/state.h"
#include "runtime/logs.h"
#include "common/caps.h"
#include "common/util.h"
#include "common/zerr.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *zone_root(const char *opt)
{
	const char *e = getenv("ZONE_ROOT");

	return opt ? opt : e && *e ? e : "/var/lib/zone";
}

const char *zone_run_dir(void)
{
	const char *e = getenv("ZONE_RUNTIME_DIR");

	return e && *e ? e : "/run/zone";
}

static int fmt(char *buf, size_t len, const char *f, const char *a, const char *b)
{
	int n = snprintf(buf, len, f, a, b);

	if (n < 0 || (size_t)n >= len)
		return zerr(ENAMETOOLONG, "path too long");
	return 0;
}

/* A directory name that can be a container's: runc's ^[\w+-\.]+$, and
 * neither "." nor "..". */
bool ctr_id_valid(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > CTR_REF_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_+-.", *s))
			return false;
	return true;
}

int ctr_dir(const char *root, const char *id, char *buf, size_t len)
{
	if (!ctr_id_valid(id))
		return zerr(0, "invalid container id %s", id);
	return fmt(buf, len, "%s/containers/%s", root, id);
}

int ctr_run_dir(const char *id, char *buf, size_t len)
{
	if (!ctr_id_valid(id))
		return zerr(0, "invalid container id %s", id);
	return fmt(buf, len, "%s/%s", zone_run_dir(), id);
}

int ctr_vsock_path(const char *id, char *buf, size_t len)
{
	/* short: sun_path has 108 bytes and the VMM appends _<port>.  Our
	 * random ids differ in their first 12 digits; ids chosen by a caller
	 * (zone-runc) often share a prefix, so they get a hash (FNV-1a). */
	char shortid[24];
	uint64_t h = 14695981039346656037ULL;

	if (strlen(id) == CTR_ID_LEN && strspn(id, "0123456789abcdef") == CTR_ID_LEN) {
		snprintf(shortid, sizeof(shortid), "%.12s", id);
	} else {
		for (const char *p = id; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		snprintf(shortid, sizeof(shortid), "r%016llx", (unsigned long long)h);
	}
	return fmt(buf, len, "%s/%s.sock", zone_run_dir(), shortid);
}

int ctr_log_path(const char *root, const char *id, char *buf, size_t len)
{
	return fmt(buf, len, "%s/containers/%s/ctr.log", root, id);
}

void ctr_new_id(char id[CTR_ID_LEN + 1])
{
	unsigned char r[CTR_ID_LEN / 2];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* getrandom cannot fail for 32 bytes once booted; be safe */
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = rand();
	}
	for (size_t i = 0; i < sizeof(r); i++)
		sprintf(id + 2 * i, "%02x", r[i]);
}

static int mkdirs(const char *path, mode_t mode)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return zerr(errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return zerr(errno, "mkdir %s", buf);
	return 0;
}

int ctr_lock(const char *root)
{
	char path[4096];
	int fd;

	if (fmt(path, sizeof(path), "%s/containers%s", root, "") < 0 || mkdirs(path, 0700) < 0)
		return -1;
	strncat(path, "/.lock", sizeof(path) - strlen(path) - 1);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return zerr(errno, "open %s", path);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return zerr(errno, "lock %s", path);
	}
	return fd;
}

void ctr_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static const char *const status_names[] = {
	[CTR_CREATED] = "created", [CTR_RUNNING] = "running",
	[CTR_PAUSED] = "paused", [CTR_EXITED] = "exited",
};

const char *ctr_status_name(enum ctr_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char **strv_dup(char *const *v, long n)
{
	size_t len = n < 0 ? strv_len(v) : (size_t)n;
	char **out = calloc(len + 1, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!(out[i] = strdup(v[i] ? v[i] : ""))) {
			strv_free(out);
			return NULL;
		}
	return out;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void ctr_set(char **field, const char *s)
{
	free(*field);
	*field = s ? strdup(s) : NULL;
}

void ctr_config_free(struct ctr_config *c)
{
	strv_free(c->argv);
	strv_free(c->env);
	free(c->cwd);
	free(c->user);
	free(c->hostname);
	json_decref(c->mounts);
	json_decref(c->net);
	json_decref(c->security.seccomp);
	memset(c, 0, sizeof(*c));
}

void ctr_state_free(struct ctr_state *st)
{
	char **strs[] = { &st->id, &st->name, &st->image, &st->image_digest, &st->disk,
			  &st->bundle, &st->rootfs, &st->created, &st->started, &st->finished,
			  &st->error, &st->network.name, &st->network.ip, &st->network.cidr,
			  &st->network.gateway, &st->network.mac, &st->network.tap };

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	json_decref(st->annotations);
	ctr_config_free(&st->config);
	memset(st, 0, sizeof(*st));
}

/* Set key to a string, or leave it out when s is NULL. */
static void put_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *security_json(const struct ctr_security *s)
{
	json_t *o = json_object(), *caps = json_array();

	json_object_set_new(o, "privileged", json_boolean(s->privileged));
	json_object_set_new(o, "no_new_privileges", json_boolean(s->no_new_privs));
	for (int i = 0; i <= CAPS_LAST; i++)
		if (s->caps & (1ULL << i))
			json_array_append_new(caps, json_string(cap_name(i)));
	json_object_set_new(o, "capabilities", caps);
	if (s->seccomp)
		json_object_set(o, "seccomp", s->seccomp);
	else
		json_object_set_new(o, "seccomp",
				    json_string(s->seccomp_unconfined ? "unconfined" : "default"));
	return o;
}

static json_t *config_json(const struct ctr_config *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "argv", strv_json(c->argv));
	json_object_set_new(o, "env", strv_json(c->env));
	put_str(o, "cwd", c->cwd);
	put_str(o, "user", c->user);
	put_str(o, "hostname", c->hostname);
	json_object_set_new(o, "tty", json_boolean(c->tty));
	json_object_set_new(o, "interactive", json_boolean(c->interactive));
	json_object_set_new(o, "cpus", json_integer(c->cpus));
	json_object_set_new(o, "memory", json_integer((json_int_t)c->memory));
	json_object_set_new(o, "read_only", json_boolean(c->read_only));
	json_object_set_new(o, "rm", json_boolean(c->rm));
	json_object_set_new(o, "stop_signal", json_integer(c->stop_signal));
	if (c->log_max_size) {
		json_object_set_new(o, "log_max_size", json_integer((json_int_t)c->log_max_size));
		json_object_set_new(o, "log_max_files", json_integer(c->log_max_files));
	}
	if (c->mounts)
		json_object_set(o, "mounts", c->mounts);
	if (c->net)
		json_object_set(o, "net", c->net);
	if (c->security.confined)
		json_object_set_new(o, "security", security_json(&c->security));
	return o;
}

static json_t *netinfo_json(const struct ctr_netinfo *n)
{
	json_t *o = json_object();

	put_str(o, "name", n->name);
	put_str(o, "ip", n->ip);
	put_str(o, "cidr", n->cidr);
	put_str(o, "gateway", n->gateway);
	put_str(o, "mac", n->mac);
	put_str(o, "tap", n->tap);
	return o;
}

json_t *ctr_state_to_json(const struct ctr_state *st)
{
	json_t *o = json_object();

	put_str(o, "id", st->id);
	put_str(o, "name", st->name);
	put_str(o, "image", st->image);
	put_str(o, "image_digest", st->image_digest);
	put_str(o, "disk", st->disk);
	put_str(o, "bundle", st->bundle);
	put_str(o, "rootfs", st->rootfs);
	if (st->annotations)
		json_object_set(o, "annotations", st->annotations);
	put_str(o, "created", st->created);
	put_str(o, "started", st->started);
	put_str(o, "finished", st->finished);
	put_str(o, "error", st->error);
	json_object_set_new(o, "status", json_string(ctr_status_name(st->status)));
	if (st->proc)
		json_object_set_new(o, "proc", json_integer(st->proc));
	if (st->monitor_pid > 0) {
		json_object_set_new(o, "monitor_pid", json_integer(st->monitor_pid));
		json_object_set_new(o, "monitor_start", json_integer((json_int_t)st->monitor_start));
	}
	if (st->vmm_pid > 0)
		json_object_set_new(o, "vmm_pid", json_integer(st->vmm_pid));
	if (st->exited_known)
		json_object_set_new(o, "exit_code", json_integer(st->exit_code));
	if (st->network.name)
		json_object_set_new(o, "network", netinfo_json(&st->network));
	json_object_set_new(o, "config", config_json(&st->config));
	return o;
}

/* Typed readers: a missing key leaves the default; a wrong type fails. */
static int get_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return zerr(EINVAL, "state: %s is not a string", key);
	if (!(*out = strdup(json_string_value(v))))
		return zerr(ENOMEM, "state");
	return 0;
}

static int get_int(json_t *o, const char *key, long long min, long long max, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return zerr(EINVAL, "state: %s is not an integer in [%lld, %lld]", key, min, max);
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return zerr(EINVAL, "state: %s is not a boolean", key);
	*out = json_is_true(v);
	return 0;
}

static int get_strv(json_t *o, const char *key, char ***out)
{
	json_t *a = json_object_get(o, key), *e;
	size_t i;

	if (!a || json_is_null(a))
		return (*out = calloc(1, sizeof(char *))) ? 0 : zerr(ENOMEM, "state");
	if (!json_is_array(a))
		return zerr(EINVAL, "state: %s is not an array", key);
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return zerr(ENOMEM, "state");
	json_array_foreach(a, i, e) {
		if (!json_is_string(e))
			return zerr(EINVAL, "state: %s[%zu] is not a string", key, i);
		if (!((*out)[i] = strdup(json_string_value(e))))
			return zerr(ENOMEM, "state");
	}
	return 0;
}

/* Every element of an array is a string. */
static bool all_strings(json_t *a)
{
	json_t *e;
	size_t i;

	json_array_foreach(a, i, e)
		if (!json_is_string(e))
			return false;
	return true;
}

/* config.net as net_spec_build writes it: {"network": NAME, "publish":
 * [{"host_ip": S, "host_port": N, "port": N, "proto": S}], "dns": [S],
 * "add_hosts": [[NAME, IP]]}; every member optional, none of another
 * type (runtime/net_host.c reads them unchecked). */
static int net_from_json(json_t *net)
{
	json_t *v, *e;
	size_t i;

	if (!json_is_object(net))
		return zerr(EINVAL, "state: config.net is not an object");
	if ((v = json_object_get(net, "network")) && !json_is_string(v))
		return zerr(EINVAL, "state: config.net.network is not a string");
	if ((v = json_object_get(net, "publish"))) {
		if (!json_is_array(v))
			return zerr(EINVAL, "state: config.net.publish is not an array");
		json_array_foreach(v, i, e) {
			json_t *hp = json_object_get(e, "host_port"), *p = json_object_get(e, "port");
			if (!json_is_object(e) || !json_is_string(json_object_get(e, "host_ip")) ||
			    !json_is_string(json_object_get(e, "proto")) || !json_is_integer(hp) ||
			    !json_is_integer(p) || json_integer_value(hp) < 1 ||
			    json_integer_value(hp) > 65535 || json_integer_value(p) < 1 ||
			    json_integer_value(p) > 65535)
				return zerr(EINVAL, "state: config.net.publish[%zu] is not a port mapping", i);
		}
	}
	if ((v = json_object_get(net, "dns")) && (!json_is_array(v) || !all_strings(v)))
		return zerr(EINVAL, "state: config.net.dns is not an array of strings");
	if ((v = json_object_get(net, "add_hosts"))) {
		if (!json_is_array(v))
			return zerr(EINVAL, "state: config.net.add_hosts is not an array");
		json_array_foreach(v, i, e)
			if (!json_is_array(e) || json_array_size(e) != 2 || !all_strings(e))
				return zerr(EINVAL, "state: config.net.add_hosts[%zu] is not [NAME, IP]", i);
	}
	return 0;
}

static int security_from_json(json_t *o, struct ctr_security *s)
{
	json_t *caps, *sc, *e;
	size_t i;

	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return zerr(EINVAL, "state: config.security is not an object");
	s->confined = true;
	if (get_bool(o, "privileged", &s->privileged) < 0 ||
	    get_bool(o, "no_new_privileges", &s->no_new_privs) < 0)
		return -1;
	caps = json_object_get(o, "capabilities");
	if (caps && !json_is_array(caps))
		return zerr(EINVAL, "state: config.security.capabilities is not an array");
	json_array_foreach(caps, i, e) {
		int cap = json_is_string(e) ? cap_from_name(json_string_value(e), 0) : -1;
		if (cap < 0)
			return zerr(EINVAL, "state: config.security.capabilities[%zu] is not a "
					    "capability", i);
		s->caps |= 1ULL << cap;
	}
	sc = json_object_get(o, "seccomp");
	if (json_is_object(sc))
		s->seccomp = json_incref(sc);
	else if (json_is_string(sc) && !strcmp(json_string_value(sc), "unconfined"))
		s->seccomp_unconfined = true;
	else if (sc && !(json_is_string(sc) && !strcmp(json_string_value(sc), "default")))
		return zerr(EINVAL, "state: config.security.seccomp is not \"default\", "
				    "\"unconfined\" or a profile");
	return 0;
}

static int config_from_json(json_t *o, struct ctr_config *c)
{
	long long cpus = 1, memory = 0, stop = 15, log_size = 0, log_files = 1;
	json_t *mounts, *net;

	if (o && !json_is_object(o))
		return zerr(EINVAL, "state: config is not an object");
	if (get_strv(o, "argv", &c->argv) < 0 || get_strv(o, "env", &c->env) < 0 ||
	    get_str(o, "cwd", &c->cwd) < 0 || get_str(o, "user", &c->user) < 0 ||
	    get_str(o, "hostname", &c->hostname) < 0 || get_bool(o, "tty", &c->tty) < 0 ||
	    get_bool(o, "interactive", &c->interactive) < 0 ||
	    get_bool(o, "read_only", &c->read_only) < 0 || get_bool(o, "rm", &c->rm) < 0 ||
	    get_int(o, "cpus", 0, 1024, &cpus) < 0 || get_int(o, "memory", 0, LLONG_MAX, &memory) < 0 ||
	    get_int(o, "stop_signal", 0, 64, &stop) < 0 ||
	    get_int(o, "log_max_size", 0, LLONG_MAX, &log_size) < 0 ||
	    get_int(o, "log_max_files", 1, CTR_LOG_MAX_FILES, &log_files) < 0)
		return -1;
	if (log_size && log_size < CTR_LOG_MIN_SIZE)
		return zerr(EINVAL, "state: config.log_max_size %lld is below %d", log_size,
			    CTR_LOG_MIN_SIZE);
	c->log_max_size = log_size;
	c->log_max_files = log_files;
	c->cpus = cpus;
	c->memory = memory;
	c->stop_signal = stop;
	mounts = json_object_get(o, "mounts");
	if (mounts && !json_is_null(mounts)) {
		json_t *m;
		size_t i;
		if (!json_is_array(mounts))
			return zerr(EINVAL, "state: config.mounts is not an array");
		json_array_foreach(mounts, i, m)
			if (!json_is_object(m))
				return zerr(EINVAL, "state: config.mounts[%zu] is not an object", i);
		c->mounts = json_incref(mounts);
	}
	net = json_object_get(o, "net");
	if (net && !json_is_null(net)) {
		if (net_from_json(net) < 0)
			return -1;
		c->net = json_incref(net);
	}
	return security_from_json(json_object_get(o, "security"), &c->security);
}

static int netinfo_from_json(json_t *o, struct ctr_netinfo *n)
{
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return zerr(EINVAL, "state: network is not an object");
	if (get_str(o, "name", &n->name) < 0 || get_str(o, "ip", &n->ip) < 0 ||
	    get_str(o, "cidr", &n->cidr) < 0 || get_str(o, "gateway", &n->gateway) < 0 ||
	    get_str(o, "mac", &n->mac) < 0 || get_str(o, "tap", &n->tap) < 0)
		return zerr_prefix("network");
	return 0;
}

int ctr_state_from_json(json_t *j, struct ctr_state *st)
{
	long long proc = 0, mpid = 0, mstart = 0, vpid = 0, code = 0;
	char *status = NULL;
	json_t *ann;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(j))
		return zerr(EINVAL, "state is not a JSON object");
	if (get_str(j, "id", &st->id) < 0 || get_str(j, "name", &st->name) < 0 ||
	    get_str(j, "image", &st->image) < 0 || get_str(j, "image_digest", &st->image_digest) < 0 ||
	    get_str(j, "disk", &st->disk) < 0 || get_str(j, "bundle", &st->bundle) < 0 ||
	    get_str(j, "rootfs", &st->rootfs) < 0 || get_str(j, "created", &st->created) < 0 ||
	    get_str(j, "started", &st->started) < 0 || get_str(j, "finished", &st->finished) < 0 ||
	    get_str(j, "error", &st->error) < 0 || get_str(j, "status", &status) < 0 ||
	    get_int(j, "proc", 0, UINT32_MAX, &proc) < 0 ||
	    get_int(j, "monitor_pid", 0, INT32_MAX, &mpid) < 0 ||
	    get_int(j, "monitor_start", 0, LLONG_MAX, &mstart) < 0 ||
	    get_int(j, "vmm_pid", 0, INT32_MAX, &vpid) < 0 ||
	    get_int(j, "exit_code", INT32_MIN, INT32_MAX, &code) < 0 ||
	    netinfo_from_json(json_object_get(j, "network"), &st->network) < 0 ||
	    config_from_json(json_object_get(j, "config"), &st->config) < 0)
		goto fail;
	if (!st->id) {
		zerr(EINVAL, "state has no id");
		goto fail;
	}
	st->status = CTR_CREATED;
	for (i = 0; status && i < ARRAY_SIZE(status_names); i++)
		if (!strcmp(status, status_names[i]))
			st->status = i;
	free(status);
	status = NULL;
	ann = json_object_get(j, "annotations");
	if (json_is_object(ann))
		st->annotations = json_incref(ann);
	st->proc = proc;
	st->monitor_pid = mpid;
	st->monitor_start = mstart;
	st->vmm_pid = vpid;
	st->exited_known = json_is_integer(json_object_get(j, "exit_code"));
	st->exit_code = code;
	return 0;
fail:
	free(status);
	ctr_state_free(st);
	return -1;
}

int ctr_save(const char *root, const struct ctr_state *st)
{
	char dir[4096], path[4200];
	json_t *j;
	char *text, *line = NULL;
	int r;

	if (!st->id || ctr_dir(root, st->id, dir, sizeof(dir)) < 0 || mkdirs(dir, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	j = ctr_state_to_json(st);
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (!text || asprintf(&line, "%s\n", text) < 0) {
		free(text);
		return zerr(ENOMEM, "state json");
	}
	r = write_file_atomic(path, line, strlen(line), 0600);
	free(text);
	free(line);
	return r;
}

int ctr_load(const char *root, const char *id, struct ctr_state *st)
{
	char path[4200];
	json_error_t je;
	json_t *j;
	int r;

	memset(st, 0, sizeof(*st));
	if (ctr_dir(root, id, path, sizeof(path) - 16) < 0)
		return -1;
	strcat(path, "/state.json");
	j = json_load_file(path, 0, &je);
	if (!j)
		return zerr(errno == ENOENT ? ENOENT : EINVAL, "container %.12s: %s", id, je.text);
	r = ctr_state_from_json(j, st);
	json_decref(j);
	return r < 0 ? zerr_prefix("container %.12s", id) : 0;
}

static int by_created(const void *a, const void *b)
{
	const struct ctr_state *x = a, *y = b;

	return strcmp(x->created ? x->created : "", y->created ? y->created : "");
}

void ctr_list_free(struct ctr_state *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_state_free(&list[i]);
	free(list);
}

int ctr_list(const char *root, struct ctr_state **out, size_t *n)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (fmt(dir, sizeof(dir), "%s/containers%s", root, "") < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : zerr(errno, "opendir %s", dir);
	while ((e = readdir(d))) {
		struct ctr_state st;
		if (!ctr_id_valid(e->d_name) || ctr_load(root, e->d_name, &st) < 0)
			continue; /* a half-created or removed container */
		if (*n == cap) {
			struct ctr_state *bigger = realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof(st));
			if (!bigger) {
				ctr_state_free(&st);
				closedir(d);
				ctr_list_free(*out, *n);
				*out = NULL;
				*n = 0;
				return zerr(ENOMEM, "container list");
			}
			*out = bigger;
		}
		(*out)[(*n)++] = st;
	}
	closedir(d);
	zerr_clear();
	/* oldest first */
	if (*n)
		qsort(*out, *n, sizeof(**out), by_created);
	return 0;
}

int ctr_resolve(const char *root, const char *ref, char id[CTR_REF_MAX + 1])
{
	struct ctr_state *all;
	size_t i, n, matches = 0, rlen = strlen(ref);

	if (!rlen)
		return zerr(EINVAL, "empty container name or id");
	if (ctr_list(root, &all, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *cid = all[i].id, *name = all[i].name;
		if ((name && !strcmp(name, ref)) || !strcmp(cid, ref)) {
			snprintf(id, CTR_REF_MAX + 1, "%s", cid);
			ctr_list_free(all, n);
			return 0;
		}
		if (!strncmp(cid, ref, rlen)) {
			snprintf(id, CTR_REF_MAX + 1, "%s", cid);
			matches++;
		}
	}
	ctr_list_free(all, n);
	if (matches == 1)
		return 0;
	if (matches > 1)
		return zerr(EINVAL, "container id prefix '%s' is ambiguous", ref);
	return zerr(ENOENT, "no such container: %s", ref);
}

bool ctr_name_taken(const char *root, const char *name)
{
	struct ctr_state *all;
	size_t i, n;
	bool taken = false;

	if (ctr_list(root, &all, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (all[i].name && !strcmp(all[i].name, name))
			taken = true;
	ctr_list_free(all, n);
	return taken;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int ctr_remove(const char *root, const char *id)
{
	char dir[4096];

	if (ctr_run_dir(id, dir, sizeof(dir)) == 0)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (ctr_vsock_path(id, dir, sizeof(dir)) == 0)
		unlink(dir);
	if (ctr_dir(root, id, dir, sizeof(dir)) < 0)
		return -1;
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return zerr(errno, "removing %s", dir);
	return 0;
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p)
		return 0;
	/* field 22 (starttime); p is at the end of field 2 */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

/* A monitor killed outright stays a zombie until someone reaps it. */
static bool proc_is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool z = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		z = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return z;
}

bool ctr_monitor_alive(const struct ctr_state *st)
{
	pid_t pid = st->monitor_pid;

	return pid > 0 && kill(pid, 0) == 0 && !proc_is_zombie(pid) &&
	       proc_start_time(pid) == st->monitor_start;
}

bool ctr_running(const struct ctr_state *st)
{
	return (st->status == CTR_RUNNING || st->status == CTR_PAUSED) && ctr_monitor_alive(st);
}

void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}
