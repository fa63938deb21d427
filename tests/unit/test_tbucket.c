/* Token bucket: exact counts of what passes, since the credit is kept in
 * ticks and nothing is rounded: burst, refill at the set rate with partial
 * credit carried over, no refill beyond burst, time going backwards, long
 * idle and the saturating edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/util/tbucket.h"

#define TPT	100	/* ticks per token */
#define BURST	5

/* Takes until refused (at most limit), returns how many passed. */
static unsigned drain(struct wg_tbucket *b, uint64_t now, uint64_t tpt, uint32_t burst,
		      unsigned limit)
{
	unsigned n = 0;

	while (n < limit && wg_tbucket_take(b, now, tpt, burst))
		n++;
	return n;
}

static void starts_full_with_burst(void **state)
{
	struct wg_tbucket b;

	(void)state;
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 1000, TPT, BURST, 100), BURST);
	assert_false(wg_tbucket_take(&b, 1000, TPT, BURST));

	/* also when the first timestamp is 0 or a huge TSC value */
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 0, TPT, BURST, 100), BURST);
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, UINT64_MAX - 7, TPT, BURST, 100), BURST);
	assert_false(wg_tbucket_take(&b, UINT64_MAX, TPT, BURST));
}

static void refills_at_rate(void **state)
{
	struct wg_tbucket b;

	(void)state;
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 1000, TPT, BURST, 100), BURST);
	assert_false(wg_tbucket_take(&b, 1099, TPT, BURST));	/* 99 ticks: not yet */
	assert_true(wg_tbucket_take(&b, 1100, TPT, BURST));	/* 100: one token */
	assert_false(wg_tbucket_take(&b, 1100, TPT, BURST));
	/* 250 ticks: two tokens, and the 50 left over are kept */
	assert_int_equal(drain(&b, 1350, TPT, BURST, 100), 2);
	assert_true(wg_tbucket_take(&b, 1400, TPT, BURST));
	assert_false(wg_tbucket_take(&b, 1400, TPT, BURST));

	/* steady state: one pass per 100 ticks, over many periods */
	unsigned passed = 0;
	for (uint64_t t = 1401; t <= 1400 + 100 * 1000; t++)
		passed += wg_tbucket_take(&b, t, TPT, BURST);
	assert_int_equal(passed, 1000);
}

static void no_refill_beyond_burst(void **state)
{
	struct wg_tbucket b;

	(void)state;
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 1000, TPT, BURST, 100), BURST);
	assert_int_equal(drain(&b, 1000 + 50 * TPT, TPT, BURST, 100), BURST);
	/* a partial refill gives exactly the ticks' worth */
	assert_int_equal(drain(&b, 1000 + 53 * TPT, TPT, BURST, 100), 3);
	assert_int_equal(drain(&b, 1000 + 200 * TPT, TPT, BURST, 100), BURST);
}

static void time_going_backwards(void **state)
{
	struct wg_tbucket b;

	(void)state;
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 10000, TPT, BURST, 100), BURST);
	/* an earlier timestamp (another core's TSC) credits nothing... */
	assert_false(wg_tbucket_take(&b, 5000, TPT, BURST));
	assert_false(wg_tbucket_take(&b, 0, TPT, BURST));
	assert_int_equal(b.last, 10000);
	/* ...and does not make the next forward step count twice */
	assert_false(wg_tbucket_take(&b, 10099, TPT, BURST));
	assert_true(wg_tbucket_take(&b, 10100, TPT, BURST));
	assert_false(wg_tbucket_take(&b, 10100, TPT, BURST));

	/* a full bucket still spends tokens when time goes back */
	wg_tbucket_init(&b, BURST);
	assert_true(wg_tbucket_take(&b, 10000, TPT, BURST));
	assert_int_equal(drain(&b, 9000, TPT, BURST, 100), BURST - 1);
	assert_false(wg_tbucket_take(&b, 9999, TPT, BURST));
}

static void long_idle(void **state)
{
	struct wg_tbucket b;

	(void)state;
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 1, TPT, BURST, 100), BURST);
	/* idle for nearly the whole 64-bit range: full, no wrap-around */
	assert_int_equal(drain(&b, UINT64_MAX, TPT, BURST, 100), BURST);
	assert_false(wg_tbucket_take(&b, UINT64_MAX, TPT, BURST));

	/* burst * ticks_per_token beyond 64 bits saturates instead of wrapping:
	 * 2^40 ticks per token (a slow rate on a fast TSC) and burst 2^30 */
	const uint64_t tpt = 1ull << 40;
	wg_tbucket_init(&b, 1u << 30);
	assert_true(wg_tbucket_take(&b, 5, tpt, 1u << 30));
	assert_true(b.tokens == UINT64_MAX - tpt);
	assert_true(wg_tbucket_take(&b, UINT64_MAX, tpt, 1u << 30));
	assert_true(b.tokens == UINT64_MAX - tpt);
}

static void edges(void **state)
{
	struct wg_tbucket b;

	(void)state;
	/* ticks_per_token 0: no limit */
	wg_tbucket_init(&b, BURST);
	assert_int_equal(drain(&b, 7, 0, BURST, 1000), 1000);
	/* burst 0: nothing ever passes */
	wg_tbucket_init(&b, 0);
	assert_int_equal(drain(&b, 7, TPT, 0, 10), 0);
	assert_int_equal(drain(&b, 1000000, TPT, 0, 10), 0);
	/* burst lowered while full: clamped to the new size */
	wg_tbucket_init(&b, BURST);
	assert_true(wg_tbucket_take(&b, 100, TPT, BURST));
	assert_int_equal(drain(&b, 100, TPT, 2, 100), 2);
	/* rate changed while draining: credit in ticks meets the new size */
	wg_tbucket_init(&b, 1);
	assert_true(wg_tbucket_take(&b, 100, 10, 1));
	assert_false(wg_tbucket_take(&b, 105, 10, 1));
	assert_true(wg_tbucket_take(&b, 110, 10, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(starts_full_with_burst),
		cmocka_unit_test(refills_at_rate),
		cmocka_unit_test(no_refill_beyond_burst),
		cmocka_unit_test(time_going_backwards),
		cmocka_unit_test(long_idle),
		cmocka_unit_test(edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
