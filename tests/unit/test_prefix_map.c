/* Longest-prefix-match map: hand-picked cases, then a randomized comparison
 * with a brute-force linear scan. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/net/addr.h"
#include "lib/net/prefix_map.h"

static struct wg_prefix P(const char *s)
{
	struct wg_prefix p;

	if (wg_prefix_parse(s, false, &p))
		fail_msg("bad prefix in test: %s", s);
	return p;
}

static struct wg_ipaddr A(const char *s)
{
	struct wg_ipaddr a;

	if (wg_ipaddr_parse(s, &a))
		fail_msg("bad address in test: %s", s);
	return a;
}

struct entry {
	const char *prefix;
	uintptr_t value;
};

struct probe {
	const char *addr;
	uintptr_t want;	/* 0 = no match */
};

static struct wg_prefix_map *build(const struct entry *e)
{
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();

	assert_non_null(b);
	for (; e->prefix; e++) {
		struct wg_prefix p = P(e->prefix);
		assert_int_equal(wg_prefix_map_builder_add(b, &p, e->value), 0);
	}
	struct wg_prefix_map *m = wg_prefix_map_build(b);
	assert_non_null(m);
	return m;
}

static void check(const struct wg_prefix_map *m, const struct probe *p)
{
	for (; p->addr; p++) {
		struct wg_ipaddr a = A(p->addr);
		uintptr_t v = 0xdead, v2 = 0xdead;
		bool hit = wg_prefix_map_lookup(m, &a, &v);
		bool hit2 = a.af == WG_AF_INET4 ? wg_prefix_map_lookup_v4(m, a.a, &v2)
						: wg_prefix_map_lookup_v6(m, a.a, &v2);

		if (hit != (p->want != 0) || (hit && v != p->want))
			fail_msg("%s: hit %d value %lu, want %lu", p->addr, hit,
				 (unsigned long)(hit ? v : 0), (unsigned long)p->want);
		assert_int_equal(hit, hit2);
		if (hit)
			assert_int_equal(v, v2);
		else
			assert_int_equal(v, 0xdead);	/* untouched on a miss */
	}
}

static void test_v4_longest_match(void **state)
{
	static const struct entry e[] = {
		{ "10.0.0.0/8", 1 }, { "10.1.0.0/16", 2 }, { "10.1.2.0/24", 3 },
		{ "10.1.2.3/32", 4 }, { "10.1.2.128/25", 5 }, { "192.168.1.1/32", 6 },
		{ "128.0.0.0/1", 7 }, { "10.1.2.2/31", 8 }, { NULL, 0 } };
	static const struct probe p[] = {
		{ "10.1.2.3", 4 }, { "10.1.2.4", 3 }, { "10.1.2.2", 8 }, { "10.1.2.200", 5 },
		{ "10.1.3.1", 2 }, { "10.2.0.0", 1 }, { "10.255.255.255", 1 },
		{ "192.168.1.1", 6 }, { "192.168.1.2", 7 }, { "255.255.255.255", 7 },
		{ "11.0.0.0", 0 }, { "9.255.255.255", 0 }, { "0.0.0.0", 0 },
		{ "::ffff:10.1.2.3", 0 }, { "::a01:203", 0 }, { NULL, 0 } };
	struct wg_prefix_map *m = build(e);

	(void)state;
	check(m, p);
	assert_int_equal(wg_prefix_map_count(m), 8);
	wg_prefix_map_free(m);
}

static void test_v6_longest_match(void **state)
{
	static const struct entry e[] = {
		{ "fd00::/8", 1 }, { "fd00:2021:1111::/107", 2 }, { "fd00:2021:1111::2/128", 3 },
		{ "2001:db8::/32", 4 }, { "2001:db8:0:1::/64", 5 }, { "2001:db8:0:1::/65", 6 },
		{ "2001:db8:0:1:8000::/66", 7 }, { "2001:db8::/63", 8 }, { "2001:db8::/127", 9 },
		{ NULL, 0 } };
	static const struct probe p[] = {
		{ "fd00:2021:1111::2", 3 }, { "fd00:2021:1111::3", 2 },
		{ "fd00:2021:1111::1f:ffff", 2 }, { "fd00:2021:1111::20:0", 1 },
		{ "fdff::1", 1 }, { "fe00::1", 0 },
		{ "2001:db8:0:1::1", 6 }, { "2001:db8:0:1:8000::1", 7 },
		{ "2001:db8:0:1:c000::1", 5 }, { "2001:db8::1", 9 }, { "2001:db8::2", 8 },
		{ "2001:db8:0:2::", 4 }, { "2001:db9::", 0 }, { "10.1.2.3", 0 }, { "::", 0 },
		{ NULL, 0 } };
	struct wg_prefix_map *m = build(e);

	(void)state;
	check(m, p);
	assert_int_equal(wg_prefix_map_count(m), 9);
	wg_prefix_map_free(m);
}

