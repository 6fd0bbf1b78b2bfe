/* devices/virtio_fs.c + devices/vhost_user.c against the real back end:
 * Debian's virtiofsd, started the way zone-vmm starts it
 * (vmm/virtiofsd.c).  The test plays the guest driver: guest RAM is a
 * memfd (base/guest_memory.h), the transport is driven through its MMIO
 * registers, FUSE requests are descriptor chains in that RAM, kicks go
 * into the queue's eventfd (as KVM's ioeventfd would) and completions are
 * awaited on the irqfd's eventfd.  Needs root (virtiofsd's namespace
 * sandbox) and /usr/lib/qemu/virtiofsd. */
#include "tests/unit/check.h"
#include "devices/virtio_fs.h"
#include "devices/virtio_mmio.h"
#include "vmm/virtiofsd.h"
#include "jail/jail.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RAM (64ull << 20)
#define QSIZE 16
#define REQ_BUF 0x100000ull  /* request bytes (driver -> device) */
#define RESP_BUF 0x200000ull /* reply bytes (device -> driver) */
#define RESP_LEN 0x10000u

static struct guest_mem gm;
static struct loop *loop;
static char dir[] = "/tmp/zone-vfs-test.XXXXXX";
static uint64_t unique = 1;

/* one virtio-fs device with its back end, as zone-vmm wires it */
struct tdev {
	struct virtio_fs *fs;
	struct virtio_dev *d;
	pid_t pid;
	int irqfd;
	int kick[VIRTIO_FS_QUEUES];
	uint64_t ring_base; /* queue q's rings at ring_base + q * 0x3000 */
	pthread_t loop_thread; /* runs the device's own loop (start_dev) */
	bool has_thread;
	uint16_t avail_idx[VIRTIO_FS_QUEUES];
};

static void on_kick(void *arg, uint32_t ev)
{
	/* what vmm/virtio_attach.c's on_notify does with an ioeventfd */
	struct tdev *t = arg;
	uint64_t v;
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++)
		if (read(t->kick[q], &v, sizeof(v)) == sizeof(v))
			virtio_queue_notified(t->d, q);
}

static uint32_t rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v = 0;
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, true);
}

static void *loop_thread(void *arg)
{
	loop_run(loop);
	return NULL;
}

/* Each device gets a loop of its own, stopped before the device is freed
 * (zone-vmm frees devices only once its loop has returned). with_thread:
 * run it on a new thread now (the jailed case starts its own). */
static int start_dev(struct tdev *t, const char *tag, const char *path, bool ro,
		     uint64_t ring_base, bool with_thread)
{
	struct fs_share s = { .tag = tag, .path = path, .readonly = ro };
	int fd;

	t->ring_base = ring_base;
	loop = loop_new();
	if (!loop)
		return -1;
	if (with_thread) {
		if (pthread_create(&t->loop_thread, NULL, loop_thread, NULL))
			return -1;
		t->has_thread = true;
	}
	fd = virtiofsd_start(&s, &t->pid);
	if (fd < 0)
		return -1;
	t->fs = virtio_fs_new(tag, fd, &gm, loop);
	if (!t->fs)
		return -1;
	t->d = virtio_fs_dev(t->fs);
	t->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->d->irqfd = t->irqfd;
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		t->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		t->d->notify_fds[q] = t->kick[q];
		loop_add(loop, t->kick[q], EPOLLIN, on_kick, t);
	}
	return 0;
}

/* The Linux driver's bring-up, through the registers. */
static bool driver_init(struct tdev *t)
{
	struct virtio_dev *d = t->d;
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	memset(gm.host + t->ring_base, 0, 0x3000 * VIRTIO_FS_QUEUES);
	memset(t->avail_idx, 0, sizeof(t->avail_idx));
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, s);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	if (!(rd(d, VIRTIO_MMIO_DEVICE_FEATURES) & 1)) /* VERSION_1 is bit 32 */
		return false;
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(d, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		uint64_t b = t->ring_base + 0x3000ull * q;
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)b);
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(b + 0x1000));
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(b + 0x2000));
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return (rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc dsc = { .addr = addr, .len = len, .flags = flags, .next = next };
	memcpy(gm.host + table + 16 * i, &dsc, sizeof(dsc));
}

static uint16_t used_idx(struct tdev *t, unsigned q)
{
	uint16_t v;
	memcpy(&v, gm.host + t->ring_base + 0x3000ull * q + 0x2002, 2);
	return __atomic_load_n(&v, __ATOMIC_ACQUIRE);
}

