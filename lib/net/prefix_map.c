#include "lib/net/prefix_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/net/addr.h"

/* Slots hold the key inline so that a hit costs one cache line: 16 bytes for
 * IPv4 (four to a line), 32 for IPv6 (two to a line, never straddling one:
 * arrays are 64-byte aligned). `used` tells an empty slot from the key 0,
 * which is a real address (0.0.0.0/0, ::/0). */
struct slot4 {
	uint32_t key;	/* host order, masked */
	uint32_t used;
	uintptr_t value;
};

struct slot6 {
	uint64_t hi, lo;	/* host order, masked */
	uintptr_t value;
	uint64_t used;
};

_Static_assert(64 % sizeof(struct slot4) == 0, "slot4 must tile a cache line");
_Static_assert(64 % sizeof(struct slot6) == 0, "slot6 must tile a cache line");

/* One prefix length. Linear probing, load kept at or below 1/2 so probe
 * sequences stay short; no deletions ever, so a probe may stop at the first
 * empty slot, and max_probe (the longest displacement any key got) bounds it
 * for addresses that are absent. */
struct table {
	size_t count;
	size_t cap_mask;	/* capacity - 1; capacity is a power of two >= 4 */
	size_t max_probe;
	unsigned int shift;	/* 64 - log2(capacity): the hash's top bits index */
	uint8_t len;
	uint32_t mask4;
	uint64_t mask_hi, mask_lo;
	void *slots;	/* struct slot4[] or struct slot6[] */
};

#define V4_LENS 33
#define V6_LENS 129
#define MIN_CAP 4

struct wg_prefix_map_builder {
	size_t count;
	struct table v4[V4_LENS];	/* indexed by prefix length */
	struct table v6[V6_LENS];
};

/* The tables present, longest prefix first: a lookup walks them in order and
 * stops at the first hit. */
struct wg_prefix_map {
	size_t count;
	unsigned int n4, n6;
	struct table v4[V4_LENS];
	struct table v6[V6_LENS];
};

/* Fibonacci hashing: the top bits of key * 2^64/phi spread consecutive host
 * addresses (the common case) evenly. Prefixes come from configuration, not
 * from the network, and max_probe bounds every lookup anyway, so no secret
 * seed is needed. */
#define GOLDEN 0x9e3779b97f4a7c15ULL
#define MIX2 0xc2b2ae3d27d4eb4fULL

static inline size_t hash4(const struct table *t, uint32_t k)
{
	return (size_t)(((uint64_t)k * GOLDEN) >> t->shift);
}

static inline size_t hash6(const struct table *t, uint64_t hi, uint64_t lo)
{
	/* lo * MIX2 spreads hosts of one /64 over all bits; the final multiply
	 * folds hi in so that /64s (lo = 0) spread too. */
	return (size_t)((((lo * MIX2) ^ hi) * GOLDEN) >> t->shift);
}

static inline uint32_t load_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t load_be64(const uint8_t *b)
{
	return (uint64_t)load_be32(b) << 32 | load_be32(b + 4);
}

