/* TAI64N encoding: label, byte order, the 2^24 ns rounding, ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/wg/tai64n.h"

static void test_encoding(void **state)
{
	/* 2^62 + 10 + 1700000000 = 0x400000006553f10a; 123456789 ns rounds down
	 * to 7 * 2^24 = 117440512 = 0x07000000. */
	static const uint8_t want[12] = {
		0x40, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x0a,
		0x07, 0x00, 0x00, 0x00,
	};
	uint8_t out[12];

	(void)state;
	wg_tai64n_from(out, 1700000000ULL, 123456789u);
	assert_memory_equal(out, want, 12);

	/* The epoch is label 2^62 + 10. */
	wg_tai64n_from(out, 0, 0);
	assert_int_equal(out[0], 0x40);
	assert_int_equal(out[7], 0x0a);
	assert_int_equal(out[8] | out[9] | out[10] | out[11], 0);
}

static void test_rounding(void **state)
{
	uint8_t a[12], b[12];

	(void)state;
	/* Within one 2^24 ns grain: identical. */
	wg_tai64n_from(a, 1000, 0);
	wg_tai64n_from(b, 1000, (1u << 24) - 1);
	assert_memory_equal(a, b, 12);
	/* Next grain: later. */
	wg_tai64n_from(b, 1000, 1u << 24);
	assert_true(wg_tai64n_after(b, a));
	/* 999999999 ns rounds to 59 grains, still below the next second. */
	wg_tai64n_from(a, 1000, 999999999u);
	assert_int_equal(a[8], 0x3b);
	assert_int_equal(a[9] | a[10] | a[11], 0);
	wg_tai64n_from(b, 1001, 0);
	assert_true(wg_tai64n_after(b, a));
}

static void test_after(void **state)
{
	uint8_t a[12], b[12];

	(void)state;
	wg_tai64n_from(a, 1000, 0);
	wg_tai64n_from(b, 1000, 0);
	assert_false(wg_tai64n_after(a, b));	/* equal is not after */
	wg_tai64n_from(b, 999, 999999999u);
	assert_true(wg_tai64n_after(a, b));
	assert_false(wg_tai64n_after(b, a));
	/* Seconds dominate nanoseconds; a byte-wise compare must see that. */
	wg_tai64n_from(a, 256, 0);
	wg_tai64n_from(b, 255, 999999999u);
	assert_true(wg_tai64n_after(a, b));
}

static void test_now(void **state)
{
	uint8_t now[12], past[12];
	struct timespec ts;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	wg_tai64n_from(past, (uint64_t)ts.tv_sec - 1, 0);
	wg_tai64n_now(now);
	assert_true(wg_tai64n_after(now, past));
	/* Rounded: the low 24 bits of the nanoseconds are zero. */
	assert_int_equal(now[9] | now[10] | now[11], 0);
	/* Below one second: at most 59 grains. */
	assert_true(now[8] <= 59);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_after),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
