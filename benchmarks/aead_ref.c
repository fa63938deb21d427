/* See aead_ref.h. A round is ROUND_BURSTS bursts of BURST ops; the buffers
 * of a round (184 KB at 1420 B) stay in L2 on the machines we use, so this
 * is the hot-cache rate: the crypto's cost, not the memory's. */
#include "benchmarks/aead_ref.h"

#include <stdint.h>
#include <stdlib.h>

#include "benchmarks/bench_util.h"
#include "lib/crypto/aead_burst.h"

#define BURST		32
#define ROUND_BURSTS	4
#define N_OPS		(BURST * ROUND_BURSTS)

double wg_bench_aead_mops(struct wg_aead_engine *e, unsigned int size, bool seal,
			  double seconds)
{
	/* Each op's data starts on a cache line, as a packet's data would
	 * start in a fresh mbuf's headroom-aligned buffer. */
	size_t stride = ((size_t)size + 16 + 63) & ~(size_t)63;
	struct wg_aead_op ops[N_OPS];
	struct wg_aead_key key;
	uint64_t counter = 0, rounds = 0;
	double timed = 0, result = -1;
	uint8_t *buf = aligned_alloc(64, stride * N_OPS);

	if (!buf)
		return -1;
	for (size_t i = 0; i < stride * N_OPS; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (int i = 0; i < 32; i++)
		key.k[i] = (uint8_t)(0x40 + i);
	for (int i = 0; i < N_OPS; i++)
		ops[i] = (struct wg_aead_op){ buf + (size_t)i * stride, size,
					      buf + (size_t)i * stride + size, 0, &key };

	do {
		double t0;
		bool ok = true;

		for (int i = 0; i < N_OPS; i++)
			ops[i].nonce = counter++;
		if (!seal) {
			/* Untimed: fresh ciphertext under this round's counters. */
			for (int b = 0; b < ROUND_BURSTS; b++)
				wg_aead_seal_burst(e, ops + b * BURST, BURST);
		}
		t0 = bench_now_s();
		if (seal) {
			for (int b = 0; b < ROUND_BURSTS; b++)
				wg_aead_seal_burst(e, ops + b * BURST, BURST);
		} else {
			for (int b = 0; b < ROUND_BURSTS; b++)
				ok &= wg_aead_open_burst(e, ops + b * BURST, BURST) ==
				      (1ull << BURST) - 1;
		}
		timed += bench_now_s() - t0;
		rounds++;
		if (!ok)
			goto out;
	} while (timed < seconds);
	result = (double)(rounds * N_OPS) / timed / 1e6;
out:
	free(buf);
	return result;
}
