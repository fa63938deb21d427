#include "lib/wg/replay.h"

#include <string.h>

#include "lib/wg/messages.h"

/* Bit c lives in word (c / 64) % WG_REPLAY_WORDS, bit c % 64. The ring holds
 * the word of the greatest counter and the WG_REPLAY_WORDS - 1 words before
 * it; WG_REPLAY_WINDOW = (WG_REPLAY_WORDS - 1) * 64 guarantees every counter
 * still in the window sits in one of those words, whatever the greatest
 * counter's offset inside its own word. */
#define WORD_MASK (WG_REPLAY_WORDS - 1)
_Static_assert((WG_REPLAY_WORDS & WORD_MASK) == 0, "ring size must be a power of two");

void wg_replay_init(struct wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

/* Outside the protocol's counter range, or behind the window. The order of
 * the tests matters: counter < REJECT_AFTER_MESSAGES keeps counter + window
 * from wrapping. */
static inline bool out_of_range(const struct wg_replay *r, uint64_t counter)
{
	return counter >= REJECT_AFTER_MESSAGES || counter + WG_REPLAY_WINDOW < r->greatest;
}

static inline bool bit_seen(const struct wg_replay *r, uint64_t counter)
{
	return (r->bitmap[(counter >> 6) & WORD_MASK] >> (counter & 63)) & 1;
}

bool wg_replay_out_of_window(const struct wg_replay *r, uint64_t counter)
{
	return out_of_range(r, counter);
}

bool wg_replay_check(const struct wg_replay *r, uint64_t counter)
{
	if (out_of_range(r, counter))
		return false;
	if (counter >= r->greatest)
		return true;
	return !bit_seen(r, counter);
}

bool wg_replay_update(struct wg_replay *r, uint64_t counter)
{
	uint64_t *word;
	uint64_t bit;

	if (out_of_range(r, counter))
		return false;
	if (counter >= r->greatest) {
		/* The words after the current top's word and up to the new one
		 * still hold counters from WG_REPLAY_WORDS words ago: clear them.
		 * A jump past the whole ring clears each word once. With nothing
		 * accepted yet the ring is already zero. */
		if (r->greatest) {
			uint64_t top = (r->greatest - 1) >> 6;
			uint64_t gap = (counter >> 6) - top;

			if (gap > WG_REPLAY_WORDS)
				gap = WG_REPLAY_WORDS;
			for (uint64_t i = 1; i <= gap; i++)
				r->bitmap[(top + i) & WORD_MASK] = 0;
		}
		r->greatest = counter + 1;
	}
	word = &r->bitmap[(counter >> 6) & WORD_MASK];
	bit = 1ULL << (counter & 63);
	if (*word & bit)
		return false;
	*word |= bit;
	return true;
}