static void test_default_routes(void **state)
{
	static const struct entry e[] = {
		{ "0.0.0.0/0", 1 }, { "::/0", 2 }, { "100.64.0.2/32", 3 },
		{ "fd00:2021:1111::2/128", 4 }, { NULL, 0 } };
	static const struct probe p[] = {
		{ "100.64.0.2", 3 }, { "100.64.0.3", 1 }, { "0.0.0.0", 1 }, { "255.255.255.255", 1 },
		{ "fd00:2021:1111::2", 4 }, { "::", 2 }, { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2 },
		{ "::ffff:100.64.0.2", 2 }, { NULL, 0 } };
	static const struct entry only4[] = { { "0.0.0.0/0", 7 }, { NULL, 0 } };
	static const struct probe p4[] = { { "1.2.3.4", 7 }, { "::1", 0 }, { NULL, 0 } };
	struct wg_prefix_map *m = build(e);

	(void)state;
	check(m, p);
	wg_prefix_map_free(m);
	m = build(only4);
	check(m, p4);
	wg_prefix_map_free(m);
}

static void test_duplicates_and_errors(void **state)
{
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	struct wg_prefix p = P("10.0.0.0/8"), q;
	struct wg_ipaddr a = A("10.200.9.9");
	uintptr_t v;

	(void)state;
	assert_int_equal(wg_prefix_map_builder_add(b, &p, 1), 0);
	assert_int_equal(wg_prefix_map_builder_add(b, &p, 2), -EEXIST);
	/* The same prefix written with host bits is the same prefix. */
	q = p;
	q.ip.a[3] = 1;
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 3), -EEXIST);
	/* Same address, other length: distinct. */
	q = P("10.0.0.0/9");
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 4), 0);
	/* Same bytes, other family: distinct. */
	q = P("a00::/8");
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 5), 0);
	q = P("a00::/8");
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 6), -EEXIST);
	/* Bad family or length. */
	q = p;
	q.ip.af = 0;
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 7), -EINVAL);
	q.ip.af = 5;
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 7), -EINVAL);
	q = p;
	q.len = 33;
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 7), -EINVAL);
	q = P("::/0");
	q.len = 129;
	assert_int_equal(wg_prefix_map_builder_add(b, &q, 7), -EINVAL);

	struct wg_prefix_map *m = wg_prefix_map_build(b);
	assert_non_null(m);
	assert_int_equal(wg_prefix_map_count(m), 3);
	assert_true(wg_prefix_map_lookup(m, &a, &v));
	assert_int_equal(v, 1);	/* the first value stayed */
	a = A("10.200.0.1");
	assert_true(wg_prefix_map_lookup(m, &a, &v));
	assert_int_equal(v, 1);
	a = A("10.100.0.1");
	assert_true(wg_prefix_map_lookup(m, &a, &v));
	assert_int_equal(v, 4);
	a.af = 0;
	assert_false(wg_prefix_map_lookup(m, &a, &v));
	wg_prefix_map_free(m);

	/* A builder can be dropped without building. */
	b = wg_prefix_map_builder_create();
	assert_int_equal(wg_prefix_map_builder_add(b, &p, 1), 0);
	wg_prefix_map_builder_free(b);
	wg_prefix_map_builder_free(NULL);
	assert_null(wg_prefix_map_build(NULL));
}

