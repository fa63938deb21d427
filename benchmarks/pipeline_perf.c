/* pipeline_perf: the worker's real code on one core, against the raw AEAD
 * rate of the same sizes measured in the same process (STYLE rule 16).
 *
 * What runs: dp_worker_poll() - the very loop body a worker lcore runs
 * (RX burst, sort, hand-off, decrypt or encrypt in bursts, inner checks,
 * zero-trust policy, routing, ARP-resolved Ethernet, TX staging and flush) -
 * on data-plane state set up by dp_setup() from a config, with two ring
 * ports (rte_eth_from_rings) standing in for the NICs: the benchmark fills
 * the RX ring of one port before the clock starts and, inside the timed
 * region, empties the other port's TX ring and frees the mbufs in bulk, the
 * work a NIC driver's TX completion does.
 *
 * Paths:
 *   decrypt  client -> resource: pre-encrypted transport messages from
 *            P_PEERS clients (outer Ethernet/IPv4/UDP) in, inner packets out
 *            to the resource's MAC;
 *   encrypt  resource -> client: inner packets in, sealed transport
 *            messages out to each client's endpoint.
 * Sizes are inner IP packet sizes (64, 256, 512, 1420 bytes: IPv4/UDP).
 * Every client holds N_GRANTS grants (one of them covers the resource), so
 * the policy stage does a real lookup.
 *
 * Reference, same process, right before each pipeline figure: the raw
 * ChaCha20-Poly1305 rate of the same engine (open for decrypt, seal for
 * encrypt), bursts of 32 of the same size (benchmarks/aead_ref.c).
 * ratio = pipeline Mpps / raw Mops: how close the whole worker gets to the
 * crypto alone.
 *
 * Policy on/off: the same program linked against a data plane whose policy
 * stage is compiled out (pipeline_perf_nopolicy, -DDP_BENCH_NO_POLICY; there
 * is no way to switch zero trust off in wgate itself). The parent runs the
 * two binaries alternately, run by run, so that drift on a shared machine
 * hits both alike.
 *
 * Flags read/constant: a third twin, pipeline_perf_flagsconst, links a data
 * plane built with -DWGATE_FLAGS_CONSTANT, where the feature flags the
 * worker reads once per burst (dataplane/flags.h: relaxed atomic loads) are
 * compile-time constants instead. It runs in the same alternation; the
 * ratio read/constant shows what reading the flags costs (1.00 = nothing
 * measurable). It is the median of the per-run ratios: run r of each
 * variant runs back to back, so a paired ratio cancels the drift of a
 * shared machine that a ratio of two medians keeps.
 *
 * Each run checks its own result: every packet must come out of the right
 * port, and the decrypted/encrypted counters must match; otherwise the
 * program exits 1 (a figure of a broken pipeline is no figure).
 *
 * Usage: pipeline_perf [--quick | --smoke] [--runs N] [--commit ID]
 *        (internal: --child SECONDS SIZES... runs one round of every cell) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "benchmarks/bench_util.h"
#include "benchmarks/aead_ref.h"
#include "dataplane/dp.h"
#include "dataplane/setup.h"
#include "dataplane/worker.h"
#include "lib/crypto/aead_burst.h"
#include "tests/dataplane/harness.h"

#define P_PEERS		256
#define N_GRANTS	16
/* Packets per timed round: one RX ring's worth (dataplane/setup.c RX_DESC),
 * the working set a NIC port cycles through. Larger rounds measure this
 * VM's memory more than the pipeline (at 8192 about 15 % less at 64 B). */
#define ROUND_PKTS	1024

static const size_t all_sizes[] = { 64, 256, 512, 1420 };
/* Which of them a mode measures: all, or (smoke) the first and the last. */
static int size_idx[4] = { 0, 1, 2, 3 };

static struct hx hx;

static void die(const char *what)
{
	fprintf(stderr, "pipeline_perf: %s\n", what);
	exit(1);
}

/* ROUND_PKTS transport messages, round robin over the clients, sealed by
 * the client side in bursts before the clock starts. */
static void fill_decrypt(size_t size)
{
	struct rte_mbuf *ms[32];
	struct wg_aead_op ops[32];
	unsigned int n = 0;

	for (unsigned int j = 0; j < ROUND_PKTS; j++) {
		struct hx_client *c = &hx.clients[j % P_PEERS];

		ms[n] = hx_data_frame(&hx, c, size, c->counter++, &ops[n]);
		if (++n == 32 || j + 1 == ROUND_PKTS) {
			wg_aead_seal_burst(hx.engine, ops, n);
			if (rte_ring_sp_enqueue_bulk(hx.rx[0][0], (void **)ms, n, NULL) != n)
				die("rx ring full");
			n = 0;
		}
	}
}

