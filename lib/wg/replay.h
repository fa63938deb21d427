/* Anti-replay window for the receive side of one keypair (whitepaper 5.4.6,
 * RFC 6479 bitmap).
 *
 * The window remembers the last WG_REPLAY_WINDOW counters ending at the
 * greatest one accepted. It is a ring of 64-bit words; moving the top forward
 * clears whole words instead of shifting the bitmap, so an update costs O(1)
 * for an in-order packet and at most WG_REPLAY_WORDS word writes for a jump.
 * One word is kept as slack so the word holding the oldest tracked counter is
 * never the one being cleared for the newest: of the 8192 bits, 8192 - 64 are
 * usable, as in the kernel.
 *
 * Writer: the single worker that owns the keypair's receive side (peers are
 * pinned to one worker). Readers: that worker only. No atomics: calling
 * wg_replay_update() from two threads on one window is a bug.
 *
 * Use: wg_replay_check() before decrypting (cheap, no state change) drops
 * certain replays without spending an AEAD on them; wg_replay_update() after
 * the tag verified is the decision that counts, because two copies of one
 * packet in the same burst both pass the check. Never update before the tag
 * verified: a forged counter would otherwise slide the window and make the
 * real packets look too old. */
#ifndef WGATE_LIB_WG_REPLAY_H
#define WGATE_LIB_WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define WG_REPLAY_BITS		8192
#define WG_REPLAY_WORDS		(WG_REPLAY_BITS / 64)
/* Counters accepted behind the greatest one, the greatest one included. */
#define WG_REPLAY_WINDOW	(WG_REPLAY_BITS - 64)

struct wg_replay {
	uint64_t greatest;	/* greatest accepted counter + 1; 0 = none yet */
	uint64_t bitmap[WG_REPLAY_WORDS];	/* bit c % 8192 = counter c seen */
};

void wg_replay_init(struct wg_replay *r);

/* Cheap pre-filter before decrypting; changes nothing. False when the counter
 * is certainly a replay, older than the window, or >= REJECT_AFTER_MESSAGES.
 * True means "worth decrypting", not "accepted". */
bool wg_replay_check(const struct wg_replay *r, uint64_t counter);

/* Why a counter failed the check: true when it is older than the window (or
 * past REJECT_AFTER_MESSAGES), false when it is inside the window and was
 * seen. Lets the caller count "too old" apart from "replayed". */
bool wg_replay_out_of_window(const struct wg_replay *r, uint64_t counter);

/* Call only after the AEAD tag verified. Records the counter and returns
 * true if the packet is to be accepted; false if the counter was already seen
 * (e.g. a duplicate that passed the check in the same burst), is too old, or
 * is >= REJECT_AFTER_MESSAGES. A forward jump of any size is O(WG_REPLAY_WORDS)
 * at most. */
bool wg_replay_update(struct wg_replay *r, uint64_t counter);

#endif
