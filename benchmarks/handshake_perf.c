/* handshake_perf: how many handshakes per second the control core answers,
 * beside what raw X25519 allows on the same core (STYLE rule 16).
 *
 * What runs is the real control path, not a replica: ctl_handshake_input()
 * from control/handshake.c with the peer table of control/peers.c (both
 * compiled in with the wgate target's flags), in-process on an EAL with --no-huge,
 * no PCI and no ports. The data-plane state it touches is built here the
 * way dataplane/setup.c builds it: mbuf pool, punt ring, the lock-free
 * index table, RCU, one worker TX ring (what the control core sends lands
 * there and is collected), a default route and its neighbour. Per
 * initiation that is: mac1 (and mac2 under load), wg_noise_initiation_open,
 * ctl_peer_by_key, wg_noise_initiation_finish, endpoint update,
 * ctl_new_index, wg_noise_create_response, dp_keypair_install (the "next"
 * keypair published to the workers), wg_cookie_add_macs, timers, UDP/IP/
 * Ethernet encapsulation and the hand-off to a worker's TX ring; after each
 * burst of 32, RCU reclamation as control/loop.c does it.
 *
 * Figures (each the median of several runs; each run is set beside a
 * reference run of raw X25519 right after it, so both see the same
 * machine):
 *   1. handshakes/s, cookies off: the punt ring below the under-load mark,
 *      clients hold no cookie, mac1 only;
 *   2. handshakes/s under load: the punt ring held above DP_UNDER_LOAD_FILL,
 *      every initiation carries a valid mac2 (the cookie came from figure
 *      3's replies), so mac1 and mac2 are checked and then the handshake
 *      runs as in 1;
 *   3. cookie replies/s under load: initiations without mac2 are answered
 *      with a cookie reply (wg_cookie_create_reply), no DH.
 * The reference is wg_x25519() (variable-base scalar multiplication,
 * libsodium). ratio = figure / (X25519 ops/s / 4): a responder handshake in
 * lib/wg/noise.c does 4 scalar multiplications - 3 X25519 DH (es, ee, se;
 * the static-static DH is precomputed per peer by wg_noise_peer_init) and
 * one fixed-base multiplication for its ephemeral key - so 1.00 would mean
 * nothing but scalar multiplication costs anything. libsodium's fixed-base
 * multiplication is cheaper than X25519, so the pure-scalar bound lies a
 * little above 1; the footer prints it as measured.
 *
 * Workload: many distinct initiator peers (default 1000), all configured on
 * the gateway. Initiations are made outside the timed region by lib/'s
 * initiator side (wg_noise_create_initiation + wg_cookie_add_macs), each
 * consumed once: in a round every peer sends one, with a TAI64N timestamp
 * one second after its previous one, and the fake monotonic clock the
 * control code is given moves by WG_NOISE_INITIATION_MIN_GAP_NS + 1 ms per
 * round, so no initiation is refused as replayed or flooding. Each client
 * sends from its own address and port (198.18/15), which its cookie binds.
 *
 * Correctness, checked on every run (the program exits 1 and prints no
 * figure if anything fails): the control core's counters move by exactly
 * what was fed (initiation_rx, response_tx and completed, or cookie_tx;
 * nothing else, so no drop); every initiation is answered once, to its
 * sender's address and port, with a valid mac1; a sample of responses
 * (1 in 8; all with --smoke) is consumed by the initiator
 * (wg_noise_consume_response) and its keys are compared with the keypair
 * the control core published; every cookie reply is opened by its client
 * (wg_cookie_consume_reply) and gives that client's one cookie; after each
 * under-load run, an initiation with a wrong mac2 must get a cookie reply
 * (so figure 2 did check mac2).
 *
 * Usage: handshake_perf [--quick | --smoke] [--runs N] [--peers N] [--cpu N] [--commit ID] */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_udp.h>
#include <sodium.h>

#include "benchmarks/bench_util.h"
#include "control/handshake.h"
#include "control/peers.h"
#include "dataplane/counters.h"
#include "dataplane/dp.h"
#include "dataplane/publish.h"
#include "dataplane/rcu.h"
#include "lib/config/config.h"
#include "lib/crypto/aead.h"
#include "lib/net/addr.h"
#include "lib/net/prefix_map.h"
#include "lib/wg/cookie.h"
#include "lib/wg/messages.h"
#include "lib/wg/noise.h"
#include "lib/wg/ratelimiter.h"
#include "lib/wg/tai64n.h"

/* The clocks the control code is handed. Any start works; a round of
 * initiations (one per peer) is one per-peer gap later than the last. */
#define NOW0		(1000 * WG_NSEC_PER_SEC)
/* A round per client: past the 20 ms flood guard of one peer, and past the
 * per-source rate under load (lib/wg/ratelimiter.h: one token each 50 ms),
 * so that every handshake of figure 2 takes the full path. */
#define ROUND_NS	((WG_NOISE_INITIATION_MIN_GAP_NS > 1000000000ull / WG_RL_PER_SEC ?	\
			  WG_NOISE_INITIATION_MIN_GAP_NS : 1000000000ull / WG_RL_PER_SEC) +	\
			 1000000ull)
