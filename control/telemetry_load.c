/* /wgate/load on the telemetry socket: what `wgatectl top` samples once a
 * refresh, in one reply (ctl_top.c turns two samples into rates).
 *
 *   tsc, tsc_hz            the TSC now, and its rate: busy % = d(busy_cycles) / d(tsc)
 *   workers, peers, sessions (peers with a current keypair), uptime_s
 *   lcore[], busy_cycles[], rx_packets[], tx_packets[],
 *   tunnel_rx_bytes[], tunnel_tx_bytes[]                    one entry per worker
 *                          (WireGuard message bytes, as `wg show` transfer,
 *                          summed over the peers that worker served)
 *   port[], port_rx_packets[], port_rx_bytes[], port_tx_packets[],
 *   port_tx_bytes[], port_missed[]                          one per DPDK port
 *
 * Runs on DPDK's telemetry thread. Worker fields are read without a lock
 * (aligned 64-bit words each worker writes: slightly stale at worst); port
 * statistics come from rte_eth_stats_get(), as DPDK's own /ethdev/stats
 * does from this thread; peer state is read under ctl_lock. */
#include "control/telemetry.h"

#include <errno.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "control/peers.h"

/* A u64 array as the dict's member name (freed by the telemetry library). */
static struct rte_tel_data *u64_array(struct rte_tel_data *d, const char *name)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (!a)
		return NULL;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	if (rte_tel_data_add_dict_container(d, name, a, 0)) {
		rte_tel_data_free(a);
		return NULL;
	}
	return a;
}

static int load_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *lcore, *busy, *rx, *tx, *trx, *ttx, *pname, *prx, *prxb, *ptx, *ptxb,
		*pmiss;
	uint64_t sessions = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc", rte_rdtsc());
	rte_tel_data_add_dict_u64(d, "tsc_hz", dp.tsc_hz);
	rte_tel_data_add_dict_u64(d, "workers", dp.n_workers);
	rte_tel_data_add_dict_u64(d, "uptime_s", (uint64_t)time(NULL) - ctl.started_unix);

	lcore = u64_array(d, "lcore");
	busy = u64_array(d, "busy_cycles");
	rx = u64_array(d, "rx_packets");
	tx = u64_array(d, "tx_packets");
	trx = u64_array(d, "tunnel_rx_bytes");
	ttx = u64_array(d, "tunnel_tx_bytes");
	if (!lcore || !busy || !rx || !tx || !trx || !ttx)
		return -ENOMEM;
	/* ctl_lock keeps slot_hw and the peer table still; the per-peer
	 * byte counts are the workers' own (lock-free reads). */
	pthread_mutex_lock(&ctl_lock);
	for (uint32_t s = 0; s < ctl.slot_hw; s++)
		sessions += ctl.peers[s] && atomic_load(&ctl.peers[s]->dp->kp_current);
	rte_tel_data_add_dict_u64(d, "peers", ctl.n_peers);
	rte_tel_data_add_dict_u64(d, "sessions", sessions);
	for (unsigned int i = 0; i < dp.n_workers; i++) {
		const struct dp_worker *w = dp.workers[i];
		uint64_t rxb = 0, txb = 0;

		for (uint32_t s = 0; s < ctl.slot_hw; s++) {
			rxb += w->peer_stats[s].rx_bytes;
			txb += w->peer_stats[s].tx_bytes;
		}
		rte_tel_data_add_array_u64(lcore, w->lcore_id);
		rte_tel_data_add_array_u64(busy, w->cnt->v[WG_CNT_BUSY_CYCLES]);
		rte_tel_data_add_array_u64(rx, w->cnt->v[WG_CNT_RX_PACKETS]);
		rte_tel_data_add_array_u64(tx, w->cnt->v[WG_CNT_TX_PACKETS]);
		rte_tel_data_add_array_u64(trx, rxb);
		rte_tel_data_add_array_u64(ttx, txb);
	}
	pthread_mutex_unlock(&ctl_lock);

	pname = rte_tel_data_alloc();
	if (!pname)
		return -ENOMEM;
	rte_tel_data_start_array(pname, RTE_TEL_STRING_VAL);
	if (rte_tel_data_add_dict_container(d, "port", pname, 0)) {
		rte_tel_data_free(pname);
		return -ENOMEM;
	}
	prx = u64_array(d, "port_rx_packets");
	prxb = u64_array(d, "port_rx_bytes");
	ptx = u64_array(d, "port_tx_packets");
	ptxb = u64_array(d, "port_tx_bytes");
	pmiss = u64_array(d, "port_missed");
	if (!prx || !prxb || !ptx || !ptxb || !pmiss)
		return -ENOMEM;
	for (unsigned int p = 0; p < dp.n_ports; p++) {
		struct rte_eth_stats st = { 0 };

		rte_eth_stats_get(dp.ports[p].port_id, &st);
		rte_tel_data_add_array_string(pname, dp.ports[p].name);
		rte_tel_data_add_array_u64(prx, st.ipackets);
		rte_tel_data_add_array_u64(prxb, st.ibytes);
		rte_tel_data_add_array_u64(ptx, st.opackets);
		rte_tel_data_add_array_u64(ptxb, st.obytes);
		rte_tel_data_add_array_u64(pmiss, st.imissed + st.rx_nombuf);
	}
	return 0;
}

int ctl_telemetry_load_init(void)
{
	return rte_telemetry_register_cmd("/wgate/load", load_cb,
		"Load for wgatectl top: per-worker busy cycles and packets, per-port stats, sessions");
}
