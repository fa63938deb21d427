/* See harness.h. */
#include "tests/dataplane/harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_bus_vdev.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <sodium.h>

#include "dataplane/publish.h"
#include "dataplane/setup.h"
#include "lib/config/config.h"
#include "lib/crypto/aead.h"
#include "lib/net/prefix_map.h"
#include "lib/policy/policy.h"
#include "lib/wg/messages.h"
#include "lib/wg/noise.h"

static const uint8_t gw_wan[4] = { 192, 0, 2, 1 };
static const uint8_t res_ip[4] = { 198, 51, 100, 2 };
static const struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 0, 0x10 } };
static const struct rte_ether_addr res_mac = { { 0x02, 0, 0, 0, 0, 0x20 } };

static void die(const char *what)
{
	fprintf(stderr, "harness: %s\n", what);
	exit(1);
}

static void eal(const char *prog, unsigned int n_workers, bool spread)
{
	char lcores[256];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	/* Every lcore on CPU 0: only this thread works, the others wait. */
	snprintf(lcores, sizeof(lcores), "--lcores=(0-%u)@0", n_workers);
	if (spread) {
		size_t n = (size_t)snprintf(lcores, sizeof(lcores), "--lcores=");
		for (unsigned int i = 0; i <= n_workers && n < sizeof(lcores); i++)
			n += (size_t)snprintf(lcores + n, sizeof(lcores) - n, "%s%u@%ld",
					      i ? "," : "", i, (long)i % (ncpu > 0 ? ncpu : 1));
	}
	/* Room for the data plane's own pool plus the frames of hx_init. */
	char mem[16];
	snprintf(mem, sizeof(mem), "%u", 512 + 96 * (n_workers + 1));
	char *argv[] = { (char *)prog, lcores, "--no-huge", "-m", mem, "--no-pci",
			 "--no-shconf", "--log-level", "warning", NULL };
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		die("rte_eal_init failed");
}

