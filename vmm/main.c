/* zone-vmm: one process per zone.  Boots the guest kernel with zone-init,
 * runs one command in the zone and exits with its status. */
#include "common/cpio.h"
#include "common/util.h"
#include "common/zerr.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_fs.h"
#include "devices/virtio_rng.h"
#include "devices/virtio_vsock.h"
#include "idm/ports.h"
#include "jail/jail.h"
#include "vmm/boot.h"
#include "vmm/cmd_runner.h"
#include "vmm/layout.h"
#include "vmm/vm.h"
#include "vmm/virtiofsd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_VMM_ERROR 125 /* like podman: the runtime itself failed */
#define MAX_DISKS 8
#define MAX_SHARES 8

struct options {
	const char *kernel, *initrd, *console_log, *extra_cmdline;
	const char *vsock; /* Unix socket for host <-> guest vsock */
	bool interactive, tty;
	bool no_jail; /* --no-jail: debugging only */
	uint64_t mem;
	int cpus;
	struct {
		const char *path;
		bool ro;
	} disks[MAX_DISKS];
	int ndisks;
	struct fs_share shares[MAX_SHARES]; /* --fs: one virtiofsd each */
	pid_t share_pids[MAX_SHARES];
	int nshares;
	char **cmd;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zone-vmm [--kernel PATH] [--initrd PATH] [--mem 256M] [--cpus N]\n"
		"                [--disk PATH[,ro]]... [--fs TAG=HOSTPATH[,ro]]...\n"
		"                [--cmdline 'extra args']\n"
		"                [--console-log FILE] [--vsock PATH] [--no-jail] [-i] [-t]\n"
		"                [-- CMD [ARGS...]]\n"
		"  CMD runs in the zone through zone-init's IDM server; zone-vmm exits\n"
		"  with its status.  Without CMD the zone runs until it is shut down\n"
		"  over IDM (needs --vsock) or zone-vmm gets SIGTERM.\n"
		"  -i            pass stdin to CMD (otherwise CMD reads EOF)\n"
		"  -t            give CMD a terminal in the zone\n"
		"  --no-jail     do not jail zone-vmm (namespaces, no capabilities, seccomp)\n"
		"                once the VM is set up: for debugging only\n"
		"  --vsock PATH  guest vsock (CID %d): host clients connect to PATH and send\n"
		"                'CONNECT <port>\\n' (zone-init serves IDM on port %d);\n"
		"                guest connections to port P reach PATH_P\n"
		"  --fs TAG=HOSTPATH[,ro]  share a host directory (or one file) over\n"
		"                virtio-fs: the guest mounts -t virtiofs TAG; ,ro is\n"
		"                read-only on the host side too\n",
		VSOCK_GUEST_CID, IDM_VSOCK_PORT);
}

static uint64_t host_mem_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	return pages > 0 && psize > 0 ? (uint64_t)pages * psize : 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, 0, 'k' },  { "initrd", required_argument, 0, 'I' },
		{ "mem", required_argument, 0, 'm' },	  { "cpus", required_argument, 0, 'c' },
		{ "disk", required_argument, 0, 'd' },	  { "cmdline", required_argument, 0, 'a' },
		{ "console-log", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
		{ "vsock", required_argument, 0, 'v' },	  { "no-jail", no_argument, 0, 'J' },
		{ "fs", required_argument, 0, 'f' },
		{ 0, 0, 0, 0 }
	};
	uint64_t v;
	int c;

	o->mem = 256ULL << 20;
	o->cpus = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hit", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'I': o->initrd = optarg; break;
		case 'l': o->console_log = optarg; break;
		case 'a': o->extra_cmdline = optarg; break;
		case 'v': o->vsock = optarg; break;
		case 'J': o->no_jail = true; break;
		case 'm':
			if (parse_size(optarg, &v) < 0)
				return zerr_prefix("--mem");
			if (v < MIN_GUEST_MEM)
				return zerr(0, "--mem %s is too small (minimum 64M)", optarg);
			if (v > host_mem_bytes())
				return zerr(0, "--mem %s is more than this host's memory (%lluM)",
					    optarg, (unsigned long long)(host_mem_bytes() >> 20));
			o->mem = v & ~0xfffffULL;
			break;
		case 'c':
			if (parse_uint(optarg, 1, VM_MAX_CPUS, &v) < 0)
				return zerr_prefix("--cpus");
			o->cpus = v;
			break;
		case 'd': {
			char *comma;
			if (o->ndisks == MAX_DISKS)
				return zerr(0, "at most %d --disk options", MAX_DISKS);
			comma = strchr(optarg, ',');
			if (comma) {
				if (strcmp(comma, ",ro") && strcmp(comma, ",rw"))
					return zerr(0, "--disk %s: options are ,ro or ,rw", optarg);
				o->disks[o->ndisks].ro = !strcmp(comma, ",ro");
				*comma = 0;
			}
			o->disks[o->ndisks++].path = optarg;
			break;
		}
		case 'f':
			if (o->nshares == MAX_SHARES)
				return zerr(0, "at most %d --fs options", MAX_SHARES);
			if (fs_share_parse(optarg, &o->shares[o->nshares]) < 0)
				return -1;
			/* checked again when virtiofsd starts; here for a clear early error */
			if (access(o->shares[o->nshares].path, F_OK) < 0)
				return zerr(0, "--fs %s: %s: %s", o->shares[o->nshares].tag,
					    o->shares[o->nshares].path, strerror(errno));
			o->nshares++;
			break;
		case 'i': o->interactive = true; break;
		case 't': o->tty = true; break;
		case 'h': usage(stdout); exit(0);
		case '?':
		default:
			if (optopt)
				return zerr(0, "unknown or incomplete option -%c", optopt);
			return zerr(0, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->cmd = argv + optind;
	else if (!o->vsock)
		return zerr(0, "no command given (zone-vmm [options] -- CMD [ARGS...], "
			       "or --vsock PATH to serve the zone)");
	return 0;
}

