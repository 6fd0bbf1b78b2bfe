/* User and group names of the container, from its /etc/passwd and
 * /etc/group (no NSS in a static PID 1). */
#ifndef ZONE_INIT_USERS_H
#define ZONE_INIT_USERS_H

#include <stdint.h>

struct user_ids {
	uint32_t uid, gid;
	uint32_t groups[64]; /* supplementary groups, primary first */
	uint32_t ngroups;
	char home[256]; /* from passwd, "" if the user has no entry */
};

/* spec: "name|uid[:group|gid]", as docker's --user.  A numeric uid with
 * no passwd entry gets gid 0 (unless a group is given).  root is the
 * directory whose etc/passwd and etc/group are read ("/" normally). */
int resolve_user(const char *root, const char *spec, struct user_ids *out);

#endif