static void ports(struct hx *h, unsigned int nq)
{
	/* rte_eth_from_rings() names the port "net_ring_" + name. */
	const char *names[2] = { "wan", "lan" };

	if (h->lan_null && rte_vdev_init("net_null_lan", "no-rx=1") < 0)
		die("cannot create the net_null lan port");
	for (int p = 0; p < 2 - h->lan_null; p++) {
		for (unsigned int q = 0; q < nq; q++) {
			char n[32];
			snprintf(n, sizeof(n), "hx_rx_%d_%u", p, q);
			h->rx[p][q] = rte_ring_create(n, HX_RING_SIZE, 0,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(n, sizeof(n), "hx_tx_%d_%u", p, q);
			h->tx[p][q] = rte_ring_create(n, HX_RING_SIZE, 0,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!h->rx[p][q] || !h->tx[p][q])
				die("cannot create rings");
		}
		if (rte_eth_from_rings(names[p], h->rx[p], nq, h->tx[p], nq, 0) < 0)
			die("cannot create the ring ports");
	}
}

static struct wg_config *config(bool lan_null, bool lan_masq)
{
	uint8_t priv[32], pub[32];
	char b64[64], text[1024];
	struct wg_config_error err;
	struct wg_config *cfg;

	wg_x25519_generate(priv, pub);
	sodium_bin2base64(b64, sizeof(b64), priv, sizeof(priv), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(priv, sizeof(priv));
	snprintf(text, sizeof(text),
		 "[Interface]\nPrivateKey = %s\nListenPort = %d\nAddress = 100.64.255.1\n"
		 "MTU = %d\n"
		 "[Dataplane]\nCrypto = auto\nIdlePoll = busy\n"
		 "[Port wan]\nDevice = net_ring_wan\nAddress = 192.0.2.1/24\n"
		 "[Port lan]\nDevice = %s\nAddress = 198.51.100.1/24\nMasquerade = %s\n",
		 b64, HX_LISTEN_PORT, HX_MTU, lan_null ? "net_null_lan" : "net_ring_lan",
		 lan_masq ? "true" : "false");
	sodium_memzero(b64, sizeof(b64));
	cfg = wg_config_parse("harness.conf", text, strlen(text), NULL, &err);
	sodium_memzero(text, sizeof(text));
	if (!cfg) {
		char msg[256];
		wg_config_error_str(&err, msg, sizeof(msg));
		die(msg);
	}
	return cfg;
}

static void put_host(struct wg_prefix_map_builder *b, const uint8_t ip4[4], uintptr_t v)
{
	struct wg_prefix pf = { .len = 32 };

	wg_ipaddr_from_v4(&pf.ip, ip4);
	if (wg_prefix_map_builder_add(b, &pf, v))
		die("prefix map");
}

static void clients(struct hx *h, unsigned int n_grants)
{
	struct wg_prefix_map_builder *allowed = wg_prefix_map_builder_create();
	struct wg_prefix_map_builder *nbrs = wg_prefix_map_builder_create();
	/* Immutable once built: the tables point at them for the process. */
	struct wg_pol_resource *res = calloc(n_grants, sizeof(*res));
	struct wg_pol_grant *grants = calloc(n_grants, sizeof(*grants));

	if (!allowed || !nbrs || !res || !grants || !n_grants)
		die("out of memory");
	/* 10.k.0.0/16 for every grant but the last (never hit), then the
	 * resource's network with everything allowed. */
	for (unsigned int k = 0; k < n_grants; k++) {
		uint8_t net[4] = { 10, (uint8_t)k, 0, 0 };

		res[k] = (struct wg_pol_resource){ .id = k + 1, .kind = WG_POL_RES_CIDR };
		res[k].prefix.len = 16;
		if (k == n_grants - 1) {
			memcpy(net, res_ip, 3);
			res[k].prefix.len = 24;
		}
		wg_ipaddr_from_v4(&res[k].prefix.ip, net);
		grants[k] = (struct wg_pol_grant){ .res = &res[k] };
	}
	for (unsigned int i = 0; i < h->n_clients; i++) {
		struct hx_client *c = &h->clients[i];
		struct wg_noise_keys keys = { .initiator = true };

		memcpy(c->tun, (uint8_t[4]){ 100, 64, (uint8_t)(i / 250), (uint8_t)(2 + i % 250) }, 4);
		memcpy(c->ep, (uint8_t[4]){ 192, 0, 2, (uint8_t)(2 + i % 250) }, 4);
		c->ep_port = (uint16_t)(40000 + i);
		c->peer = dp_peer_alloc(i, HX_MTU);
		if (!c->peer)
			die("dp_peer_alloc");
		randombytes_buf(keys.recv, sizeof(keys.recv));
		randombytes_buf(keys.send, sizeof(keys.send));
		memcpy(c->key.k, keys.recv, sizeof(c->key.k));
		do {
			keys.local_index = randombytes_random();
		} while (dp_index_in_use(keys.local_index));
		keys.remote_index = randombytes_random();
		c->gw_index = keys.local_index;
		/* An initiator's keypair is current at once. */
		if (!dp_keypair_install(c->peer, &keys, i % dp.n_workers))
			die("dp_keypair_install");
		sodium_memzero(&keys, sizeof(keys));
		struct dp_endpoint ep = { .udp_port = c->ep_port, .port_idx = 0 };
		wg_ipaddr_from_v4(&ep.ip, c->ep);
		dp_endpoint_publish(c->peer, &ep);
		struct wg_pol_table *t = wg_pol_table_build(grants, n_grants);
		if (!t)
			die("wg_pol_table_build");
		atomic_store_explicit(&c->peer->policy, t, memory_order_release);
		put_host(allowed, c->tun, (uintptr_t)c->peer);
		if (i < 250)
			put_host(nbrs, c->ep, dp_neigh_pack(&peer_mac, 0));
	}
	put_host(nbrs, res_ip, dp_neigh_pack(&res_mac, 1));
	dp_allowed_ips_publish(wg_prefix_map_build(allowed));
	dp_neighbours_publish(wg_prefix_map_build(nbrs));
	/* A wall-clock anchor as the control core keeps it (grant expiry). */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (dp_clock_publish(rte_rdtsc(),
			     (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
			     (uint64_t)(1e9 / (double)rte_get_tsc_hz() * 4294967296.0)))
		die("dp_clock_publish");
}

void hx_init(struct hx *h, const char *prog, unsigned int n_workers,
	     unsigned int n_clients, unsigned int n_grants, unsigned int flags)
{
	struct wg_config *cfg;

	memset(h, 0, sizeof(*h));
	h->lan_null = flags & HX_LAN_NULL;
	eal(prog, n_workers, flags & HX_SPREAD);
	if (sodium_init() < 0)
		die("sodium_init");
	ports(h, n_workers);
	cfg = config(h->lan_null, flags & HX_LAN_MASQ);
	if (dp_setup(cfg) || dp.n_workers != n_workers)
		die("dp_setup failed");
	wg_config_free(cfg);
	h->pool = rte_pktmbuf_pool_create("hx_frames", HX_RING_SIZE * (n_workers + 1), 256,
					  DP_MBUF_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	h->engine = wg_aead_engine_new(WG_CRYPTO_AUTO);
	h->clients = calloc(n_clients, sizeof(*h->clients));
	h->n_clients = n_clients;
	if (!h->pool || !h->engine || !h->clients)
		die("out of memory");
	clients(h, n_grants);
}

static void ipv4_udp(uint8_t *p, size_t size, const uint8_t src[4], const uint8_t dst[4],
		     uint16_t sport, uint16_t dport)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16((uint16_t)size),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_UDP,
	};
	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*udp = (struct rte_udp_hdr){
		.src_port = rte_cpu_to_be_16(sport), .dst_port = rte_cpu_to_be_16(dport),
		.dgram_len = rte_cpu_to_be_16((uint16_t)(size - sizeof(*ip))),
	};
	memset(udp + 1, 0xab, size - sizeof(*ip) - sizeof(*udp));
}

static uint8_t *frame(struct hx *h, struct rte_mbuf **out, size_t len, int port,
		      const struct rte_ether_addr *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->pool);
	struct rte_ether_hdr *eth;

	if (!m || !rte_pktmbuf_append(m, (uint16_t)len))
		die("frame pool exhausted");
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr = dp.ports[port].mac;
	eth->src_addr = *src;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	*out = m;
	return (uint8_t *)(eth + 1);
}

/* A client's transport frame around an inner packet: built as IPv4/UDP of
 * size bytes to the resource when inner is NULL, else a copy of inner. */
static struct rte_mbuf *data_frame(struct hx *h, const struct hx_client *c, const void *inner_in,
				   size_t size, uint64_t counter, struct wg_aead_op *op)
{
	/* Padded as a sender pads: to 16, never past the MTU. */
	size_t padded = RTE_MIN(RTE_ALIGN_CEIL(size, WG_DATA_PAD), RTE_MAX((size_t)HX_MTU, size));
	size_t l3 = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) +
		    sizeof(struct wg_msg_data) + padded + WG_AEAD_TAG_LEN;
	struct rte_mbuf *m;
	uint8_t *p = frame(h, &m, sizeof(struct rte_ether_hdr) + l3, 0, &peer_mac);
	struct wg_msg_data *wh = (struct wg_msg_data *)(p + sizeof(struct rte_ipv4_hdr) +
							sizeof(struct rte_udp_hdr));
	struct wg_aead_op local;

	ipv4_udp(p, l3, c->ep, gw_wan, c->ep_port, HX_LISTEN_PORT);
	*wh = (struct wg_msg_data){
		.header.type = WG_MSG_DATA,
		.receiver_index = wg_le32(c->gw_index),
		.counter = wg_le64(counter),
	};
	uint8_t *inner = (uint8_t *)(wh + 1);
	if (inner_in)
		memcpy(inner, inner_in, size);
	else
		ipv4_udp(inner, size, c->tun, res_ip, 5000, 9);
	memset(inner + size, 0, padded - size);
	if (!op)
		op = &local;
	*op = (struct wg_aead_op){
		.data = inner, .len = (uint32_t)padded, .tag = inner + padded,
		.nonce = counter, .key = &c->key,
	};
	if (op == &local)
		wg_aead_seal_burst(h->engine, op, 1);
	return m;
}