static uint32_t mask32(unsigned int len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

static uint64_t mask64(unsigned int len)
{
	return len ? ~(uint64_t)0 << (64 - len) : 0;
}

static void *alloc_slots(size_t cap, size_t size)
{
	/* cap >= MIN_CAP keeps the size a multiple of 64, as aligned_alloc wants. */
	void *p = aligned_alloc(64, cap * size);

	if (p)
		memset(p, 0, cap * size);
	return p;
}

/* Places a key known to be absent; returns its displacement. */
static size_t place4(struct table *t, uint32_t key, uintptr_t value)
{
	struct slot4 *s = t->slots;
	size_t i = hash4(t, key), d = 0;

	while (s[i].used) {
		i = (i + 1) & t->cap_mask;
		d++;
	}
	s[i] = (struct slot4){ .key = key, .used = 1, .value = value };
	return d;
}

static size_t place6(struct table *t, uint64_t hi, uint64_t lo, uintptr_t value)
{
	struct slot6 *s = t->slots;
	size_t i = hash6(t, hi, lo), d = 0;

	while (s[i].used) {
		i = (i + 1) & t->cap_mask;
		d++;
	}
	s[i] = (struct slot6){ .hi = hi, .lo = lo, .used = 1, .value = value };
	return d;
}

/* Makes room for one more key: first use, or doubling once load would pass
 * 1/2. On failure the table is untouched. */
static int reserve(struct table *t, bool v6)
{
	size_t size = v6 ? sizeof(struct slot6) : sizeof(struct slot4);
	size_t old_cap = t->slots ? t->cap_mask + 1 : 0;
	size_t cap = old_cap ? old_cap : MIN_CAP;
	struct table n;

	if ((t->count + 1) * 2 <= old_cap)
		return 0;
	while ((t->count + 1) * 2 > cap)
		cap *= 2;
	n = *t;
	n.slots = alloc_slots(cap, size);
	if (!n.slots)
		return -ENOMEM;
	n.cap_mask = cap - 1;
	n.shift = 64 - (unsigned int)__builtin_ctzll(cap);
	n.max_probe = 0;
	for (size_t i = 0; i < old_cap; i++) {
		size_t d;

		if (v6) {
			const struct slot6 *s = &((const struct slot6 *)t->slots)[i];
			if (!s->used)
				continue;
			d = place6(&n, s->hi, s->lo, s->value);
		} else {
			const struct slot4 *s = &((const struct slot4 *)t->slots)[i];
			if (!s->used)
				continue;
			d = place4(&n, s->key, s->value);
		}
		if (d > n.max_probe)
			n.max_probe = d;
	}
	free(t->slots);
	*t = n;
	return 0;
}

static bool find4(const struct table *t, uint32_t key, uintptr_t *value)
{
	const struct slot4 *s = t->slots;
	size_t i = hash4(t, key);

	for (size_t d = 0; d <= t->max_probe; d++) {
		if (!s[i].used)
			return false;
		if (s[i].key == key) {
			*value = s[i].value;
			return true;
		}
		i = (i + 1) & t->cap_mask;
	}
	return false;
}

static bool find6(const struct table *t, uint64_t hi, uint64_t lo, uintptr_t *value)
{
	const struct slot6 *s = t->slots;
	size_t i = hash6(t, hi, lo);

	for (size_t d = 0; d <= t->max_probe; d++) {
		if (!s[i].used)
			return false;
		if (s[i].hi == hi && s[i].lo == lo) {
			*value = s[i].value;
			return true;
		}
		i = (i + 1) & t->cap_mask;
	}
	return false;
}

struct wg_prefix_map_builder *wg_prefix_map_builder_create(void)
{
	struct wg_prefix_map_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	for (unsigned int l = 0; l < V4_LENS; l++) {
		b->v4[l].len = (uint8_t)l;
		b->v4[l].mask4 = mask32(l);
	}
	for (unsigned int l = 0; l < V6_LENS; l++) {
		b->v6[l].len = (uint8_t)l;
		b->v6[l].mask_hi = mask64(l > 64 ? 64 : l);
		b->v6[l].mask_lo = mask64(l > 64 ? l - 64 : 0);
	}
	return b;
}

int wg_prefix_map_builder_add(struct wg_prefix_map_builder *b, const struct wg_prefix *p,
			      uintptr_t value)
{
	struct table *t;
	uintptr_t old;
	size_t d;
	int ret;

	if (p->ip.af == WG_AF_INET4 && p->len <= 32) {
		t = &b->v4[p->len];
		uint32_t key = load_be32(p->ip.a) & t->mask4;

		if (t->count && find4(t, key, &old))
			return -EEXIST;
		ret = reserve(t, false);
		if (ret)
			return ret;
		d = place4(t, key, value);
	} else if (p->ip.af == WG_AF_INET6 && p->len <= 128) {
		t = &b->v6[p->len];
		uint64_t hi = load_be64(p->ip.a) & t->mask_hi;
		uint64_t lo = load_be64(p->ip.a + 8) & t->mask_lo;

		if (t->count && find6(t, hi, lo, &old))
			return -EEXIST;
		ret = reserve(t, true);
		if (ret)
			return ret;
		d = place6(t, hi, lo, value);
	} else {
		return -EINVAL;
	}
	if (d > t->max_probe)
		t->max_probe = d;
	t->count++;
	b->count++;
	return 0;
}

void wg_prefix_map_builder_free(struct wg_prefix_map_builder *b)
{
	if (!b)
		return;
	for (unsigned int l = 0; l < V4_LENS; l++)
		free(b->v4[l].slots);
	for (unsigned int l = 0; l < V6_LENS; l++)
		free(b->v6[l].slots);
	free(b);
}

struct wg_prefix_map *wg_prefix_map_build(struct wg_prefix_map_builder *b)
{
	struct wg_prefix_map *m;

	if (!b)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		wg_prefix_map_builder_free(b);
		return NULL;
	}
	/* The builder's tables move over as they are; only the order changes. */
	for (int l = V4_LENS - 1; l >= 0; l--) {
		if (b->v4[l].count) {
			m->v4[m->n4++] = b->v4[l];
			b->v4[l].slots = NULL;
		}
	}
	for (int l = V6_LENS - 1; l >= 0; l--) {
		if (b->v6[l].count) {
			m->v6[m->n6++] = b->v6[l];
			b->v6[l].slots = NULL;
		}
	}
	m->count = b->count;
	wg_prefix_map_builder_free(b);
	return m;
}