#define TAI_SEC0	1764000000ull	/* late 2025; +1 s per round */

#define CHUNK		1024	/* initiations built, timed and checked at once */
#define POOL_SIZE	(4 * CHUNK - 1)	/* a chunk in, its answers out, spare */
#define MAX_PEERS	65536	/* one source address each in 198.18/15 */
#define LISTEN_PORT	51820
#define MAX_SHOWN	10	/* failures printed in detail */

struct mode {
	const char *name;
	unsigned int n_peers;
	unsigned int rounds;	/* handshakes per run = rounds * n_peers */
	unsigned int passes;	/* cookie replies per run = passes * n_peers */
	unsigned int x_iters;	/* X25519 per reference run */
	unsigned int sample;	/* 1 in this many responses consumed by the initiator */
	int runs;
};

static const struct mode modes[] = {
	{ "full", 1000, 4, 40, 8000, 8, 9 },
	{ "quick", 1000, 2, 15, 3000, 8, 5 },
	{ "smoke", 32, 1, 2, 200, 1, 5 },
};

/* ---- small helpers ---- */

/* Every failed check lands here: counted, the first few shown. A figure
 * from a run with failures is not printed as one. */
static unsigned long failures;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (failures++ >= MAX_SHOWN)
		return;
	fprintf(stderr, "handshake_perf: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the clients (initiator side, lib/ only) ---- */

struct client {
	struct wg_noise_local local;	/* the client's identity */
	struct wg_noise_peer gw;	/* the gateway, as this client knows it */
	struct wg_cookie_checker chk;	/* checks mac1 on what the gateway sends it */
	struct wg_ipaddr src;		/* where it sends from */
	uint16_t port;
	bool cookie_this_run;		/* took a cookie from this run's replies */
};

/* One initiation in flight: who sent it, and the sender's handshake state
 * right after sending it (a later initiation replaces that state, so the
 * sample check works on this copy). */
struct rec {
	uint32_t client;
	bool answered;
	struct wg_noise_peer snap;
	struct wg_msg_initiation msg;
};

static struct client *clients;
static unsigned int n_clients;
static struct rec recs[CHUNK];
static struct rte_mbuf *in_burst[CHUNK];
static struct rte_mbuf *out_burst[2 * CHUNK + DP_BURST];

/* Sender indices are the clients' own; fresh ones per initiation so that
 * an answer names exactly one. */
static uint32_t next_sender_index = 1;
static uint64_t round_no;	/* drives both fake clocks */
static uint64_t sample_seq, n_sampled, n_responses, n_cookie_replies;

static uint64_t round_now(void)
{
	return NOW0 + round_no * ROUND_NS;
}

static void client_addr(unsigned int k, struct wg_ipaddr *ip, uint16_t *port)
{
	*ip = (struct wg_ipaddr){ .af = WG_AF_INET4 };
	ip->a[0] = 198;
	ip->a[1] = (uint8_t)(18 + (k >> 16));
	ip->a[2] = (uint8_t)(k >> 8);
	ip->a[3] = (uint8_t)k;
	*port = (uint16_t)(1024 + (k * 7919u) % 60000u);
}

/* ---- the data plane the control code runs against ---- */

static struct dp_worker worker;	/* only its TX ring is used: sends land there */
static struct wg_counters worker_cnt;
static struct dp_route default_route;
static const struct rte_ether_addr gw_mac = { { 0x02, 0, 0, 0, 0, 0xfe } };

static int dp_build(unsigned int n_peers)
{
	struct rte_hash_parameters hp = {
		.name = "hs_index",
		.entries = n_peers * 4 + 1024,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct wg_prefix_map_builder *b;
	struct wg_prefix any = { .ip.af = WG_AF_INET4, .len = 0 };
	struct wg_prefix gw = { .ip.af = WG_AF_INET4, .len = 32 };
	struct dp_port *port = &dp.ports[0];

	dp.tsc_hz = rte_get_tsc_hz();
	dp.max_peers = n_peers;
	dp.listen_port = LISTEN_PORT;
	dp.mtu = 1420;
	snprintf(port->name, sizeof(port->name), "bench");
	port->mac = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0, 0x01 } };
	port->addr4 = (struct wg_ipaddr){ .af = WG_AF_INET4, .a = { 192, 0, 2, 1 } };
	port->addrs[0] = port->addr4;
	port->addr_len[0] = 24;
	port->n_addrs = 1;
	dp.n_ports = 1;

	dp.pool = rte_pktmbuf_pool_create("hs_mbufs", POOL_SIZE, 256, DP_MBUF_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	dp.punt_ring = rte_ring_create("hs_punt", DP_PUNT_RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
	dp.index_table = rte_hash_create(&hp);
	dp.control_cnt = rte_zmalloc("hs_cnt", sizeof(*dp.control_cnt), RTE_CACHE_LINE_SIZE);
	/* No reader ever registers, so every grace period is over at once and
	 * dp_rcu_reclaim() frees retired keypairs as soon as it runs. */
	dp.rcu = rte_zmalloc("hs_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	worker.tx_ring = rte_ring_create("hs_tx0", DP_TX_RING_SIZE, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	worker.cnt = &worker_cnt;
	worker.peer_stats = rte_zmalloc("hs_stats", sizeof(*worker.peer_stats) * n_peers,
					RTE_CACHE_LINE_SIZE);
	if (!dp.pool || !dp.punt_ring || !dp.index_table || !dp.control_cnt || !dp.rcu ||
	    !worker.tx_ring || !worker.peer_stats || rte_rcu_qsbr_init(dp.rcu, 1))
		return -ENOMEM;
	dp.workers[0] = &worker;
	dp.n_workers = 1;

	/* Clients are reached through a gateway whose MAC is known, as on a
	 * running gateway once ARP has answered: nothing is held. */
	default_route = (struct dp_route){ .port_idx = 0, .connected = false,
					   .via = { .af = WG_AF_INET4, .a = { 192, 0, 2, 254 } } };
	b = wg_prefix_map_builder_create();
	if (!b || wg_prefix_map_builder_add(b, &any, (uintptr_t)&default_route)) {
		wg_prefix_map_builder_free(b);
		return -ENOMEM;
	}
	dp.routes = wg_prefix_map_build(b);
	gw.ip = default_route.via;
	b = wg_prefix_map_builder_create();
	if (!b || wg_prefix_map_builder_add(b, &gw, dp_neigh_pack(&gw_mac, 0))) {
		wg_prefix_map_builder_free(b);
		return -ENOMEM;
	}
	struct wg_prefix_map *nbrs = wg_prefix_map_build(b);
	if (!dp.routes || !nbrs)
		return -ENOMEM;
	dp_neighbours_publish(nbrs);
	return 0;
}

/* "Under load" is the punt ring's fill level (control/handshake.c). The
 * benchmark feeds the control core directly, so it holds the ring above
 * the mark with placeholders that nothing dequeues until load ends. */
static int set_under_load(bool on)
{
	static void *filler[2 * (DP_PUNT_RING_SIZE / 8)];
	void *out[2 * (DP_PUNT_RING_SIZE / 8)];

	if (on) {
		for (size_t i = 0; i < RTE_DIM(filler); i++)
			filler[i] = &filler[i];
		if (rte_ring_count(dp.punt_ring) == 0 &&
		    rte_ring_enqueue_bulk(dp.punt_ring, filler, RTE_DIM(filler), NULL) == 0)
			return -ENOBUFS;
	} else {
		while (rte_ring_dequeue_burst(dp.punt_ring, out, RTE_DIM(out), NULL))
			;
		/* The gateway stays under load for a second after the ring
		 * drops (control/handshake.c): let that quiet second pass on
		 * the benchmark's clock. */
		round_no += 1000000000ull / ROUND_NS + 1;
	}
	return (rte_ring_count(dp.punt_ring) > DP_UNDER_LOAD_FILL) == on ? 0 : -EIO;
}

/* ---- the gateway's configuration, as ctl_peers_init() takes it ---- */

static struct wg_config *config_build(void)
{
	struct wg_config *cfg = calloc(1, sizeof(*cfg));
	struct wg_prefix *allowed = calloc(n_clients, sizeof(*allowed));

	if (!cfg || !allowed || !(cfg->peers = calloc(n_clients, sizeof(*cfg->peers)))) {
		free(cfg);
		free(allowed);
		return NULL;
	}
	snprintf(cfg->path, sizeof(cfg->path), "handshake_perf");
	randombytes_buf(cfg->iface.private_key, sizeof(cfg->iface.private_key));
	cfg->iface.listen_port = LISTEN_PORT;
	cfg->iface.mtu = 1420;
	cfg->n_peers = n_clients;
	for (unsigned int k = 0; k < n_clients; k++) {
		struct wg_cfg_peer *p = &cfg->peers[k];

		/* 100.64/10 host routes: one tunnel address per client. */
		allowed[k] = (struct wg_prefix){ .ip.af = WG_AF_INET4, .len = 32 };
		allowed[k].ip.a[0] = 100;
		allowed[k].ip.a[1] = (uint8_t)(64 + (k >> 16));
		allowed[k].ip.a[2] = (uint8_t)(k >> 8);
		allowed[k].ip.a[3] = (uint8_t)k;
		memcpy(p->public_key, clients[k].local.public_key, WG_KEY_LEN);
		p->allowed = &allowed[k];
		p->n_allowed = 1;
		p->line = (int)k + 1;
	}
	return cfg;
}

static void config_free(struct wg_config *cfg)
{
	if (!cfg)
		return;
	sodium_memzero(cfg->iface.private_key, sizeof(cfg->iface.private_key));
	if (cfg->n_peers)
		free(cfg->peers[0].allowed);	/* one array for all */
	free(cfg->peers);
	free(cfg);
}

static int clients_make(void)
{
	clients = calloc(n_clients, sizeof(*clients));
	if (!clients)
		return -ENOMEM;
	for (unsigned int k = 0; k < n_clients; k++) {
		uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];

		wg_x25519_generate(priv, pub);
		if (wg_noise_local_init(&clients[k].local, priv))
			return -EINVAL;
		sodium_memzero(priv, sizeof(priv));
		wg_cookie_checker_init(&clients[k].chk, &clients[k].local);
		client_addr(k, &clients[k].src, &clients[k].port);
	}
	return 0;
}

/* Once the gateway has its key: each client learns it. */
static int clients_meet_gateway(void)
{
	for (unsigned int k = 0; k < n_clients; k++)
		if (wg_noise_peer_init(&clients[k].gw, &clients[k].local, ctl.local.public_key, NULL))
			return -EINVAL;
	return 0;
}

/* ---- feeding the control core ---- */

/* A punted frame as a worker leaves it: the WireGuard message alone (outer
 * headers stripped), its source in the private area. */
static struct rte_mbuf *punted_frame(const void *msg, size_t len, const struct client *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	struct dp_mbuf_priv *pv;
	void *data;

	if (!m)
		return NULL;
	data = rte_pktmbuf_append(m, (uint16_t)len);
	if (!data) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(data, msg, len);
	pv = dp_priv(m);
	memset(pv, 0, sizeof(*pv));	/* port 0, worker 0 */
	pv->punt_reason = DP_PUNT_HANDSHAKE;
	pv->src_udp_port = c->port;
	pv->src = c->src;
	return m;
}

/* The timed part: what control/loop.c does with a ring of punted
 * handshakes - bursts of DP_BURST to ctl_handshake_input(), then RCU
 * reclamation. What the control core sends is collected from the worker's
 * TX ring after each burst (the worker's own share of work, a few ns).
 * Returns the elapsed ns; *n_out is how many frames were sent. */
static uint64_t feed(unsigned int n, uint64_t now, unsigned int *n_out)
{
	unsigned int got = 0;
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < n; i += DP_BURST) {
		unsigned int b = n - i < DP_BURST ? n - i : DP_BURST;

		for (unsigned int j = 0; j < b; j++)
			ctl_handshake_input(in_burst[i + j], now);
		got += rte_ring_sc_dequeue_burst(worker.tx_ring, (void **)&out_burst[got],
						 RTE_DIM(out_burst) - got, NULL);
		dp_rcu_reclaim();
	}
	uint64_t dt = bench_now_ns() - t0;

	got += rte_ring_sc_dequeue_burst(worker.tx_ring, (void **)&out_burst[got],
					 RTE_DIM(out_burst) - got, NULL);
	if (rte_ring_count(worker.tx_ring)) {
		struct rte_mbuf *extra;

		fail("more frames sent than initiations fed");
		while (rte_ring_sc_dequeue(worker.tx_ring, (void **)&extra) == 0)
			rte_pktmbuf_free(extra);
	}
	*n_out = got;
	return dt;
}

/* The control core's counters must move by exactly want[] (everything
 * else by zero: no drop of any kind). */
static void check_counters(const struct wg_counters *before, const uint64_t *want,
			   const char *what)
{
	for (int c = 0; c < WG_CNT__MAX; c++) {
		uint64_t d = dp.control_cnt->v[c] - before->v[c];

		/* Counts entries into the under-load state, not messages. */
		if (c == WG_CNT_HS_UNDER_LOAD)
			continue;
		if (d != want[c])
			fail("%s: counter %s moved by %" PRIu64 ", expected %" PRIu64, what,
			     wg_counter_names[c], d, want[c]);
	}
}

/* A frame the control core sent: Ethernet to the gateway's next hop, IPv4
 * and UDP to the client it answers. Returns the WireGuard message, or NULL
 * (counted) when any of that is wrong. */
static const void *sent_msg(struct rte_mbuf *m, size_t msg_len, uint8_t type,
			    uint32_t *receiver_index)
{
	const size_t hdrs = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
			    sizeof(struct rte_udp_hdr);
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eth = (const void *)p;
	const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);
	const struct rte_udp_hdr *udp = (const void *)(ip + 1);
	const struct wg_msg_header *h = (const void *)(p + hdrs);

	if (m->nb_segs != 1 || m->data_len != hdrs + msg_len ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    !rte_is_same_ether_addr(&eth->dst_addr, &gw_mac) || ip->version_ihl != RTE_IPV4_VHL_DEF ||
	    ip->next_proto_id != IPPROTO_UDP || udp->src_port != rte_cpu_to_be_16(LISTEN_PORT) ||
	    h->type != type) {
		fail("frame of %u bytes is not a type-%u message to a client over UDP/IPv4",
		     m->data_len, type);
		return NULL;
	}
	/* The index of the client's initiation this answers (a response has
	 * its own sender index first, a cookie reply only this one). */
	if (type == WG_MSG_COOKIE)
		*receiver_index = wg_le32(((const struct wg_msg_cookie *)h)->receiver_index);
	else
		*receiver_index = wg_le32(((const struct wg_msg_response *)h)->receiver_index);
	return h;
}

