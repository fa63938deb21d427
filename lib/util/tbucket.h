/* Token bucket, used to rate-limit the ICMP errors sent to each client (a
 * client hammering a refused resource must not turn the gateway into an
 * ICMP flood source, and suppressed errors are counted by the caller).
 *
 * Pure: the caller passes the time, in any monotonic unit (TSC cycles,
 * nanoseconds), and the refill rate as ticks_per_token = ticks per second /
 * tokens per second. No floating point and no division: credit is kept in
 * ticks, so one token is ticks_per_token of credit and a full bucket is
 * burst * ticks_per_token (saturating at UINT64_MAX), and refilling is an
 * addition of the elapsed ticks.
 *
 * Writer: the single worker that owns the client's stats (clients are pinned
 * to one worker). Readers: that worker only. No atomics: two threads taking
 * from one bucket is a bug. now may still go backwards, because a client's
 * packets can be handled on another core after a re-pin and TSCs across
 * cores or sockets are not exactly in step: such a call credits nothing and
 * leaves last where it was, so no time is ever credited twice and no
 * subtraction underflows. */
#ifndef WGATE_LIB_UTIL_TBUCKET_H
#define WGATE_LIB_UTIL_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct wg_tbucket {
	uint64_t tokens;	/* credit in ticks: tokens * ticks_per_token */
	uint64_t last;		/* latest now seen; never moves back */
};

/* Starts full. The credit is in ticks, which init does not know, so it is
 * stored saturated and the first take clamps it to burst * ticks_per_token:
 * burst is taken here for symmetry with take and is otherwise unused. */
static inline void wg_tbucket_init(struct wg_tbucket *b, uint32_t burst)
{
	(void)burst;
	b->tokens = UINT64_MAX;
	b->last = 0;
}

/* True and one token spent if one is available at now; false otherwise
 * (nothing changes but the refill). ticks_per_token 0 means no limit;
 * burst 0 means nothing ever passes. burst and ticks_per_token may change
 * between calls (a new policy): the credit is clamped to the new size. */
static inline bool wg_tbucket_take(struct wg_tbucket *b, uint64_t now,
				   uint64_t ticks_per_token, uint32_t burst)
{
	uint64_t cap, room, elapsed;

	if (burst == 0)
		return false;
	if (ticks_per_token == 0)
		return true;
	if (burst > UINT64_MAX / ticks_per_token)
		cap = UINT64_MAX;
	else
		cap = (uint64_t)burst * ticks_per_token;

	elapsed = now > b->last ? now - b->last : 0;
	if (now > b->last)
		b->last = now;
	if (b->tokens > cap)
		b->tokens = cap;
	room = cap - b->tokens;
	b->tokens += elapsed < room ? elapsed : room;

	if (b->tokens < ticks_per_token)
		return false;
	b->tokens -= ticks_per_token;
	return true;
}

#endif
