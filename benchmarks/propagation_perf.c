/* propagation_perf: how long a grant change takes to reach every worker, as
 * a client sees it: from the control core's publish of a client's new table
 * to the moment every worker has refused (or, once re-granted, forwarded)
 * the next packet.
 *
 * Real workers run here: dp_launch() starts dp_worker_main on each worker
 * lcore (busy polling, one CPU each where the machine has them), over the
 * ring ports of tests/dataplane/harness.c. There is one client per worker,
 * owned by it. A trial:
 *   reference: the allowing tables stand; one sealed packet per client is
 *     put on its worker's queue; time until all have left through the LAN
 *     port. That is the plain cost of getting a packet through a worker.
 *   revoke: every client's table is swapped for an empty one (the release
 *     store the control core does), then one packet per client; time from
 *     the first swap until every worker has counted its refusal.
 *   grant: the allowing tables back, then one packet per client; time until
 *     all are forwarded.
 * Packets are built and sealed before the clock starts. Printed: median and
 * max over the trials in microseconds, and each as a ratio to the reference
 * of the same trial. The requirement this serves (issue 4): a change is
 * visible on every worker within 1 ms. Nothing is asserted about speed; a
 * trial that does not finish within a second is a failure (exit 1).
 *
 * Usage: propagation_perf [--quick | --smoke] [--workers N] [--commit ID] */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "benchmarks/bench_util.h"
#include "dataplane/dp.h"
#include "dataplane/setup.h"
#include "lib/policy/policy.h"
#include "tests/dataplane/harness.h"

#define MAX_TRIALS 2000

static struct hx hx;
static struct wg_pol_table *allow_t[DP_MAX_WORKERS], *deny_t[DP_MAX_WORKERS];

/* Workers write their counters; this thread only reads whole words. */
static uint64_t counter(enum wg_counter c)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		v += ((volatile uint64_t *)dp.workers[i]->cnt->v)[c];
	return v;
}

static void publish_all(struct wg_pol_table **t)
{
	for (unsigned int i = 0; i < hx.n_clients; i++)
		atomic_store_explicit(&hx.clients[i].peer->policy, t[i], memory_order_release);
}

/* One sealed frame per client, onto its owner's queue. */
static void send_round(struct rte_mbuf **frames)
{
	for (unsigned int i = 0; i < hx.n_clients; i++)
		if (rte_ring_enqueue(hx.rx[0][i % dp.n_workers], frames[i]))
			abort();
}

static void build_round(struct rte_mbuf **frames)
{
	for (unsigned int i = 0; i < hx.n_clients; i++) {
		struct hx_client *c = &hx.clients[i];
		frames[i] = hx_data_frame(&hx, c, 100, c->counter++, NULL);
	}
}

