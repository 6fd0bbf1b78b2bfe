#include "common/seccomp_profile.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DENY(n) { (char *)(n), SC_ERRNO, EPERM, NULL, 0 }
#define RULE1(n, act, e, idx, op, v, v2) \
	{ (char *)(n), act, e, (struct sc_arg[]){ { idx, op, v, v2 } }, 1 }
#define DENY_IF(n, idx, op, v, v2) RULE1(n, SC_ERRNO, EPERM, idx, op, v, v2)
/* clone with a namespace flag (arg 0 is the flags on x86-64) */
#define DENY_CLONE(flag) DENY_IF("clone", 0, SC_MASKED_EQ, flag, flag)
/* personality: a flag bit other than UNAME26 (0x8) and
 * ADDR_NO_RANDOMIZE (0x20000) */
#define DENY_PERSONA_BIT(b) DENY_IF("personality", 0, SC_MASKED_EQ, 1u << (b), 1u << (b))

/*
 * The default profile: everything is allowed except what docker's and
 * podman's default profile (moby's profiles/seccomp/default.json,
 * containers-common's seccomp.json) leaves out for a container without
 * CAP_SYS_ADMIN and the other dropped capabilities.  Those profiles are
 * allow-lists; this one is the matching deny-list of the dangerous calls,
 * each answered with EPERM (ENOSYS where a caller must fall back):
 *
 *  namespaces    unshare, setns; clone with any CLONE_NEW* flag (NEWNS,
 *                NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET);
 *                clone3 gets ENOSYS (its flags sit in memory seccomp
 *                cannot read), so libc falls back to clone
 *  mounts        mount, umount, umount2, pivot_root, and the new mount API
 *                (open_tree, move_mount, fsopen, fsconfig, fsmount, fspick,
 *                mount_setattr)
 *  keys          keyctl, add_key, request_key (the keyring is not
 *                namespaced)
 *  kernel        bpf, perf_event_open, userfaultfd, lookup_dcookie,
 *                syslog, acct, quotactl, quotactl_fd, nfsservctl, sysfs,
 *                _sysctl, ustat, uselib, vhangup, io_uring_setup/enter/
 *                register (docker since 25.0)
 *  modules/boot  init_module, finit_module, delete_module, create_module,
 *                query_module, get_kernel_syms, kexec_load,
 *                kexec_file_load, reboot, swapon, swapoff
 *  files         open_by_handle_at, name_to_handle_at (the "shocker"
 *                escape)
 *  time          settimeofday, clock_settime, stime
 *  hardware      iopl, ioperm, vm86, vm86old, pciconfig_read/write/iobase
 *  NUMA          get_mempolicy, set_mempolicy, mbind, move_pages
 *  personality   only PER_LINUX (0), UNAME26 (8), ADDR_NO_RANDOMIZE
 *                (0x20000), their union and the query 0xffffffff, as
 *                docker: any other bit is refused; the query is let
 *                through by an SCMP_ACT_LOG rule added before the others
 *                (libseccomp 2.5 cannot compare one argument twice in a
 *                rule, so "not in this set" takes several rules)
 *  sockets       socket(AF_VSOCK): a zone's vsock leads to the host
 *
 * ptrace, process_vm_readv/writev and kcmp stay allowed, as docker allows
 * them on kernels >= 4.8; the kernel's own checks (no CAP_SYS_PTRACE)
 * still keep a container from tracing zone-init.  Names this architecture
 * does not have (umount, vm86, stime, pciconfig_*) are skipped when the
 * filter is built.
 */
static struct sc_rule default_rules[] = {
	DENY("unshare"), DENY("setns"),
	DENY_CLONE(CLONE_NEWNS), DENY_CLONE(CLONE_NEWCGROUP), DENY_CLONE(CLONE_NEWUTS),
	DENY_CLONE(CLONE_NEWIPC), DENY_CLONE(CLONE_NEWUSER), DENY_CLONE(CLONE_NEWPID),
	DENY_CLONE(CLONE_NEWNET),
	{ (char *)"clone3", SC_ERRNO, ENOSYS, NULL, 0 },

	DENY("mount"), DENY("umount"), DENY("umount2"), DENY("pivot_root"),
	DENY("open_tree"), DENY("move_mount"), DENY("fsopen"), DENY("fsconfig"),
	DENY("fsmount"), DENY("fspick"), DENY("mount_setattr"),

