/* Building a client's table (control core only): group the grants by
 * prefix, merge each group's filters and expiries into per-port spans (the
 * layout is in table.h), index the groups by prefix. */
#include "lib/policy/table.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/net/addr.h"
#include "lib/net/prefix_map.h"

/* A port range one grant permits for one protocol; lo/hi are 32-bit so that
 * the sweep below can step one past 65535. */
struct seg {
	uint32_t lo, hi;
	uint64_t until;
};

struct builder {
	struct pol_span *spans;
	size_t n_spans, cap_spans;
	struct seg *segs, *heap;	/* scratch, sized for the largest group */
	size_t cap_segs;
};

static int reserve_segs(struct builder *b, size_t n)
{
	struct seg *s, *h;

	if (n <= b->cap_segs)
		return 0;
	s = realloc(b->segs, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	b->segs = s;
	h = realloc(b->heap, n * sizeof(*h));
	if (!h)
		return -ENOMEM;
	b->heap = h;
	b->cap_segs = n;
	return 0;
}

static int push_span(struct builder *b, size_t run_start, uint32_t lo, uint32_t hi, uint64_t until)
{
	struct pol_span *last = b->n_spans > run_start ? &b->spans[b->n_spans - 1] : NULL;

	/* Adjacent runs with the same until are one span: fewer to search. */
	if (last && last->hi + 1u == lo && last->until == until) {
		last->hi = (uint16_t)hi;
		return 0;
	}
	if (b->n_spans == b->cap_spans) {
		size_t cap = b->cap_spans ? 2 * b->cap_spans : 64;
		struct pol_span *s;

		/* Offsets into spans are 32-bit (struct pol_group). */
		if (cap > UINT32_MAX)
			return -ENOMEM;
		s = realloc(b->spans, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		b->spans = s;
		b->cap_spans = cap;
	}
	b->spans[b->n_spans++] = (struct pol_span){ .lo = (uint16_t)lo, .hi = (uint16_t)hi,
						.until = until };
	return 0;
}

/* Max-heap on until, over the segments that have started. */
static void heap_push(struct seg *h, size_t *n, struct seg s)
{
	size_t i = (*n)++;

	while (i && h[(i - 1) / 2].until < s.until) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = s;
}

static void heap_pop(struct seg *h, size_t *n)
{
	struct seg s = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].until > h[c].until)
			c++;
		if (h[c].until <= s.until)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = s;
}

