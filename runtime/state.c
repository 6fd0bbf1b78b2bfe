#include "runtime/state.h"
#include "common/util.h"
#include "common/zerr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

int ctr_dir(const char *root, const char *id, char *buf, size_t len)
{
	return fmt(buf, len, "%s/containers/%s", root, id);
}

int ctr_run_dir(const char *id, char *buf, size_t len)
{
	return fmt(buf, len, "%s/%s", zone_run_dir(), id);
}

int ctr_vsock_path(const char *id, char *buf, size_t len)
{
	/* short: sun_path has 108 bytes and the VMM appends _<port> */
	char shortid[13];

	snprintf(shortid, sizeof(shortid), "%.12s", id);
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

int ctr_save(const char *root, json_t *st)
{
	const char *id = json_string_value(json_object_get(st, "id"));
	char dir[4096], tmp[4200], path[4200];
	char *text;
	int fd, r;

	if (!id || ctr_dir(root, id, dir, sizeof(dir)) < 0 || mkdirs(dir, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/.state.json.%d", dir, getpid());
	text = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return zerr(ENOMEM, "state json");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = fd < 0 || write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0;
	if (fd >= 0)
		close(fd);
	free(text);
	if (r || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return zerr(e, "writing %s", path);
	}
	return 0;
}

int ctr_load(const char *root, const char *id, json_t **out)
{
	char path[4200];
	json_error_t je;

	if (ctr_dir(root, id, path, sizeof(path) - 16) < 0)
		return -1;
	strcat(path, "/state.json");
	*out = json_load_file(path, 0, &je);
	if (!*out)
		return zerr(errno == ENOENT ? ENOENT : EINVAL, "container %.12s: %s", id, je.text);
	return 0;
}

static bool is_id(const char *s)
{
	if (strlen(s) != CTR_ID_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int ctr_list(const char *root, json_t **out)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;

	*out = json_array();
	if (fmt(dir, sizeof(dir), "%s/containers%s", root, "") < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : zerr(errno, "opendir %s", dir);
	while ((e = readdir(d))) {
		json_t *st;
		if (!is_id(e->d_name) || ctr_load(root, e->d_name, &st) < 0)
			continue; /* a half-created or removed container */
		json_array_append_new(*out, st);
	}
	closedir(d);
	zerr_clear();
	/* oldest first */
	size_t n = json_array_size(*out);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			const char *a = json_string_value(json_object_get(json_array_get(*out, j - 1), "created"));
			const char *b = json_string_value(json_object_get(json_array_get(*out, j), "created"));
			if (!a || !b || strcmp(a, b) <= 0)
				break;
			json_t *x = json_incref(json_array_get(*out, j - 1));
			json_array_set(*out, j - 1, json_array_get(*out, j));
			json_array_set_new(*out, j, x);
		}
	return 0;
}

int ctr_resolve(const char *root, const char *ref, char id[CTR_ID_LEN + 1])
{
	json_t *all, *st;
	size_t i, n = 0, rlen = strlen(ref);

	if (!rlen)
		return zerr(EINVAL, "empty container name or id");
	if (ctr_list(root, &all) < 0)
		return -1;
	json_array_foreach(all, i, st) {
		const char *cid = json_string_value(json_object_get(st, "id"));
		const char *name = json_string_value(json_object_get(st, "name"));
		if (!cid)
			continue;
		if ((name && !strcmp(name, ref)) || !strcmp(cid, ref)) {
			snprintf(id, CTR_ID_LEN + 1, "%s", cid);
			json_decref(all);
			return 0;
		}
		if (!strncmp(cid, ref, rlen)) {
			snprintf(id, CTR_ID_LEN + 1, "%s", cid);
			n++;
		}
	}
	json_decref(all);
	if (n == 1)
		return 0;
	if (n > 1)
		return zerr(EINVAL, "container id prefix '%s' is ambiguous", ref);
	return zerr(ENOENT, "no such container: %s", ref);
}

bool ctr_name_taken(const char *root, const char *name)
{
	char id[CTR_ID_LEN + 1];
	json_t *all, *st;
	size_t i;
	bool taken = false;

	(void)id;
	if (ctr_list(root, &all) < 0)
		return false;
	json_array_foreach(all, i, st) {
		const char *n = json_string_value(json_object_get(st, "name"));
		if (n && !strcmp(n, name))
			taken = true;
	}
	json_decref(all);
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

bool ctr_running(json_t *st)
{
	const char *status = json_string_value(json_object_get(st, "status"));
	json_int_t pid = json_integer_value(json_object_get(st, "monitor_pid"));
	json_int_t start = json_integer_value(json_object_get(st, "monitor_start"));

	if (!status || strcmp(status, "running") || pid <= 0)
		return false;
	return kill(pid, 0) == 0 && !proc_is_zombie(pid) &&
	       proc_start_time(pid) == (unsigned long long)start;
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
