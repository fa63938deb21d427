/* Data plane bring-up: one mempool, one RX and one TX queue per worker on
 * every port, a crypto engine per worker, the rings between workers and the
 * control core and between workers (hand-off), the RCU
 * variable the workers report to, the lock-free index table, and the route
 * table built from the [Port] sections. */
#include "dataplane/setup.h"

#include "dataplane/nat.h"
#include "lib/nat/table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <sodium.h>

#include "dataplane/dp.h"
#include "dataplane/log.h"
#include "dataplane/worker.h"
#include "lib/config/config.h"
#include "lib/net/prefix_map.h"

#define RX_DESC 1024
#define TX_DESC 1024

struct dp dp;

static struct dp_route routes_store[DP_MAX_PORTS * (DP_MAX_PORT_ADDRS + 2) + 64];
static unsigned int n_routes_store;

/* The "iface=NAME" argument of a vdev string, or "". */
static void kernel_iface(const char *device, char out[16])
{
	const char *v = strstr(device, ",iface=");
	size_t n;

	out[0] = '\0';
	if (!v)
		return;
	v += strlen(",iface=");
	n = strcspn(v, ",");
	if (n && n < 16) {
		memcpy(out, v, n);
		out[n] = '\0';
	}
}

/* Whether the kernel interface is up (operstate "up", or "unknown" as a
 * tap without carrier reporting says); true when it cannot be read. */
static bool kernel_if_up(const char *ifname)
{
	char path[64], state[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (!fgets(state, sizeof(state), f))
		state[0] = '\0';
	fclose(f);
	return !strncmp(state, "up", 2) || !strncmp(state, "unknown", 7);
}

/* A [Port] names a PCI address or a vdev string; the DPDK port name is the
 * PCI address or the vdev's driver instance (text before the first comma). */
static int find_port(const char *device, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(device, ",");

	if (n >= sizeof(name))
		return -ENAMETOOLONG;
	memcpy(name, device, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int port_init(struct dp_port *p, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t q, nq = (uint16_t)dp.n_workers;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc)
		return rc;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		DP_LOG(ERR, "port %s: %u workers need %u queues, the device has %u rx / %u tx"
		       " (af_packet: add qpairs=%u to Device)", p->name, nq, nq,
		       info.max_rx_queues, info.max_tx_queues, nq);
		return -ENOTSUP;
	}
	/* Outer checksums on the NIC where it can: saves the worker a pass
	 * over every IPv6 datagram (and the IPv4 header sum). */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		p->tx_ip4_cksum = true;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		p->tx_udp_cksum = true;
	}
	DP_LOG(INFO, "port %s: outer checksums: IPv4 header %s, UDP %s", p->name,
	       p->tx_ip4_cksum ? "offloaded" : "software",
	       p->tx_udp_cksum ? "offloaded" : "software");
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
	if (rc)
		return rc;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, RX_DESC,
					    rte_eth_dev_socket_id(p->port_id), NULL, pool);
		if (rc)
			return rc;
		rc = rte_eth_tx_queue_setup(p->port_id, q, TX_DESC,
					    rte_eth_dev_socket_id(p->port_id), NULL);
		if (rc)
			return rc;
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc)
		return rc;
	/* We answer ARP/ND ourselves and receive for several addresses;
	 * not every PMD supports these, which is fine. */
	rte_eth_promiscuous_enable(p->port_id);
	rte_eth_allmulticast_enable(p->port_id);
	return rte_eth_macaddr_get(p->port_id, &p->mac);
}

static int add_route(struct wg_prefix_map_builder *b, const struct wg_prefix *dst,
		     uint8_t port_idx, const struct wg_ipaddr *via)
{
	struct dp_route *r;
	int rc;

	if (n_routes_store == RTE_DIM(routes_store))
		return -ENOSPC;
	r = &routes_store[n_routes_store];
	*r = (struct dp_route){ .port_idx = port_idx, .connected = via == NULL };
	if (via)
		r->via = *via;
	rc = wg_prefix_map_builder_add(b, dst, (uintptr_t)r);
	if (rc == -EEXIST) {
		char s[WG_PREFIX_STRLEN];
		wg_prefix_str(dst, s, sizeof(s));
		DP_LOG(WARNING, "route %s is defined twice; the first definition wins", s);
		return 0;
	}
	if (rc == 0)
		n_routes_store++;
	return rc;
}

