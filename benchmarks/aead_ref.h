/* The raw AEAD rate on this core, as a same-run reference for benchmarks
 * (STYLE rule 16): what a figure is worth beside the crypto every data
 * packet pays anyway. */
#ifndef WGATE_BENCHMARKS_AEAD_REF_H
#define WGATE_BENCHMARKS_AEAD_REF_H

#include <stdbool.h>

struct wg_aead_engine;

/* Million ops per second of e sealing (seal) or opening (!seal) bursts of
 * 32 ops of size-byte payloads, in place, one key, a fresh counter per op,
 * the tag right after the data as on the wire. Runs timed rounds until
 * their total reaches `seconds` (one round at least). For open, the data is
 * sealed before each round, outside the timed region, so every tag
 * verifies. Allocates its buffers (not timed). A negative value when
 * memory runs out or an open fails to authenticate (a broken engine): no
 * figure, rather than a wrong one. */
double wg_bench_aead_mops(struct wg_aead_engine *e, unsigned int size, bool seal,
			  double seconds);

#endif
