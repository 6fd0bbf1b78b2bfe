/* Archive member names turned into safe relative paths (pure string code). */
#ifndef ZONE_OCI_PATH_H
#define ZONE_OCI_PATH_H

#include <stddef.h>

#define PATH_MAX_LEN 4095   /* longest accepted member name */
#define PATH_MAX_DEPTH 256  /* most components in one path */

/* Normalise a member name to a path relative to the rootfs: drops leading
 * "./" and "/./", repeated and trailing slashes; "." and "./" become ""
 * (the root itself), and so does "/" alone.  Refuses (-1, zerr) absolute names, ".." components,
 * empty names, names longer than PATH_MAX_LEN, components longer than 255
 * bytes and paths deeper than PATH_MAX_DEPTH.  *out is malloc'd. */
int path_sanitize(const char *name, char **out);

/* For a sanitized path: length of its parent ("" -> 0 for top-level
 * entries) and a pointer to its last component. */
size_t path_parent_len(const char *path);
const char *path_base(const char *path);

/* Joins a sanitized parent and a component ("" parent gives the component). */
char *path_join(const char *parent, const char *name);

#endif
