/* The flag words workers read (flags.h). They start at wgate's defaults so
 * that a data plane without a control core (the test harness, the
 * benchmarks) behaves as wgate does before any fetch. */
#include "dataplane/flags.h"

struct dp_flags dp_flags = {
	.v = {
#define DP_FLAG_INIT(e, name, def) [WG_FLAG_##e] = def,
		WG_FOREACH_FLAG(DP_FLAG_INIT)
#undef DP_FLAG_INIT
	},
};
