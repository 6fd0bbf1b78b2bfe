/* runtime/state.c: typed state <-> JSON, atomic saves, listing, lookups. */
#include "tests/unit/check.h"
#include "common/zerr.h"
#include "runtime/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fill(struct ctr_state *st, const char *id, const char *name, const char *created)
{
	static char *argv[] = { "sh", "-c", "exit 3", NULL }, *env[] = { "A=1", NULL };

	memset(st, 0, sizeof(*st));
	ctr_set(&st->id, id);
	ctr_set(&st->name, name);
	ctr_set(&st->created, created);
	ctr_set(&st->bundle, "/b");
	ctr_set(&st->rootfs, "/b/rootfs");
	st->annotations = json_pack("{s:s}", "k", "v");
	st->status = CTR_EXITED;
	st->exited_known = true;
	st->exit_code = 3;
	st->proc = 7;
	st->config.argv = strv_dup(argv, -1);
	st->config.env = strv_dup(env, -1);
	ctr_set(&st->config.cwd, "/");
	st->config.cpus = 2;
	st->config.memory = 1ULL << 30;
	st->config.tty = true;
	st->config.stop_signal = 15;
	st->config.log_max_size = 1 << 20;
	st->config.log_max_files = 3;
	st->config.net = json_pack("{s:s, s:[{s:s, s:i, s:i, s:s}], s:[s], s:[[s, s]]}", "network",
				   "zone", "publish", "host_ip", "", "host_port", 8080, "port", 80,
				   "proto", "tcp", "dns", "1.1.1.1", "add_hosts", "db", "10.0.0.5");
	ctr_set(&st->network.name, "zone");
	ctr_set(&st->network.ip, "10.89.0.2");
	ctr_set(&st->network.tap, "ztc1");
}

static void test_roundtrip(void)
{
	struct ctr_state a, b;
	json_t *j;

	fill(&a, "c1", "one", "2026-01-01T00:00:00.000000000Z");
	j = ctr_state_to_json(&a);
	CHECK(ctr_state_from_json(j, &b) == 0, "state JSON reads back");
	CHECK(!strcmp(b.id, "c1") && !strcmp(b.name, "one") && !strcmp(b.rootfs, "/b/rootfs"), "strings");
	CHECK(b.status == CTR_EXITED && b.exited_known && b.exit_code == 3 && b.proc == 7, "status and exit");
	CHECK(!strcmp(b.config.argv[2], "exit 3") && !b.config.argv[3] && !strcmp(b.config.env[0], "A=1"),
	      "argv and env");
	CHECK(b.config.cpus == 2 && b.config.memory == 1ULL << 30 && b.config.tty && b.config.stop_signal == 15,
	      "config numbers and flags");
	CHECK(b.config.log_max_size == 1 << 20 && b.config.log_max_files == 3, "config: log bound");
	json_object_set_new(json_object_get(j, "config"), "log_max_size", json_integer(100));
	{
		struct ctr_state c;
		CHECK(ctr_state_from_json(j, &c) < 0, "config: a log bound below 4k is refused");
	}
	CHECK(json_is_string(json_object_get(b.annotations, "k")), "annotations");
	CHECK(json_equal(a.config.net, b.config.net), "config.net");
	CHECK(b.network.name && !strcmp(b.network.name, "zone") && !strcmp(b.network.ip, "10.89.0.2") &&
		      !strcmp(b.network.tap, "ztc1") && !b.network.gateway,
	      "the network the zone was attached to");
	CHECK(!strcmp(json_string_value(json_object_get(json_object_get(j, "network"), "ip")),
		      "10.89.0.2"),
	      "network written as an object (inspect's .network.ip)");
	CHECK(!strcmp(json_string_value(json_object_get(j, "status")), "exited"), "status written by name");
	json_decref(j);
	ctr_state_free(&a);
	ctr_state_free(&b);
}