/* ROUND_PKTS inner packets from the resource, round robin over clients. */
static void fill_encrypt(size_t size)
{
	for (unsigned int j = 0; j < ROUND_PKTS; j++)
		if (rte_ring_sp_enqueue(hx.rx[1][0], hx_inner_frame(&hx, &hx.clients[j % P_PEERS],
								    size)))
			die("rx ring full");
}

/* ---------------- timed rounds ---------------- */

/* Runs the worker until the round's packets are out; returns seconds spent
 * inside (poll + TX completion). */
static double run_round(struct dp_worker *w, int out_port)
{
	uint64_t out = 0, stalls = 0;
	double t0 = bench_now_s();

	while (out < ROUND_PKTS) {
		unsigned int work = dp_worker_poll(w);

		out += hx_drain(&hx, out_port);
		if (!work && ++stalls > 1000)
			break;	/* packets lost: reported below */
	}
	double t = bench_now_s() - t0;
	hx_drain(&hx, !out_port);
	if (out != ROUND_PKTS) {
		fprintf(stderr, "pipeline_perf: %" PRIu64 " of %d packets came out\n", out,
			ROUND_PKTS);
		for (int c = 0; c < WG_CNT__MAX; c++)
			if (hx_counter(c))
				fprintf(stderr, "  %s = %" PRIu64 "\n", wg_counter_names[c],
					hx_counter(c));
		exit(1);
	}
	return t;
}

/* One cell: Mpps of the pipeline over >= seconds of timed rounds. */
static double cell(bool decrypt, size_t size, double seconds)
{
	struct dp_worker *w = dp.workers[0];
	enum wg_counter c = decrypt ? WG_CNT_DATA_DECRYPTED : WG_CNT_DATA_ENCRYPTED;
	uint64_t before = hx_counter(c), pkts = 0;
	double t = 0;

	do {
		if (decrypt)
			fill_decrypt(size);
		else
			fill_encrypt(size);
		t += run_round(w, decrypt ? 1 : 0);
		pkts += ROUND_PKTS;
	} while (t < seconds);
	if (hx_counter(c) - before != pkts) {
		fprintf(stderr, "pipeline_perf: %s counter moved by %" PRIu64 ", expected %" PRIu64
			"\n", wg_counter_names[c], hx_counter(c) - before, pkts);
		exit(1);
	}
	return (double)pkts / t / 1e6;
}

static int child(double seconds, int n_sizes, char **sizes)
{
	hx_init(&hx, "pipeline_perf", 1, P_PEERS, N_GRANTS, false);
	printf("engine %s\n", wg_aead_engine_name(dp.workers[0]->aead));
	for (int i = 0; i < n_sizes; i++) {
		size_t size = strtoul(sizes[i], NULL, 10);
		for (int d = 1; d >= 0; d--) {
			double raw = wg_bench_aead_mops(dp.workers[0]->aead, (unsigned int)size,
							!d, seconds);
			double pipe = cell(d, size, seconds);
			printf("cell %s %zu %.4f %.4f\n", d ? "decrypt" : "encrypt", size, pipe, raw);
			fflush(stdout);
		}
	}
	dp_shutdown();
	rte_eal_cleanup();
	return 0;
}

/* ---------------- parent: runs, medians, table ---------------- */

#define MAX_RUNS 15

struct result {
	/* variant: 0 wgate, 1 policy off, 2 flags constant */
	double pipe[3][2][4][MAX_RUNS];	/* [variant][decrypt][size][run] */
	double raw[3][2][4][MAX_RUNS];
	int n;
	char engine[256];
};

/* What one child's stdout fills in: run r of one variant. */
struct child_out {
	struct result *res;
	int variant, r;
	int cells;		/* cell lines read */
};

static void child_line(const char *line, void *ctx)
{
	struct child_out *co = ctx;
	struct result *res = co->res;
	char dir[16];
	size_t size;
	double pipe_v, raw;

	if (!strncmp(line, "engine ", 7)) {
		snprintf(res->engine, sizeof(res->engine), "%s", line + 7);
		res->engine[strcspn(res->engine, "\n")] = 0;
	} else if (sscanf(line, "cell %15s %zu %lf %lf", dir, &size, &pipe_v, &raw) == 4) {
		int d = !strcmp(dir, "decrypt"), s;
		for (s = 0; s < 4 && all_sizes[s] != size; s++)
			;
		if (s == 4)
			return;
		res->pipe[co->variant][d][s][co->r] = pipe_v;
		res->raw[co->variant][d][s][co->r] = raw;
		co->cells++;
	}
}

/* Runs one variant's child once and reads its cells into run r. */
static int spawn(const char *bin, int variant, int r, double seconds, int n_sizes,
		 struct result *res)
{
	struct child_out co = { .res = res, .variant = variant, .r = r };
	char secs[32], sz[4][8], *argv[12];
	int a = 0, st;