/* Put a request (header + args) on the request queue; kick unless told
 * not to.  Returns the avail index it took. */
static uint16_t post(struct tdev *t, uint32_t opcode, uint64_t nodeid, const void *args,
		     uint32_t args_len, bool kick)
{
	const unsigned q = 1;
	uint64_t b = t->ring_base + 0x3000ull * q;
	uint16_t idx = t->avail_idx[q], head = (idx * 2) % QSIZE;
	struct fuse_in_header h = { .len = sizeof(h) + args_len, .opcode = opcode,
				    .unique = unique++, .nodeid = nodeid };
	uint64_t req = REQ_BUF + 0x10000ull * (idx % 8), resp = RESP_BUF + RESP_LEN * (idx % 8);
	uint64_t one = 1;

	memcpy(gm.host + req, &h, sizeof(h));
	memcpy(gm.host + req + sizeof(h), args, args_len);
	memset(gm.host + resp, 0xee, RESP_LEN);
	put_desc(b, head, req, h.len, VRING_DESC_F_NEXT, head + 1);
	put_desc(b, head + 1, resp, RESP_LEN, VRING_DESC_F_WRITE, 0);
	memcpy(gm.host + b + 0x1000 + 4 + 2 * (idx % QSIZE), &head, 2);
	t->avail_idx[q] = ++idx;
	__atomic_store_n((uint16_t *)(gm.host + b + 0x1002), idx, __ATOMIC_RELEASE);
	if (kick && write(t->kick[q], &one, sizeof(one)) < 0)
		return 0;
	return idx - 1;
}

/* Wait for the used ring to reach the request and its interrupt. */
static struct fuse_out_header *await(struct tdev *t, uint16_t idx, bool *irq)
{
	struct pollfd p = { .fd = t->irqfd, .events = POLLIN };
	uint64_t v;

	*irq = false;
	for (int waited = 0; waited < 10000 && used_idx(t, 1) <= idx; waited += 10) {
		if (poll(&p, 1, 10) == 1 && read(t->irqfd, &v, sizeof(v)) == sizeof(v))
			*irq = true;
	}
	if (read(t->irqfd, &v, sizeof(v)) == sizeof(v))
		*irq = true;
	if (used_idx(t, 1) <= idx)
		return NULL;
	return (struct fuse_out_header *)(gm.host + RESP_BUF + RESP_LEN * (idx % 8));
}

static struct fuse_out_header *call(struct tdev *t, uint32_t opcode, uint64_t nodeid,
				    const void *args, uint32_t args_len)
{
	bool irq;
	return await(t, post(t, opcode, nodeid, args, args_len, true), &irq);
}

static bool fuse_init(struct tdev *t)
{
	struct fuse_init_in in = { .major = FUSE_KERNEL_VERSION, .minor = 31,
				   .max_readahead = 65536 };
	struct fuse_out_header *o = call(t, FUSE_INIT, 0, &in, sizeof(in));
	struct fuse_init_out *out = o ? (void *)(o + 1) : NULL;
	return o && o->error == 0 && out->major == FUSE_KERNEL_VERSION;
}

static void write_host_file(const char *name, const char *content)
{
	char path[256];
	int fd;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd >= 0) {
		write_all(fd, content, strlen(content));
		close(fd);
	}
}