/* hvc0 carries zone-init's own messages (the command's output travels
 * over IDM). */
static void stderr_sink(void *arg, const uint8_t *buf, size_t len)
{
	write_all(STDERR_FILENO, buf, len);
}

struct sig_ctx {
	struct vm *vm;
	int fd;
	int signo; /* the signal that stopped us, 0 if none */
};

static void on_signal(void *arg, uint32_t ev)
{
	struct sig_ctx *sc = arg;
	struct signalfd_siginfo si;

	if (read(sc->fd, &si, sizeof(si)) != sizeof(si))
		return;
	sc->signo = si.ssi_signo;
	vm_stop(sc->vm, VM_STOP_HOST);
}

static int check_initrd(const char *path)
{
	uint8_t *buf;
	size_t len;
	int r;

	if (read_file(path, 1ULL << 30, &buf, &len) < 0)
		return zerr_prefix("initrd");
	r = cpio_validate(buf, len);
	free(buf);
	return r < 0 ? zerr_prefix("initrd %s", path) : 0;
}

static int add_devices(struct options *o, struct vm *vm, struct loop *loop,
		       struct virtio_vsock **vsock)
{
	struct virtio_console *con = virtio_console_new(&vm->mem, loop, -1, stderr_sink, NULL);
	if (!con || vm_add_virtio(vm, virtio_console_dev(con)) < 0) {
		virtio_console_free(con);
		return -1;
	}
	struct virtio_dev *rng = virtio_rng_new(&vm->mem, loop);
	if (!rng || vm_add_virtio(vm, rng) < 0) {
		free(rng);
		return -1;
	}
	struct virtio_vsock *vs = virtio_vsock_new(o->vsock, VSOCK_GUEST_CID, &vm->mem, loop);
	if (!vs || vm_add_virtio(vm, virtio_vsock_dev(vs)) < 0) {
		virtio_vsock_free(vs);
		return -1;
	}
	*vsock = vs;
	for (int i = 0; i < o->ndisks; i++) {
		struct virtio_blk *b = virtio_blk_open(o->disks[i].path, o->disks[i].ro, &vm->mem, loop);
		if (!b || vm_add_virtio(vm, virtio_blk_dev(b)) < 0) {
			virtio_blk_close(b);
			return -1;
		}
	}
	/* virtiofsd runs outside the jail, started before it: all of them
	 * first, so they come up in parallel, then one handshake each */
	int fs_fds[MAX_SHARES];
	for (int i = 0; i < o->nshares; i++)
		fs_fds[i] = virtiofsd_start(&o->shares[i], &o->share_pids[i]);
	for (int i = 0; i < o->nshares; i++) {
		struct virtio_fs *fs = NULL;
		if (fs_fds[i] >= 0)
			fs = virtio_fs_new(o->shares[i].tag, fs_fds[i], &vm->mem, loop);
		if (!fs || vm_add_virtio(vm, virtio_fs_dev(fs)) < 0) {
			virtio_fs_free(fs);
			for (int j = i + 1; j < o->nshares; j++)
				if (fs_fds[j] >= 0)
					close(fs_fds[j]);
			return -1;
		}
	}
	return 0;
}

/* The devices are freed, so each virtiofsd's socket is closed: it exits. */
static void reap_fs_backends(struct options *o)
{
	for (int i = 0; i < o->nshares; i++)
		if (o->share_pids[i] > 0 && virtiofsd_reap(o->share_pids[i], 2000) < 0)
			zerr_print("zone-vmm"); /* PR_SET_PDEATHSIG ends it with us */
}

