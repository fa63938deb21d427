/* Anti-replay window: table-driven cases, then a randomized comparison with a
 * naive model that remembers every accepted counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/wg/messages.h"
#include "lib/wg/replay.h"

enum op { END = 0, CHECK, UPDATE };

struct step {
	enum op op;
	uint64_t counter;
	bool want;
};

struct replay_case {
	const char *name;
	struct step steps[24];
};

#define W WG_REPLAY_WINDOW
#define RAM REJECT_AFTER_MESSAGES

static const struct replay_case cases[] = {
	{ "in order", {
		{ CHECK, 0, true }, { UPDATE, 0, true }, { UPDATE, 1, true },
		{ UPDATE, 2, true }, { UPDATE, 3, true }, { CHECK, 4, true },
		{ UPDATE, 63, true }, { UPDATE, 64, true }, { UPDATE, 65, true } } },
	{ "first packet need not be zero", {
		{ UPDATE, 1000, true }, { UPDATE, 999, true }, { UPDATE, 0, true },
		{ UPDATE, 1000, false }, { UPDATE, 0, false } } },
	{ "reordered within window", {
		{ UPDATE, 10, true }, { UPDATE, 8, true }, { UPDATE, 9, true },
		{ UPDATE, 5, true }, { UPDATE, 11, true }, { UPDATE, 7, true },
		{ UPDATE, 6, true }, { UPDATE, 0, true }, { CHECK, 1, true } } },
	{ "duplicate", {
		{ UPDATE, 0, true }, { CHECK, 0, false }, { UPDATE, 0, false },
		{ UPDATE, 5, true }, { CHECK, 5, false }, { UPDATE, 5, false },
		{ UPDATE, 3, true }, { CHECK, 3, false }, { UPDATE, 3, false } } },
	{ "edge of the window", {
		{ UPDATE, W + 100, true },
		{ CHECK, 101, true }, { UPDATE, 101, true },	/* oldest tracked */
		{ CHECK, 100, false }, { UPDATE, 100, false },	/* one too old */
		{ UPDATE, 101, false }, { UPDATE, W + 99, true } } },
	{ "too old", {
		{ UPDATE, 20000, true }, { CHECK, 0, false }, { UPDATE, 0, false },
		{ UPDATE, 20000 - W, false }, { UPDATE, 20000 - W + 1, true } } },
	{ "window slides in steps of one", {
		{ UPDATE, 0, true }, { UPDATE, W - 1, true }, { UPDATE, 0, false },
		{ UPDATE, 1, true }, { UPDATE, W, true }, { CHECK, 0, false },
		{ UPDATE, 1, false }, { UPDATE, 2, true } } },
	{ "jump of exactly the window", {
		{ UPDATE, 0, true }, { UPDATE, W, true },
		{ UPDATE, 0, false }, { UPDATE, 1, true }, { UPDATE, W - 1, true },
		{ UPDATE, W, false } } },
	{ "jump of exactly the bitmap", {
		/* Same ring word and bit as counter 5: must be cleared, not seen. */
		{ UPDATE, 5, true }, { UPDATE, 5 + WG_REPLAY_BITS, true },
		{ UPDATE, 5 + WG_REPLAY_BITS, false }, { UPDATE, 5, false },
		{ UPDATE, 6 + WG_REPLAY_BITS - W, true } } },
	{ "far jump clears stale bits", {
		{ UPDATE, 0, true }, { UPDATE, 1, true }, { UPDATE, 64, true }, { UPDATE, 8000, true },
		{ UPDATE, 1ULL << 40, true },
		/* Each of these lands on the ring bit of an old counter. */
		{ UPDATE, (1ULL << 40) + 1, true }, { UPDATE, (1ULL << 40) + 64, true },
		{ UPDATE, (1ULL << 40) - 192, true },
		{ UPDATE, (1ULL << 40) - WG_REPLAY_BITS + 1, false },	/* too old */
		{ UPDATE, 0, false }, { UPDATE, 64, false }, { UPDATE, 8000, false } } },
	{ "jump within the ring clears only skipped words", {
		{ UPDATE, 100, true }, { UPDATE, 90, true }, { UPDATE, 100 + 3 * 64, true },
		{ UPDATE, 90, false }, { UPDATE, 100, false }, { UPDATE, 91, true },
		{ UPDATE, 100 + 2 * 64, true }, { UPDATE, 100 + 3 * 64, false } } },
	{ "reject after messages", {
		{ CHECK, RAM, false }, { UPDATE, RAM, false }, { UPDATE, UINT64_MAX, false },
		{ UPDATE, RAM - 1, true }, { UPDATE, RAM - 1, false }, { UPDATE, RAM, false },
		{ UPDATE, RAM - 2, true }, { UPDATE, RAM - W - 1, false }, { UPDATE, RAM - W, true },
		{ CHECK, UINT64_MAX, false } } },
	{ "check does not record", {
		{ CHECK, 7, true }, { CHECK, 7, true }, { UPDATE, 7, true }, { CHECK, 7, false },
		{ CHECK, 100000, true }, { CHECK, 6, true }, { UPDATE, 6, true } } },
	{ "two copies in one burst: both pass check, one update wins", {
		{ UPDATE, 1, true }, { CHECK, 2, true }, { CHECK, 2, true },
		{ UPDATE, 2, true }, { UPDATE, 2, false } } },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wg_replay r;

		wg_replay_init(&r);
		for (size_t j = 0; cases[i].steps[j].op != END; j++) {
			const struct step *s = &cases[i].steps[j];
			bool got = s->op == CHECK ? wg_replay_check(&r, s->counter)
						  : wg_replay_update(&r, s->counter);
			if (got != s->want)
				fail_msg("case '%s' step %zu: %s(%llu) = %d, want %d", cases[i].name,
					 j, s->op == CHECK ? "check" : "update",
					 (unsigned long long)s->counter, got, s->want);
		}
	}
}

