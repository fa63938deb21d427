#include "lib/wg/tai64n.h"

#include <string.h>
#include <time.h>

#define TAI64_BASE	((1ULL << 62) + 10)
#define NSEC_GRAIN	(1u << 24)

void wg_tai64n_from(uint8_t out[WG_TAI64N_LEN], uint64_t unix_sec, uint32_t nsec)
{
	uint64_t label = TAI64_BASE + unix_sec;
	int i;

	nsec &= ~(NSEC_GRAIN - 1);
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(label >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

void wg_tai64n_now(uint8_t out[WG_TAI64N_LEN])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	wg_tai64n_from(out, (uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
}

bool wg_tai64n_after(const uint8_t a[WG_TAI64N_LEN], const uint8_t b[WG_TAI64N_LEN])
{
	return memcmp(a, b, WG_TAI64N_LEN) > 0;
}
