#include "dataplane/counters.h"

const char *const wg_counter_names[WG_CNT__MAX] = {
#define WG_COUNTER_NAME(e, s) [WG_CNT_##e] = s,
	WG_FOREACH_COUNTER(WG_COUNTER_NAME)
#undef WG_COUNTER_NAME
};
