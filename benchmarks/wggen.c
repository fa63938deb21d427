/* wggen: WireGuard load generator for benchmarks/e2e_bench (see wggen.h for
 * the file layout).
 *
 *   wggen [EAL args] -- --keys FILE --gw-pub KEY --ip ADDR --gw-ip ADDR
 *         [--gw-port 51820] [--base-port 40000] [--dst 198.51.100.2]
 *         [--dport 9] [--mtu 1420] [--sizes 64,1420] [--rounds 5]
 *         [--window S] [--round-secs S] [--pool-mb 2048] [--calib-pkts N]
 *         [--hs-window 32] [--hs-timeout 30] [--fill-threads 2]
 *
 * KEYS holds one client per line: "<private key, base64> <tunnel IPv4>
 * [<preshared key, base64> | -]". Client i sends from UDP port base-port+i.
 *
 * What it does: resolves the gateway's MAC by ARP (and answers ARP for
 * --ip all along), handshakes every client, then for each size (the inner
 * IPv4 packet's length) runs a calibration burst and --rounds rounds. Before
 * each round it seals a fresh pool of data messages (counters never reused);
 * the round copies them onto the wire as fast as the port takes them. A round
 * ends on SIGUSR1 (the benchmark script sends it once it has read the
 * resource's kernel counters), after --round-secs when given, or when the
 * pool runs dry (exhausted=1; the script discards the round if that came
 * before the end of its window).
 * The pool is sized from the measured send rate so that it lasts --window
 * seconds plus POOL_SLACK_S; if --pool-mb cannot hold that, the round is
 * paced to spread the pool over that time instead (paced_pps > 0).
 *
 * Output, one line each, for the script to parse:
 *   wggen: gateway ... / wggen: handshakes D/N ...
 *   calib size=S sent=N secs=T pps=R
 *   start size=S round=R pool=N paced_pps=P
 *   end size=S round=R sent=N secs=T pps=R exhausted=0|1
 *   wggen: sent=N handshakes=D duration=T */
#include "benchmarks/wggen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "benchmarks/bench_util.h"

#define MAX_SIZES	8
#define MAX_CLIENTS	4096
#define POOL_SLACK_S	0.3	/* pool lasts --window plus this */

/* Writers: the signal handlers. Reader: the send loop. */
static volatile sig_atomic_t stop_round;
static volatile sig_atomic_t quit;

static void on_usr1(int sig)
{
	(void)sig;
	stop_round = 1;
}

static void on_quit(int sig)
{
	(void)sig;
	quit = 1;
	stop_round = 1;
}

struct opts {
	const char *keys;
	unsigned int sizes[MAX_SIZES];
	unsigned int n_sizes;
	unsigned int rounds;
	double window_s;	/* how long the script measures a round */
	double round_s;		/* > 0: rounds end by themselves after this */
	size_t pool_mb;
	size_t calib_pkts;
	unsigned int hs_window;
	double hs_timeout_s;
	uint16_t base_port;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: wggen [EAL args] -- --keys FILE --gw-pub KEY --ip ADDR --gw-ip ADDR\n"
		"  [--gw-port 51820] [--base-port 40000] [--dst 198.51.100.2] [--dport 9]\n"
		"  [--mtu 1420] [--sizes 64,1420] [--rounds 5] [--window S] [--round-secs S]\n"
		"  [--pool-mb 2048] [--calib-pkts N] [--hs-window 32] [--hs-timeout 30]\n"
		"  [--fill-threads 2]\n");
}

static int parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

static int parse_key(const char *s, uint8_t out[WG_KEY_LEN])
{
	size_t len;

	if (sodium_base642bin(out, WG_KEY_LEN, s, strlen(s), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || len != WG_KEY_LEN)
		return -EINVAL;
	return 0;
}

static int parse_sizes(const char *s, struct opts *o)
{
	char *copy = strdup(s), *save = NULL, *tok;

	o->n_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v = strtoul(tok, NULL, 10);

		if (o->n_sizes == MAX_SIZES || v < GEN_IP_UDP_LEN || v > 9000) {
			free(copy);
			return -EINVAL;
		}
		o->sizes[o->n_sizes++] = (unsigned int)v;
	}
	free(copy);
	return o->n_sizes ? 0 : -EINVAL;
}