/* Waits until counter c has grown by want; ns from start, or 0 on timeout. */
static uint64_t wait_for(enum wg_counter c, uint64_t base, uint64_t want, uint64_t start)
{
	for (;;) {
		uint64_t t = bench_now_ns();
		if (counter(c) - base >= want)
			return t - start;
		if (t - start > 1000000000ull)
			return 0;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int trials = 200;
	unsigned int workers = 0;
	char commit[64] = "unknown";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			trials = 100;
		} else if (!strcmp(argv[i], "--smoke")) {
			trials = 5;
		} else if (!strcmp(argv[i], "--workers") && i + 1 < argc) {
			workers = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--commit") && i + 1 < argc) {
			snprintf(commit, sizeof(commit), "%s", argv[++i]);
		} else {
			fprintf(stderr, "usage: propagation_perf [--quick | --smoke] [--workers N]"
					" [--commit ID]\n");
			return 2;
		}
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!workers)	/* one CPU for this thread (the control core), the rest workers */
		workers = ncpu > 2 ? (unsigned int)RTE_MIN(ncpu - 1, 8) : 1;
	if (workers > DP_MAX_WORKERS)
		workers = DP_MAX_WORKERS;

	hx_init(&hx, "propagation_perf", workers, workers, 1, HX_SPREAD);
	for (unsigned int i = 0; i < workers; i++) {
		struct wg_pol_table *t = hx.clients[i].peer->policy;
		allow_t[i] = t;
		deny_t[i] = wg_pol_table_build(NULL, 0);
		if (!deny_t[i])
			return 1;
	}
	if (dp_launch()) {
		fprintf(stderr, "propagation_perf: cannot launch the workers\n");
		return 1;
	}

	static uint64_t ref[MAX_TRIALS], revoke[MAX_TRIALS], grant[MAX_TRIALS];
	static struct rte_mbuf *frames[DP_MAX_WORKERS];
	int rc = 0;

	for (int t = 0; t < trials && !rc; t++) {
		uint64_t base, start;

		/* reference */
		build_round(frames);
		base = counter(WG_CNT_TX_PACKETS);
		start = bench_now_ns();
		send_round(frames);
		ref[t] = wait_for(WG_CNT_TX_PACKETS, base, workers, start);
		/* revoke */
		build_round(frames);
		base = counter(WG_CNT_REFUSED_NO_GRANT);
		start = bench_now_ns();
		publish_all(deny_t);
		send_round(frames);
		revoke[t] = wait_for(WG_CNT_REFUSED_NO_GRANT, base, workers, start);
		/* grant again: forwarded (sent, and nothing more refused) */
		build_round(frames);
		uint64_t refused = counter(WG_CNT_REFUSED_NO_GRANT);
		base = counter(WG_CNT_TX_PACKETS);
		start = bench_now_ns();
		publish_all(allow_t);
		send_round(frames);
		grant[t] = wait_for(WG_CNT_TX_PACKETS, base, workers, start);
		if (counter(WG_CNT_REFUSED_NO_GRANT) != refused)
			grant[t] = 0;	/* refused after the grant was back */
		if (!ref[t] || !revoke[t] || !grant[t]) {
			fprintf(stderr, "propagation_perf: trial %d did not complete (ref %" PRIu64
				" revoke %" PRIu64 " grant %" PRIu64 " ns)\n", t, ref[t], revoke[t],
				grant[t]);
			rc = 1;
		}
		/* What the workers sent: packets to the resource, errors to clients. */
		hx_drain(&hx, 0);
		hx_drain(&hx, 1);
	}
	dp_shutdown();
	hx_drain(&hx, 0);
	hx_drain(&hx, 1);
	if (rc)
		return rc;

	double r_rev[MAX_TRIALS], r_gr[MAX_TRIALS];
	for (int t = 0; t < trials; t++) {
		r_rev[t] = (double)revoke[t] / (double)ref[t];
		r_gr[t] = (double)grant[t] / (double)ref[t];
	}
	qsort(ref, (size_t)trials, sizeof(ref[0]), cmp_u64);
	qsort(revoke, (size_t)trials, sizeof(revoke[0]), cmp_u64);
	qsort(grant, (size_t)trials, sizeof(grant[0]), cmp_u64);
	/* Ratios sorted as doubles: the same order as their bit patterns. */
	qsort(r_rev, (size_t)trials, sizeof(double), cmp_u64);
	qsort(r_gr, (size_t)trials, sizeof(double), cmp_u64);

	printf("propagation: grant change -> next packet decided on every worker; %u worker(s)"
	       " busy polling, %d trials; commit %s\n", workers, trials, commit);
	printf("| what | median us | max us | median / reference |\n|---|---|---|---|\n");
	printf("| reference: a packet through a worker | %.1f | %.1f | 1.00 |\n",
	       (double)ref[trials / 2] / 1e3, (double)ref[trials - 1] / 1e3);
	printf("| revoke: publish -> refused everywhere | %.1f | %.1f | %.2f |\n",
	       (double)revoke[trials / 2] / 1e3, (double)revoke[trials - 1] / 1e3,
	       r_rev[trials / 2]);
	printf("| grant: publish -> forwarded everywhere | %.1f | %.1f | %.2f |\n",
	       (double)grant[trials / 2] / 1e3, (double)grant[trials - 1] / 1e3, r_gr[trials / 2]);
	printf("propagation: median %.1f us, max %.1f us (revoke and grant)\n",
	       (double)(revoke[trials / 2] > grant[trials / 2] ? revoke[trials / 2]
							       : grant[trials / 2]) / 1e3,
	       (double)(revoke[trials - 1] > grant[trials - 1] ? revoke[trials - 1]
							       : grant[trials - 1]) / 1e3);
	return 0;
}