static bool sent_to(const struct rte_mbuf *m, const struct client *c)
{
	const struct rte_ipv4_hdr *ip = (const void *)(rte_pktmbuf_mtod(m, const uint8_t *) +
						       sizeof(struct rte_ether_hdr));
	const struct rte_udp_hdr *udp = (const void *)(ip + 1);

	return !memcmp(&ip->dst_addr, c->src.a, 4) && udp->dst_port == rte_cpu_to_be_16(c->port);
}

/* The initiator's side of one answered handshake: it must take the
 * response, and get the keys the control core published for the workers. */
static void check_handshake(struct rec *r, const struct wg_msg_response *resp)
{
	struct client *c = &clients[r->client];
	struct wg_noise_peer st = r->snap;
	struct wg_noise_keys keys;
	struct ctl_peer *cp = ctl_peer_by_slot(r->client);
	uint32_t local_index = wg_le32(resp->sender_index);
	void *data = NULL;
	const struct dp_keypair *kp;

	n_sampled++;
	if (wg_noise_consume_response(&c->local, &st, resp, &keys)) {
		fail("client %u cannot consume the response to its initiation", r->client);
		return;
	}
	if (!cp || memcmp(cp->noise.public_key, c->local.public_key, WG_KEY_LEN)) {
		fail("client %u is not in gateway slot %u", r->client, r->client);
		goto out;
	}
	if (rte_hash_lookup_data(dp.index_table, &local_index, &data) < 0) {
		fail("client %u: no keypair published under index %08x", r->client, local_index);
		goto out;
	}
	kp = data;
	/* Compared through their addresses: the key fields' type may change,
	 * the 32 key bytes at their start do not. */
	if (kp != atomic_load(&cp->dp->kp_next) || kp->initiator ||
	    kp->remote_index != keys.local_index || keys.remote_index != local_index ||
	    memcmp(&kp->recv_key, keys.send, WG_KEY_LEN) ||
	    memcmp(&kp->send_key, keys.recv, WG_KEY_LEN))
		fail("client %u: the published keypair does not match the initiator's keys",
		     r->client);
out:
	sodium_memzero(&keys, sizeof(keys));
	sodium_memzero(&st, sizeof(st));
}

