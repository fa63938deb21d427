/* Feature flags as the workers see them (lib/flags/flags.h names them).
 *
 * Writer: the control lcore (control/flags.c), atomic_store relaxed, when a
 * fetch, a pin or start-up changes a value. Readers: workers, relaxed, once
 * per burst (dp_worker_poll copies what the pipeline uses into struct
 * dp_worker's flags), and the control core. Relaxed is enough: each flag
 * picks between two behaviours that are both correct for any packet, and
 * nothing else is published with it; a worker sees a change at its next
 * burst. The line is written a few times a day and otherwise stays shared
 * in every worker's cache: the load costs what an L1 hit costs.
 *
 * WGATE_FLAGS_CONSTANT (benchmarks/pipeline_perf_flagsconst only) compiles
 * each flag to wgate's default instead, to measure what reading costs. */
#ifndef WGATE_DATAPLANE_FLAGS_H
#define WGATE_DATAPLANE_FLAGS_H

#include <stdatomic.h>
#include <stdbool.h>

#include <rte_common.h>

#include "lib/flags/flags.h"

struct dp_flags {
	_Atomic bool v[WG_FLAG__MAX];
} __rte_cache_aligned;

extern struct dp_flags dp_flags;

static inline bool dp_flag(enum wg_flag f)
{
	return atomic_load_explicit(&dp_flags.v[f], memory_order_relaxed);
}

static inline void dp_flag_set(enum wg_flag f, bool on)
{
	atomic_store_explicit(&dp_flags.v[f], on, memory_order_relaxed);
}

/* The copy a worker takes once per burst (struct dp_worker's flags). */
struct dp_burst_flags {
	bool icmp_errors_on_deny;
	bool tx_retry;		/* enobufs-as-would-block */
};

#ifdef WGATE_FLAGS_CONSTANT
#define DP_BURST_FLAG(w, name) ((void)(w), DP_CONST_##name)
#define DP_CONST_icmp_errors_on_deny true
#define DP_CONST_tx_retry false
#else
#define DP_BURST_FLAG(w, name) ((w)->flags.name)
#endif

static inline void dp_burst_flags_load(struct dp_burst_flags *b)
{
#ifndef WGATE_FLAGS_CONSTANT
	b->icmp_errors_on_deny = dp_flag(WG_FLAG_ICMP_ERRORS_ON_DENY);
	b->tx_retry = dp_flag(WG_FLAG_ENOBUFS_AS_WOULD_BLOCK);
#else
	(void)b;
#endif
}

#endif
