/* Per-source handshake rate limit, as the kernel's ratelimiter.c: under
 * load, a handshake message whose mac2 proves its source address still
 * passes only while that source (an IPv4 /32 or an IPv6 /64, so that one
 * host cannot rotate through its /64) stays under WG_RL_PER_SEC a second
 * with a burst of WG_RL_BURST. A flood from many real addresses then costs
 * each of them its own budget, not the legitimate clients theirs.
 *
 * A fixed-size open-addressing table (no allocation after create): a new
 * source takes a free slot of its probe run, else the one idle longest (a
 * new source is never refused because the table is full; one that was
 * evicted starts with a full bucket again, which after a quarter second of
 * quiet it would have anyway).
 * The hash is keyed with a random secret (SipHash via libsodium's
 * crypto_shorthash) so a sender cannot aim at one slot.
 *
 * Writer and reader: the control core only (single-threaded, no atomics). */
#ifndef WGATE_LIB_WG_RATELIMITER_H
#define WGATE_LIB_WG_RATELIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_RL_PER_SEC	20
#define WG_RL_BURST	5
#define WG_RL_PROBE	8	/* slots looked at per lookup */

struct wg_ratelimiter;

/* slots is rounded up to a power of two (at least 64). NULL on ENOMEM. */
struct wg_ratelimiter *wg_ratelimiter_create(size_t slots);
void wg_ratelimiter_free(struct wg_ratelimiter *rl);

/* ip is 4 or 16 bytes (an IPv6 address counts by its first 8). True when a
 * handshake from it may go on at now_ns (monotonic), and a token is spent. */
bool wg_ratelimiter_allow(struct wg_ratelimiter *rl, const uint8_t *ip, size_t ip_len,
			  uint64_t now_ns);

#endif