/* One round of handshakes: every client (from first, n of them) sends one
 * initiation; they are fed, timed, and every answer checked. */
static uint64_t handshake_chunk(unsigned int first, unsigned int n, bool with_cookie,
				unsigned int sample, uint64_t now)
{
	uint8_t ts[WG_TIMESTAMP_LEN];
	struct wg_counters before = *dp.control_cnt;
	uint64_t want[WG_CNT__MAX] = { 0 };
	uint32_t base = next_sender_index;
	unsigned int n_out;
	static const uint8_t zero[WG_COOKIE_LEN];

	wg_tai64n_from(ts, TAI_SEC0 + round_no, 0);
	for (unsigned int i = 0; i < n; i++) {
		struct rec *r = &recs[i];
		struct client *c = &clients[first + i];

		r->client = first + i;
		r->answered = false;
		if (!with_cookie)
			c->gw.have_cookie = false;	/* cookies off: no client holds one */
		if (wg_noise_create_initiation(&c->local, &c->gw, next_sender_index++, ts, &r->msg))
			fail("client %u cannot create an initiation", r->client);
		wg_cookie_add_macs(&c->gw, &r->msg, sizeof(r->msg), now);
		if (with_cookie && !memcmp(r->msg.macs.mac2, zero, sizeof(zero)))
			fail("client %u has no cookie for its mac2", r->client);
		r->snap = c->gw;
		in_burst[i] = punted_frame(&r->msg, sizeof(r->msg), c);
		if (!in_burst[i]) {
			fprintf(stderr, "handshake_perf: mbuf pool empty\n");
			exit(1);
		}
	}

	uint64_t dt = feed(n, now, &n_out);

	want[WG_CNT_HS_INITIATION_RX] = n;
	want[WG_CNT_HS_RESPONSE_TX] = n;
	want[WG_CNT_HS_COMPLETED] = n;
	check_counters(&before, want, with_cookie ? "handshakes under load" : "handshakes");
	if (n_out != n)
		fail("%u initiations answered by %u frames", n, n_out);
	for (unsigned int i = 0; i < n_out; i++) {
		uint32_t idx;
		const struct wg_msg_response *resp = sent_msg(out_burst[i], sizeof(*resp),
							      WG_MSG_RESPONSE, &idx);
		struct rec *r = resp && idx - base < n ? &recs[idx - base] : NULL;

		if (resp && !r)
			fail("response to sender index %08x, which no initiation of this round had",
			     idx);
		if (r && r->answered)
			fail("client %u answered twice", r->client);
		if (r && !r->answered) {
			struct client *c = &clients[r->client];

			r->answered = true;
			n_responses++;
			if (!sent_to(out_burst[i], c))
				fail("response to client %u sent elsewhere", r->client);
			if (wg_cookie_validate(&c->chk, resp, sizeof(*resp), c->src.a, 4, c->port,
					       now, false) != WG_MAC_VALID_MAC1)
				fail("response to client %u has a wrong mac1", r->client);
			if (sample_seq++ % sample == 0)
				check_handshake(r, resp);
		}
		rte_pktmbuf_free(out_burst[i]);
	}
	for (unsigned int i = 0; i < n; i++)
		sodium_memzero(&recs[i].snap, sizeof(recs[i].snap));
	return dt;
}

