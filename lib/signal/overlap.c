/* The overlap index of overlap.h: sorted prefixes and a max segment tree
 * (iterative, bottom-up: leaves at t[n..2n), node k covers 2k and 2k+1). */
#include "lib/signal/overlap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/net/addr.h"

int sig_ovl_init(struct sig_ovl *o, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->n = n;
	o->it = calloc(n ? n : 1, sizeof(*o->it));
	o->order = calloc(n ? n : 1, sizeof(*o->order));
	o->pos = calloc(n ? n : 1, sizeof(*o->pos));
	o->t = malloc((2 * n + 1) * sizeof(*o->t));
	if (!o->it || !o->order || !o->pos || !o->t)
		return -ENOMEM;
	for (size_t i = 0; i < 2 * n + 1; i++)
		o->t[i] = -1;
	return 0;
}

void sig_ovl_free(struct sig_ovl *o)
{
	free(o->it);
	free(o->order);
	free(o->pos);
	free(o->t);
	memset(o, 0, sizeof(*o));
}

void sig_ovl_set(struct sig_ovl *o, size_t i, const struct wg_prefix *p, size_t owner)
{
	struct sig_ovl_item *it = &o->it[i];
	unsigned bits = wg_af_bits(p->ip.af);

	it->af = p->ip.af;
	memcpy(it->lo, p->ip.a, 16);
	memcpy(it->hi, p->ip.a, 16);
	for (unsigned b = p->len; b < bits; b++)
		it->hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	it->owner = owner;
	it->p = p;
}

static int cmp_order(const void *a, const void *b, void *items)
{
	const struct sig_ovl_item *x = (const struct sig_ovl_item *)items + *(const size_t *)a;
	const struct sig_ovl_item *y = (const struct sig_ovl_item *)items + *(const size_t *)b;
	int c;

	if (x->af != y->af)
		return x->af - y->af;
	c = memcmp(x->lo, y->lo, 16);
	return c ? c : (x->owner > y->owner) - (x->owner < y->owner);
}

void sig_ovl_sort(struct sig_ovl *o)
{
	for (size_t i = 0; i < o->n; i++)
		o->order[i] = i;
	qsort_r(o->order, o->n, sizeof(*o->order), cmp_order, o->it);
	for (size_t i = 0; i < o->n; i++)
		o->pos[o->order[i]] = i;
}

/* Of two items (-1 = none), the one that ends last. Across families the
 * answer means nothing, but a query never spans two families. */
static long later_end(const struct sig_ovl *o, long a, long b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	if (o->it[a].af != o->it[b].af)
		return o->it[a].af > o->it[b].af ? a : b;
	return memcmp(o->it[a].hi, o->it[b].hi, 16) >= 0 ? a : b;
}

void sig_ovl_take(struct sig_ovl *o, size_t i)
{
	size_t x = o->pos[i] + o->n;

	o->t[x] = (long)i;
	for (x >>= 1; x; x >>= 1)
		o->t[x] = later_end(o, o->t[2 * x], o->t[2 * x + 1]);
}

long sig_ovl_find(const struct sig_ovl *o, size_t i)
{
	const struct sig_ovl_item *p = &o->it[i];
	size_t lo = 0, hi = o->n, l, r;
	long best = -1;

	/* Positions [l, r): p's family, starting at or before p's end. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->it[o->order[mid]].af < p->af)
			lo = mid + 1;
		else
			hi = mid;
	}
	l = lo;
	hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sig_ovl_item *m = &o->it[o->order[mid]];

		if (m->af == p->af && memcmp(m->lo, p->hi, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	r = lo;
	for (l += o->n, r += o->n; l < r; l >>= 1, r >>= 1) {
		if (l & 1)
			best = later_end(o, best, o->t[l++]);
		if (r & 1)
			best = later_end(o, best, o->t[--r]);
	}
	/* The one ending last among those starting in time: it overlaps iff
	 * it ends at or after p's start. */
	if (best >= 0 && memcmp(o->it[best].hi, p->lo, 16) < 0)
		best = -1;
	return best;
}