	snprintf(secs, sizeof(secs), "%.3f", seconds);
	argv[a++] = (char *)bin;
	argv[a++] = "--child";
	argv[a++] = secs;
	for (int i = 0; i < n_sizes; i++) {
		snprintf(sz[i], sizeof(sz[i]), "%zu", all_sizes[size_idx[i]]);
		argv[a++] = sz[i];
	}
	argv[a] = NULL;
	st = bench_spawn(bin, argv, child_line, &co);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || co.cells != 2 * n_sizes) {
		fprintf(stderr, "pipeline_perf: %s run %d failed (status %d, %d cells)\n", bin,
			r + 1, st, co.cells);
		return -1;
	}
	return 0;
}

/* Median over the runs of a[r] / b[r] (variants run back to back). */
static double paired_ratio(const double *a, const double *b, int runs)
{
	double q[MAX_RUNS];

	for (int r = 0; r < runs; r++)
		q[r] = b[r] > 0 ? a[r] / b[r] : 0;
	return bench_median(q, runs);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pipeline_perf [--quick | --smoke] [--runs N] [--commit ID]\n"
		   "  --quick   0.25 s per figure, 5 runs (about 90 s)\n"
		   "  --smoke   one short run of 64 and 1420 bytes: checks the program works\n");
}

int main(int argc, char **argv)
{
	double seconds = 1.0;
	int runs = 5, n_sizes = 4;
	char commit[64] = "unknown";

	if (argc >= 3 && !strcmp(argv[1], "--child"))
		return child(atof(argv[2]), argc - 3, argv + 3);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			seconds = 0.25;
		} else if (!strcmp(argv[i], "--smoke")) {
			seconds = 0.02;
			runs = 1;
			n_sizes = 2;
			size_idx[1] = 3;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--commit") && i + 1 < argc) {
			snprintf(commit, sizeof(commit), "%s", argv[++i]);
		} else {
			usage(strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? stderr : stdout);
			return strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "pipeline_perf: --runs must be 1..%d\n", MAX_RUNS);
		return 2;
	}

	/* The policy-off twin sits next to this binary. */
	char self[4096], off[4200], fconst[4200];
	if (bench_self_exe(self, sizeof(self)))
		return 1;
	snprintf(off, sizeof(off), "%s_nopolicy", self);
	snprintf(fconst, sizeof(fconst), "%s_flagsconst", self);

	static struct result res;
	for (int r = 0; r < runs; r++)
		if (spawn(self, 0, r, seconds, n_sizes, &res) ||
		    spawn(off, 1, r, seconds, n_sizes, &res) ||
		    spawn(fconst, 2, r, seconds, n_sizes, &res))
			return 1;

	printf("pipeline: dp_worker_poll() on one core, %d clients, %d grants each, ring ports;"
	       " engine %s; median of %d runs of %.2f s; commit %s\n",
	       P_PEERS, N_GRANTS, res.engine, runs, seconds, commit);
	printf("| path | size B | pipeline Mpps | Gb/s (inner) | raw AEAD Mops | pipeline/raw |"
	       " policy off Mpps | on/off | flags const Mpps | read/const |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	for (int d = 1; d >= 0; d--) {
		for (int i = 0; i < n_sizes; i++) {
			int s = size_idx[i];
			double p = bench_median(res.pipe[0][d][s], runs);
			double raw = bench_median(res.raw[0][d][s], runs);
			double poff = bench_median(res.pipe[1][d][s], runs);
			double pconst = bench_median(res.pipe[2][d][s], runs);
			double fr = paired_ratio(res.pipe[0][d][s], res.pipe[2][d][s], runs);
			printf("| %s | %zu | %.3f | %.2f | %.3f | %.2f | %.3f | %.3f | %.3f | %.3f |\n",
			       d ? "decrypt" : "encrypt", all_sizes[s], p,
			       p * 1e6 * (double)all_sizes[s] * 8 / 1e9, raw, p / raw, poff,
			       p / poff, pconst, fr);
		}
	}
	printf("pipeline/raw decrypt 64B=%.2f 1420B=%.2f; policy on/off decrypt 64B=%.3f"
	       " 1420B=%.3f; flags read/const decrypt 64B=%.3f 1420B=%.3f\n",
	       bench_median(res.pipe[0][1][0], runs) / bench_median(res.raw[0][1][0], runs),
	       bench_median(res.pipe[0][1][3], runs) / bench_median(res.raw[0][1][3], runs),
	       bench_median(res.pipe[0][1][0], runs) / bench_median(res.pipe[1][1][0], runs),
	       bench_median(res.pipe[0][1][3], runs) / bench_median(res.pipe[1][1][3], runs),
	       paired_ratio(res.pipe[0][1][0], res.pipe[2][1][0], runs),
	       paired_ratio(res.pipe[0][1][3], res.pipe[2][1][3], runs));
	return 0;
}