/* Proof that figure 2 ran the under-load path: there, an initiation whose
 * mac2 is wrong must get a cookie reply and nothing else. Untimed. */
static void probe_under_load(uint64_t now)
{
	struct client *c = &clients[0];
	struct wg_msg_initiation msg;
	struct wg_counters before = *dp.control_cnt;
	uint64_t want[WG_CNT__MAX] = { 0 };
	uint8_t ts[WG_TIMESTAMP_LEN];
	unsigned int n_out;

	wg_tai64n_from(ts, TAI_SEC0 + round_no, 0);
	if (wg_noise_create_initiation(&c->local, &c->gw, next_sender_index++, ts, &msg))
		fail("client 0 cannot create an initiation");
	wg_cookie_add_macs(&c->gw, &msg, sizeof(msg), now);
	msg.macs.mac2[0] ^= 1;
	in_burst[0] = punted_frame(&msg, sizeof(msg), c);
	if (!in_burst[0]) {
		fprintf(stderr, "handshake_perf: mbuf pool empty\n");
		exit(1);
	}
	feed(1, now, &n_out);
	want[WG_CNT_HS_INITIATION_RX] = 1;
	want[WG_CNT_HS_COOKIE_TX] = 1;
	check_counters(&before, want, "under-load probe (wrong mac2)");
	for (unsigned int i = 0; i < n_out; i++)
		rte_pktmbuf_free(out_burst[i]);
}

