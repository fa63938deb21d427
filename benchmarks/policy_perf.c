/* policy_perf: what the zero-trust check costs a packet, beside what sealing
 * a minimal packet costs, on one core (STYLE rule 16).
 *
 * For one client's table of 1k, 100k and 1M grants it measures:
 *   - wg_pol_decide() in ns per packet, over a packet stream of about 80 %
 *     granted addresses (most permitted by a filter, some not) and 20 %
 *     addresses no grant contains, IPv4 and IPv6 mixed;
 *   - wg_pol_table_build() in ms;
 * and, in the same run, interleaved run by run with the figure it is set
 * against, the references:
 *   - wg_aead_encrypt() of 64 bytes (ChaCha20-Poly1305, libsodium), the
 *     least crypto any data packet pays: decide/AEAD is how much the policy
 *     adds to a minimal packet's crypto;
 *   - qsort() of the same number of prefixes: build/qsort says how far the
 *     build is from the O(g log g) floor of sorting its input.
 * Every figure is the median of several runs; the decide column also shows
 * the min..max of its runs, since the machine this runs on may be shared.
 *
 * The workload (deterministic, seeded): resources are 99 % host prefixes
 * (/32 in 10/8, /128 in 2001:db8::/33) and 1 % networks (/16, /20, /24 in
 * 172.16/12; /48, /56, /64 in 2001:db8:8000::/33, which may overlap), 60 %
 * IPv4. Filters come from a few templates of TCP/UDP ranges and ICMP, 5 %
 * with none (everything allowed). 10 % of grants expire (in the future),
 * 3 % name a resource another grant already names. Packets pick a grant
 * uniformly (so the 1M table is mostly out of cache: a worst case, real
 * traffic is skewed), and misses come from 198.18/15 and 2001:db9::/32,
 * which nothing grants. The measured verdict mix is printed per row and the
 * program fails if it strays from the intended one, so a broken generator
 * cannot pass for a figure.
 *
 * Usage: policy_perf [--quick | --smoke] [--runs N] [--pkts N] [--cpu N] [--commit ID] */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "benchmarks/bench_util.h"
#include "lib/crypto/aead.h"
#include "lib/net/addr.h"
#include "lib/policy/policy.h"

#define NOW		1000000000ull	/* the caller's clock; any point works */
#define FAR_FUTURE	(NOW + 1000000000000ull)

struct mode {
	const char *name;
	size_t sizes[3];
	size_t n_sizes;
	size_t n_pkts;		/* distinct packets, cycled through */
	size_t decide_iters;	/* decisions per timed run */
	size_t aead_iters;	/* seals per timed run */
	int runs;		/* timed runs per figure (median) */
};

static const struct mode modes[] = {
	{ "full", { 1000, 100000, 1000000 }, 3, 1u << 20, 2000000, 400000, 9 },
	{ "quick", { 1000, 100000, 1000000 }, 3, 1u << 20, 300000, 100000, 5 },
	{ "smoke", { 100, 1000 }, 2, 4096, 20000, 5000, 5 },
};

/* ---- small helpers ---- */

/* splitmix64: a bijection on 64 bits, so distinct inputs stay distinct. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	return mix64(r->s++);
}

/* Uniform enough in [0, n) for a workload generator. */
static size_t rnd_below(struct rng *r, size_t n)
{
	return (size_t)(rnd(r) % n);
}

static void size_label(size_t n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%zuM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%zuk", n / 1000);
	else
		snprintf(buf, len, "%zu", n);
}

/* ---- the workload ---- */

/* Allow-sets as a policy engine hands them out: a few ports or a range per
 * protocol, ICMP on some. None of them permits TCP 23 or UDP 9, which the
 * "granted but filtered" packets use. */
static const struct wg_pol_filter f_https[] = { { WG_POL_TCP, 443, 443 } };
static const struct wg_pol_filter f_web[] = { { WG_POL_TCP, 80, 80 }, { WG_POL_TCP, 443, 443 } };
static const struct wg_pol_filter f_ssh[] = { { WG_POL_TCP, 22, 22 }, { WG_POL_ICMP, 0, 0 } };
static const struct wg_pol_filter f_app[] = {
	{ WG_POL_TCP, 8000, 8999 }, { WG_POL_UDP, 53, 53 }, { WG_POL_ICMP, 0, 0 } };