static int seg_cmp(const void *x, const void *y)
{
	const struct seg *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* The upper envelope of segs[0..n) as spans: sweep the ports left to right,
 * the heap holding the segments begun so far; the top (latest until) wins
 * until it ends or a new segment begins. O(n log n). Returns the span count
 * through *out, or -ENOMEM. */
static int envelope(struct builder *b, struct seg *segs, size_t n, uint32_t *out)
{
	size_t start = b->n_spans, i = 0, h = 0;
	uint32_t pos = 0;
	int ret;

	qsort(segs, n, sizeof(*segs), seg_cmp);
	while (i < n || h) {
		if (!h)
			pos = segs[i].lo;	/* nothing open: jump to the next start */
		while (i < n && segs[i].lo <= pos)
			heap_push(b->heap, &h, segs[i++]);
		while (h && b->heap[0].hi < pos)
			heap_pop(b->heap, &h);	/* ended behind us */
		if (!h)
			continue;
		uint32_t end = b->heap[0].hi;

		/* segs[i].lo > pos >= 0 here, so lo - 1 cannot wrap. */
		if (i < n && segs[i].lo - 1 < end)
			end = segs[i].lo - 1;
		ret = push_span(b, start, pos, end, b->heap[0].until);
		if (ret)
			return ret;
		pos = end + 1;
	}
	*out = (uint32_t)(b->n_spans - start);
	return 0;
}

static size_t grant_segs(const struct wg_pol_grant *g)
{
	return g->res->n_filters ? g->res->n_filters : 1;
}

/* Compiles the grants grants[idx[0..n)] (n >= 1) into *g. */
static int group_build(struct builder *b, struct pol_group *g, const struct wg_pol_grant *grants,
		       const uint32_t *idx, size_t n)
{
	static const uint8_t port_protos[2] = { WG_POL_TCP, WG_POL_UDP };
	size_t need = 0;
	uint32_t counts[2];
	int ret;

	*g = (struct pol_group){ .span_off = (uint32_t)b->n_spans };
	for (size_t k = 0; k < n; k++)
		need += grant_segs(&grants[idx[k]]);
	ret = reserve_segs(b, need);
	if (ret)
		return ret;

	for (size_t k = 0; k < n; k++) {
		const struct wg_pol_resource *r = grants[idx[k]].res;
		uint64_t until = pol_grant_until(grants[idx[k]].expires);
		bool icmp = !r->n_filters;

		if (until > g->alive)
			g->alive = until;
		for (uint16_t f = 0; f < r->n_filters; f++)
			icmp |= pol_norm_proto(r->filters[f].proto) == WG_POL_ICMP;
		if (icmp && (!(g->flags & POL_HAS_ICMP) || until > g->icmp)) {
			g->icmp = until;
			g->flags |= POL_HAS_ICMP;
		}
		if (!r->n_filters && (!(g->flags & POL_HAS_ANY) || until > g->any)) {
			g->any = until;
			g->flags |= POL_HAS_ANY;
		}
	}

	for (int p = 0; p < 2; p++) {
		size_t ns = 0;

		for (size_t k = 0; k < n; k++) {
			const struct wg_pol_resource *r = grants[idx[k]].res;
			uint64_t until = pol_grant_until(grants[idx[k]].expires);

			if (!r->n_filters)
				b->segs[ns++] = (struct seg){ 0, UINT16_MAX, until };
			for (uint16_t f = 0; f < r->n_filters; f++) {
				const struct wg_pol_filter *fl = &r->filters[f];

				if (fl->proto == port_protos[p] && fl->lo <= fl->hi)
					b->segs[ns++] = (struct seg){ fl->lo, fl->hi, until };
			}
		}
		ret = envelope(b, b->segs, ns, &counts[p]);
		if (ret)
			return ret;
	}
	g->n_tcp = counts[0];
	g->n_udp = counts[1];
	return 0;
}

/* Sort key grouping the CIDR grants by prefix: memcmp over af, len and the
 * masked address, 18 bytes with no padding among them (idx comes first so
 * that the struct's padding falls outside the compared bytes). */
struct key {
	uint32_t idx;
	uint8_t af, len;
	uint8_t a[16];
};

#define KEY_BYTES (sizeof(((struct key *)0)->a) + 2)
_Static_assert(offsetof(struct key, a) + sizeof(((struct key *)0)->a) ==
	       offsetof(struct key, af) + KEY_BYTES, "key bytes must be contiguous");

static int key_cmp(const void *x, const void *y)
{
	const struct key *a = x, *b = y;

	return memcmp(&a->af, &b->af, KEY_BYTES);
}

static bool cidr_valid(const struct wg_pol_resource *r)
{
	return (r->prefix.ip.af == WG_AF_INET4 || r->prefix.ip.af == WG_AF_INET6) &&
	       r->prefix.len <= wg_af_bits(r->prefix.ip.af);
}

static int build_cidr(struct wg_pol_table *t, struct builder *b, const struct wg_pol_grant *grants,
		      size_t n)
{
	struct wg_prefix_map_builder *mb = NULL;
	struct key *keys = NULL;
	uint32_t *idx = NULL;
	size_t nk = 0, ng = 0;
	int ret = -ENOMEM;

	for (size_t i = 0; i < n; i++)
		nk += grants[i].res && grants[i].res->kind == WG_POL_RES_CIDR &&
		      cidr_valid(grants[i].res);
	if (!nk)
		return 0;	/* no map: lookups on a NULL map find nothing */
	keys = malloc(nk * sizeof(*keys));
	idx = malloc(nk * sizeof(*idx));
	t->groups = malloc(nk * sizeof(*t->groups));	/* at most one per grant */
	mb = wg_prefix_map_builder_create();
	if (!keys || !idx || !t->groups || !mb)
		goto out;

	nk = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wg_pol_resource *r = grants[i].res;
		struct key *k;

		if (!r || r->kind != WG_POL_RES_CIDR || !cidr_valid(r))
			continue;
		/* Masked, so that one prefix written two ways is one group. */
		struct wg_ipaddr m = r->prefix.ip;

		wg_ipaddr_mask(&m, r->prefix.len);
		if (m.af == WG_AF_INET4)	/* bytes past an IPv4 address are no part of it */
			memset(m.a + 4, 0, sizeof(m.a) - 4);
		k = &keys[nk++];
		k->af = m.af;
		k->len = r->prefix.len;
		memcpy(k->a, m.a, sizeof(k->a));
		k->idx = (uint32_t)i;
	}
	qsort(keys, nk, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < nk; i++)
		idx[i] = keys[i].idx;

	for (size_t s = 0, e; s < nk; s = e) {
		struct wg_prefix p = { .ip = { .af = keys[s].af }, .len = keys[s].len };

		for (e = s + 1; e < nk && !key_cmp(&keys[s], &keys[e]); e++)
			;
		ret = group_build(b, &t->groups[ng], grants, idx + s, e - s);
		if (ret)
			goto out;
		memcpy(p.ip.a, keys[s].a, sizeof(p.ip.a));
		ret = wg_prefix_map_builder_add(mb, &p, ng);
		if (ret)	/* -ENOMEM: keys are distinct and valid */
			goto out;
		ng++;
	}
	t->map = wg_prefix_map_build(mb);
	mb = NULL;
	ret = t->map ? 0 : -ENOMEM;
	if (ng < nk) {	/* shared prefixes: give back the unused groups */
		struct pol_group *g = realloc(t->groups, ng * sizeof(*g));

		if (g)
			t->groups = g;
	}
out:
	wg_prefix_map_builder_free(mb);
	free(keys);
	free(idx);
	return ret;
}

