/* libFuzzer: feature-flag answers from a PostHog-compatible host (lib/flags):
 * the /decide?v=3 parser, the resolution rule over what it parsed, and the
 * stream-logs payload's log filter. A refusal says why and leaves nothing
 * parsed; a resolution always gives every flag a value and a source. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/flags/flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_flag_remote r;
	struct wg_flag_values v;
	struct wg_flag_pins pins;
	char why[256] = "", filter[128];

	memset(&pins, 0, sizeof(pins));
	if (wg_flag_decide_parse((const char *)data, size, &r, why, sizeof(why))) {
		if (!why[0])
			abort();
		for (int i = 0; i < WG_FLAG__MAX; i++)
			if (r.present[i] || r.payload[i])
				abort();	/* refused, yet something kept */
		return 0;
	}
	wg_flag_resolve(&pins, WG_FLAG_FETCH_OK, &r, &v);
	for (int i = 0; i < WG_FLAG__MAX; i++) {
		if (r.present[i] && v.value[i] != r.value[i])
			abort();	/* no pin: a named flag takes the remote value */
		if (r.payload[i])
			wg_flag_log_filter(r.payload[i], filter, sizeof(filter));
	}
	wg_flag_remote_clear(&r);
	return 0;
}