static const struct wg_pol_filter f_media[] = {
	{ WG_POL_UDP, 5000, 5100 }, { WG_POL_TCP, 443, 443 }, { WG_POL_ICMP, 0, 0 } };
static const struct wg_pol_filter f_rdp[] = { { WG_POL_TCP, 3389, 3389 }, { WG_POL_UDP, 3389, 3389 } };

struct template {
	const struct wg_pol_filter *f;
	uint16_t n;
	unsigned int weight;	/* percent */
};

#define TPL(a) a, sizeof(a) / sizeof(a[0])
static const struct template templates[] = {
	{ TPL(f_https), 25 }, { TPL(f_web), 20 }, { TPL(f_ssh), 15 }, { TPL(f_app), 15 },
	{ TPL(f_media), 10 }, { TPL(f_rdp), 10 }, { NULL, 0, 5 },	/* no filters: all allowed */
};
#define N_TEMPLATES (sizeof(templates) / sizeof(templates[0]))

static const struct template *pick_template(struct rng *r)
{
	unsigned int x = (unsigned int)rnd_below(r, 100), acc = 0;

	for (size_t i = 0; i < N_TEMPLATES; i++) {
		acc += templates[i].weight;
		if (x < acc)
			return &templates[i];
	}
	return &templates[N_TEMPLATES - 1];
}

struct workload {
	size_t n_grants, n_res, n_pkts;
	struct wg_pol_resource *res;
	struct wg_pol_grant *grants;
	struct wg_pol_pkt *pkts;
	struct wg_prefix *sort_in, *sort_buf;	/* the qsort reference's input */
};

static void host_v4(struct wg_prefix *p, size_t k)
{
	/* k * odd mod 2^24 is a bijection: distinct hosts in 10/8. */
	uint32_t h = (uint32_t)(k * 2654435761u) & 0xffffffu;

	*p = (struct wg_prefix){ .ip.af = WG_AF_INET4, .len = 32 };
	p->ip.a[0] = 10;
	p->ip.a[1] = (uint8_t)(h >> 16);
	p->ip.a[2] = (uint8_t)(h >> 8);
	p->ip.a[3] = (uint8_t)h;
}

static void host_v6(struct wg_prefix *p, size_t k)
{
	uint64_t lo = mix64(k), hi = mix64(~(uint64_t)k);	/* lo distinct per k */

	*p = (struct wg_prefix){ .ip.af = WG_AF_INET6, .len = 128 };
	p->ip.a[0] = 0x20; p->ip.a[1] = 0x01; p->ip.a[2] = 0x0d; p->ip.a[3] = 0xb8;
	for (int i = 0; i < 4; i++)
		p->ip.a[4 + i] = (uint8_t)(hi >> (8 * i));
	p->ip.a[4] &= 0x7f;	/* 2001:db8::/33: the hosts' half */
	for (int i = 0; i < 8; i++)
		p->ip.a[8 + i] = (uint8_t)(lo >> (8 * i));
}

static void net_v4(struct wg_prefix *p, struct rng *r)
{
	static const uint8_t lens[] = { 16, 20, 24 };
	uint64_t x = rnd(r);

	*p = (struct wg_prefix){ .ip.af = WG_AF_INET4, .len = lens[x % 3] };
	p->ip.a[0] = 172;
	p->ip.a[1] = (uint8_t)(16 + ((x >> 8) & 0xf));	/* 172.16/12 */
	p->ip.a[2] = (uint8_t)(x >> 16);
	wg_ipaddr_mask(&p->ip, p->len);
}

static void net_v6(struct wg_prefix *p, struct rng *r)
{
	static const uint8_t lens[] = { 48, 56, 64 };
	uint64_t x = rnd(r);

	*p = (struct wg_prefix){ .ip.af = WG_AF_INET6, .len = lens[x % 3] };
	p->ip.a[0] = 0x20; p->ip.a[1] = 0x01; p->ip.a[2] = 0x0d; p->ip.a[3] = 0xb8;
	for (int i = 0; i < 4; i++)
		p->ip.a[4 + i] = (uint8_t)(x >> (8 + 8 * i));
	p->ip.a[4] |= 0x80;	/* 2001:db8:8000::/33: the networks' half */
	wg_ipaddr_mask(&p->ip, p->len);
}