/* Handshakes per second of one run: rounds of every client. */
static double run_handshakes(const struct mode *m, bool under_load)
{
	uint64_t ns = 0, n = 0;

	if (set_under_load(under_load))
		fail("punt ring fill level not %s the under-load mark", under_load ? "above" : "below");
	for (unsigned int r = 0; r < m->rounds; r++) {
		round_no++;
		for (unsigned int first = 0; first < n_clients; first += CHUNK) {
			unsigned int k = n_clients - first < CHUNK ? n_clients - first : CHUNK;

			ns += handshake_chunk(first, k, under_load, m->sample, round_now());
			n += k;
		}
	}
	if (under_load)
		probe_under_load(round_now());
	set_under_load(false);
	return (double)n * 1e9 / (double)ns;
}

/* Cookie replies per second of one run, under load: every client sends one
 * initiation without mac2 (it holds no cookie), and the same initiations
 * arrive m->passes times (replying changes no state, so a flood of
 * repeats is what a cookie reply meets). Every reply is opened by its
 * client; the cookie it carries is what figure 2 then uses. */
static double run_cookies(const struct mode *m)
{
	uint8_t ts[WG_TIMESTAMP_LEN];
	uint64_t ns = 0, n = 0, now;

	round_no++;
	now = round_now();
	wg_tai64n_from(ts, TAI_SEC0 + round_no, 0);
	if (set_under_load(true))
		fail("punt ring fill level not above the under-load mark");
	for (unsigned int k = 0; k < n_clients; k++)
		clients[k].cookie_this_run = false;
	for (unsigned int first = 0; first < n_clients; first += CHUNK) {
		unsigned int cn = n_clients - first < CHUNK ? n_clients - first : CHUNK;
		uint32_t base = next_sender_index;

		for (unsigned int i = 0; i < cn; i++) {
			struct client *c = &clients[first + i];

			recs[i].client = first + i;
			c->gw.have_cookie = false;
			if (wg_noise_create_initiation(&c->local, &c->gw, next_sender_index++, ts,
						       &recs[i].msg))
				fail("client %u cannot create an initiation", first + i);
			wg_cookie_add_macs(&c->gw, &recs[i].msg, sizeof(recs[i].msg), now);
		}
		for (unsigned int p = 0; p < m->passes; p++) {
			struct wg_counters before = *dp.control_cnt;
			uint64_t want[WG_CNT__MAX] = { 0 };
			unsigned int n_out;

			for (unsigned int i = 0; i < cn; i++) {
				in_burst[i] = punted_frame(&recs[i].msg, sizeof(recs[i].msg),
							   &clients[first + i]);
				if (!in_burst[i]) {
					fprintf(stderr, "handshake_perf: mbuf pool empty\n");
					exit(1);
				}
				recs[i].answered = false;
			}
			ns += feed(cn, now, &n_out);
			n += cn;

			want[WG_CNT_HS_INITIATION_RX] = cn;
			want[WG_CNT_HS_COOKIE_TX] = cn;
			check_counters(&before, want, "cookie replies");
			if (n_out != cn)
				fail("%u initiations under load answered by %u frames", cn, n_out);
			for (unsigned int i = 0; i < n_out; i++) {
				uint32_t idx;
				const struct wg_msg_cookie *reply =
					sent_msg(out_burst[i], sizeof(*reply), WG_MSG_COOKIE, &idx);
				struct rec *r = reply && idx - base < cn ? &recs[idx - base] : NULL;

				if (reply && (!r || r->answered))
					fail("cookie reply to sender index %08x: none or twice", idx);
				if (r && !r->answered) {
					struct client *c = &clients[r->client];
					/* The client opens it as the answer to its last
					 * initiation (a copy: one reply per message). */
					struct wg_noise_peer st = c->gw;

					r->answered = true;
					n_cookie_replies++;
					st.have_sent_mac1 = true;
					if (!sent_to(out_burst[i], c))
						fail("cookie reply to client %u sent elsewhere", r->client);
					if (wg_cookie_consume_reply(&st, reply, now)) {
						fail("client %u cannot open its cookie reply", r->client);
					} else if (!c->cookie_this_run) {
						memcpy(c->gw.cookie, st.cookie, WG_COOKIE_LEN);
						c->gw.cookie_birth_ns = st.cookie_birth_ns;
						c->gw.have_cookie = true;
						c->cookie_this_run = true;
					} else if (memcmp(c->gw.cookie, st.cookie, WG_COOKIE_LEN)) {
						fail("client %u got two different cookies", r->client);
					}
					sodium_memzero(&st, sizeof(st));
				}
				rte_pktmbuf_free(out_burst[i]);
			}
		}
	}
	set_under_load(false);
	return (double)n * 1e9 / (double)ns;
}