void wg_prefix_map_free(struct wg_prefix_map *m)
{
	if (!m)
		return;
	for (unsigned int i = 0; i < m->n4; i++)
		free(m->v4[i].slots);
	for (unsigned int i = 0; i < m->n6; i++)
		free(m->v6[i].slots);
	free(m);
}

size_t wg_prefix_map_count(const struct wg_prefix_map *m)
{
	return m ? m->count : 0;
}

bool wg_prefix_map_lookup_v4(const struct wg_prefix_map *m, const uint8_t be4[4], uintptr_t *value)
{
	uint32_t a;

	if (!m)
		return false;
	a = load_be32(be4);
	for (unsigned int i = 0; i < m->n4; i++)
		if (find4(&m->v4[i], a & m->v4[i].mask4, value))
			return true;
	return false;
}

bool wg_prefix_map_lookup_v6(const struct wg_prefix_map *m, const uint8_t be16[16],
			     uintptr_t *value)
{
	uint64_t hi, lo;

	if (!m)
		return false;
	hi = load_be64(be16);
	lo = load_be64(be16 + 8);
	for (unsigned int i = 0; i < m->n6; i++) {
		const struct table *t = &m->v6[i];

		if (find6(t, hi & t->mask_hi, lo & t->mask_lo, value))
			return true;
	}
	return false;
}

bool wg_prefix_map_lookup(const struct wg_prefix_map *m, const struct wg_ipaddr *ip,
			  uintptr_t *value)
{
	if (ip->af == WG_AF_INET4)
		return wg_prefix_map_lookup_v4(m, ip->a, value);
	if (ip->af == WG_AF_INET6)
		return wg_prefix_map_lookup_v6(m, ip->a, value);
	return false;
}

size_t wg_prefix_map_lookup_all(const struct wg_prefix_map *m, const struct wg_ipaddr *ip,
				uintptr_t *values, size_t max)
{
	size_t n = 0;

	if (!m)
		return 0;
	if (ip->af == WG_AF_INET4) {
		uint32_t a = load_be32(ip->a);

		/* Tables are ordered longest first, so the output is too. */
		for (unsigned int i = 0; i < m->n4 && n < max; i++)
			if (find4(&m->v4[i], a & m->v4[i].mask4, &values[n]))
				n++;
	} else if (ip->af == WG_AF_INET6) {
		uint64_t hi = load_be64(ip->a), lo = load_be64(ip->a + 8);

		for (unsigned int i = 0; i < m->n6 && n < max; i++) {
			const struct table *t = &m->v6[i];

			if (find6(t, hi & t->mask_hi, lo & t->mask_lo, &values[n]))
				n++;
		}
	}
	return n;
}