/* An address inside p, host bits random. */
static void addr_in(struct wg_ipaddr *ip, const struct wg_prefix *p, struct rng *r)
{
	unsigned int bits = wg_af_bits(p->ip.af);

	*ip = p->ip;
	for (unsigned int b = p->len; b < bits; b++)
		if (rnd(r) & 1)
			ip->a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

/* A packet the resource's filters permit. */
static void permitted(struct wg_pol_pkt *pk, const struct wg_pol_resource *res, struct rng *r)
{
	bool v6 = res->prefix.ip.af == WG_AF_INET6;
	uint8_t proto;
	uint16_t lo = 1, hi = 65535;

	if (res->n_filters) {
		const struct wg_pol_filter *f = &res->filters[rnd_below(r, res->n_filters)];

		proto = f->proto;
		lo = f->lo;
		hi = f->hi;
	} else {
		static const uint8_t any[] = { WG_POL_TCP, WG_POL_UDP, WG_POL_ICMP };

		proto = any[rnd_below(r, 3)];
	}
	if (proto == WG_POL_ICMP) {
		pk->proto = v6 ? WG_POL_ICMPV6 : WG_POL_ICMP;
		pk->port = (uint16_t)rnd(r);	/* echo identifier */
	} else {
		pk->proto = proto;
		pk->port = (uint16_t)(lo + rnd_below(r, (size_t)hi - lo + 1));
	}
}

static void workload_free(struct workload *w)
{
	free(w->res);
	free(w->grants);
	free(w->pkts);
	free(w->sort_in);
	free(w->sort_buf);
	*w = (struct workload){ 0 };
}

static int workload_make(struct workload *w, size_t n, size_t n_pkts, uint64_t seed)
{
	struct rng r = { seed };
	size_t n_v4 = 0, n_v6 = 0;

	*w = (struct workload){ .n_grants = n, .n_pkts = n_pkts };
	w->res = calloc(n, sizeof(*w->res));
	w->grants = calloc(n, sizeof(*w->grants));
	w->pkts = calloc(n_pkts, sizeof(*w->pkts));
	w->sort_in = calloc(n, sizeof(*w->sort_in));
	w->sort_buf = calloc(n, sizeof(*w->sort_buf));
	if (!w->res || !w->grants || !w->pkts || !w->sort_in || !w->sort_buf) {
		workload_free(w);
		return -ENOMEM;
	}

	for (size_t i = 0; i < n; i++) {
		struct wg_pol_grant *g = &w->grants[i];

		if (w->n_res && rnd_below(&r, 100) < 3) {
			/* Another policy granting a resource this client already has. */
			g->res = &w->res[rnd_below(&r, w->n_res)];
		} else {
			struct wg_pol_resource *res = &w->res[w->n_res];
			const struct template *t = pick_template(&r);
			bool v4 = rnd_below(&r, 100) < 60;

			res->id = (uint32_t)w->n_res;
			res->kind = WG_POL_RES_CIDR;
			if (rnd_below(&r, 100) == 0)
				v4 ? net_v4(&res->prefix, &r) : net_v6(&res->prefix, &r);
			else
				v4 ? host_v4(&res->prefix, n_v4++) : host_v6(&res->prefix, n_v6++);
			res->filters = t->f;
			res->n_filters = t->n;
			g->res = res;
			w->n_res++;
		}
		g->expires = rnd_below(&r, 100) < 10 ? FAR_FUTURE - rnd_below(&r, 1000000) : 0;
		w->sort_in[i] = g->res->prefix;
	}

	/* 80 % of packets to a granted address (9 in 10 of them permitted, the
	 * rest TCP 23 / UDP 9, which no filter permits), 20 % to an address no
	 * grant contains. */
	for (size_t i = 0; i < n_pkts; i++) {
		struct wg_pol_pkt *pk = &w->pkts[i];
		unsigned int x = (unsigned int)rnd_below(&r, 100);

		if (x < 80) {
			const struct wg_pol_resource *res = w->grants[rnd_below(&r, n)].res;

			addr_in(&pk->resource, &res->prefix, &r);
			if (x < 72) {
				permitted(pk, res, &r);
			} else {
				pk->proto = rnd(&r) & 1 ? WG_POL_TCP : WG_POL_UDP;
				pk->port = pk->proto == WG_POL_TCP ? 23 : 9;
			}
		} else {
			struct wg_prefix miss;

			if (x < 90) {
				/* 198.18/15 */
				miss = (struct wg_prefix){ .ip.af = WG_AF_INET4, .len = 15 };
				miss.ip.a[0] = 198;
				miss.ip.a[1] = 18;
			} else {
				/* 2001:db9::/32 */
				miss = (struct wg_prefix){ .ip.af = WG_AF_INET6, .len = 32 };
				miss.ip.a[0] = 0x20; miss.ip.a[1] = 0x01;
				miss.ip.a[2] = 0x0d; miss.ip.a[3] = 0xb9;
			}
			addr_in(&pk->resource, &miss, &r);
			pk->proto = rnd(&r) & 1 ? WG_POL_TCP : WG_POL_UDP;
			pk->port = 443;
		}
	}
	return 0;
}

/* ---- timed runs ---- */

static int cmp_prefix(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct wg_prefix));
}

