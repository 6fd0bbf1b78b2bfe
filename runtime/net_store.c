#include "runtime/net_store.h"
#include "runtime/net_spec.h"
#include "runtime/state.h"
#include "oci/fsat.h"
#include "common/util.h"
#include "common/zerr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t mask(unsigned prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

bool v4net_overlap(struct v4net a, struct v4net b)
{
	unsigned p = a.prefix < b.prefix ? a.prefix : b.prefix;
	return ((a.addr ^ b.addr) & mask(p)) == 0;
}

int host_routes_v4(struct v4net *out, int max)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], ifname[64];
	unsigned dst, gw, flags, refcnt, use, metric, msk;
	int n = 0;

	if (!f)
		return zerr(errno, "/proc/net/route");
	while (fgets(line, sizeof(line), f) && n < max) {
		if (sscanf(line, "%63s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refcnt,
			   &use, &metric, &msk) != 8 || msk == 0)
			continue; /* the header, or a default route */
		out[n].addr = ntohl(dst);
		out[n].prefix = __builtin_popcount(msk);
		n++;
	}
	fclose(f);
	return n;
}

int subnet_pick(const struct v4net *avoid, int navoid, struct v4net *out)
{
	for (int i = 0; i < 256 + 16; i++) {
		/* 10.88 .. 10.255, 10.0 .. 10.87, 172.16 .. 172.31 */
		struct v4net c = { i < 256 ? (10u << 24) | (uint32_t)((88 + i) % 256) << 16
					   : (172u << 24) | (uint32_t)(16 + i - 256) << 16,
				   16 };
		bool taken = false;
		for (int j = 0; j < navoid && !taken; j++)
			taken = v4net_overlap(c, avoid[j]);
		if (!taken) {
			*out = c;
			return 0;
		}
	}
	return zerr(EADDRNOTAVAIL, "no private /16 is free of the host's routes");
}

static int dir_path(const char *root, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/networks", root) >= len)
		return zerr(ENAMETOOLONG, "path too long");
	return 0;
}

static int net_dir(const char *root)
{
	char path[4096];
	int fd;

	if (dir_path(root, path, sizeof(path)) < 0)
		return -1;
	mkdir(root, 0700);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return zerr(errno, "mkdir %s", path);
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	return fd < 0 ? zerr(errno, "open %s", path) : fd;
}

int net_lock(const char *root)
{
	int dfd = net_dir(root), fd;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0)
		return zerr(errno, "network lock");
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return zerr(errno, "network lock");
	}
	return fd;
}

int net_load(const char *root, const char *name, json_t **out)
{
	char path[4200];
	json_error_t je;

	if (net_name_check(name) < 0 || dir_path(root, path, sizeof(path) - 64) < 0)
		return -1;
	snprintf(path + strlen(path), 64, "/%s.json", name);
	*out = json_load_file(path, 0, &je);
	if (!*out)
		return access(path, F_OK) < 0 ? zerr(ENOENT, "no network named %s", name)
					      : zerr(EIO, "network %s: %s", name, je.text);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
		      json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

int net_list(const char *root, json_t **out)
{
	int dfd = net_dir(root);
	json_t *arr = json_array(), *items[256];
	size_t n = 0;
	DIR *d;
	struct dirent *e;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		json_decref(arr);
		return -1;
	}
	while ((e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);
		char name[256];
		json_t *net;
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		if (net_load(root, name, &net) == 0)
			items[n++] = net;
		else
			zerr_clear();
	}
	closedir(d);
	qsort(items, n, sizeof(items[0]), by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	*out = arr;
	return 0;
}

/* zbr1, zbr2, ...: the first not used by a network nor by the host. */
static void bridge_name(json_t *nets, char name[16])
{
	for (int i = 1; i < 10000; i++) {
		bool used = false;
		size_t j;
		json_t *n;
		snprintf(name, 16, "zbr%d", i);
		json_array_foreach(nets, j, n)
			used |= !strcmp(json_string_value(json_object_get(n, "bridge")), name);
		if (!used && !if_nametoindex(name))
			return;
	}
}

int net_create(const char *root, const char *name, const char *subnet, bool locked, json_t **out)
{
	struct v4net avoid[512], pick;
	json_t *nets = NULL, *net = NULL, *e;
	char path[4200], bridge[16], sub[32], gw[16], now[64];
	int lock = -1, navoid, r = -1;
	size_t i;

	if (net_name_check(name) < 0)
		return -1;
	if (!strcmp(name, NET_NONE) || !strcmp(name, "host"))
		return zerr(EINVAL, "network name %s is reserved", name);
	if (!locked && (lock = net_lock(root)) < 0)
		return -1;
	if (net_load(root, name, &net) == 0) {
		zerr(EEXIST, "network %s already exists", name);
		goto out;
	}
	zerr_clear();
	if (net_list(root, &nets) < 0 || (navoid = host_routes_v4(avoid, 256)) < 0)
		goto out;
	json_array_foreach(nets, i, e) {
		struct inet_prefix p;
		if (inet_prefix_parse(json_string_value(json_object_get(e, "subnet")), false, &p) == 0) {
			avoid[navoid].addr = ntohl(*(uint32_t *)p.addr);
			avoid[navoid++].prefix = p.prefix;
		}
	}
	if (subnet) {
		struct inet_prefix p;
		if (inet_prefix_parse(subnet, false, &p) < 0 || p.family != AF_INET ||
		    p.prefix < 8 || p.prefix > 28) {
			zerr(EINVAL, "--subnet %s: want an IPv4 ADDR/LEN with LEN from 8 to 28", subnet);
			goto out;
		}
		pick.addr = ntohl(*(uint32_t *)p.addr) & mask(p.prefix);
		pick.prefix = p.prefix;
		for (int j = 0; j < navoid; j++)
			if (v4net_overlap(pick, avoid[j])) {
				zerr(EADDRINUSE, "--subnet %s overlaps a host route or another network",
				     subnet);
				goto out;
			}
	} else if (subnet_pick(avoid, navoid, &pick) < 0) {
		goto out;
	}
	struct in_addr a = { htonl(pick.addr) }, g = { htonl(pick.addr | 1) };
	char astr[16];
	inet_ntop(AF_INET, &a, astr, sizeof(astr));
	snprintf(sub, sizeof(sub), "%s/%u", astr, pick.prefix);
	inet_ntop(AF_INET, &g, gw, sizeof(gw));
	if (!strcmp(name, NET_DEFAULT))
		snprintf(bridge, sizeof(bridge), NET_DEFAULT_BRIDGE);
	else
		bridge_name(nets, bridge);
	now_rfc3339(now, sizeof(now));
	net = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "bridge", bridge, "subnet", sub,
			"gateway", gw, "created", now);
	char *text = json_dumps(net, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text || dir_path(root, path, sizeof(path) - 64) < 0) {
		free(text);
		zerr(ENOMEM, "network %s", name);
		goto out;
	}
	snprintf(path + strlen(path), 64, "/%s.json", name);
	r = fsat_write_atomic(path, NULL, text, strlen(text));
	free(text);
	if (r == 0 && out) {
		*out = net;
		net = NULL;
	}
out:
	json_decref(nets);
	json_decref(net);
	if (lock >= 0)
		close(lock);
	return r;
}

