#include "dataplane/counters.h"

#include "dataplane/dp.h"

const char *const wg_counter_names[WG_CNT__MAX] = {
#define WG_COUNTER_NAME(e, s) [WG_CNT_##e] = s,
	WG_FOREACH_COUNTER(WG_COUNTER_NAME)
#undef WG_COUNTER_NAME
};

void dp_counters_sum(uint64_t out[WG_CNT__MAX])
{
	for (unsigned int c = 0; c < WG_CNT__MAX; c++)
		out[c] = dp.control_cnt->v[c];
	for (unsigned int w = 0; w < dp.n_workers; w++)
		for (unsigned int c = 0; c < WG_CNT__MAX; c++)
			out[c] += dp.workers[w]->cnt->v[c];
}
