/* lib/util/idset: membership after take, replacement, empty sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util/idset.h"

static uint64_t *dup_ids(const uint64_t *v, size_t n)
{
	uint64_t *d = malloc(n * sizeof(*d));

	assert_non_null(d);
	memcpy(d, v, n * sizeof(*d));
	return d;
}

static void test_idset(void **state)
{
	static const uint64_t a[] = { 42, 7, UINT64_MAX, 0, 1000 };
	static const uint64_t b[] = { 8 };
	struct wg_idset s = { 0 };

	(void)state;
	assert_false(wg_idset_has(&s, 0));
	wg_idset_take(&s, dup_ids(a, 5), 5);
	for (size_t i = 0; i < 5; i++)
		assert_true(wg_idset_has(&s, a[i]));
	assert_false(wg_idset_has(&s, 8));
	assert_false(wg_idset_has(&s, UINT64_MAX - 1));
	wg_idset_take(&s, dup_ids(b, 1), 1);	/* replaces, frees the old */
	assert_true(wg_idset_has(&s, 8));
	assert_false(wg_idset_has(&s, 42));
	wg_idset_take(&s, NULL, 0);
	assert_false(wg_idset_has(&s, 8));
	wg_idset_free(&s);
	/* Distinct inputs, distinct hashes (FNV-1a's published value for "a"). */
	assert_true(wg_idset_hash(WG_IDSET_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(wg_idset_hash(WG_IDSET_SEED, "ab", 2) !=
		    wg_idset_hash(wg_idset_hash(WG_IDSET_SEED, "b", 1), "a", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_idset) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