/* ---- the reference ---- */

static volatile uint8_t sink;	/* keeps the reference loop's result alive */

/* Raw X25519 ops/s: each output is the next input point, so no call can
 * be skipped or overlapped. */
static double time_x25519(unsigned int iters)
{
	static const uint8_t scalar[WG_X25519_LEN] = { 0x70, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
						       12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
						       22, 23, 24, 25, 26, 27, 28, 29, 30, 0x41 };
	static uint8_t point[WG_X25519_LEN] = { 9 };	/* the base point, to start */
	uint8_t out[WG_X25519_LEN];
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < iters; i++) {
		if (wg_x25519(out, scalar, point))
			fail("wg_x25519 refused a point of the reference chain");
		memcpy(point, out, sizeof(point));
	}
	uint64_t dt = bench_now_ns() - t0;

	sink ^= point[0];
	return (double)iters * 1e9 / (double)dt;
}

/* Fixed-base multiplications/s (a responder's ephemeral key), for the
 * footer's pure-scalar bound. */
static double time_x25519_base(unsigned int iters)
{
	uint8_t k[WG_X25519_LEN] = { 0x55, 0xaa }, pub[WG_X25519_LEN];
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < iters; i++) {
		if (wg_x25519_public(pub, k))
			fail("wg_x25519_public refused a key");
		memcpy(k, pub, sizeof(k));
	}
	uint64_t dt = bench_now_ns() - t0;

	sink ^= k[0];
	return (double)iters * 1e9 / (double)dt;
}

