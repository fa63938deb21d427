/* libFuzzer: the configuration parser (INI file + WGATE_* environment):
 * any text either loads into a config that passes the cross-section
 * checks, or is refused with an error that names a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const envp[] = { "WGATE_LOG=info", "WGATE_DATAPLANE_LCORES=0-1", NULL };
	struct wg_config_error err;
	struct wg_config *c;
	char why[600];

	c = wg_config_parse("fuzz.conf", (const char *)data, size, envp, &err);
	if (!c) {
		wg_config_error_str(&err, why, sizeof(why));
		if (!why[0])
			abort();	/* a refusal always says why */
		return 0;
	}
	if (wg_config_check(c, why, sizeof(why)))
		abort();		/* loaded, so the checks passed */
	wg_config_free(c);
	return 0;
}