static int parse_args(int argc, char **argv, struct gen *g, struct opts *o)
{
	static const struct option lo[] = {
		{ "keys", 1, NULL, 'k' }, { "gw-pub", 1, NULL, 'P' }, { "ip", 1, NULL, 'i' },
		{ "gw-ip", 1, NULL, 'g' }, { "gw-port", 1, NULL, 'G' },
		{ "base-port", 1, NULL, 'b' }, { "dst", 1, NULL, 'd' }, { "dport", 1, NULL, 'D' },
		{ "mtu", 1, NULL, 'm' }, { "sizes", 1, NULL, 's' }, { "rounds", 1, NULL, 'r' },
		{ "window", 1, NULL, 'w' }, { "round-secs", 1, NULL, 'R' },
		{ "pool-mb", 1, NULL, 'M' }, { "calib-pkts", 1, NULL, 'c' },
		{ "hs-window", 1, NULL, 'W' }, { "hs-timeout", 1, NULL, 'T' },
		{ "fill-threads", 1, NULL, 'F' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool have_pub = false, have_ip = false, have_gw = false;
	int c;

	*o = (struct opts){ .rounds = 5, .window_s = 2.0, .pool_mb = 2048,
			    .calib_pkts = 300000, .hs_window = 32, .hs_timeout_s = 30,
			    .base_port = 40000 };
	o->sizes[0] = 64;
	o->sizes[1] = 1420;
	o->n_sizes = 2;
	g->gw_port = 51820;
	g->dst_port = 9;
	g->mtu = 1420;
	g->fill_threads = 2;
	parse_ip4("198.51.100.2", &g->dst_ip);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k': o->keys = optarg; break;
		case 'P':
			if (parse_key(optarg, g->gw_pub))
				goto bad;
			have_pub = true;
			break;
		case 'i':
			if (parse_ip4(optarg, &g->ip))
				goto bad;
			have_ip = true;
			break;
		case 'g':
			if (parse_ip4(optarg, &g->gw_ip))
				goto bad;
			have_gw = true;
			break;
		case 'G': g->gw_port = (uint16_t)atoi(optarg); break;
		case 'b': o->base_port = (uint16_t)atoi(optarg); break;
		case 'd':
			if (parse_ip4(optarg, &g->dst_ip))
				goto bad;
			break;
		case 'D': g->dst_port = (uint16_t)atoi(optarg); break;
		case 'm': g->mtu = (unsigned int)atoi(optarg); break;
		case 's':
			if (parse_sizes(optarg, o))
				goto bad;
			break;
		case 'r': o->rounds = (unsigned int)atoi(optarg); break;
		case 'w': o->window_s = atof(optarg); break;
		case 'R': o->round_s = atof(optarg); break;
		case 'M': o->pool_mb = (size_t)atol(optarg); break;
		case 'c': o->calib_pkts = (size_t)atol(optarg); break;
		case 'W': o->hs_window = (unsigned int)atoi(optarg); break;
		case 'T': o->hs_timeout_s = atof(optarg); break;
		case 'F': g->fill_threads = (unsigned int)atoi(optarg); break;
		default: goto bad;
		}
	}
	if (!o->keys || !have_pub || !have_ip || !have_gw || optind != argc ||
	    o->hs_window == 0 || o->pool_mb == 0 || g->mtu < 64 || !g->fill_threads ||
	    g->fill_threads > GEN_MAX_FILL_THREADS)
		goto bad;
	for (unsigned int i = 0; i < o->n_sizes; i++)
		if (o->sizes[i] > g->mtu)
			goto bad;
	return 0;
bad:
	usage();
	return -EINVAL;
}

