/* /wgate/bounds on the telemetry socket (`wgatectl bounds`): each resource
 * bound of [Dataplane], what is in use against it, and the refusals it
 * caused; plus the mbuf pool, whose use is what a soak watches for leaks.
 *
 *   peers / max_peers, grants / max_grants,
 *   nat_flows / nat_entries (flows summed over workers / per worker),
 *   dns_cache / dns_cache_entries, punt_ring, event_ring, tx_ring,
 *   handoff_ring (sizes), mbufs_in_use / mbufs_total,
 *   bound_refused_* and the ring-full drop counters.
 *
 * Runs on DPDK's telemetry thread. Control state (peers, grants, the DNS
 * cache) is read under ctl_lock, which the control loop holds while it
 * works; each worker's NAT flow count is an aligned word that worker
 * writes, read without a lock (slightly stale at worst). */
#include "control/telemetry.h"

#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "control/dns.h"
#include "control/peers.h"
#include "dataplane/dp.h"
#include "lib/nat/table.h"

static int bounds_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const enum wg_counter shown[] = {
		WG_CNT_PEER_REFUSED_MAX, WG_CNT_GRANT_REFUSED_MAX, WG_CNT_DNS_CACHE_FULL,
		WG_CNT_DROP_NAT_FULL, WG_CNT_DROP_RING_FULL, WG_CNT_DROP_EVENT_RING_FULL,
		WG_CNT_DROP_CONTROL_TX_FULL, WG_CNT_DROP_HANDOFF_FULL,
	};
	uint64_t sum[WG_CNT__MAX];
	struct ctl_dns_stats ds;
	uint64_t flows = 0;

	(void)cmd;
	(void)params;
	for (unsigned int w = 0; w < dp.n_workers; w++) {
		struct wg_nat_stats ns;

		wg_nat_get_stats(dp.workers[w]->nat, &ns);
		flows += ns.active;
	}
	dp_counters_sum(sum);
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl_lock);
	rte_tel_data_add_dict_u64(d, "peers", ctl.n_peers);
	rte_tel_data_add_dict_u64(d, "max_peers", dp.max_peers);
	rte_tel_data_add_dict_u64(d, "grants", ctl.n_grants);
	rte_tel_data_add_dict_u64(d, "max_grants", ctl.max_grants);
	ctl_dns_get_stats(&ds);
	pthread_mutex_unlock(&ctl_lock);
	rte_tel_data_add_dict_u64(d, "nat_flows", flows);
	rte_tel_data_add_dict_u64(d, "nat_entries", dp.nat_entries);
	rte_tel_data_add_dict_u64(d, "dns_cache", ds.entries);
	rte_tel_data_add_dict_u64(d, "dns_cache_entries", ds.max_entries);
	rte_tel_data_add_dict_u64(d, "punt_ring", dp.punt_ring_size);
	rte_tel_data_add_dict_u64(d, "event_ring", dp.event_ring_size);
	rte_tel_data_add_dict_u64(d, "tx_ring", dp.tx_ring_size);
	rte_tel_data_add_dict_u64(d, "handoff_ring", dp.handoff_ring_size);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", rte_mempool_in_use_count(dp.pool));
	rte_tel_data_add_dict_u64(d, "mbufs_total", dp.pool->size);
	for (size_t i = 0; i < RTE_DIM(shown); i++)
		rte_tel_data_add_dict_u64(d, wg_counter_names[shown[i]], sum[shown[i]]);
	return 0;
}

int ctl_telemetry_bounds_init(void)
{
	return rte_telemetry_register_cmd("/wgate/bounds", bounds_cb,
					  "Resource bounds: in use, limit, refusals; mbufs in use");
}