static int run_zone(struct options *o, struct vm *vm, struct loop *loop, struct boot_config *bc)
{
	struct sig_ctx sc = { .vm = vm, .fd = -1 };
	struct cmd_runner runner = { .vm = vm, .argv = o->cmd, .interactive = o->interactive,
				     .tty = o->tty, .exit_code = -1 };
	struct virtio_vsock *vsock = NULL;
	char cmdline[CMDLINE_MAX];
	z_autoclose int log_fd = -1;
	int rc, exit_code;
	sigset_t sigs;

	if (o->console_log) {
		log_fd = open(o->console_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (log_fd < 0)
			return zerr(errno, "cannot open console log %s", o->console_log);
	}
	if (vm_create(vm, o->mem, o->cpus, loop) < 0)
		return -1;
	vm->serial.out_fd = log_fd;

	/* Signals are handled on the loop thread through a signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sc.fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sc.fd < 0)
		return zerr(errno, "signalfd");
	if (loop_add(loop, sc.fd, EPOLLIN, on_signal, &sc) < 0 ||
	    add_devices(o, vm, loop, &vsock) < 0)
		goto fail;

	rc = snprintf(cmdline, sizeof(cmdline),
		      "console=ttyS0 8250.nr_uarts=1 reboot=t panic=-1 pci=off nomodules "
		      "pty.legacy_count=0 rdinit=/init %s%s%s %s",
		      o->console_log ? "" : "quiet loglevel=1 ",
		      /* This PVM host takes a reserved-bit #PF on 1 GiB guest
		       * pages yet reports pdpe1gb in the guest's CPUID whatever
		       * the VMM sets, so the guest is told not to use them. */
		      vm->backend == KVM_PVM ? "nogbpages" : "", vm->virtio_cmdline,
		      o->extra_cmdline ? o->extra_cmdline : "");
	if (rc < 0 || (size_t)rc >= sizeof(cmdline)) {
		zerr(0, "kernel command line too long");
		goto fail;
	}
	bc->cmdline = cmdline;
	/* everything is open: jailed before any guest code runs */
	if (vm_boot_setup(vm, bc) < 0 ||
	    (!o->no_jail && jail_enter(&(struct jail_opts){ .socket_path = o->vsock }) < 0) ||
	    vm_start(vm) < 0)
		goto fail;
	runner.vsock = vsock;
	if (o->cmd && cmd_runner_start(&runner) < 0) {
		vm_stop(vm, VM_STOP_ERROR);
		vm_join(vm);
		goto fail;
	}

	rc = loop_run(loop);
	vm_stop(vm, VM_STOP_HOST);
	vm_join(vm);
	if (getenv("ZONE_VMM_DEBUG"))
		vm_dump_vcpus(vm);
	/* closing the devices' host ends unblocks a runner still waiting */
	vm_free_virtio(vm);
	reap_fs_backends(o);
	cmd_runner_join(&runner);

	if (runner.exit_code >= 0) {
		exit_code = runner.exit_code;
	} else if (sc.signo) {
		fprintf(stderr, "zone-vmm: stopped by signal %d\n", sc.signo);
		exit_code = 128 + sc.signo;
	} else if (rc == VM_STOP_ERROR) {
		fprintf(stderr, "zone-vmm: the zone stopped on a virtual machine error\n");
		exit_code = EXIT_VMM_ERROR;
	} else if (runner.error[0]) {
		fprintf(stderr, "zone-vmm: %s\n", runner.error);
		exit_code = EXIT_VMM_ERROR;
	} else if (o->cmd) {
		fprintf(stderr, "zone-vmm: the zone stopped before the command finished%s\n",
			o->console_log ? " (see the console log)"
				       : " (use --console-log FILE to see why)");
		exit_code = EXIT_VMM_ERROR;
	} else {
		exit_code = 0; /* served until shut down */
	}
	loop_del(loop, sc.fd);
	close(sc.fd);
	return exit_code;
fail:
	close(sc.fd);
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const kernels[] = { "/usr/local/lib/zone/vmlinux",
					       "/usr/lib/zone/vmlinux",
					       "../shared/guest/vmlinux-pvm",
					       "../../shared/guest/vmlinux-pvm",
					       "../../../shared/guest/vmlinux-pvm", NULL };
	static const char *const initrds[] = { "zone-initrd.img", "../zone-initrd.img",
					       "/usr/local/lib/zone/zone-initrd.img",
					       "/usr/lib/zone/zone-initrd.img", NULL };
	struct options o = { 0 };
	struct boot_config bc = { 0 };
	z_autofree char *kernel = NULL, *initrd = NULL;
	struct loop *loop = NULL;
	struct vm vm;
	int code = -1;

	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = vm.mem.fd = -1;
	if (parse_args(argc, argv, &o) < 0) {
		zerr_print("zone-vmm");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	kernel = find_boot_file(o.kernel, "ZONE_KERNEL", kernels, "kernel");
	initrd = kernel ? find_boot_file(o.initrd, "ZONE_INITRD", initrds, "initrd") : NULL;
	if (kernel && initrd && check_initrd(initrd) == 0 && (loop = loop_new())) {
		bc.kernel = kernel;
		bc.initrd = initrd;
		code = run_zone(&o, &vm, loop, &bc);
	}
	if (code < 0) {
		zerr_print("zone-vmm");
		code = EXIT_VMM_ERROR;
	}
	vm_destroy(&vm);
	loop_free(loop);
	return code;
}