/* Reads KEYS into g->c; 0 or -errno. */
static int load_clients(struct gen *g, const struct opts *o)
{
	FILE *f = fopen(o->keys, "r");
	char line[512];
	int rc = 0;

	if (!f)
		return -errno;
	g->c = calloc(MAX_CLIENTS, sizeof(*g->c));
	if (!g->c) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		char key[128], tun[64], psk_s[128] = "-";
		uint8_t priv[WG_KEY_LEN], psk[WG_KEY_LEN];
		struct gen_client *c = &g->c[g->n];
		int k = sscanf(line, "%127s %63s %127s", key, tun, psk_s);

		if (k <= 0)
			continue;
		if (k < 2 || g->n == MAX_CLIENTS || parse_key(key, priv) ||
		    parse_ip4(tun, &c->tun_ip) ||
		    (strcmp(psk_s, "-") && parse_key(psk_s, psk)) ||
		    wg_noise_local_init(&c->local, priv) ||
		    wg_noise_peer_init(&c->gw, &c->local, g->gw_pub,
				       strcmp(psk_s, "-") ? psk : NULL)) {
			fprintf(stderr, "wggen: %s: bad line %u\n", o->keys, g->n + 1);
			rc = -EINVAL;
			break;
		}
		sodium_memzero(priv, sizeof(priv));
		c->udp_port = (uint16_t)(o->base_port + g->n);
		g->n++;
	}
	fclose(f);
	if (!rc && !g->n)
		rc = -ENOENT;
	return rc;
}

/* Keeps the clients whose handshake completed, in order. */
static void keep_done(struct gen *g)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < g->n; i++)
		if (g->c[i].done)
			g->c[k++] = g->c[i];
	g->n = k;
}

struct round_res {
	uint64_t sent;
	double secs;
	bool exhausted;
};

/* Copies pool message j into m behind its client's outer header. */
static inline void fill_frame(const struct gen *g, struct rte_mbuf *m, size_t j)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	memcpy(d, g->c[j % g->n].hdr, GEN_HDR_LEN);
	memcpy(d + GEN_HDR_LEN, g->pool + j * g->stride, g->stride);
	m->data_len = (uint16_t)(GEN_HDR_LEN + g->stride);
	m->pkt_len = m->data_len;
}

/* Sends the pool until stop_round, max_s or the pool's end. pace_pps > 0
 * spreads it at that rate. Frames the port refuses (its ring is full) are
 * offered again, not freed, so that "sent" counts only what left through
 * the port. */
static struct round_res send_round(struct gen *g, double pace_pps, double max_s)
{
	struct rte_mbuf *pend[GEN_BURST];
	unsigned int n_pend = 0, iter = 0;
	uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc();
	uint64_t end = start + (uint64_t)(max_s * (double)hz);
	double per_tsc = pace_pps > 0 ? pace_pps / (double)hz : 0;
	struct round_res r = { 0 };
	size_t pos = 0;

	while (!stop_round) {
		uint64_t now = rte_rdtsc();

		if (now >= end)
			break;
		if ((++iter & 15) == 0)
			gen_rx_poll(g, NULL);	/* ARP; anything else is dropped */
		if (!n_pend) {
			size_t want = GEN_BURST;

			if (pos >= g->pool_n) {
				r.exhausted = true;
				break;
			}
			if (per_tsc > 0) {
				size_t allowed = (size_t)((double)(now - start) * per_tsc);

				if (allowed <= pos)
					continue;
				if (allowed - pos < want)
					want = allowed - pos;
			}
			if (g->pool_n - pos < want)
				want = g->pool_n - pos;
			if (rte_pktmbuf_alloc_bulk(g->mp, pend, (unsigned int)want))
				continue;
			for (size_t k = 0; k < want; k++)
				fill_frame(g, pend[k], pos + k);
			pos += want;
			n_pend = (unsigned int)want;
		}
		uint16_t k = rte_eth_tx_burst(g->port_id, 0, pend, (uint16_t)n_pend);

		r.sent += k;
		n_pend -= k;
		if (n_pend && k)
			memmove(pend, pend + k, n_pend * sizeof(pend[0]));
	}
	rte_pktmbuf_free_bulk(pend, n_pend);
	r.secs = (double)(rte_rdtsc() - start) / (double)hz;
	return r;
}

/* Totals for the last line. */
struct totals {
	uint64_t sent;
	double secs;
};