int net_delete(const char *root, const char *name)
{
	char leases[300], file[300];
	int dfd = net_dir(root);

	if (dfd < 0 || net_name_check(name) < 0) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	snprintf(leases, sizeof(leases), "%s.leases", name);
	snprintf(file, sizeof(file), "%s.json", name);
	fsat_rm_rf(dfd, leases);
	int r = unlinkat(dfd, file, 0) < 0 && errno != ENOENT ? zerr(errno, "removing %s", file) : 0;
	close(dfd);
	return r;
}

bool owner_alive(long pid, unsigned long long start)
{
	return pid > 0 && kill(pid, 0) == 0 && proc_start_time(pid) == start;
}

/* Open <networks>/<name>.leases (created). */
static int leases_dir(const char *root, const char *netname)
{
	char sub[300];
	int dfd = net_dir(root), fd;

	if (dfd < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s.leases", netname);
	if (mkdirat(dfd, sub, 0700) < 0 && errno != EEXIST) {
		close(dfd);
		return zerr(errno, "mkdir %s", sub);
	}
	fd = openat(dfd, sub, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	close(dfd);
	return fd < 0 ? zerr(errno, "open %s", sub) : fd;
}

/* Read a lease: 1 when it is held by a live monitor (id into holder). */
static int lease_live(int dfd, const char *ip, char holder[CTR_ID_LEN + 1])
{
	char buf[160];
	long pid;
	unsigned long long start;
	int fd = openat(dfd, ip, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%64s %ld %llu", holder, &pid, &start) != 3)
		return 0;
	return owner_alive(pid, start);
}

int lease_take(const char *root, json_t *net, const char *id, char ip[16])
{
	const char *name = json_string_value(json_object_get(net, "name"));
	struct inet_prefix sub;
	char line[160], holder[CTR_ID_LEN + 1];
	uint32_t base, count;
	int dfd;

	if (inet_prefix_parse(json_string_value(json_object_get(net, "subnet")), false, &sub) < 0)
		return zerr_prefix("network %s", name);
	base = ntohl(*(uint32_t *)sub.addr) & mask(sub.prefix);
	count = 1u << (32 - sub.prefix);
	if ((dfd = leases_dir(root, name)) < 0)
		return -1;
	snprintf(line, sizeof(line), "%s %ld %llu\n", id, (long)getpid(),
		 proc_start_time(getpid()));
	/* .1 is the gateway; the last address is broadcast */
	for (uint32_t h = 2; h < count - 1; h++) {
		struct in_addr a = { htonl(base + h) };
		inet_ntop(AF_INET, &a, ip, 16);
		if (lease_live(dfd, ip, holder))
			continue;
		/* free or stale: ours now (the lock serialises takers) */
		char tmp[32];
		snprintf(tmp, sizeof(tmp), ".%s.tmp", ip);
		int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0 ||
		    renameat(dfd, tmp, dfd, ip) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			close(dfd);
			return zerr(e, "lease %s", ip);
		}
		close(fd);
		close(dfd);
		return 0;
	}
	close(dfd);
	return zerr(EADDRNOTAVAIL, "network %s has no free address", name);
}

void lease_release(const char *root, const char *netname, const char *ip, const char *id)
{
	char holder[CTR_ID_LEN + 1] = "", buf[160];
	int dfd = leases_dir(root, netname), fd;
	ssize_t n;

	if (dfd < 0) {
		zerr_clear();
		return;
	}
	fd = openat(dfd, ip, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "%64s", holder) == 1 && !strcmp(holder, id))
			unlinkat(dfd, ip, 0);
	}
	close(dfd);
}

int lease_count_live(const char *root, const char *netname)
{
	char holder[CTR_ID_LEN + 1];
	int dfd = leases_dir(root, netname), n = 0;
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return -1;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return zerr(errno, "leases");
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && lease_live(dirfd(d), e->d_name, holder))
			n++;
	closedir(d);
	return n;
}

int lease_sweep(const char *root, const char *netname)
{
	char holder[CTR_ID_LEN + 1];
	int dfd = leases_dir(root, netname), n = 0;
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return -1;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return zerr(errno, "leases");
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !lease_live(dirfd(d), e->d_name, holder) &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	closedir(d);
	return n;
}