/* Connected networks, then Routes, then each family's default Gateway;
 * longest prefix wins at lookup. */
static int build_routes(const struct wg_config *cfg, const uint8_t *port_of_cfg)
{
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	int rc = 0;

	if (!b)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->n_ports && !rc; i++) {
		const struct wg_cfg_port *cp = &cfg->ports[i];
		for (unsigned int a = 0; a < cp->n_addrs && !rc; a++)
			rc = add_route(b, &cp->addrs[a].net, port_of_cfg[i], NULL);
		for (unsigned int r = 0; r < cp->n_routes && !rc; r++)
			rc = add_route(b, &cp->routes[r].dst, port_of_cfg[i], &cp->routes[r].via);
	}
	for (unsigned int i = 0; i < cfg->n_ports && !rc; i++) {
		const struct wg_cfg_port *cp = &cfg->ports[i];
		struct wg_prefix any = { 0 };
		if (cp->gw4.af) {
			any.ip.af = WG_AF_INET4;
			rc = add_route(b, &any, port_of_cfg[i], &cp->gw4);
		}
		if (!rc && cp->gw6.af) {
			any.ip.af = WG_AF_INET6;
			rc = add_route(b, &any, port_of_cfg[i], &cp->gw6);
		}
	}
	if (rc) {
		wg_prefix_map_free(wg_prefix_map_build(b));
		return rc;
	}
	dp.routes = wg_prefix_map_build(b);
	return dp.routes ? 0 : -ENOMEM;
}

static int setup_ports(const struct wg_config *cfg)
{
	uint8_t port_of_cfg[64];

	if (cfg->n_ports > RTE_DIM(port_of_cfg))
		return -E2BIG;
	/* Two [Port] sections on one Device (one-armed) share a DPDK port. */
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct wg_cfg_port *cp = &cfg->ports[i];
		uint16_t pid;
		unsigned int p;

		if (find_port(cp->device, &pid)) {
			DP_LOG(ERR, "[Port %s] Device %s: no such DPDK port (is the NIC bound to"
			       " vfio-pci, or the vdev spelled right?)", cp->name, cp->device);
			return -ENODEV;
		}
		for (p = 0; p < dp.n_ports && dp.ports[p].port_id != pid; p++)
			;
		if (p == dp.n_ports) {
			if (dp.n_ports == DP_MAX_PORTS)
				return -E2BIG;
			dp.ports[p] = (struct dp_port){ .port_id = pid };
			snprintf(dp.ports[p].name, sizeof(dp.ports[p].name), "%s", cp->name);
			kernel_iface(cp->device, dp.ports[p].kernel_if);
			dp.n_ports++;
		}
		struct dp_port *dpp = &dp.ports[p];
		for (unsigned int a = 0; a < cp->n_addrs; a++) {
			if (dpp->n_addrs == DP_MAX_PORT_ADDRS)
				return -E2BIG;
			dpp->addrs[dpp->n_addrs] = cp->addrs[a].addr;
			dpp->addr_len[dpp->n_addrs++] = cp->addrs[a].net.len;
			struct wg_ipaddr *first = cp->addrs[a].addr.af == WG_AF_INET4 ? &dpp->addr4
										    : &dpp->addr6;
			if (!first->af)
				*first = cp->addrs[a].addr;
		}
		dpp->masquerade |= cp->masquerade;
		dp.masquerade_any |= cp->masquerade;
		port_of_cfg[i] = (uint8_t)p;
	}
	for (unsigned int p = 0; p < dp.n_ports; p++) {
		int rc = port_init(&dp.ports[p], dp.pool);
		if (rc) {
			DP_LOG(ERR, "port %s: setup failed: %s", dp.ports[p].name, strerror(-rc));
			return rc;
		}
	}
	return build_routes(cfg, port_of_cfg);
}