/* One inner size: a calibration burst, then the rounds. */
static void run_size(struct gen *g, const struct opts *o, unsigned int size, struct totals *tot)
{
	double span = (o->round_s > 0 ? o->round_s : o->window_s) + POOL_SLACK_S;
	double rate = 0;
	struct round_res r;

	gen_frame_templates(g, gen_msg_len(g, size));
	/* Calibration: how fast the port takes frames right now. It also lets
	 * the gateway resolve the resource's MAC before any round counts. */
	if (o->calib_pkts) {
		gen_pool_fill(g, size, o->calib_pkts);
		stop_round = 0;
		r = send_round(g, 0, 10);
		rate = r.secs > 0 ? (double)r.sent / r.secs : 0;
		printf("calib size=%u sent=%" PRIu64 " secs=%.3f pps=%.0f\n", size, r.sent, r.secs,
		       rate);
	}
	if (rate < 1e5)
		rate = 1e5;
	for (unsigned int round = 1; round <= o->rounds && !quit; round++) {
		/* Room for half again the rate seen; pace only when the pool
		 * cannot even hold the rate seen plus a tenth. */
		size_t got = gen_pool_fill(g, size, (size_t)(rate * 1.5 * span));
		double pace = (double)got < rate * 1.1 * span ? (double)got / span : 0;

		stop_round = 0;
		printf("start size=%u round=%u pool=%zu paced_pps=%.0f\n", size, round, got, pace);
		r = send_round(g, pace, o->round_s > 0 ? o->round_s : o->window_s + 10);
		printf("end size=%u round=%u sent=%" PRIu64 " secs=%.3f pps=%.0f exhausted=%d\n",
		       size, round, r.sent, r.secs, r.secs > 0 ? (double)r.sent / r.secs : 0,
		       r.exhausted);
		tot->sent += r.sent;
		tot->secs += r.secs;
		if (r.exhausted)
			rate *= 1.5;	/* the port took more than we sealed */
		else if (pace == 0 && r.secs > 0 && (double)r.sent / r.secs > rate)
			rate = (double)r.sent / r.secs;
	}
}

/* Mempool, the one port, the gateway's MAC. 0, or an exit status. */
static int setup_port(struct gen *g)
{
	uint16_t port_id;
	int rc;

	g->mp = rte_pktmbuf_pool_create("wggen", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (!g->mp) {
		fprintf(stderr, "wggen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "wggen: need exactly one port (--vdev), have %u\n",
			rte_eth_dev_count_avail());
		return 2;
	}
	RTE_ETH_FOREACH_DEV(port_id)
		break;
	rc = gen_port_init(g, port_id);
	if (rc) {
		fprintf(stderr, "wggen: port %u: %s\n", port_id, strerror(-rc));
		return 1;
	}
	if (gen_resolve_gateway(g, 10)) {
		fprintf(stderr, "wggen: the gateway does not answer ARP\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct gen g = { 0 };
	struct totals tot = { 0 };
	struct opts o;
	unsigned int hs_done;
	uint64_t t0;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "wggen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);
	signal(SIGINT, on_quit);
	signal(SIGTERM, on_quit);
	if (sodium_init() < 0 || parse_args(argc, argv, &g, &o))
		return 2;
	rc = load_clients(&g, &o);
	if (rc) {
		fprintf(stderr, "wggen: %s: %s\n", o.keys, strerror(-rc));
		return 2;
	}
	rc = setup_port(&g);
	if (rc)
		return rc;
	printf("wggen: gateway " RTE_ETHER_ADDR_PRT_FMT ", %u clients, pool %zu MB\n",
	       RTE_ETHER_ADDR_BYTES(&g.gw_mac), g.n, o.pool_mb);

	t0 = bench_now_ns();
	hs_done = gen_handshake_all(&g, o.hs_window, o.hs_timeout_s);
	printf("wggen: handshakes %u/%u in %.2f s (initiations %" PRIu64 ", cookies %" PRIu64
	       ", bad responses %" PRIu64 ")\n", hs_done, g.n, (double)(bench_now_ns() - t0) / 1e9,
	       g.initiations, g.cookies, g.bad_responses);
	keep_done(&g);
	if (g.n) {
		g.pool_bytes = o.pool_mb << 20;
		g.pool = malloc(g.pool_bytes);
		if (!g.pool) {
			fprintf(stderr, "wggen: cannot allocate a %zu MB pool\n", o.pool_mb);
			return 1;
		}
		for (unsigned int s = 0; s < o.n_sizes && !quit; s++)
			run_size(&g, &o, o.sizes[s], &tot);
	}
	printf("wggen: sent=%" PRIu64 " handshakes=%u duration=%.3f\n", tot.sent, g.n, tot.secs);
	free(g.pool);
	rte_eth_dev_stop(g.port_id);
	rte_eth_dev_close(g.port_id);
	rte_eal_cleanup();
	return hs_done ? 0 : 1;
}
