/* Live state over the DPDK telemetry socket. The callbacks run on DPDK's
 * telemetry thread: counters are summed from per-lcore structs without a
 * lock (64-bit reads, slightly stale at worst); control-owned peer state is
 * read under ctl_lock. */
#include "control/telemetry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>
#include <sodium.h>

#include "control/otlp.h"
#include "control/peers.h"
#include "control/signaling.h"
#include "dataplane/arp_nd.h"
#include "lib/config/values.h"

static int status_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "ready", ctl.ready ? 1 : 0);
	rte_tel_data_add_dict_string(d, "version", WGATE_VERSION);
	rte_tel_data_add_dict_u64(d, "workers", dp.n_workers);
	rte_tel_data_add_dict_u64(d, "ports", dp.n_ports);
	pthread_mutex_lock(&ctl_lock);
	rte_tel_data_add_dict_u64(d, "peers", ctl.n_peers);
	rte_tel_data_add_dict_u64(d, "neighbours", dp_neigh_count());
	ctl_otlp_status(d);
	if (ctl_sig_active()) {
		rte_tel_data_add_dict_string(d, "gateway_id", ctl_sig_gateway_id());
		rte_tel_data_add_dict_int(d, "signaling_connected", ctl_sig_connected() ? 1 : 0);
		rte_tel_data_add_dict_string(d, "last_event",
					     *ctl_sig_last_event() ? ctl_sig_last_event() : "-");
	}
	pthread_mutex_unlock(&ctl_lock);
	rte_tel_data_add_dict_u64(d, "uptime_s", (uint64_t)time(NULL) - ctl.started_unix);
	return 0;
}

/* No parameter: every counter summed over the lcores. A worker index, or
 * "control": that lcore's own counters (how work spreads over workers). */
static int counters_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct wg_counters *one = NULL;
	uint64_t sum[WG_CNT__MAX];

	(void)cmd;
	if (params && *params) {
		unsigned long w;

		if (!strcmp(params, "control"))
			one = dp.control_cnt;
		else if (!wg_cfgval_uint(params, 0, UINT32_MAX, &w) && w < dp.n_workers)
			one = dp.workers[w]->cnt;
		else
			return -EINVAL;
	}
	if (!one)
		dp_counters_sum(sum);
	rte_tel_data_start_dict(d);
	for (unsigned int c = 0; c < WG_CNT__MAX; c++)
		rte_tel_data_add_dict_u64(d, wg_counter_names[c], one ? one->v[c] : sum[c]);
	return 0;
}

static void endpoint_str(const struct dp_endpoint *ep, char *buf, size_t len)
{
	char ip[WG_IPADDR_STRLEN];

	if (!ep->ip.af) {
		snprintf(buf, len, "(none)");
		return;
	}
	wg_ipaddr_str(&ep->ip, ip, sizeof(ip));
	snprintf(buf, len, ep->ip.af == WG_AF_INET6 ? "[%s]:%u" : "%s:%u", ip, ep->udp_port);
}

/* DPDK 22.11 telemetry cannot nest a dictionary in a list, keys may not hold
 * base64's '+', '/' and '=', and a reply holds at most 16 KiB: so
 * /wgate/peers,OFFSET lists PEERS_PAGE public keys at a time (about 12 KiB)
 * and /wgate/peer,KEY describes one peer. */
#define PEERS_PAGE 256
static int peers_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned long offset = params && *params ? strtoul(params, NULL, 10) : 0;
	unsigned long i = 0;

	(void)cmd;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&ctl_lock);
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		const struct ctl_peer *p = ctl.peers[s];
		char key[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

		if (!p || i++ < offset)
			continue;
		if (i > offset + PEERS_PAGE)
			break;
		sodium_bin2base64(key, sizeof(key), p->noise.public_key, 32,
				  sodium_base64_VARIANT_ORIGINAL);
		rte_tel_data_add_array_string(d, key);
	}
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

static int peer_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint8_t key[32];
	size_t len = 0;
	char buf[RTE_TEL_MAX_STRING_LEN];
	uint64_t rx = 0, tx = 0;
	const struct ctl_peer *p;

	(void)cmd;
	if (!params || sodium_base642bin(key, sizeof(key), params, strlen(params), NULL, &len,
					 NULL, sodium_base64_VARIANT_ORIGINAL) || len != 32)
		return -EINVAL;
	pthread_mutex_lock(&ctl_lock);
	p = ctl_peer_by_key(key);
	if (!p) {
		pthread_mutex_unlock(&ctl_lock);
		return -ENOENT;
	}
	for (unsigned int w = 0; w < dp.n_workers; w++) {
		rx += dp.workers[w]->peer_stats[p->slot].rx_bytes;
		tx += dp.workers[w]->peer_stats[p->slot].tx_bytes;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "public_key", params);
	endpoint_str(&p->endpoint, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "endpoint", buf);
	rte_tel_data_add_dict_u64(d, "latest_handshake", p->last_handshake_unix);
	rte_tel_data_add_dict_u64(d, "rx_bytes", rx);
	rte_tel_data_add_dict_u64(d, "tx_bytes", tx);
	rte_tel_data_add_dict_u64(d, "persistent_keepalive", p->persistent_keepalive);
	rte_tel_data_add_dict_int(d, "session", atomic_load(&p->dp->kp_current) ? 1 : 0);
	buf[0] = '\0';
	for (size_t i = 0; i < p->n_allowed; i++) {
		char pfx[WG_PREFIX_STRLEN];
		size_t n = strlen(buf);
		wg_prefix_str(&p->allowed[i], pfx, sizeof(pfx));
		snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "", pfx);
	}
	rte_tel_data_add_dict_string(d, "allowed_ips", buf);
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

int ctl_telemetry_init(void)
{
	int rc = rte_telemetry_register_cmd("/wgate/status", status_cb,
					    "Gateway status: ready, version, workers, peers");
	if (!rc)
		rc = rte_telemetry_register_cmd("/wgate/counters", counters_cb,
						"Packet and drop counters summed over lcores; param: worker index or control");
	if (!rc)
		rc = rte_telemetry_register_cmd("/wgate/peers", peers_cb,
						"Public keys of the peers. Parameter: offset (pages of 256)");
	if (!rc)
		rc = rte_telemetry_register_cmd("/wgate/peer", peer_cb,
						"One peer: endpoint, latest handshake, transfer. Parameter: public key");
	if (!rc)
		rc = ctl_telemetry_policy_init();
	if (!rc)
		rc = ctl_telemetry_bounds_init();
	if (!rc)
		rc = ctl_telemetry_flags_init();
	if (!rc)
		rc = ctl_otlp_telemetry_init();
	if (!rc)
		rc = ctl_telemetry_load_init();
	return rc;
}