struct rte_mbuf *hx_data_frame(struct hx *h, const struct hx_client *c, size_t size,
			       uint64_t counter, struct wg_aead_op *op)
{
	return data_frame(h, c, NULL, size, counter, op);
}

struct rte_mbuf *hx_sealed_frame(struct hx *h, const struct hx_client *c, const void *inner,
				 size_t size, uint64_t counter)
{
	return data_frame(h, c, inner, size, counter, NULL);
}

struct rte_mbuf *hx_raw_frame(struct hx *h, const void *bytes, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->pool);

	if (!m || !rte_pktmbuf_append(m, (uint16_t)len))
		die("frame pool exhausted");
	memcpy(rte_pktmbuf_mtod(m, void *), bytes, len);
	return m;
}

struct rte_mbuf *hx_inner_frame(struct hx *h, const struct hx_client *c, size_t size)
{
	struct rte_mbuf *m;
	uint8_t *p = frame(h, &m, sizeof(struct rte_ether_hdr) + size, 1, &res_mac);

	ipv4_udp(p, size, res_ip, c->tun, 9, 5000);
	return m;
}

struct rte_mbuf *hx_data_frame_ip(struct hx *h, const struct hx_client *c, const uint8_t *ip,
				  size_t len, uint64_t counter)
{
	struct wg_aead_op op;
	struct rte_mbuf *m = hx_data_frame(h, c, len, counter, &op);

	memcpy(op.data, ip, len);
	wg_aead_seal_burst(h->engine, &op, 1);
	return m;
}

