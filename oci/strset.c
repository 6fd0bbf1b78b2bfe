#include "oci/strset.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static size_t find(char **slots, size_t cap, const char *str)
{
	size_t i = hash(str) & (cap - 1);

	while (slots[i] && strcmp(slots[i], str) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct strset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	char **n = calloc(ncap, sizeof(*n));

	if (!n)
		return zerr(ENOMEM, "strset");
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			n[find(n, ncap, s->slots[i])] = s->slots[i];
	free(s->slots);
	s->slots = n;
	s->cap = ncap;
	return 0;
}

int strset_add(struct strset *s, const char *str)
{
	size_t i;

	if ((s->len + 1) * 4 > s->cap * 3 && grow(s) < 0)
		return -1;
	i = find(s->slots, s->cap, str);
	if (s->slots[i])
		return 0;
	s->slots[i] = strdup(str);
	if (!s->slots[i])
		return zerr(ENOMEM, "strset");
	s->len++;
	return 0;
}

bool strset_has(const struct strset *s, const char *str)
{
	if (!s->cap)
		return false;
	return s->slots[find(s->slots, s->cap, str)] != NULL;
}

void strset_clear(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
