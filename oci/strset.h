/* A set of strings (open addressing, grows), for "paths this layer wrote". */
#ifndef ZONE_OCI_STRSET_H
#define ZONE_OCI_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **slots;
	size_t cap, len;
};

/* Returns -1 (zerr) when out of memory. */
int strset_add(struct strset *s, const char *str);
bool strset_has(const struct strset *s, const char *str);
void strset_clear(struct strset *s);

#endif