static void test_null_and_empty(void **state)
{
	struct wg_ipaddr a4 = A("1.2.3.4"), a6 = A("::1");
	uintptr_t v = 42;
	struct wg_prefix_map *m;

	(void)state;
	assert_false(wg_prefix_map_lookup(NULL, &a4, &v));
	assert_false(wg_prefix_map_lookup(NULL, &a6, &v));
	assert_false(wg_prefix_map_lookup_v4(NULL, a4.a, &v));
	assert_false(wg_prefix_map_lookup_v6(NULL, a6.a, &v));
	assert_int_equal(wg_prefix_map_count(NULL), 0);
	wg_prefix_map_free(NULL);

	m = wg_prefix_map_build(wg_prefix_map_builder_create());
	assert_non_null(m);
	assert_int_equal(wg_prefix_map_count(m), 0);
	assert_false(wg_prefix_map_lookup(m, &a4, &v));
	assert_false(wg_prefix_map_lookup(m, &a6, &v));
	assert_int_equal(v, 42);
	wg_prefix_map_free(m);
}

/* The shape a gateway holds: many host routes inside a few pools, which
 * exercises table growth and the hash on consecutive addresses. */
static void test_many_host_routes(void **state)
{
	const uint32_t n = 300000;
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	struct wg_prefix p = P("100.64.0.0/11");
	struct wg_prefix_map *m;
	uintptr_t v;

	(void)state;
	assert_int_equal(wg_prefix_map_builder_add(b, &p, 1), 0);
	p = P("fd00:2021:1111::/107");
	assert_int_equal(wg_prefix_map_builder_add(b, &p, 2), 0);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = 0x64400000u + i;	/* 100.64.0.0 + i */
		struct wg_prefix q = { .ip = { .af = WG_AF_INET4 }, .len = 32 };

		q.ip.a[0] = (uint8_t)(h >> 24); q.ip.a[1] = (uint8_t)(h >> 16);
		q.ip.a[2] = (uint8_t)(h >> 8); q.ip.a[3] = (uint8_t)h;
		assert_int_equal(wg_prefix_map_builder_add(b, &q, 1000 + i), 0);
		q = P("fd00:2021:1111::/128");
		q.ip.a[13] = (uint8_t)(i >> 16); q.ip.a[14] = (uint8_t)(i >> 8); q.ip.a[15] = (uint8_t)i;
		assert_int_equal(wg_prefix_map_builder_add(b, &q, 2000000 + i), 0);
	}
	m = wg_prefix_map_build(b);
	assert_non_null(m);
	assert_int_equal(wg_prefix_map_count(m), 2 * n + 2);
	for (uint32_t i = 0; i < n + 1000; i++) {
		uint32_t h = 0x64400000u + i;
		uint8_t a4[4] = { (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h };
		uint8_t a6[16] = { 0xfd, 0, 0x20, 0x21, 0x11, 0x11 };

		a6[13] = (uint8_t)(i >> 16); a6[14] = (uint8_t)(i >> 8); a6[15] = (uint8_t)i;
		assert_true(wg_prefix_map_lookup_v4(m, a4, &v));
		assert_int_equal(v, i < n ? 1000 + i : 1);
		assert_true(wg_prefix_map_lookup_v6(m, a6, &v));
		assert_int_equal(v, i < n ? 2000000 + i : 2);
	}
	wg_prefix_map_free(m);
}

/* lookup_all: every covering prefix, longest first; max truncates from the
 * short end; misses and other families give nothing. */