static void test_init_resets(void **state)
{
	struct wg_replay r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	wg_replay_init(&r);
	assert_int_equal(r.greatest, 0);
	for (uint64_t c = 0; c < WG_REPLAY_BITS; c++)
		assert_true(wg_replay_check(&r, c));
}

/* Rejections are told apart: inside the window and seen, or too old. */
static void test_out_of_window(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	assert_true(wg_replay_update(&r, 10000));
	assert_true(wg_replay_update(&r, 5000));
	/* seen, inside the window: a replay, not "too old" */
	assert_false(wg_replay_check(&r, 5000));
	assert_false(wg_replay_out_of_window(&r, 5000));
	/* the oldest counter still inside: greatest - WINDOW + 1 */
	assert_false(wg_replay_out_of_window(&r, 10000 - WG_REPLAY_WINDOW + 1));
	assert_true(wg_replay_check(&r, 10000 - WG_REPLAY_WINDOW + 1));
	/* one further back is too old */
	assert_true(wg_replay_out_of_window(&r, 10000 - WG_REPLAY_WINDOW));
	assert_false(wg_replay_check(&r, 10000 - WG_REPLAY_WINDOW));
	/* past the protocol's counter range */
	assert_true(wg_replay_out_of_window(&r, REJECT_AFTER_MESSAGES));
}

/* ---- randomized comparison with a naive model ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: reproducible from the printed seed on any libc */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Every accepted counter, in an open-addressing set. */
struct model {
	uint64_t *slots;	/* value + 1; 0 = empty */
	size_t cap;
	bool any;
	uint64_t highest;
};

static bool model_has(const struct model *m, uint64_t c)
{
	for (size_t i = (c * 0x9e3779b97f4a7c15ULL) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i] == 0)
			return false;
		if (m->slots[i] == c + 1)
			return true;
	}
}

static void model_add(struct model *m, uint64_t c)
{
	size_t i = (c * 0x9e3779b97f4a7c15ULL) & (m->cap - 1);

	while (m->slots[i] != 0)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = c + 1;
}

static bool model_accepts(const struct model *m, uint64_t c)
{
	if (c >= REJECT_AFTER_MESSAGES)
		return false;
	if (!m->any || c > m->highest)
		return true;
	return m->highest - c < WG_REPLAY_WINDOW && !model_has(m, c);
}

static uint64_t pick_counter(const struct model *m, int op, int ops)
{
	uint64_t base = m->any ? m->highest : 0;
	unsigned int kind = (unsigned int)(rng() % 1000);

	if (kind < 5)	/* far jump */
		return base + (rng() % (1ULL << (rng() % 44)));
	if (kind < 7 && op > ops - ops / 100)	/* the end of the counter space, late */
		return REJECT_AFTER_MESSAGES - 20000 + rng() % 20010;
	if (kind < 10)	/* around the window edge */
		return base - W - 3 + rng() % 6;
	if (kind < 400)	/* just ahead */
		return base + rng() % 80;
	return base - rng() % (W + 200);	/* behind, mostly in the window */
}

static void test_random_vs_model(void **state)
{
	const char *env = getenv("WG_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	struct model m = { .cap = 1u << 18 };
	struct wg_replay r;

	(void)state;
	printf("test_replay: seed %llu (rerun with WG_TEST_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed;
	m.slots = calloc(m.cap, sizeof(*m.slots));
	assert_non_null(m.slots);
	wg_replay_init(&r);
	const int ops = 100000;

	for (int i = 0; i < ops; i++) {
		uint64_t c = pick_counter(&m, i, ops);
		bool want = model_accepts(&m, c);
		bool checked = wg_replay_check(&r, c);

		/* The check is exact when nothing happens in between. */
		if (checked != want)
			fail_msg("seed %llu op %d: check(%llu) = %d, model %d",
				 (unsigned long long)seed, i, (unsigned long long)c, checked, want);
		if (rng() % 8 == 0)
			continue;	/* a packet whose tag failed: never recorded */
		bool got = wg_replay_update(&r, c);
		if (got != want)
			fail_msg("seed %llu op %d: update(%llu) = %d, model %d",
				 (unsigned long long)seed, i, (unsigned long long)c, got, want);
		if (want) {
			model_add(&m, c);
			if (!m.any || c > m.highest)
				m.highest = c;
			m.any = true;
		}
		if (rng() % 16 == 0 && wg_replay_update(&r, c))
			fail_msg("seed %llu op %d: duplicate %llu accepted",
				 (unsigned long long)seed, i, (unsigned long long)c);
	}
	free(m.slots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_init_resets),
		cmocka_unit_test(test_out_of_window),
		cmocka_unit_test(test_random_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
