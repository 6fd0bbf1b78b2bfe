#include "init/users.h"
#include "common/util.h"
#include "common/zerr.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Split a colon-separated line into at most n fields (in place). */
static int split(char *line, char **f, int n)
{
	int k = 0;

	line[strcspn(line, "\n")] = 0;
	while (k < n) {
		f[k++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = 0;
	}
	return k;
}

static FILE *open_db(const char *root, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/etc/%s", strcmp(root, "/") ? root : "", name);
	return fopen(path, "re");
}

/* passwd: find by name or uid; fills uid, gid and the name. */
static int find_passwd(const char *root, const char *key, bool by_uid, uint32_t *uid,
		       uint32_t *gid, char *name, size_t name_len, char *home, size_t home_len)
{
	FILE *f = open_db(root, "passwd");
	char line[1024], *fl[7];
	uint64_t v;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int split_n = split(line, fl, 7);
		if (split_n < 4)
			continue;
		if (by_uid ? strcmp(fl[2], key) : strcmp(fl[0], key))
			continue;
		if (parse_uint(fl[2], 0, UINT32_MAX - 1, &v) < 0)
			continue;
		*uid = v;
		if (parse_uint(fl[3], 0, UINT32_MAX - 1, &v) < 0)
			continue;
		*gid = v;
		snprintf(name, name_len, "%s", fl[0]);
		snprintf(home, home_len, "%s", split_n >= 6 ? fl[5] : "");
		fclose(f);
		return 1;
	}
	fclose(f);
	zerr_clear();
	return 0;
}

static int find_group(const char *root, const char *name, uint32_t *gid)
{
	FILE *f = open_db(root, "group");
	char line[4096], *fl[4];
	uint64_t v;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (split(line, fl, 4) >= 3 && !strcmp(fl[0], name) &&
		    parse_uint(fl[2], 0, UINT32_MAX - 1, &v) == 0) {
			*gid = v;
			fclose(f);
			return 1;
		}
	}
	fclose(f);
	zerr_clear();
	return 0;
}

/* Groups listing `user` as a member. */
static void member_groups(const char *root, const char *user, struct user_ids *out)
{
	FILE *f = open_db(root, "group");
	char line[4096], *fl[4];
	uint64_t v;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && out->ngroups < ARRAY_SIZE(out->groups)) {
		if (split(line, fl, 4) < 4 || parse_uint(fl[2], 0, UINT32_MAX - 1, &v) < 0)
			continue;
		for (char *m = strtok(fl[3], ","); m; m = strtok(NULL, ","))
			if (!strcmp(m, user) && v != out->groups[0]) {
				out->groups[out->ngroups++] = v;
				break;
			}
	}
	fclose(f);
	zerr_clear();
}

/* Not ENOENT: that would read as "command not found" to the host. */
static int user_error(const char *fmt, const char *name)
{
	zerr(0, fmt, name);
	zerr_set_errno(EINVAL);
	return -1;
}

int resolve_user(const char *root, const char *spec, struct user_ids *out)
{
	char buf[256], name[256] = "", *user, *group;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	snprintf(buf, sizeof(buf), "%s", spec);
	user = buf;
	group = strchr(buf, ':');
	if (group)
		*group++ = 0;
	if (!*user)
		return zerr(EINVAL, "empty user in '%s'", spec);
	if (all_digits(user)) {
		if (parse_uint(user, 0, UINT32_MAX - 1, &v) < 0)
			return zerr(EINVAL, "user id '%s' out of range", user);
		out->uid = v;
		out->gid = 0;
		find_passwd(root, user, true, &out->uid, &out->gid, name, sizeof(name), out->home,
			    sizeof(out->home));
	} else if (!find_passwd(root, user, false, &out->uid, &out->gid, name, sizeof(name),
				 out->home, sizeof(out->home))) {
		return user_error("unable to find user %s: no matching entries in passwd file",
				  user);
	}
	if (group) {
		if (all_digits(group)) {
			if (parse_uint(group, 0, UINT32_MAX - 1, &v) < 0)
				return zerr(EINVAL, "group id '%s' out of range", group);
			out->gid = v;
		} else if (!find_group(root, group, &out->gid)) {
			return user_error("unable to find group %s: no matching entries in group file",
					  group);
		}
	}
	out->groups[out->ngroups++] = out->gid;
	if (name[0] && !group)
		member_groups(root, name, out);
	return 0;
}