static void test_wrong_types(void)
{
	static const char *const bad[] = {
		"[]", "{}", "{\"id\":5}", "{\"id\":\"x\",\"proc\":-1}", "{\"id\":\"x\",\"config\":[]}",
		"{\"id\":\"x\",\"config\":{\"argv\":[1]}}", "{\"id\":\"x\",\"config\":{\"tty\":\"yes\"}}",
		"{\"id\":\"x\",\"monitor_pid\":\"1\"}", "{\"id\":\"x\",\"config\":{\"cpus\":100000}}",
		"{\"id\":\"x\",\"config\":{\"net\":[]}}",
		"{\"id\":\"x\",\"config\":{\"net\":{\"network\":1}}}",
		"{\"id\":\"x\",\"config\":{\"net\":{\"publish\":[{\"host_ip\":\"\","
		"\"host_port\":\"80\",\"port\":80,\"proto\":\"tcp\"}]}}}",
		"{\"id\":\"x\",\"config\":{\"net\":{\"dns\":[1]}}}",
		"{\"id\":\"x\",\"config\":{\"net\":{\"add_hosts\":[[\"db\"]]}}}",
		"{\"id\":\"x\",\"network\":[]}", "{\"id\":\"x\",\"network\":{\"ip\":5}}",
	};
	char name[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		struct ctr_state st;
		snprintf(name, sizeof(name), "bad state #%zu refused", i);
		CHECK(j && ctr_state_from_json(j, &st) < 0, name);
		json_decref(j);
	}
}

static void test_files(void)
{
	char root[] = "/tmp/zone-state-test.XXXXXX", path[4200];
	struct ctr_state a, b, *list;
	char id[CTR_REF_MAX + 1];
	size_t n;
	struct stat sb;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp");
		return;
	}
	fill(&a, "web-1", "web-1", "2026-01-02T00:00:00.000000000Z");
	fill(&b, "web-2", "web-2", "2026-01-01T00:00:00.000000000Z");
	CHECK(ctr_save(root, &a) == 0 && ctr_save(root, &b) == 0, "save two");
	snprintf(path, sizeof(path), "%s/containers/web-1/state.json", root);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "state.json is private");
	ctr_state_free(&a);
	CHECK(ctr_load(root, "web-1", &a) == 0 && a.exit_code == 3, "load");
	ctr_state_free(&a);
	CHECK(ctr_list(root, &list, &n) == 0 && n == 2 && !strcmp(list[0].id, "web-2"), "list, oldest first");
	ctr_list_free(list, n);
	CHECK(ctr_resolve(root, "web", id) < 0, "an ambiguous prefix is refused");
	CHECK(ctr_resolve(root, "web-1", id) == 0 && !strcmp(id, "web-1"), "exact id");
	CHECK(ctr_resolve(root, "nope", id) < 0 && zerr_errno() == ENOENT, "unknown id: ENOENT");
	CHECK(ctr_load(root, "../etc", &a) < 0, "no state outside the root");
	CHECK(!ctr_running(&b), "an exited container is not running");
	b.status = CTR_RUNNING;
	b.monitor_pid = getpid();
	b.monitor_start = proc_start_time(getpid());
	CHECK(ctr_running(&b), "running while its monitor lives");
	b.monitor_start++;
	CHECK(!ctr_running(&b), "a reused pid is not the monitor");
	ctr_state_free(&b);

	char s1[4096], s2[4096];
	CHECK(ctr_vsock_path("test-container-1", s1, sizeof(s1)) == 0 &&
		      ctr_vsock_path("test-container-2", s2, sizeof(s2)) == 0 && strcmp(s1, s2),
	      "caller ids with a common prefix get distinct sockets");
	CHECK(strlen(s1) < 100, "socket path fits sun_path");
	CHECK(ctr_remove(root, "web-1") == 0 && ctr_remove(root, "web-2") == 0, "remove");
	CHECK(ctr_list(root, &list, &n) == 0 && n == 0, "empty after remove");
	ctr_list_free(list, n);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	if (system(path) != 0)
		CHECK(0, "cleanup");
}

int main(void)
{
	setenv("ZONE_RUNTIME_DIR", "/tmp", 1);
	test_roundtrip();
	test_wrong_types();
	test_files();
	CHECK_DONE();
}