static double time_qsort_ms(struct workload *w)
{
	uint64_t t0;

	memcpy(w->sort_buf, w->sort_in, w->n_grants * sizeof(*w->sort_buf));
	t0 = bench_now_ns();
	qsort(w->sort_buf, w->n_grants, sizeof(*w->sort_buf), cmp_prefix);
	return (double)(bench_now_ns() - t0) / 1e6;
}

static volatile unsigned int sink;	/* keeps the timed loops' results alive */

static double time_decide_ns(const struct wg_pol_table *t, const struct workload *w,
			     size_t *cursor, size_t iters)
{
	const struct wg_pol_pkt *pkts = w->pkts;
	size_t j = *cursor, n = w->n_pkts;
	unsigned int acc = 0;
	uint64_t t0 = bench_now_ns();

	for (size_t i = 0; i < iters; i++) {
		acc += (unsigned int)wg_pol_decide(t, &pkts[j], NOW);
		if (++j == n)
			j = 0;
	}
	uint64_t dt = bench_now_ns() - t0;

	sink += acc;
	*cursor = j;	/* the next run goes on where this one stopped */
	return (double)dt / (double)iters;
}

static double time_aead_ns(size_t iters, uint64_t *nonce)
{
	static const uint8_t key[WG_AEAD_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t src[64] = { 0x45 }, dst[64 + WG_AEAD_ABYTES];
	uint64_t t0 = bench_now_ns();

	/* A transport-data seal: no associated data, a fresh counter each time. */
	for (size_t i = 0; i < iters; i++)
		wg_aead_encrypt(dst, src, sizeof(src), NULL, 0, (*nonce)++, key);
	uint64_t dt = bench_now_ns() - t0;

	sink += dst[0];
	return (double)dt / (double)iters;
}

/* ---- header ---- */
static void usage(FILE *f)
{
	fprintf(f, "usage: policy_perf [--quick | --smoke] [--runs N] [--pkts N] [--cpu N] [--commit ID]\n"
		   "  --quick   fewer iterations per run (under a minute)\n"
		   "  --smoke   tiny tables, a few ms per figure: checks the program works\n"
		   "  --runs N  timed runs per figure, 5..63 (median taken)\n"
		   "  --pkts N  distinct packets cycled through (default 2^20: too many for\n"
		   "            the branch predictor to learn, as real traffic)\n"
		   "  --cpu N   CPU to pin to (default: the last one allowed)\n"
		   "  --commit  commit id for the header (default: git rev-parse --short HEAD)\n");
}

/* --pkts N: distinct packets cycled through. */
static int pkts_opt(int argc, char **argv, int *i, void *ctx)
{
	size_t *pkts = ctx;

	if (strcmp(argv[*i], "--pkts") || *i + 1 >= argc)
		return 0;
	*pkts = strtoul(argv[++*i], NULL, 0);
	if (*pkts < 1) {
		fprintf(stderr, "policy_perf: --pkts takes at least 1\n");
		return -1;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct mode m;
	char label[24];
	int cpu;
	size_t pkts = 0;
	uint64_t nonce = 0;
	bool mix_ok = true;

	bench_parse_opts(argc, argv, 63, &o, pkts_opt, &pkts, usage);
	m = modes[o.mode];
	if (o.runs)
		m.runs = o.runs;
	if (pkts)
		m.n_pkts = pkts;
	if (sodium_init() < 0) {
		fprintf(stderr, "policy_perf: sodium_init failed\n");
		return 1;
	}
	cpu = bench_pin_cpu(&o);

	printf("policy_perf: wg_pol_decide() per packet against a 64-byte ChaCha20-Poly1305 seal, same run\n");
	bench_print_machine("pinned to cpu", cpu, o.commit);
	printf("mode: %s: %d runs per figure (median), %zu decisions and %zu seals per run, "
	       "%zu distinct packets\n\n",
	       m.name, m.runs, m.decide_iters, m.aead_iters, m.n_pkts);
	printf("| grants | decide ns | (min..max) | AEAD 64B ns | decide/AEAD | build ms | "
	       "qsort ms | build/qsort | allow/filter/none %% |\n");
	printf("|-------:|----------:|-----------:|------------:|------------:|---------:|"
	       "---------:|------------:|-------------------:|\n");
	fflush(stdout);

	for (size_t s = 0; s < m.n_sizes; s++) {
		double dec[64], aead[64], build[64], sort[64];
		size_t n = m.sizes[s], cursor = 0, counts[8] = { 0 };
		struct wg_pol_table *t = NULL;
		struct workload w;

		if (workload_make(&w, n, m.n_pkts, 0x77676174u + n)) {
			fprintf(stderr, "policy_perf: out of memory for %zu grants\n", n);
			return 1;
		}
		/* Build and its reference, alternating; the last table is kept. */
		for (int r = 0; r < m.runs; r++) {
			uint64_t t0;

			wg_pol_table_free(t);
			t0 = bench_now_ns();
			t = wg_pol_table_build(w.grants, n);
			build[r] = (double)(bench_now_ns() - t0) / 1e6;
			if (!t) {
				fprintf(stderr, "policy_perf: table build failed for %zu grants\n", n);
				return 1;
			}
			sort[r] = time_qsort_ms(&w);
		}
		if (wg_pol_table_grants(t) != n) {
			fprintf(stderr, "policy_perf: table holds %zu grants, not %zu\n",
				wg_pol_table_grants(t), n);
			return 1;
		}
		/* One untimed pass over every packet: the verdict mix, and a warm-up. */
		for (size_t i = 0; i < w.n_pkts; i++)
			counts[wg_pol_decide(t, &w.pkts[i], NOW) & 7]++;
		time_aead_ns(m.aead_iters / 4 + 1, &nonce);
		/* Each decide run beside a seal run, so both see the same machine. */
		for (int r = 0; r < m.runs; r++) {
			dec[r] = time_decide_ns(t, &w, &cursor, m.decide_iters);
			aead[r] = time_aead_ns(m.aead_iters, &nonce);
		}

		double pa = 100.0 * (double)counts[WG_POL_ALLOW] / (double)w.n_pkts;
		double pf = 100.0 * (double)counts[WG_POL_DENY_FILTER] / (double)w.n_pkts;
		double pn = 100.0 * (double)counts[WG_POL_DENY_NO_GRANT] / (double)w.n_pkts;
		double md = bench_median(dec, m.runs), ma = bench_median(aead, m.runs);
		double mb = bench_median(build, m.runs), ms = bench_median(sort, m.runs);

		size_label(n, label, sizeof(label));
		printf("| %6s | %9.1f | %4.0f..%-5.0f | %11.1f | %11.2f | %8.1f | %8.1f | %11.2f | "
		       "%6.1f/%4.1f/%4.1f |\n",
		       label, md, bench_min(dec, m.runs), bench_max(dec, m.runs), ma, md / ma, mb, ms,
		       mb / ms, pa, pf, pn);
		fflush(stdout);

		/* The workload must be what the header promises: 20 % misses, the
		 * rest granted, most of it permitted, and nothing else. */
		if (pn < 17 || pn > 23 || pa < 65 || pa > 80 || pf < 4 || pa + pf + pn < 99.99) {
			fprintf(stderr, "policy_perf: verdict mix for %s grants is off: "
					"allow %.1f%% filter %.1f%% none %.1f%%\n", label, pa, pf, pn);
			mix_ok = false;
		}
		wg_pol_table_free(t);
		workload_free(&w);
	}
	printf("\ndecide/AEAD: the policy check as a share of sealing one 64-byte packet "
	       "(0.10 = adds 10 %%).\nbuild/qsort: table build against qsort() of the same "
	       "number of prefixes.\n");
	return mix_ok ? 0 : 1;
}
