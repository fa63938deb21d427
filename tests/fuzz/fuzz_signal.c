/* libFuzzer: signaling messages from Redis (events and the hash values
 * loaded on start). Byte 0 picks what the rest is: an event applied to a
 * state that already holds a client, a resource and a grant, or a client,
 * resource or grant value. A refusal must say why and leave the state as
 * it was (compared through its dump). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/signal/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char seed[] =
	"{\"event\":\"init\",\"payload\":{\"clients\":[{\"id\":\"c1\",\"public_key\":"
	"\"hL6QI9Fv8ZBKfR8tA1UUyIJrG6N3rGsBqWEj4DjIDlI=\",\"ipv4\":\"100.64.0.9\"}],"
	"\"resources\":[{\"type\":\"cidr\",\"id\":\"r1\",\"address\":\"10.0.0.0/24\","
	"\"filters\":[{\"protocol\":\"tcp\",\"port_range_start\":80,\"port_range_end\":80}]}],"
	"\"grants\":[{\"client_id\":\"c1\",\"resource_id\":\"r1\",\"expires_at\":null}]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_sig_state *s;
	struct wg_sig_result res;
	char why[512];
	char *before, *after;
	int rc;

	if (size < 1)
		return 0;
	s = wg_sig_state_new();
	if (!s)
		return 0;
	wg_sig_apply(s, seed, sizeof(seed) - 1, &res, why, sizeof(why));
	before = wg_sig_state_dump(s);
	why[0] = 0;
	const char *j = (const char *)data + 1;
	switch (data[0] % 4) {
	case 0: rc = wg_sig_apply(s, j, size - 1, &res, why, sizeof(why)); break;
	case 1: rc = wg_sig_state_load_client(s, j, size - 1, why, sizeof(why)); break;
	case 2: rc = wg_sig_state_load_resource(s, j, size - 1, why, sizeof(why)); break;
	default: rc = wg_sig_state_load_grant(s, j, size - 1, why, sizeof(why)); break;
	}
	after = wg_sig_state_dump(s);
	if (rc && rc != -ENOMEM) {
		if (!why[0])
			abort();
		if (before && after && strcmp(before, after))
			abort();	/* a refused message changed the state */
	}
	free(before);
	free(after);
	wg_sig_state_free(s);
	return 0;
}
