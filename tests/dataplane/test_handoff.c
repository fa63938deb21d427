/* Two workers, one keypair owner: the replay window stays correct whichever
 * worker a client's packets land on.
 *
 * The data plane's rule (dataplane/dp.h, struct dp_keypair): only the
 * keypair's owner worker checks and moves its replay window; a data message
 * received by another worker is handed off to the owner through its MP/SC
 * ring before any crypto. This drives the real worker loop
 * (dp_worker_poll) of two workers from one thread over ring ports and
 * checks, with counters and the packets that come out:
 *   1. packets for a keypair owned by worker 1 arriving on worker 0's queue
 *      are handed off, decrypted by worker 1 and forwarded, none by worker 0;
 *   2. the same messages again, on either queue, are refused as replays by
 *      the owner (one window, not one per worker);
 *   3. a random interleaving of fresh counters, with duplicates, spread
 *      over both queues: every counter is forwarded exactly once;
 *   4. a hand-off ring that overflows drops and counts (drop_handoff_full),
 *      and nothing is lost silently.
 * Reproduce with WG_TEST_SEED=<seed> (printed first). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"
#include "dataplane/worker.h"
#include "tests/dataplane/harness.h"

static struct hx hx;
static int failures;

#define CHECK_EQ(what, got, want)                                                          \
	do {                                                                               \
		uint64_t g_ = (got), w_ = (want);                                          \
		if (g_ != w_) {                                                            \
			fprintf(stderr, "FAIL %s: got %" PRIu64 ", want %" PRIu64 "\n", what, \
				g_, w_);                                                   \
			failures++;                                                        \
		} else {                                                                   \
			printf("ok   %s (%" PRIu64 ")\n", what, g_);                            \
		}                                                                          \
	} while (0)

static uint64_t wcount(unsigned int w, enum wg_counter c)
{
	return dp.workers[w]->cnt->v[c];
}

/* Polls both workers until neither has anything left; returns how many
 * packets left through the LAN port. */
static unsigned int settle(void)
{
	unsigned int out = 0, idle = 0;

	while (idle < 4) {
		unsigned int work = dp_worker_poll(dp.workers[0]) + dp_worker_poll(dp.workers[1]);
		out += hx_drain(&hx, 1);
		idle = work ? 0 : idle + 1;
	}
	return out + hx_drain(&hx, 1);
}

static void send_on(unsigned int queue, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(hx.rx[0][queue], m))
		abort();
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *seed_env = getenv("WG_TEST_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);

	printf("seed %" PRIu64 " (WG_TEST_SEED=%" PRIu64 " reproduces)\n", seed, seed);
	rnd_state = seed | 1;
	hx_init(&hx, argv[0], 2, 2, 1, false);
	/* Client 1 is owned by worker 1 (owner = index % workers). */
	struct hx_client *c = &hx.clients[1];
	if (c->peer->kp_current->owner != 1) {
		fprintf(stderr, "FAIL: client 1's keypair is not owned by worker 1\n");
		return 1;
	}

	/* 1. Ten packets on worker 0's queue. */
	for (uint64_t k = 0; k < 10; k++)
		send_on(0, hx_data_frame(&hx, c, 100, k, NULL));
	CHECK_EQ("1: all ten forwarded", settle(), 10);
	CHECK_EQ("1: worker 0 handed off ten", wcount(0, WG_CNT_HANDOFF_TX), 10);
	CHECK_EQ("1: worker 1 took ten", wcount(1, WG_CNT_HANDOFF_RX), 10);
	CHECK_EQ("1: worker 0 decrypted none", wcount(0, WG_CNT_DATA_DECRYPTED), 0);
	CHECK_EQ("1: worker 1 decrypted ten", wcount(1, WG_CNT_DATA_DECRYPTED), 10);

	/* 2. The same counters again, half on each queue. */
	for (uint64_t k = 0; k < 10; k++)
		send_on(k % 2, hx_data_frame(&hx, c, 100, k, NULL));
	CHECK_EQ("2: replays forwarded", settle(), 0);
	CHECK_EQ("2: replays refused by the owner", wcount(1, WG_CNT_DROP_REPLAY), 10);
	CHECK_EQ("2: worker 0 refused nothing itself", wcount(0, WG_CNT_DROP_REPLAY), 0);

	/* 3. Counters 10..409 shuffled, 100 of them sent twice, on random
	 * queues, in rounds of up to 64 frames between polls. */
	enum { FRESH = 400, DUPS = 100 };
	uint64_t order[FRESH + DUPS];
	for (unsigned int i = 0; i < FRESH; i++)
		order[i] = 10 + i;
	for (unsigned int i = 0; i < DUPS; i++)
		order[FRESH + i] = 10 + rnd() % FRESH;
	for (unsigned int i = FRESH + DUPS - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(rnd() % (i + 1));
		uint64_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	uint64_t replays_before = hx_counter(WG_CNT_DROP_REPLAY);
	unsigned int out = 0;
	for (unsigned int i = 0; i < FRESH + DUPS;) {
		unsigned int n = 1 + (unsigned int)(rnd() % 64);
		for (; n && i < FRESH + DUPS; n--, i++)
			send_on((unsigned int)(rnd() % 2), hx_data_frame(&hx, c, 100, order[i], NULL));
		out += settle();
	}
	CHECK_EQ("3: every fresh counter forwarded exactly once", out, FRESH);
	CHECK_EQ("3: every duplicate refused", hx_counter(WG_CNT_DROP_REPLAY) - replays_before,
		 DUPS);

	/* 4. More than the hand-off ring holds, without polling worker 1. */
	unsigned int flood = DP_HANDOFF_RING_SIZE + 200;
	uint64_t full_before = hx_counter(WG_CNT_DROP_HANDOFF_FULL);
	unsigned int sent = 0;
	while (sent < flood) {
		for (unsigned int n = 0; n < 32 && sent < flood; n++, sent++)
			send_on(0, hx_data_frame(&hx, c, 100, 1000 + sent, NULL));
		while (rte_ring_count(hx.rx[0][0]))
			dp_worker_poll(dp.workers[0]);
	}
	uint64_t dropped = hx_counter(WG_CNT_DROP_HANDOFF_FULL) - full_before;
	out = settle();
	/* The ring holds its size - 1 (DPDK rings keep one slot free). */
	CHECK_EQ("4: hand-off overflow counted", dropped, flood - (DP_HANDOFF_RING_SIZE - 1));
	CHECK_EQ("4: the rest forwarded", out, DP_HANDOFF_RING_SIZE - 1);

	printf("%s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