static int build_internet(struct wg_pol_table *t, struct builder *b,
			  const struct wg_pol_grant *grants, size_t n)
{
	static const uint8_t fam_af[2] = { WG_AF_INET4, WG_AF_INET6 };
	uint32_t *idx = NULL;
	int ret = 0;

	for (int fam = 0; fam < 2 && !ret; fam++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			const struct wg_pol_resource *r = grants[i].res;

			if (!r || r->kind != WG_POL_RES_INTERNET ||
			    (r->prefix.ip.af && r->prefix.ip.af != fam_af[fam]))
				continue;
			if (!idx && !(idx = malloc(n * sizeof(*idx))))
				return -ENOMEM;
			idx[k++] = (uint32_t)i;
		}
		if (k) {
			ret = group_build(b, &t->inet[fam], grants, idx, k);
			t->has_inet[fam] = 1;
		}
	}
	free(idx);
	return ret;
}

struct wg_pol_table *wg_pol_table_build(const struct wg_pol_grant *grants, size_t n)
{
	struct wg_pol_table *t;
	struct builder b = { 0 };

	/* Grant indices travel as uint32_t. */
	if (n > UINT32_MAX)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->n_grants = n;
	/* Only the control core builds tables, so a plain counter will do;
	 * atomic anyway so that tests building from several threads stay
	 * correct. */
	static _Atomic uint64_t generation;
	t->gen = atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed) + 1;
	t->stable_until = POL_UNTIL_NEVER;
	for (size_t i = 0; i < n; i++)
		if (grants[i].res && pol_grant_until(grants[i].expires) < t->stable_until)
			t->stable_until = pol_grant_until(grants[i].expires);
	if (build_cidr(t, &b, grants, n) || build_internet(t, &b, grants, n))
		goto err;
	/* Give back the doubling slack: tables live long and there is one
	 * per client. */
	if (b.n_spans) {
		struct pol_span *s = realloc(b.spans, b.n_spans * sizeof(*s));

		t->spans = s ? s : b.spans;
	} else {
		free(b.spans);
	}
	free(b.segs);
	free(b.heap);
	return t;
err:
	free(b.spans);
	free(b.segs);
	free(b.heap);
	wg_pol_table_free(t);
	return NULL;
}

void wg_pol_table_free(struct wg_pol_table *t)
{
	if (!t)
		return;
	wg_prefix_map_free(t->map);
	free(t->groups);
	free(t->spans);
	free(t);
}