struct rte_mbuf *hx_lan_frame_ip(struct hx *h, const uint8_t *ip, size_t len)
{
	struct rte_mbuf *m;
	uint8_t *p = frame(h, &m, sizeof(struct rte_ether_hdr) + len, 1, &res_mac);

	memcpy(p, ip, len);
	if ((ip[0] >> 4) == 6)
		rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
			rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	return m;
}

size_t hx_open(struct hx *h, const struct hx_client *c, struct rte_mbuf *out, uint8_t **inner)
{
	const size_t outer = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
			     sizeof(struct rte_udp_hdr);
	const struct dp_keypair *kp = atomic_load(&c->peer->kp_current);
	uint8_t *msg = rte_pktmbuf_mtod_offset(out, uint8_t *, outer);
	size_t ct;
	uint64_t nonce;

	if (!kp || out->data_len < outer + sizeof(struct wg_msg_data) + WG_AEAD_TAG_LEN)
		return 0;
	ct = out->data_len - outer - sizeof(struct wg_msg_data) - WG_AEAD_TAG_LEN;
	memcpy(&nonce, msg + 8, 8);
	struct wg_aead_op op = { .data = msg + 16, .len = (uint32_t)ct, .tag = msg + 16 + ct,
				 .nonce = wg_le64(nonce), .key = &kp->send_key };
	if (wg_aead_open_burst(h->engine, &op, 1) != 1)
		return 0;
	*inner = msg + 16;
	return ct;
}

void hx_grant_proxy_range(struct hx *h)
{
	static struct wg_pol_resource res[2];
	struct wg_pol_grant g[2];

	res[0] = (struct wg_pol_resource){ .id = 1, .kind = WG_POL_RES_CIDR };
	wg_prefix_parse("198.51.100.0/24", false, &res[0].prefix);
	res[1] = (struct wg_pol_resource){ .id = 2, .kind = WG_POL_RES_CIDR };
	wg_prefix_parse("100.96.0.0/24", false, &res[1].prefix);
	g[0] = (struct wg_pol_grant){ .res = &res[0] };
	g[1] = (struct wg_pol_grant){ .res = &res[1] };
	for (unsigned int i = 0; i < h->n_clients; i++) {
		struct wg_pol_table *t = wg_pol_table_build(g, 2);
		if (!t)
			die("wg_pol_table_build");
		/* The harness' own tables are left to the process' end. */
		atomic_store(&h->clients[i].peer->policy, t);
	}
}

uint64_t hx_counter(enum wg_counter c)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		v += dp.workers[i]->cnt->v[c];
	return v;
}

unsigned int hx_drain(struct hx *h, int port)
{
	struct rte_mbuf *done[64];
	unsigned int n, total = 0;

	if (port == 1 && h->lan_null) {
		struct rte_eth_stats st;
		uint16_t id;

		if (rte_eth_dev_get_port_by_name("net_null_lan", &id) ||
		    rte_eth_stats_get(id, &st))
			die("net_null lan stats");
		total = (unsigned int)(st.opackets - h->lan_drained);
		h->lan_drained = st.opackets;
		return total;
	}
	for (unsigned int q = 0; q < dp.n_workers; q++)
		while ((n = rte_ring_sc_dequeue_burst(h->tx[port][q], (void **)done,
						      RTE_DIM(done), NULL)) > 0) {
			rte_pktmbuf_free_bulk(done, n);
			total += n;
		}
	return total;
}
