/* scale_perf: the decrypt pipeline on 1..N real worker lcores, and how well
 * it scales: efficiency(N) = Mpps(N) / (N x Mpps(1)), each measured in its
 * own process (EAL once per process) in the same run.
 *
 * Workers run dp_worker_main (busy polling) on their own CPUs, one per CPU
 * beside this thread's (the control core's), over ring ports
 * (tests/dataplane/harness.c) with one RX queue each; every worker owns the
 * clients whose packets land on its queue, as RSS would arrange. A round:
 * the queues are filled with sealed 64-byte transport messages (16,000 per
 * worker) while the workers are stopped, the workers are launched, and the
 * round lasts until every packet has come out of the LAN port. That port
 * is a net_null sink (HX_LAN_NULL): each worker frees what it sends, as a
 * NIC's TX completion does on the worker's own core, so no single thread
 * has to keep up with N workers. N goes up to the CPUs there are minus one:
 * on this 2-CPU VM that is 1, so the figure only means something on a
 * many-core machine.
 *
 * Usage: scale_perf [--quick | --smoke] [--max N] [--commit ID]
 *        (internal: --child N ROUNDS prints "mpps <value>") */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "benchmarks/bench_util.h"
#include "dataplane/dp.h"
#include "dataplane/setup.h"
#include "lib/crypto/aead_burst.h"
#include "tests/dataplane/harness.h"

#define CLIENTS_PER_WORKER	64
#define PKTS_PER_WORKER		16000
#define SIZE			64

static struct hx hx;

static void fill(unsigned int n_workers)
{
	struct rte_mbuf *ms[32];
	struct wg_aead_op ops[32];

	for (unsigned int w = 0; w < n_workers; w++) {
		unsigned int n = 0;
		for (unsigned int j = 0; j < PKTS_PER_WORKER; j++) {
			/* Client i is owned by worker i % n_workers. */
			struct hx_client *c =
				&hx.clients[(j % CLIENTS_PER_WORKER) * n_workers + w];
			ms[n] = hx_data_frame(&hx, c, SIZE, c->counter++, &ops[n]);
			if (++n == 32 || j + 1 == PKTS_PER_WORKER) {
				wg_aead_seal_burst(hx.engine, ops, n);
				if (rte_ring_sp_enqueue_bulk(hx.rx[0][w], (void **)ms, n, NULL) != n)
					exit(1);
				n = 0;
			}
		}
	}
}

static int child(unsigned int n_workers, int rounds)
{
	uint64_t total = (uint64_t)PKTS_PER_WORKER * n_workers, pkts = 0;
	double t = 0;

	hx_init(&hx, "scale_perf", n_workers, CLIENTS_PER_WORKER * n_workers, 16, HX_SPREAD | HX_LAN_NULL);
	for (int r = 0; r < rounds; r++) {
		uint64_t out = 0;

		fill(n_workers);
		double t0 = bench_now_s();
		if (dp_launch())
			return 1;
		while (out < total && bench_now_s() - t0 < 10)
			out += hx_drain(&hx, 1);
		t += bench_now_s() - t0;
		dp.stop = true;
		rte_eal_mp_wait_lcore();
		dp.stop = false;
		hx_drain(&hx, 0);
		if (out != total) {
			fprintf(stderr, "scale_perf: %" PRIu64 " of %" PRIu64 " packets came out\n",
				out, total);
			return 1;
		}
		pkts += out;
	}
	printf("mpps %.4f\n", (double)pkts / t / 1e6);
	return 0;
}

static void mpps_line(const char *line, void *ctx)
{
	sscanf(line, "mpps %lf", (double *)ctx);
}

/* Mpps of a child process with n workers, or -1 when it failed. */
static double spawn(const char *self, unsigned int n, int rounds)
{
	char ns[16], rs[16];
	char *argv[] = { (char *)self, "--child", ns, rs, NULL };
	double v = -1;
	int st;

	snprintf(ns, sizeof(ns), "%u", n);
	snprintf(rs, sizeof(rs), "%d", rounds);
	st = bench_spawn(self, argv, mpps_line, &v);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? v : -1;
}

int main(int argc, char **argv)
{
	int rounds = 20, runs = 5;
	unsigned int max = 0;
	char commit[64] = "unknown";

	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child((unsigned int)atoi(argv[2]), atoi(argv[3]));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			rounds = 8;
		} else if (!strcmp(argv[i], "--smoke")) {
			rounds = 1;
			runs = 1;
		} else if (!strcmp(argv[i], "--max") && i + 1 < argc) {
			max = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--commit") && i + 1 < argc) {
			snprintf(commit, sizeof(commit), "%s", argv[++i]);
		} else {
			fprintf(stderr, "usage: scale_perf [--quick | --smoke] [--max N] [--commit ID]\n");
			return 2;
		}
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!max)
		max = ncpu > 1 ? (unsigned int)(ncpu - 1) : 1;
	if (max > DP_MAX_WORKERS)
		max = DP_MAX_WORKERS;

	char self[4096];
	if (bench_self_exe(self, sizeof(self)))
		return 1;

	double mpps[DP_MAX_WORKERS + 1][BENCH_MAX_RUNS];
	for (int r = 0; r < runs; r++)
		for (unsigned int n = 1; n <= max; n++)
			if ((mpps[n][r] = spawn(self, n, rounds)) < 0) {
				fprintf(stderr, "scale_perf: run with %u workers failed\n", n);
				return 1;
			}
	printf("scale: decrypt pipeline, %d-byte packets, real worker lcores (busy polling), %ld CPUs;"
	       " median of %d runs; commit %s\n", SIZE, ncpu, runs, commit);
	printf("| workers | Mpps | efficiency |\n|---|---|---|\n");
	double one = bench_median(mpps[1], runs);
	for (unsigned int n = 1; n <= max; n++) {
		double m = bench_median(mpps[n], runs);
		printf("| %u | %.3f | %.2f |\n", n, m, m / (n * one));
	}
	printf("scale: %u workers = %.2f of linear\n", max,
	       bench_median(mpps[max], runs) / (max * one));
	return 0;
}
