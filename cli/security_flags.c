#include "cli/security_flags.h"
#include "common/zerr.h"
#include "runtime/seccomp_json.h"

#include <errno.h>
#include <string.h>

int security_flag_opt(struct security_flags *f, const char *opt)
{
	const char *v;

	if (!strncmp(opt, "seccomp=", 8) || !strncmp(opt, "seccomp:", 8)) {
		v = opt + 8;
		if (!*v)
			return zerr(EINVAL, "--security-opt %s: want seccomp=unconfined or "
					    "seccomp=FILE", opt);
		f->seccomp_unconfined = !strcmp(v, "unconfined");
		f->seccomp_file = f->seccomp_unconfined ? NULL : v;
		return 0;
	}
	if (!strcmp(opt, "no-new-privileges") || !strcmp(opt, "no-new-privileges=true") ||
	    !strcmp(opt, "no-new-privileges:true")) {
		f->no_new_privs = true;
		return 0;
	}
	if (!strcmp(opt, "no-new-privileges=false") || !strcmp(opt, "no-new-privileges:false")) {
		f->no_new_privs = false;
		return 0;
	}
	return zerr(ENOTSUP, "--security-opt %s is not supported (want seccomp=unconfined, "
			     "seccomp=FILE or no-new-privileges)", opt);
}

int security_flags_build(const struct security_flags *f, struct ctr_security *out)
{
	memset(out, 0, sizeof(*out));
	out->confined = true;
	out->no_new_privs = f->no_new_privs;
	if (f->privileged) {
		out->privileged = true;
		out->caps = CAPS_ALL;
		out->seccomp_unconfined = true;
		return 0;
	}
	out->caps = caps_resolve(&f->caps);
	out->seccomp_unconfined = f->seccomp_unconfined;
	if (f->seccomp_file && seccomp_json_load(f->seccomp_file, &out->seccomp) < 0)
		return zerr_prefix("--security-opt seccomp");
	return 0;
}