static int setup_workers(enum wg_crypto_backend crypto)
{
	unsigned int lcore;
	char name[RTE_RING_NAMESIZE];

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dp_worker *w;
		unsigned int i = dp.n_workers;

		if (i == DP_MAX_WORKERS)
			return -E2BIG;
		w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       rte_lcore_to_socket_id(lcore));
		if (!w)
			return -ENOMEM;
		w->lcore_id = lcore;
		w->idx = i;
		randombytes_buf(w->cookie_nonce, 16);
		w->cnt = rte_zmalloc_socket("cnt", sizeof(*w->cnt), RTE_CACHE_LINE_SIZE,
					    rte_lcore_to_socket_id(lcore));
		w->peer_stats = rte_zmalloc_socket("peer_stats",
						   sizeof(*w->peer_stats) * dp.peer_slots,
						   RTE_CACHE_LINE_SIZE, rte_lcore_to_socket_id(lcore));
		snprintf(name, sizeof(name), "wg_tx_%u", i);
		w->tx_ring = rte_ring_create(name, dp.tx_ring_size, rte_lcore_to_socket_id(lcore),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		/* The worker's own NAT table (dataplane/nat.c), all allocated now. */
		w->nat = wg_nat_create(dp.nat_entries);
		if (!w->cnt || !w->peer_stats || !w->tx_ring || !w->nat)
			return -ENOMEM;
		dp_nat_worker_init(w);
		w->aead = wg_aead_engine_new(crypto);
		if (!w->aead) {
			DP_LOG(ERR, "[Dataplane] Crypto = %s: not available here (%s)",
			       wg_crypto_backend_str(crypto),
			       wg_crypto_ipsec_mb_available() ? "engine setup failed"
							      : "intel-ipsec-mb not built in or the CPU lacks AVX2");
			return -ENOTSUP;
		}
		dp.workers[dp.n_workers++] = w;
	}
	if (!dp.n_workers) {
		DP_LOG(ERR, "no worker lcore: [Dataplane] Lcores needs at least two cores"
		       " (the first is the control core)");
		return -EINVAL;
	}
	/* Hand-off rings only where there is someone to hand off to. */
	for (unsigned int i = 0; dp.n_workers > 1 && i < dp.n_workers; i++) {
		struct dp_worker *w = dp.workers[i];
		snprintf(name, sizeof(name), "wg_handoff_%u", i);
		w->handoff_ring = rte_ring_create(name, dp.handoff_ring_size,
						  rte_lcore_to_socket_id(w->lcore_id), RING_F_SC_DEQ);
		if (!w->handoff_ring)
			return -ENOMEM;
	}
	dp_masq_ranges();
	DP_LOG(INFO, "%u worker(s), crypto %s", dp.n_workers,
	       wg_aead_engine_name(dp.workers[0]->aead));
	return 0;
}

