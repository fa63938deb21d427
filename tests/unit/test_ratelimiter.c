/* Per-source handshake rate limit: burst then 20/s per source, sources
 * independent, an IPv6 /64 counts as one source, a full table takes over
 * the longest idle entry instead of refusing a new source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "lib/wg/ratelimiter.h"

#define MS	(1000ULL * 1000)

static unsigned take(struct wg_ratelimiter *rl, const uint8_t *ip, size_t len, uint64_t now,
		     unsigned n)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += wg_ratelimiter_allow(rl, ip, len, now);
	return ok;
}

static void burst_then_rate(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_create(1024);
	const uint8_t a[4] = { 192, 0, 2, 7 };
	uint64_t t = 5000 * MS;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(take(rl, a, 4, t, 100), WG_RL_BURST);
	/* 50 ms later: one token (20/s). */
	assert_int_equal(take(rl, a, 4, t + 50 * MS, 100), 1);
	assert_int_equal(take(rl, a, 4, t + 99 * MS, 100), 0);
	/* Over 10 s at a steady 1000/s: 20/s get through (+1 for rounding). */
	unsigned ok = 0;
	for (uint64_t ms = 100; ms < 10100; ms++)
		ok += wg_ratelimiter_allow(rl, a, 4, t + ms * MS);
	assert_in_range(ok, 199, 201);
	/* A quiet second fills the bucket again, to the burst only. */
	assert_int_equal(take(rl, a, 4, t + 20000 * MS, 100), WG_RL_BURST);
	wg_ratelimiter_free(rl);
}

static void sources_independent(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_create(1024);
	uint8_t ip[4] = { 10, 0, 0, 0 };

	(void)state;
	for (int i = 0; i < 200; i++) {
		ip[3] = (uint8_t)i;
		assert_int_equal(take(rl, ip, 4, 1000 * MS, 10), WG_RL_BURST);
	}
	/* The first is still limited: its entry survived 200 others. */
	ip[3] = 0;
	assert_int_equal(take(rl, ip, 4, 1000 * MS, 10), 0);
	wg_ratelimiter_free(rl);
}

static void v6_by_64(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_create(64);
	uint8_t a[16], b[16], c[16];

	(void)state;
	memcpy(a, "\x20\x01\x0d\xb8\x00\x00\x00\x01" "\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	memcpy(b, a, 16);
	b[15] = 0x99;			/* same /64 */
	memcpy(c, a, 16);
	c[7] = 2;			/* another /64 */
	assert_int_equal(take(rl, a, 16, 1000 * MS, 3), 3);
	assert_int_equal(take(rl, b, 16, 1000 * MS, 10), WG_RL_BURST - 3);
	assert_int_equal(take(rl, c, 16, 1000 * MS, 10), WG_RL_BURST);
	/* A v4 address equal to the v6 prefix's first bytes is another source. */
	assert_int_equal(take(rl, a, 4, 1000 * MS, 10), WG_RL_BURST);
	wg_ratelimiter_free(rl);
}

static void full_table_takes_over_oldest(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_create(64);
	uint8_t ip[4] = { 10, 1, 0, 0 };

	(void)state;
	/* Far more sources than slots: every new one still gets its burst. */
	for (int i = 0; i < 5000; i++) {
		ip[2] = (uint8_t)(i >> 8);
		ip[3] = (uint8_t)i;
		assert_int_equal(take(rl, ip, 4, (1000 + (uint64_t)i) * MS, 1), 1);
	}
	/* The latest source is remembered (not evicted by itself). */
	assert_int_equal(take(rl, ip, 4, 6000 * MS, 10), WG_RL_BURST - 1);
	wg_ratelimiter_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_rate),
		cmocka_unit_test(sources_independent),
		cmocka_unit_test(v6_by_64),
		cmocka_unit_test(full_table_takes_over_oldest),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