static void test_io(struct tdev *t)
{
	static const char hello[] = "hello from the host\n", data[] = "written by the guest\n";
	struct fuse_out_header *o;
	struct fuse_entry_out ent;
	uint8_t args[512];
	char hostpath[256], buf[64] = { 0 };
	uint64_t nodeid, fh;
	bool irq;
	int fd;

	write_host_file("hello.txt", hello);
	CHECK(fuse_init(t), "FUSE_INIT answered by virtiofsd (protocol 7)");
	CHECK(rd(t->d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING,
	      "ISR reports a used buffer while the back end signals by irqfd");

	o = call(t, FUSE_LOOKUP, FUSE_ROOT_ID, "hello.txt", sizeof("hello.txt"));
	CHECK(o && o->error == 0, "LOOKUP hello.txt");
	if (!o || o->error)
		return;
	memcpy(&ent, o + 1, sizeof(ent));
	nodeid = ent.nodeid;
	CHECK(ent.attr.size == strlen(hello) && S_ISREG(ent.attr.mode),
	      "LOOKUP: size and type of the host file");

	struct fuse_getattr_in ga = { 0 };
	o = call(t, FUSE_GETATTR, nodeid, &ga, sizeof(ga));
	CHECK(o && o->error == 0 && ((struct fuse_attr_out *)(o + 1))->attr.size == strlen(hello),
	      "GETATTR");

	struct fuse_open_in oi = { .flags = O_RDONLY };
	o = call(t, FUSE_OPEN, nodeid, &oi, sizeof(oi));
	CHECK(o && o->error == 0, "OPEN read-only");
	fh = o ? ((struct fuse_open_out *)(o + 1))->fh : 0;
	struct fuse_read_in ri = { .fh = fh, .offset = 0, .size = 4096 };
	o = call(t, FUSE_READ, nodeid, &ri, sizeof(ri));
	CHECK(o && o->error == 0 && o->len == sizeof(*o) + strlen(hello) &&
		      !memcmp(o + 1, hello, strlen(hello)),
	      "READ returns the host file's bytes");

	struct fuse_create_in ci = { .flags = O_WRONLY | O_CREAT | O_EXCL, .mode = S_IFREG | 0640 };
	memcpy(args, &ci, sizeof(ci));
	memcpy(args + sizeof(ci), "new.txt", 8);
	o = call(t, FUSE_CREATE, FUSE_ROOT_ID, args, sizeof(ci) + 8);
	CHECK(o && o->error == 0, "CREATE new.txt");
	if (!o || o->error)
		return;
	memcpy(&ent, o + 1, sizeof(ent));
	fh = ((struct fuse_open_out *)((uint8_t *)(o + 1) + sizeof(ent)))->fh;
	struct fuse_write_in wi = { .fh = fh, .offset = 0, .size = strlen(data) };
	memcpy(args, &wi, sizeof(wi));
	memcpy(args + sizeof(wi), data, strlen(data));
	o = call(t, FUSE_WRITE, ent.nodeid, args, sizeof(wi) + strlen(data));
	CHECK(o && o->error == 0 && ((struct fuse_write_out *)(o + 1))->size == strlen(data),
	      "WRITE to the new file");
	struct fuse_flush_in fi = { .fh = fh };
	o = call(t, FUSE_FLUSH, ent.nodeid, &fi, sizeof(fi));
	snprintf(hostpath, sizeof(hostpath), "%s/new.txt", dir);
	fd = open(hostpath, O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(fd);
	}
	struct stat st;
	CHECK(!strcmp(buf, data) && stat(hostpath, &st) == 0 && (st.st_mode & 07777) == 0640,
	      "the host sees the file the guest created, content and mode");

	/* a guest root cannot make device nodes on the host (modcaps=-mknod) */
	struct fuse_mknod_in mk = { .mode = S_IFCHR | 0666, .rdev = (1 << 8) | 3 };
	memcpy(args, &mk, sizeof(mk));
	memcpy(args + sizeof(mk), "nulldev", 8);
	o = call(t, FUSE_MKNOD, FUSE_ROOT_ID, args, sizeof(mk) + 8);
	snprintf(hostpath, sizeof(hostpath), "%s/nulldev", dir);
	CHECK(o && o->error == -EPERM && lstat(hostpath, &st) < 0,
	      "MKNOD of a character device is refused on the host (EPERM)");

	/* a request the back end will never see kicked: pending at the kill */
	uint16_t pending = post(t, FUSE_GETATTR, nodeid, &ga, sizeof(ga), false);
	CHECK(kill(t->pid, SIGKILL) == 0 && waitpid(t->pid, NULL, 0) == t->pid,
	      "virtiofsd SIGKILLed and reaped");
	for (int i = 0; i < 500 && !virtio_fs_backend_lost(t->fs); i++)
		usleep(10000);
	CHECK(virtio_fs_backend_lost(t->fs), "the device notices the back end is gone");
	o = await(t, pending, &irq);
	CHECK(o && o->error == -EIO && o->len == sizeof(*o) && irq,
	      "the request pending at the kill is answered EIO, with an interrupt");
	o = call(t, FUSE_GETATTR, nodeid, &ga, sizeof(ga));
	CHECK(o && o->error == -EIO, "a later request gets EIO, not a hang");
	CHECK(rd(t->d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING,
	      "the VMM raises the used-buffer interrupt itself now");
	wr(t->d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(!(rd(t->d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING),
	      "and the ISR bit acks again (not sticky after the takeover)");
	CHECK(driver_init(t), "a reset and a new bring-up work without a back end");
	o = call(t, FUSE_INIT, 0, &(struct fuse_init_in){ .major = 7, .minor = 31 },
		 sizeof(struct fuse_init_in));
	CHECK(o && o->error == -EIO, "after the reset too: EIO");
}

static void test_readonly(struct tdev *t)
{
	struct fuse_create_in ci = { .flags = O_WRONLY | O_CREAT, .mode = S_IFREG | 0644 };
	uint8_t args[64];
	struct fuse_out_header *o;
	char path[256];

	CHECK(fuse_init(t), "read-only share: FUSE_INIT");
	memcpy(args, &ci, sizeof(ci));
	memcpy(args + sizeof(ci), "nope.txt", 9);
	o = call(t, FUSE_CREATE, FUSE_ROOT_ID, args, sizeof(ci) + 9);
	snprintf(path, sizeof(path), "%s/nope.txt", dir);
	CHECK(o && o->error == -EROFS && access(path, F_OK) < 0,
	      "read-only share: CREATE fails with EROFS on the host side");
	o = call(t, FUSE_LOOKUP, FUSE_ROOT_ID, "hello.txt", sizeof("hello.txt"));
	CHECK(o && o->error == 0, "read-only share: LOOKUP still works");
	/* a driver reset hands the rings back: GET_VRING_BASE to a live back end */
	wr(t->d, VIRTIO_MMIO_STATUS, 0);
	CHECK(!virtio_fs_backend_lost(t->fs), "reset with a live back end keeps it");
	CHECK(driver_init(t) && fuse_init(t), "bring-up again after the reset");
}

static void test_file_share(struct tdev *t)
{
	struct fuse_out_header *o;
	struct fuse_entry_out ent;

	CHECK(fuse_init(t), "file share: FUSE_INIT");
	o = call(t, FUSE_LOOKUP, FUSE_ROOT_ID, "hello.txt", sizeof("hello.txt"));
	memcpy(&ent, o ? (void *)(o + 1) : (void *)&ent, sizeof(ent));
	CHECK(o && o->error == 0 && ent.attr.size == strlen("hello from the host\n"),
	      "file share: the file is there under its own name");
	o = call(t, FUSE_LOOKUP, FUSE_ROOT_ID, "new.txt", sizeof("new.txt"));
	CHECK(o && o->error == -ENOENT, "file share: its siblings on the host are not");
}

static void stop_dev(struct tdev *t)
{
	if (t->has_thread) {
		loop_stop(loop, 0);
		pthread_join(t->loop_thread, NULL);
		t->has_thread = false;
	}
	for (unsigned q = 0; q < VIRTIO_FS_QUEUES; q++) {
		loop_del(loop, t->kick[q]);
		close(t->kick[q]);
	}
	virtio_fs_free(t->fs);
	loop_free(loop);
	loop = NULL;
	close(t->irqfd);
	if (t->pid > 0)
		CHECK(virtiofsd_reap(t->pid, 5000) == 0, "virtiofsd exits when its socket closes");
}

static void test_bad_share(void)
{
	struct fs_share s = { .tag = "x", .path = "relative/dir" };
	pid_t pid;
	char arg[64] = "tag=/no/such/dir/at/all";

	CHECK(virtiofsd_start(&s, &pid) < 0 && strstr(zerr_msg(), "not absolute"),
	      "relative host path refused");
	s.path = "/no/such/dir/at/all";
	CHECK(virtiofsd_start(&s, &pid) < 0 && zerr_errno() == ENOENT, "missing host path refused");
	s.path = "/dev/null";
	CHECK(virtiofsd_start(&s, &pid) < 0, "a device as host path refused");
	CHECK(fs_share_parse(arg, &s) == 0 && !strcmp(s.tag, "tag") && !s.readonly,
	      "--fs TAG=PATH parses");
	strcpy(arg, "t=/x,ro");
	CHECK(fs_share_parse(arg, &s) == 0 && s.readonly && !strcmp(s.path, "/x"),
	      "--fs TAG=PATH,ro parses");
	strcpy(arg, "=/x");
	CHECK(fs_share_parse(arg, &s) < 0, "--fs without a tag refused");
}

/* The device under zone-vmm's seccomp filter: it is created (and
 * virtiofsd started) before the jail, as zone-vmm does; bring-up, requests,
 * noticing the back end's death (the parent kills it) and reaping it all
 * happen after.  A system call the filter lacks kills the child (SIGSYS). */
static void *jailed_loop_thread(void *arg)
{
	if (jail_seccomp() < 0)
		syscall(SYS_exit_group, 93);
	loop_run(loop);
	return NULL;
}

static void jailed_child(int to_parent, int from_parent)
{
	struct tdev t = { 0 };
	struct fuse_out_header *o;
	pthread_t th;
	char go;

	if (gmem_create(&gm, RAM) < 0 || start_dev(&t, "jailed", dir, false, 0x40000, false) < 0 ||
	    write(to_parent, &t.pid, sizeof(t.pid)) != sizeof(t.pid))
		syscall(SYS_exit_group, 90);
	/* threads are made before the filter (ASan's thread start calls
	 * sched_getaffinity, which zone-vmm's non-ASan threads never do;
	 * test_jail covers thread creation), each then filters itself */
	pthread_create(&th, NULL, jailed_loop_thread, NULL);
	if (jail_seccomp() < 0)
		syscall(SYS_exit_group, 91);
	CHECK(driver_init(&t) && fuse_init(&t), "jailed: bring-up and FUSE_INIT");
	o = call(&t, FUSE_LOOKUP, FUSE_ROOT_ID, "hello.txt", sizeof("hello.txt"));
	CHECK(o && o->error == 0, "jailed: LOOKUP");
	if (write(to_parent, "k", 1) != 1 || read(from_parent, &go, 1) != 1)
		syscall(SYS_exit_group, 92);
	for (int i = 0; i < 500 && !virtio_fs_backend_lost(t.fs); i++)
		usleep(10000);
	o = call(&t, FUSE_GETATTR, FUSE_ROOT_ID, &(struct fuse_getattr_in){ 0 },
		 sizeof(struct fuse_getattr_in));
	CHECK(o && o->error == -EIO, "jailed: the back end's death noticed, EIO answered");
	CHECK(virtiofsd_reap(t.pid, 5000) == 0, "jailed: the dead back end is reaped");
	/* the loop thread is left running and the device in place: under
	 * ASan a thread's exit calls sigaltstack, which the filter (rightly)
	 * does not allow, and a device is freed only once its loop stopped */
	fflush(stdout);
	/* the raw system call: ASan's _exit hooks call sigaltstack */
	syscall(SYS_exit_group, check_failures ? 1 : 0);
}

static void test_jailed(void)
{
	int up[2], down[2], st = -1;
	pid_t child, backend = -1;
	char c;

	if (pipe(up) < 0 || pipe(down) < 0)
		return;
	fflush(stdout);
	child = fork();
	if (child == 0) {
		close(up[0]);
		close(down[1]);
		jailed_child(up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &backend, sizeof(backend)) == sizeof(backend) && read(up[0], &c, 1) == 1) {
		kill(backend, SIGKILL);
		if (write(down[1], "g", 1) != 1)
			kill(child, SIGKILL);
	}
	close(up[0]);
	close(down[1]);
	waitpid(child, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS
		      ? "jailed device: a system call missing from the seccomp filter (SIGSYS)"
		      : "jailed device: everything after the jail works under the seccomp filter");
}

int main(void)
{
	struct tdev t = { 0 }, ro = { 0 }, file = { 0 };
	char filepath[300];

	/* lines reach the log even if a back end takes the test down */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0 || access(VIRTIOFSD_PATH, X_OK) < 0) {
		CHECK(0, "needs root and " VIRTIOFSD_PATH " (scripts/setup.sh installs it)");
		CHECK_DONE();
	}
	test_bad_share();
	if (!mkdtemp(dir) || gmem_create(&gm, RAM) < 0) {
		CHECK(0, "setup");
		CHECK_DONE();
	}

	CHECK(start_dev(&t, "vol", dir, false, 0x10000, true) == 0, "virtiofsd started, handshake done");
	if (t.fs) {
		CHECK(!memcmp(t.d->config, "vol", 4) && t.d->config_len == 40,
		      "config space: tag and num_request_queues");
		CHECK(driver_init(&t), "driver bring-up to DRIVER_OK hands the queues over");
		test_io(&t);
		stop_dev(&t);
	}
	CHECK(start_dev(&ro, "ro", dir, true, 0x20000, true) == 0 && driver_init(&ro),
	      "read-only share started");
	if (ro.fs) {
		test_readonly(&ro);
		stop_dev(&ro);
	}
	snprintf(filepath, sizeof(filepath), "%s/hello.txt", dir);
	CHECK(start_dev(&file, "file", filepath, false, 0x30000, true) == 0 && driver_init(&file),
	      "file share started");
	if (file.fs) {
		test_file_share(&file);
		stop_dev(&file);
	}

	gmem_destroy(&gm);
	test_jailed();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