	DENY("keyctl"), DENY("add_key"), DENY("request_key"),

	DENY("bpf"), DENY("perf_event_open"), DENY("userfaultfd"), DENY("lookup_dcookie"),
	DENY("syslog"), DENY("acct"), DENY("quotactl"), DENY("quotactl_fd"),
	DENY("nfsservctl"), DENY("sysfs"), DENY("_sysctl"), DENY("ustat"), DENY("uselib"),
	DENY("vhangup"), DENY("io_uring_setup"), DENY("io_uring_enter"),
	DENY("io_uring_register"),

	DENY("init_module"), DENY("finit_module"), DENY("delete_module"),
	DENY("create_module"), DENY("query_module"), DENY("get_kernel_syms"),
	DENY("kexec_load"), DENY("kexec_file_load"), DENY("reboot"), DENY("swapon"),
	DENY("swapoff"),

	DENY("open_by_handle_at"), DENY("name_to_handle_at"),

	DENY("settimeofday"), DENY("clock_settime"), DENY("stime"),

	DENY("iopl"), DENY("ioperm"), DENY("vm86"), DENY("vm86old"),
	DENY("pciconfig_read"), DENY("pciconfig_write"), DENY("pciconfig_iobase"),

	DENY("get_mempolicy"), DENY("set_mempolicy"), DENY("mbind"), DENY("move_pages"),

	/* first: libseccomp checks a syscall's rules in the order they were
	 * added, and 0xffffffff matches every bit rule below */
	RULE1("personality", SC_LOG, 0, 0, SC_EQ, 0xffffffff, 0),
	DENY_IF("personality", 0, SC_GT, 0x20008, 0),
	DENY_PERSONA_BIT(0), DENY_PERSONA_BIT(1), DENY_PERSONA_BIT(2),
	DENY_PERSONA_BIT(4), DENY_PERSONA_BIT(5), DENY_PERSONA_BIT(6),
	DENY_PERSONA_BIT(7), DENY_PERSONA_BIT(8), DENY_PERSONA_BIT(9),
	DENY_PERSONA_BIT(10), DENY_PERSONA_BIT(11), DENY_PERSONA_BIT(12),
	DENY_PERSONA_BIT(13), DENY_PERSONA_BIT(14), DENY_PERSONA_BIT(15),
	DENY_PERSONA_BIT(16),

	DENY_IF("socket", 0, SC_EQ, AF_VSOCK, 0),
};

static const struct sc_profile default_profile = {
	SC_ALLOW, 0, default_rules, ARRAY_SIZE(default_rules),
};

const struct sc_profile *sc_default_profile(void)
{
	return &default_profile;
}

