/* aead_perf: ChaCha20-Poly1305 for transport data, intel-ipsec-mb's burst
 * API against libsodium one op at a time, on one pinned core (STYLE rule 16).
 *
 * For payloads of 64, 256, 512 and 1420 bytes (1420: a full packet under
 * WireGuard's default MTU) it measures seal and open of bursts of 32 ops
 * in place through lib/crypto/aead_burst.h, with wg_bench_aead_mops()
 * (benchmarks/aead_ref.c). Each run times the four cells of a row one
 * after the other (ipsec-mb seal, libsodium seal, ipsec-mb open, libsodium
 * open), so a figure and its reference see the same machine; each cell is
 * the median of the runs, and the ratio ipsec-mb/libsodium is the median of
 * the per-run ratios, which drifts less than either figure on a shared
 * machine. Gb/s counts payload bits only.
 *
 * Without ipsec-mb (not built in, or the CPU cannot run it) its cells read
 * n/a and the libsodium ones are still measured.
 *
 * Usage: aead_perf [--quick | --smoke] [--runs N] [--cpu N] [--commit ID] */
#include <stdbool.h>
#include <stdio.h>

#include <sodium.h>

#include "benchmarks/bench_util.h"
#include "benchmarks/aead_ref.h"
#include "lib/crypto/aead_burst.h"

struct mode {
	const char *name;
	double seconds;		/* timed per cell per run */
	int runs;		/* runs per cell (median) */
};

/* full: 4 sizes x 4 cells x 9 runs x 0.25 s, ~40 s with the untimed
 * re-seals; quick: ~12 s; smoke: well under a second. */
static const struct mode modes[] = {
	{ "full", 0.25, 9 },
	{ "quick", 0.1, 5 },
	{ "smoke", 0.002, 5 },
};

static const unsigned int sizes[] = { 64, 256, 512, 1420 };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAX_RUNS 63

enum { IMB_SEAL, SOD_SEAL, IMB_OPEN, SOD_OPEN, N_CELLS };

static void usage(FILE *f)
{
	fprintf(f, "usage: aead_perf [--quick | --smoke] [--runs N] [--cpu N] [--commit ID]\n"
		   "  --quick   shorter runs (whole program well under 30 s)\n"
		   "  --smoke   tiny runs: checks the program works, figures mean little\n"
		   "  --runs N  timed runs per cell, 5..63 (median taken)\n"
		   "  --cpu N   CPU to pin to (default: the last one allowed)\n"
		   "  --commit  commit id for the header (default: git rev-parse --short HEAD)\n");
}

static void cell(char *buf, size_t len, double mops, unsigned int size)
{
	if (mops < 0)
		snprintf(buf, len, "%5s | %6s", "n/a", "n/a");
	else
		snprintf(buf, len, "%5.2f | %6.2f", mops, mops * size * 8 / 1e3);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct mode m;
	int cpu;
	struct wg_aead_engine *imb, *sod, *auto_e;

	bench_parse_opts(argc, argv, MAX_RUNS, &o, NULL, NULL, usage);
	m = modes[o.mode];
	if (o.runs)
		m.runs = o.runs;
	if (sodium_init() < 0) {
		fprintf(stderr, "aead_perf: sodium_init failed\n");
		return 1;
	}
	cpu = bench_pin_cpu(&o);
	imb = wg_aead_engine_new(WG_CRYPTO_IPSEC_MB);
	sod = wg_aead_engine_new(WG_CRYPTO_LIBSODIUM);
	if (!sod) {
		fprintf(stderr, "aead_perf: no libsodium engine\n");
		return 1;
	}

	printf("aead_perf: ChaCha20-Poly1305 seal/open in place, bursts of 32, one core, "
	       "ipsec-mb against libsodium in the same run\n");
	bench_print_machine("pinned to cpu", cpu, o.commit);
	auto_e = wg_aead_engine_new(WG_CRYPTO_AUTO);
	printf("engines: %s and %s; auto picks %s\n",
	       imb ? wg_aead_engine_name(imb) : "ipsec-mb (unavailable)", wg_aead_engine_name(sod),
	       auto_e ? wg_aead_engine_name(auto_e) : "nothing");
	wg_aead_engine_free(auto_e);
	printf("mode: %s: %d runs per cell (median), %.3f s timed per cell per run\n\n",
	       m.name, m.runs, m.seconds);
	printf("| size | imb seal Mops | Gb/s | imb open Mops | Gb/s | sodium seal Mops | Gb/s | "
	       "sodium open Mops | Gb/s | seal imb/sodium | open imb/sodium |\n");
	printf("|-----:|------:|-----:|------:|-----:|------:|-----:|------:|-----:|"
	       "-----:|-----:|\n");
	fflush(stdout);

	for (size_t s = 0; s < N_SIZES; s++) {
		unsigned int size = sizes[s];
		double v[N_CELLS][MAX_RUNS], rs[MAX_RUNS], ro[MAX_RUNS], med[N_CELLS];
		char c[N_CELLS][32], ratio_s[16], ratio_o[16];

		/* Untimed warm-up: page in the buffers, settle the clock. */
		if (imb)
			wg_bench_aead_mops(imb, size, true, m.seconds / 4);
		wg_bench_aead_mops(sod, size, true, m.seconds / 4);

		for (int r = 0; r < m.runs; r++) {
			v[IMB_SEAL][r] = imb ? wg_bench_aead_mops(imb, size, true, m.seconds) : -1;
			v[SOD_SEAL][r] = wg_bench_aead_mops(sod, size, true, m.seconds);
			v[IMB_OPEN][r] = imb ? wg_bench_aead_mops(imb, size, false, m.seconds) : -1;
			v[SOD_OPEN][r] = wg_bench_aead_mops(sod, size, false, m.seconds);
			if ((imb && (v[IMB_SEAL][r] < 0 || v[IMB_OPEN][r] < 0)) ||
			    v[SOD_SEAL][r] < 0 || v[SOD_OPEN][r] < 0) {
				fprintf(stderr, "aead_perf: %u B: a measurement failed (out "
					"of memory, or an open did not verify)\n", size);
				return 1;
			}
			rs[r] = v[IMB_SEAL][r] / v[SOD_SEAL][r];
			ro[r] = v[IMB_OPEN][r] / v[SOD_OPEN][r];
		}
		for (int k = 0; k < N_CELLS; k++) {
			med[k] = bench_median(v[k], m.runs);
			cell(c[k], sizeof(c[k]), med[k], size);
		}
		if (imb) {
			snprintf(ratio_s, sizeof(ratio_s), "%.2f", bench_median(rs, m.runs));
			snprintf(ratio_o, sizeof(ratio_o), "%.2f", bench_median(ro, m.runs));
		} else {
			snprintf(ratio_s, sizeof(ratio_s), "n/a");
			snprintf(ratio_o, sizeof(ratio_o), "n/a");
		}
		printf("| %4u | %s | %s | %s | %s | %5s | %5s |\n", size, c[IMB_SEAL], c[IMB_OPEN],
		       c[SOD_SEAL], c[SOD_OPEN], ratio_s, ratio_o);
		fflush(stdout);
	}
	printf("\nMops: million ops per second, bursts of 32 ops of `size` payload bytes. "
	       "Gb/s: payload bits only.\nimb/sodium: median of the per-run ratios (each run "
	       "times both back to back).\n");
	wg_aead_engine_free(imb);
	wg_aead_engine_free(sod);
	return 0;
}
