#include "cli/pull_flags.h"
#include "common/zerr.h"

#include <errno.h>
#include <string.h>

int parse_tls_verify(const char *arg, bool *verify)
{
	if (!strcmp(arg, "true") || !strcmp(arg, "1"))
		*verify = true;
	else if (!strcmp(arg, "false") || !strcmp(arg, "0"))
		*verify = false;
	else
		return zerr(EINVAL, "--tls-verify=%s: want true or false", arg);
	return 0;
}
