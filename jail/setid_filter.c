#include "jail/setid_filter.h"
#include "common/zerr.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/stat.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

/* Each call that sets a mode, and which argument holds it.  open, openat
 * and creat take a mode only with O_CREAT or O_TMPFILE; glibc passes 0
 * otherwise, so the check is exact for glibc callers. */
static const struct {
	int nr;
	unsigned arg;
} mode_calls[] = {
	{ SCMP_SYS(chmod), 1 },	 { SCMP_SYS(fchmod), 1 }, { SCMP_SYS(fchmodat), 2 },
	{ __NR_fchmodat2, 2 },	 { SCMP_SYS(open), 2 },	  { SCMP_SYS(openat), 3 },
	{ SCMP_SYS(creat), 1 },	 { SCMP_SYS(mknod), 1 },  { SCMP_SYS(mknodat), 2 },
};

int setid_filter_load(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = 0;

	if (!ctx)
		return zerr(ENOMEM, "setid filter: seccomp_init");
	for (unsigned i = 0; i < sizeof(mode_calls) / sizeof(mode_calls[0]) && rc == 0; i++) {
		struct scmp_arg_cmp suid = { mode_calls[i].arg, SCMP_CMP_MASKED_EQ, S_ISUID, S_ISUID };
		struct scmp_arg_cmp sgid = { mode_calls[i].arg, SCMP_CMP_MASKED_EQ,
					     S_ISGID | S_IXGRP, S_ISGID | S_IXGRP };

		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO(EPERM), mode_calls[i].nr, 1,
						  &suid);
		if (rc == 0)
			rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO(EPERM),
							  mode_calls[i].nr, 1, &sgid);
	}
	/* openat2 hides its mode in a struct the filter cannot read: callers
	 * get ENOSYS and fall back to openat */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : zerr(-rc, "setid filter");
}
