#include "lib/util/idset.h"

#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void wg_idset_take(struct wg_idset *s, uint64_t *v, size_t n)
{
	free(s->v);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	s->v = v;
	s->n = v ? n : 0;
}

bool wg_idset_has(const struct wg_idset *s, uint64_t id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(id), cmp_u64);
}

void wg_idset_free(struct wg_idset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
