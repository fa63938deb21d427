/* libFuzzer: the anti-replay window against a model that remembers every
 * counter ever accepted. Each 8 input bytes are a counter (a small step
 * from the last one, or a far jump, as byte 0 says); the window must
 * accept exactly what the model says is new and inside the window, and
 * never accept anything twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wg/messages.h"
#include "lib/wg/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEN 4096

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t seen[MAX_SEEN];
	size_t n_seen = 0;
	struct wg_replay r;
	uint64_t last = 0, greatest = 0;
	bool any = false;

	wg_replay_init(&r);
	for (size_t i = 0; i + 8 <= size && n_seen < MAX_SEEN; i += 8) {
		uint64_t v, c;

		memcpy(&v, data + i, 8);
		switch (data[i] & 3) {
		case 0: c = last + (v >> 8) % 64; break;			/* near, forward */
		case 1: c = last - ((v >> 8) % 9000 < last ? (v >> 8) % 9000 : last); break;
		case 2: c = last + (v >> 8) % 20000; break;			/* jump */
		default: c = v >> 2; break;					/* anywhere */
		}
		last = c;
		bool dup = bsearch(&c, seen, n_seen, sizeof(seen[0]), cmp) != NULL;
		bool too_old = any && c + WG_REPLAY_WINDOW <= greatest;
		bool want = !dup && !too_old && c < REJECT_AFTER_MESSAGES;
		bool pre = wg_replay_check(&r, c);
		bool got = wg_replay_update(&r, c);

		if (got && dup)
			abort();	/* accepted twice */
		if (got != want || (got && !pre))
			abort();
		if (got) {
			seen[n_seen++] = c;
			qsort(seen, n_seen, sizeof(seen[0]), cmp);
			if (!any || c > greatest)
				greatest = c;
			any = true;
		}
	}
	return 0;
}