int dp_setup(const struct wg_config *cfg)
{
	struct rte_hash_parameters hp = {
		.name = "wg_index",
		.entries = 0,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		/* Lock-free readers, one writer (the control core). */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	unsigned int n_mbufs;
	int rc;

	dp.listen_port = cfg->iface.listen_port;
	dp.mtu = cfg->iface.mtu;
	for (unsigned int i = 0; i < cfg->iface.n_addrs && i < RTE_DIM(dp.tunnel_addrs); i++)
		dp.tunnel_addrs[dp.n_tunnel_addrs++] = cfg->iface.addrs[i];
	dp.idle_poll = cfg->dataplane.idle_poll == WG_CFG_IDLE_ADAPTIVE ? DP_IDLE_ADAPTIVE
									: DP_IDLE_BUSY;
	dp.tsc_hz = rte_get_tsc_hz();
	dp.tx_drain_tsc = dp.tsc_hz * DP_TX_DRAIN_US / 1000000;
	dp.max_peers = cfg->dataplane.max_peers;
	dp.peer_slots = dp.max_peers + RTE_MIN(dp.max_peers, 1024u);
	dp.nat_entries = cfg->dataplane.nat_entries;
	dp.punt_ring_size = cfg->dataplane.punt_ring;
	dp.event_ring_size = cfg->dataplane.event_ring;
	dp.tx_ring_size = cfg->dataplane.tx_ring;
	dp.handoff_ring_size = cfg->dataplane.handoff_ring;

	rc = setup_workers(cfg->dataplane.crypto == WG_CFG_CRYPTO_IPSEC_MB ? WG_CRYPTO_IPSEC_MB :
			   cfg->dataplane.crypto == WG_CFG_CRYPTO_LIBSODIUM ? WG_CRYPTO_LIBSODIUM :
									      WG_CRYPTO_AUTO);
	if (rc)
		return rc;
	dp.control_cnt = rte_zmalloc("cnt", sizeof(*dp.control_cnt), RTE_CACHE_LINE_SIZE);
	/* Every queue full, every ring full, plus bursts in flight. */
	n_mbufs = cfg->n_ports * dp.n_workers * (RX_DESC + TX_DESC + 2 * DP_BURST) +
		  dp.punt_ring_size + dp.n_workers * dp.tx_ring_size + 4096 +
		  (dp.n_workers > 1 ? dp.n_workers * dp.handoff_ring_size : 0);
	dp.pool = rte_pktmbuf_pool_create("wg_mbufs", n_mbufs, 256, DP_MBUF_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	dp.punt_ring = rte_ring_create("wg_punt", dp.punt_ring_size, (int)rte_socket_id(),
				       RING_F_SC_DEQ);
	dp.event_ring = rte_ring_create_elem("wg_events", sizeof(struct dp_event),
					     dp.event_ring_size, (int)rte_socket_id(),
					     RING_F_SC_DEQ);
	hp.entries = dp.max_peers * 4;
	dp.index_table = rte_hash_create(&hp);
	size_t rcu_sz = rte_rcu_qsbr_get_memsize(dp.n_workers);
	dp.rcu = rte_zmalloc("wg_rcu", rcu_sz, RTE_CACHE_LINE_SIZE);
	if (!dp.control_cnt || !dp.pool || !dp.punt_ring || !dp.event_ring || !dp.index_table ||
	    !dp.rcu) {
		DP_LOG(ERR, "out of memory setting up the data plane (raise [Dataplane] Memory): %s",
		       rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = rte_rcu_qsbr_init(dp.rcu, dp.n_workers);
	if (rc)
		return rc;
	DP_LOG(INFO, "bounds: %u peers, %u NAT flows per worker; rings punt %u, event %u,"
	       " tx %u, hand-off %u; %u mbufs", dp.max_peers, dp.nat_entries, dp.punt_ring_size,
	       dp.event_ring_size, dp.tx_ring_size, dp.handoff_ring_size, n_mbufs);
	return setup_ports(cfg);
}

int dp_launch(void)
{
	for (unsigned int i = 0; i < dp.n_workers; i++) {
		int rc = rte_eal_remote_launch(dp_worker_main, dp.workers[i],
					       dp.workers[i]->lcore_id);
		if (rc)
			return rc;
	}
	return 0;
}

int dp_ports_up(void)
{
	for (unsigned int p = 0; p < dp.n_ports; p++) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(dp.ports[p].port_id, &link) ||
		    link.link_status != RTE_ETH_LINK_UP)
			return 0;
	}
	return 1;
}

void dp_ports_watch(void)
{
	/* Writer and reader: the control core. 0 = not seen yet. */
	static uint8_t last[DP_MAX_PORTS];

	for (unsigned int p = 0; p < dp.n_ports; p++) {
		struct rte_eth_link link;
		uint8_t now;

		if (rte_eth_link_get_nowait(dp.ports[p].port_id, &link))
			continue;
		now = link.link_status == RTE_ETH_LINK_UP &&
		      (!dp.ports[p].kernel_if[0] || kernel_if_up(dp.ports[p].kernel_if)) ? 2 : 1;
		if (now == last[p])
			continue;
		if (now == 2)
			DP_LOG(INFO, "port %s: link up (%u Mb/s, %s duplex)", dp.ports[p].name,
			       link.link_speed, link.link_duplex ? "full" : "half");
		else if (last[p])
			DP_LOG(WARNING, "port %s: link down", dp.ports[p].name);
		else
			DP_LOG(INFO, "port %s: link down", dp.ports[p].name);
		if (now == 1)
			dp.control_cnt->v[WG_CNT_LINK_DOWN]++;
		last[p] = now;
	}
}

void dp_shutdown(void)
{
	dp.stop = true;
	rte_eal_mp_wait_lcore();
	for (unsigned int i = 0; i < dp.n_workers; i++) {
		wg_aead_engine_free(dp.workers[i]->aead);
		dp.workers[i]->aead = NULL;
		wg_nat_free(dp.workers[i]->nat);
		dp.workers[i]->nat = NULL;
	}
	for (unsigned int p = 0; p < dp.n_ports; p++) {
		rte_eth_dev_stop(dp.ports[p].port_id);
		rte_eth_dev_close(dp.ports[p].port_id);
	}
}
