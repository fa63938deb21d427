/* nat_perf: what proxy-address NAT (DNS resources) costs the worker, NAT
 * on beside NAT off in the same process, run by run (STYLE rule 16).
 *
 * What runs: dp_worker_poll(), the real worker loop body, on one core over
 * ring ports set up by the test harness (tests/dataplane/harness.c), with
 * P_PEERS clients, each granted the resource network and the proxy range.
 *   decrypt  client -> resource: sealed transport messages in, inner
 *            packets out on the lan port. Off: to 198.51.100.2; on: to the
 *            proxy address 100.96.0.1 (which leads to 198.51.100.2), so
 *            each packet is parsed, its flow looked up (one per client,
 *            made in the first round) and rewritten with its checksums.
 *   encrypt  resource -> client: the answers. Off: with the NAT table
 *            empty; on: each packet's flow found and translated back.
 * Inner IPv4/UDP packets of 64 and 1420 bytes. Before the off cells every
 * flow is swept away, so "off" pays nothing for NAT; off and on alternate
 * per size within each run. Every round checks
 * that all packets came out and that the NAT counters moved by exactly the
 * packets of the on cells (else exit 1: no figure of a broken pipeline).
 *
 * Usage: nat_perf [--quick | --smoke] [--runs N] [--cpu N] [--commit ID] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "benchmarks/bench_util.h"
#include "dataplane/dp.h"
#include "dataplane/nat.h"
#include "dataplane/setup.h"
#include "dataplane/worker.h"
#include "lib/crypto/aead_burst.h"
#include "lib/nat/table.h"
#include "lib/policy/policy.h"
#include "tests/dataplane/harness.h"

#define P_PEERS		256
#define ROUND_PKTS	1024
#define MAX_RUNS	15

static const size_t sizes[] = { 64, 1420 };
static struct hx hx;

static void die(const char *what)
{
	fprintf(stderr, "nat_perf: %s\n", what);
	exit(1);
}

/* The inner destination of a sealed-to-be frame's packet, patched. */
static void to_proxy(struct wg_aead_op *op)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)op->data;
	static const uint8_t proxy[4] = { 100, 96, 0, 1 };

	memcpy(&ip->dst_addr, proxy, 4);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static void fill(bool decrypt, bool nat, size_t size)
{
	struct rte_mbuf *ms[32];
	struct wg_aead_op ops[32];
	unsigned int n = 0;

	for (unsigned int j = 0; j < ROUND_PKTS; j++) {
		struct hx_client *c = &hx.clients[j % P_PEERS];
		if (!decrypt) {
			if (rte_ring_sp_enqueue(hx.rx[1][0], hx_inner_frame(&hx, c, size)))
				die("rx ring full");
			continue;
		}
		ms[n] = hx_data_frame(&hx, c, size, c->counter++, &ops[n]);
		if (nat)
			to_proxy(&ops[n]);
		if (++n == 32 || j + 1 == ROUND_PKTS) {
			wg_aead_seal_burst(hx.engine, ops, n);
			if (rte_ring_sp_enqueue_bulk(hx.rx[0][0], (void **)ms, n, NULL) != n)
				die("rx ring full");
			n = 0;
		}
	}
}

/* Mpps of one cell over >= seconds of rounds. */
static double cell(bool decrypt, bool nat, size_t size, double seconds)
{
	struct dp_worker *w = dp.workers[0];
	enum wg_counter nc = decrypt ? WG_CNT_NAT_OUT : WG_CNT_NAT_IN;
	uint64_t nat_before = hx_counter(nc), pkts = 0;
	double t = 0;

	do {
		fill(decrypt, nat, size);
		uint64_t out = 0, stalls = 0;
		double t0 = bench_now_s();
		while (out < ROUND_PKTS && stalls < 1000) {
			unsigned int work = dp_worker_poll(w);
			out += hx_drain(&hx, decrypt ? 1 : 0);
			stalls = work ? 0 : stalls + 1;
		}
		t += bench_now_s() - t0;
		hx_drain(&hx, decrypt ? 0 : 1);
		if (out != ROUND_PKTS)
			die("packets lost in a round");
		pkts += ROUND_PKTS;
	} while (t < seconds);
	if (hx_counter(nc) - nat_before != (nat ? pkts : 0))
		die("the NAT counter does not match the packets");
	return (double)pkts / t / 1e6;
}

/* Every client may reach the resource network and the proxy range; the
 * proxy address leads to the resource. */
static void setup(void)
{
	struct wg_ipaddr proxy;
	struct dp_proxy_target tg = { .n = 1 };

	hx_grant_proxy_range(&hx);
	wg_ipaddr_parse("100.96.0.1", &proxy);
	wg_ipaddr_parse("198.51.100.2", &tg.real[0]);
	if (dp_proxies_publish(&proxy, &tg, 1, NULL, 0, NULL, 0))
		die("dp_proxies_publish");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: nat_perf [--quick | --smoke] [--runs N] [--cpu N] [--commit ID]\n");
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	double v[2][2][2][MAX_RUNS];	/* [decrypt][size][nat][run] */

	bench_parse_opts(argc, argv, MAX_RUNS, &o, NULL, NULL, usage);
	int runs = o.runs ? o.runs : o.mode == BENCH_FULL ? 7 : o.mode == BENCH_QUICK ? 5 : 1;
	double secs = o.mode == BENCH_FULL ? 0.5 : o.mode == BENCH_QUICK ? 0.2 : 0.001;
	int cpu = bench_pin_cpu(&o);

	hx_init(&hx, "nat_perf", 1, P_PEERS, 1, 0);
	setup();
	printf("nat_perf: the worker loop with proxy-address NAT on and off (%d run(s))\n", runs);
	bench_print_machine("pinned to CPU", cpu, o.commit);
	/* Off and on close together, so that drift on a shared machine hits
	 * both: per size, with no flow left (swept), decrypt and encrypt
	 * off, then decrypt on (which makes the flows) and encrypt on. */
	for (int r = 0; r < runs; r++)
		for (int s = 0; s < 2; s++) {
			wg_nat_sweep(dp.workers[0]->nat, UINT64_MAX, DP_NAT_ENTRIES);
			for (int nat = 0; nat < 2; nat++)
				for (int d = 1; d >= 0; d--)
					v[d][s][nat][r] = cell(d, nat, sizes[s], secs);
		}
	printf("| path | size | NAT off Mpps | NAT on Mpps | on/off |\n");
	printf("|---|---|---|---|---|\n");
	for (int d = 1; d >= 0; d--)
		for (int s = 0; s < 2; s++) {
			qsort(v[d][s][0], (size_t)runs, sizeof(double), cmp_double);
			qsort(v[d][s][1], (size_t)runs, sizeof(double), cmp_double);
			double off = v[d][s][0][runs / 2], on = v[d][s][1][runs / 2];
			printf("| %s | %zu | %.3f | %.3f | %.3f |\n", d ? "decrypt" : "encrypt",
			       sizes[s], off, on, on / off);
		}
	printf("(medians of %d; decrypt on = client to a proxy address, translated;"
	       " encrypt on = the answers, translated back)\n", runs);
	dp_shutdown();
	return 0;
}