static void test_lookup_all(void **state)
{
	static const struct entry e[] = {
		{ "0.0.0.0/0", 1 }, { "10.0.0.0/8", 2 }, { "10.1.0.0/16", 3 },
		{ "10.1.2.3/32", 4 }, { "10.1.2.0/24", 5 }, { "11.0.0.0/8", 6 },
		{ "::/0", 7 }, { "2001:db8::/32", 8 }, { "2001:db8::1/128", 9 },
		{ "2001:db8::/127", 10 }, { NULL, 0 } };
	struct wg_prefix_map *m = build(e);
	uintptr_t v[WG_PREFIX_MAP_MAX_MATCHES] = { 0 };
	struct wg_ipaddr a;

	(void)state;
	a = A("10.1.2.3");
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, WG_PREFIX_MAP_MAX_MATCHES), 5);
	assert_int_equal(v[0], 4);
	assert_int_equal(v[1], 5);
	assert_int_equal(v[2], 3);
	assert_int_equal(v[3], 2);
	assert_int_equal(v[4], 1);
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, 2), 2);
	assert_int_equal(v[0], 4);
	assert_int_equal(v[1], 5);
	v[0] = 0xdead;
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, 0), 0);
	assert_int_equal(v[0], 0xdead);
	a = A("12.0.0.1");
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, WG_PREFIX_MAP_MAX_MATCHES), 1);
	assert_int_equal(v[0], 1);
	a = A("2001:db8::1");
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, WG_PREFIX_MAP_MAX_MATCHES), 4);
	assert_int_equal(v[0], 9);
	assert_int_equal(v[1], 10);
	assert_int_equal(v[2], 8);
	assert_int_equal(v[3], 7);
	a.af = 0;
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, WG_PREFIX_MAP_MAX_MATCHES), 0);
	assert_int_equal(wg_prefix_map_lookup_all(NULL, &a, v, WG_PREFIX_MAP_MAX_MATCHES), 0);
	a = A("1.2.3.4");
	assert_int_equal(wg_prefix_map_lookup_all(NULL, &a, v, WG_PREFIX_MAP_MAX_MATCHES), 0);
	wg_prefix_map_free(m);

	/* Every length present at once: 129 matches for one IPv6 address. */
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	a = A("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	for (unsigned int l = 0; l <= 128; l++) {
		struct wg_prefix p = { .ip = a, .len = (uint8_t)l };
		assert_int_equal(wg_prefix_map_builder_add(b, &p, 1000 + l), 0);
	}
	m = wg_prefix_map_build(b);
	assert_non_null(m);
	assert_int_equal(wg_prefix_map_lookup_all(m, &a, v, WG_PREFIX_MAP_MAX_MATCHES),
			 WG_PREFIX_MAP_MAX_MATCHES);
	for (unsigned int i = 0; i < WG_PREFIX_MAP_MAX_MATCHES; i++)
		assert_int_equal(v[i], 1000 + 128 - i);
	wg_prefix_map_free(m);
}

/* ---- randomized comparison with a linear scan ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct model_entry {
	struct wg_prefix p;
	uintptr_t value;
};

/* Bit-by-bit, deliberately unlike the map's masking. */
static bool covers(const struct wg_prefix *p, const struct wg_ipaddr *a)
{
	if (p->ip.af != a->af)
		return false;
	for (unsigned int i = 0; i < p->len; i++) {
		unsigned int byte = i / 8, bit = 7 - i % 8;
		if (((p->ip.a[byte] >> bit) & 1) != ((a->a[byte] >> bit) & 1))
			return false;
	}
	return true;
}

static bool model_lookup(const struct model_entry *e, size_t n, const struct wg_ipaddr *a,
			 uintptr_t *value)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if (covers(&e[i].p, a) && (int)e[i].p.len > best) {
			best = e[i].p.len;
			*value = e[i].value;
		}
	return best >= 0;
}

/* Every covering entry, longest first. Prefixes are unique, so at most one
 * per length and the order is fully determined. */
static size_t model_lookup_all(const struct model_entry *e, size_t n, const struct wg_ipaddr *a,
			       uintptr_t *values, size_t max)
{
	const struct model_entry *by_len[129] = { NULL };
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (covers(&e[i].p, a))
			by_len[e[i].p.len] = &e[i];
	for (int len = 128; len >= 0 && k < max; len--)
		if (by_len[len])
			values[k++] = by_len[len]->value;
	return k;
}