static const char *const action_names[] = {
	[SC_ALLOW] = "SCMP_ACT_ALLOW",
	[SC_ERRNO] = "SCMP_ACT_ERRNO",
	[SC_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[SC_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[SC_TRAP] = "SCMP_ACT_TRAP",
	[SC_LOG] = "SCMP_ACT_LOG",
};

static const char *const op_names[] = {
	[SC_NE] = "SCMP_CMP_NE", [SC_LT] = "SCMP_CMP_LT", [SC_LE] = "SCMP_CMP_LE",
	[SC_EQ] = "SCMP_CMP_EQ", [SC_GE] = "SCMP_CMP_GE", [SC_GT] = "SCMP_CMP_GT",
	[SC_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

uint32_t sc_action_from_name(const char *name)
{
	if (!strcmp(name, "SCMP_ACT_KILL")) /* docker: the thread */
		return SC_KILL_THREAD;
	for (uint32_t i = 1; i < ARRAY_SIZE(action_names); i++)
		if (!strcmp(action_names[i], name))
			return i;
	return 0;
}

uint32_t sc_op_from_name(const char *name)
{
	for (uint32_t i = 1; i < ARRAY_SIZE(op_names); i++)
		if (!strcmp(op_names[i], name))
			return i;
	return 0;
}

const char *sc_action_name(uint32_t action)
{
	return action >= 1 && action <= SC_ACTION_MAX ? action_names[action] : "?";
}

static int check_action(uint32_t action, uint32_t err, const char *what)
{
	if (action < 1 || action > SC_ACTION_MAX)
		return zerr(EINVAL, "seccomp: %s: unknown action %u", what, action);
	if (action == SC_ERRNO && err > 4095)
		return zerr(EINVAL, "seccomp: %s: errno %u out of range", what, err);
	return 0;
}

int sc_profile_check(const struct sc_profile *p)
{
	if (check_action(p->default_action, p->default_errno, "default action") < 0)
		return -1;
	if (p->nrules > SC_MAX_RULES)
		return zerr(E2BIG, "seccomp: %u rules (at most %u)", p->nrules, SC_MAX_RULES);
	for (uint32_t i = 0; i < p->nrules; i++) {
		const struct sc_rule *r = &p->rules[i];

		if (!r->name || !*r->name)
			return zerr(EINVAL, "seccomp: rule %u has no syscall name", i);
		if (check_action(r->action, r->errno_ret, r->name) < 0)
			return -1;
		if (r->nargs > SC_MAX_ARGS)
			return zerr(EINVAL, "seccomp: %s: %u argument conditions (at most %d)",
				    r->name, r->nargs, SC_MAX_ARGS);
		for (uint32_t k = 0; k < r->nargs; k++) {
			if (r->args[k].index >= SC_MAX_ARGS)
				return zerr(EINVAL, "seccomp: %s: argument index %u (want 0 to 5)",
					    r->name, r->args[k].index);
			if (r->args[k].op < 1 || r->args[k].op > SC_OP_MAX)
				return zerr(EINVAL, "seccomp: %s: unknown comparison %u", r->name,
					    r->args[k].op);
			for (uint32_t j = 0; j < k; j++)
				if (r->args[j].index == r->args[k].index)
					return zerr(EINVAL, "seccomp: %s: argument %u is compared twice "
							    "in one rule (not supported by libseccomp)",
						    r->name, r->args[k].index);
		}
	}
	return 0;
}

static uint32_t scmp_action(uint32_t action, uint32_t err)
{
	switch (action) {
	case SC_ALLOW: return SCMP_ACT_ALLOW;
	case SC_ERRNO: return SCMP_ACT_ERRNO(err);
	case SC_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case SC_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
	case SC_TRAP: return SCMP_ACT_TRAP;
	default: return SCMP_ACT_LOG;
	}
}

static const enum scmp_compare scmp_ops[] = {
	[SC_NE] = SCMP_CMP_NE, [SC_LT] = SCMP_CMP_LT, [SC_LE] = SCMP_CMP_LE,
	[SC_EQ] = SCMP_CMP_EQ, [SC_GE] = SCMP_CMP_GE, [SC_GT] = SCMP_CMP_GT,
	[SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

void *sc_filter_build(const struct sc_profile *p, bool no_new_privs)
{
	scmp_filter_ctx ctx;
	uint32_t def;
	int rc;

	if (sc_profile_check(p) < 0)
		return NULL;
	def = scmp_action(p->default_action, p->default_errno);
	ctx = seccomp_init(def);
	if (!ctx) {
		zerr(ENOMEM, "seccomp_init");
		return NULL;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, no_new_privs ? 1 : 0);
	/* the kernel's errno from seccomp_load, not -ECANCELED */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (rc < 0) {
		zerr(-rc, "seccomp: filter attributes");
		goto fail;
	}
	for (uint32_t i = 0; i < p->nrules; i++) {
		const struct sc_rule *r = &p->rules[i];
		struct scmp_arg_cmp cmp[SC_MAX_ARGS];
		uint32_t act = scmp_action(r->action, r->errno_ret);
		int nr = seccomp_syscall_resolve_name(r->name);

		/* unknown here, or a pseudo-syscall of another architecture */
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;
		/* the default already does it (docker's profiles list such
		 * rules; libseccomp refuses them) */
		if (act == def)
			continue;
		for (uint32_t k = 0; k < r->nargs; k++)
			cmp[k] = (struct scmp_arg_cmp){ r->args[k].index, scmp_ops[r->args[k].op],
							r->args[k].value, r->args[k].value_two };
		rc = seccomp_rule_add_array(ctx, act, nr, r->nargs, cmp);
		if (rc < 0) {
			zerr(-rc, "seccomp: rule %u for %s", i, r->name);
			goto fail;
		}
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int sc_filter_load(void *filter)
{
	int rc = seccomp_load(filter);

	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

void sc_filter_free(void *filter)
{
	if (filter)
		seccomp_release(filter);
}

void sc_profile_free(struct sc_profile *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].args);
	}
	free(p->rules);
	memset(p, 0, sizeof(*p));
}