/* ---- header ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: handshake_perf [--quick | --smoke] [--runs N] [--peers N] [--cpu N] [--commit ID]\n"
		   "  --quick    fewer handshakes per run (well under a minute)\n"
		   "  --smoke    a few handshakes per figure: checks the program works\n"
		   "  --runs N   timed runs per figure, 5..63 (median taken)\n"
		   "  --peers N  initiator peers configured on the gateway, 1..%u (default 1000)\n"
		   "  --cpu N    CPU of the control lcore (default: the last one allowed)\n"
		   "  --commit   commit id for the header (default: git rev-parse --short HEAD)\n",
		MAX_PEERS);
}

static void row(const char *name, const double *fig, const double *x, int runs,
		const char *mults)
{
	double mf = bench_median(fig, runs), mx = bench_median(x, runs);

	printf("| %-44s | %9.0f | %6.0f..%-6.0f | %12.0f | %9.0f | %5.2f | %-19s |\n", name, mf,
	       bench_min(fig, runs), bench_max(fig, runs), mx, mx / 4, mf / (mx / 4), mults);
}

/* --peers N: initiator peers configured on the gateway. */
static int peers_opt(int argc, char **argv, int *i, void *ctx)
{
	unsigned long *peers = ctx;

	if (strcmp(argv[*i], "--peers") || *i + 1 >= argc)
		return 0;
	*peers = strtoul(argv[++*i], NULL, 0);
	if (*peers < 1 || *peers > MAX_PEERS) {
		fprintf(stderr, "handshake_perf: --peers takes 1..%u\n", MAX_PEERS);
		return -1;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct mode m;
	char lcores[16], mem[16], prefix[64];
	double hs[64], hs_x[64], ld[64], ld_x[64], ck[64], ck_x[64], base[5], var[5];
	int cpu;
	unsigned long peers = 0;
	struct wg_config *cfg;

	bench_parse_opts(argc, argv, 63, &o, peers_opt, &peers, usage);
	m = modes[o.mode];
	if (o.runs)
		m.runs = o.runs;
	if (peers)
		m.n_peers = (unsigned int)peers;
	n_clients = m.n_peers;
	cpu = bench_pick_cpu(o.cpu);
	if (cpu < 0) {
		fprintf(stderr, "handshake_perf: cannot run on cpu %d\n", o.cpu);
		return 1;
	}

	/* No hugepages, no shared files, no devices: nothing to collide with
	 * other DPDK processes (DPDK 22.11 refuses --in-memory with --no-huge;
	 * --no-shconf and a per-process prefix do the same here). The main
	 * lcore, which runs everything, is pinned to cpu. Memory: the mbuf
	 * pool plus a keypair (~1.3 KB) and index entries per peer. */
	snprintf(lcores, sizeof(lcores), "%d", cpu);
	snprintf(mem, sizeof(mem), "%u", 128 + n_clients / 128);
	snprintf(prefix, sizeof(prefix), "--file-prefix=wghsperf%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "-m", mem, "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=3", "-l", lcores, prefix };
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "handshake_perf: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "handshake_perf: sodium_init failed\n");
		return 1;
	}
	if (dp_build(n_clients) || clients_make() || !(cfg = config_build())) {
		fprintf(stderr, "handshake_perf: setting up the data plane or %u clients failed: %s\n",
			n_clients, rte_strerror(rte_errno));
		return 1;
	}
	if (ctl_peers_init(cfg) || clients_meet_gateway()) {
		fprintf(stderr, "handshake_perf: the gateway did not take %u peers\n", n_clients);
		return 1;
	}
	if (ctl_handshake_init()) {
		fprintf(stderr, "handshake_perf: no memory for the handshake rate limiter\n");
		return 1;
	}
	config_free(cfg);

	printf("handshake_perf: responder handshakes/s on the control core - the real control path "
	       "(ctl_handshake_input, control/handshake.c, in-process on EAL without ports) - "
	       "against raw X25519, same run\n");
	bench_print_machine("control lcore on cpu", sched_getcpu(), o.commit);
	printf("mode: %s: %d runs per figure (median), %u initiator peers, %u handshakes and %u "
	       "cookie replies per run, %u X25519 per reference run; 1 in %u responses consumed "
	       "by its initiator\n\n",
	       m.name, m.runs, n_clients, m.rounds * n_clients, m.passes * n_clients, m.x_iters,
	       m.sample);
	fflush(stdout);

	/* Warm-up, untimed: caches, branch predictors, each peer's first
	 * endpoint publication, and the first cookies. */
	{
		struct mode w = m;

		w.rounds = 1;
		w.passes = 1;
		run_handshakes(&w, false);
		run_cookies(&w);
		run_handshakes(&w, true);
		time_x25519(m.x_iters / 4 + 1);
	}
	/* Each figure's run is followed by its reference run. Cookies before
	 * the under-load handshakes: their replies hand the clients the
	 * cookies for mac2. */
	for (int r = 0; r < m.runs; r++) {
		hs[r] = run_handshakes(&m, false);
		hs_x[r] = time_x25519(m.x_iters);
		ck[r] = run_cookies(&m);
		ck_x[r] = time_x25519(m.x_iters);
		ld[r] = run_handshakes(&m, true);
		ld_x[r] = time_x25519(m.x_iters);
	}
	for (int r = 0; r < 5; r++) {
		var[r] = time_x25519(m.x_iters / 4 + 1);
		base[r] = time_x25519_base(m.x_iters / 4 + 1);
	}

	printf("| %-44s | %9s | %14s | %12s | %9s | %5s | %-19s |\n", "figure", "per s",
	       "(min..max)", "X25519 ops/s", "X25519/4", "ratio", "scalar mults/op");
	printf("|:---------------------------------------------|----------:|---------------:|"
	       "-------------:|----------:|------:|:--------------------|\n");
	row("1 handshakes, cookies off (mac1)", hs, hs_x, m.runs, "3 DH + 1 fixed-base");
	row("2 handshakes under load, valid mac2", ld, ld_x, m.runs, "3 DH + 1 fixed-base");
	row("3 cookie replies under load (no mac2)", ck, ck_x, m.runs, "none");

	double mv = bench_median(var, 5), mb = bench_median(base, 5);

	printf("\nratio: figure / (X25519 ops/s / 4); 1.00 = as fast as 4 X25519 allow. The "
	       "responder's static-static DH is precomputed per peer, so a handshake does 3 X25519 "
	       "(es, ee, se) and 1 fixed-base multiplication (its ephemeral key): with fixed-base "
	       "at %.0f/s beside X25519 at %.0f/s, scalar multiplication alone would allow %.0f "
	       "handshakes/s (ratio %.2f). For cookie replies the ratio is how many cost as much "
	       "as 4 X25519.\n",
	       mb, mv, 1.0 / (3.0 / mv + 1.0 / mb), 4.0 / (3.0 + mv / mb));
	printf("checked: %" PRIu64 " responses (mac1, addressing), %" PRIu64 " of them consumed by "
	       "the initiator with keys matching the published keypair; %" PRIu64 " cookie replies "
	       "opened by their clients; %lu failures\n",
	       n_responses, n_sampled, n_cookie_replies, failures);

	ctl_peers_free();
	dp_rcu_drain();
	for (unsigned int k = 0; k < n_clients; k++)
		sodium_memzero(&clients[k], sizeof(clients[k]));
	free(clients);
	rte_eal_cleanup();
	if (failures) {
		printf("FAIL: %lu checks failed (first ones on stderr): no figure\n", failures);
		return 1;
	}
	printf("handshakes/s=%.0f\n", bench_median(hs, m.runs));
	return 0;
}