/* Addresses cluster around a few bases so that prefixes nest and collide. */
static void random_addr(struct wg_ipaddr *a, const struct wg_ipaddr bases[4])
{
	*a = bases[rng() % 4];
	unsigned int bits = wg_af_bits(a->af);
	unsigned int flips = (unsigned int)(rng() % 6);

	for (unsigned int i = 0; i < flips; i++) {
		/* Flip mostly low bits so that neighbours share long prefixes. */
		unsigned int span = rng() % 4 ? 24 : bits;
		unsigned int b = bits - 1 - (unsigned int)(rng() % span);
		a->a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
}

static uint8_t random_len(uint8_t af)
{
	unsigned int bits = wg_af_bits(af), r = (unsigned int)(rng() % 100);

	if (r < 60)
		return (uint8_t)bits;	/* host routes dominate */
	if (r < 80)
		return (uint8_t)(bits - rng() % 12);
	/* No default route here (test_default_routes has them): lookups far
	 * from every base must be able to miss. */
	return (uint8_t)(8 + rng() % (bits - 7));
}

static void test_random_vs_linear(void **state)
{
	const char *env = getenv("WG_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	const size_t n_add = 10000, n_lookup = 20000;
	struct model_entry *e = calloc(n_add, sizeof(*e));
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	struct wg_ipaddr bases[4];
	struct wg_prefix_map *m;
	size_t n = 0, dups = 0, hits = 0, multi = 0;

	(void)state;
	printf("test_prefix_map: seed %llu (rerun with WG_TEST_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed;
	assert_non_null(e);
	bases[0] = A("100.64.0.0");
	bases[1] = A("10.0.0.0");
	bases[2] = A("fd00:2021:1111::");
	bases[3] = A("2001:db8::");
	for (size_t i = 0; i < n_add; i++) {
		struct wg_prefix p;
		uintptr_t value = (uintptr_t)rng();
		bool dup = false;

		random_addr(&p.ip, bases);
		p.len = random_len(p.ip.af);
		wg_ipaddr_mask(&p.ip, p.len);
		for (size_t j = 0; j < n && !dup; j++)
			dup = e[j].p.len == p.len && wg_ipaddr_equal(&e[j].p.ip, &p.ip);
		int ret = wg_prefix_map_builder_add(b, &p, value);
		if (ret != (dup ? -EEXIST : 0))
			fail_msg("seed %llu: add #%zu returned %d, dup %d", (unsigned long long)seed, i,
				 ret, dup);
		if (dup) {
			dups++;
			continue;
		}
		e[n++] = (struct model_entry){ p, value };
	}
	m = wg_prefix_map_build(b);
	assert_non_null(m);
	assert_int_equal(wg_prefix_map_count(m), n);
	for (size_t i = 0; i < n_lookup; i++) {
		struct wg_ipaddr a;
		uintptr_t want = 0, got = 0;

		uint64_t kind = rng() % 5;

		if (kind < 2) {
			random_addr(&a, bases);
		} else if (kind == 2) {	/* anywhere */
			a = (struct wg_ipaddr){ .af = rng() % 2 ? WG_AF_INET4 : WG_AF_INET6 };
			for (unsigned int k = 0; k < wg_af_bits(a.af) / 8; k++)
				a.a[k] = (uint8_t)rng();
		} else {	/* inside a stored prefix, host bits random */
			const struct model_entry *x = &e[rng() % n];
			unsigned int bits = wg_af_bits(x->p.ip.af);

			a = x->p.ip;
			for (unsigned int k = x->p.len; k < bits; k++)
				if (rng() & 1)
					a.a[k / 8] |= (uint8_t)(0x80 >> (k % 8));
		}
		bool w = model_lookup(e, n, &a, &want);
		bool g = wg_prefix_map_lookup(m, &a, &got);
		if (w != g || (w && want != got)) {
			char s[WG_IPADDR_STRLEN];
			wg_ipaddr_str(&a, s, sizeof(s));
			fail_msg("seed %llu: lookup %s: map %d/%lx, linear %d/%lx",
				 (unsigned long long)seed, s, g, (unsigned long)got, w,
				 (unsigned long)want);
		}
		hits += w;

		/* lookup_all agrees with the scan, in full and truncated. */
		uintptr_t wall[WG_PREFIX_MAP_MAX_MATCHES], gall[WG_PREFIX_MAP_MAX_MATCHES];
		size_t max = rng() % 4 ? WG_PREFIX_MAP_MAX_MATCHES : (size_t)(rng() % 4);
		size_t wn = model_lookup_all(e, n, &a, wall, max);
		size_t gn = wg_prefix_map_lookup_all(m, &a, gall, max);

		if (wn != gn || memcmp(wall, gall, wn * sizeof(wall[0])))
			fail_msg("seed %llu: lookup_all #%zu (max %zu): map %zu, linear %zu matches",
				 (unsigned long long)seed, i, max, gn, wn);
		if (wn && max == WG_PREFIX_MAP_MAX_MATCHES)
			assert_int_equal(wall[0], want);
		multi += wn > 1;
	}
	/* The generator must exercise both outcomes, or the test proves little. */
	assert_true(hits > n_lookup / 4 && hits < n_lookup);
	assert_true(dups > 0);
	assert_true(multi > n_lookup / 20);	/* nested prefixes were exercised */
	wg_prefix_map_free(m);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_longest_match),
		cmocka_unit_test(test_v6_longest_match),
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test(test_duplicates_and_errors),
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_many_host_routes),
		cmocka_unit_test(test_lookup_all),
		cmocka_unit_test(test_random_vs_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
