/* Proxy-address NAT on the workers (DNS resources): a client's packet to a
 * proxy address is sent on to a real address the name resolved to, and
 * the answers come back from the proxy address. See nat.c. */
#ifndef WGATE_DATAPLANE_NAT_H
#define WGATE_DATAPLANE_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/config/config.h"
#include "lib/dns/cache.h"
#include "lib/net/addr.h"

struct dp_worker;
struct dp_peer;
struct rte_mbuf;
struct wg_prefix_map;

#define DP_NAT_ENTRIES	WG_CFG_NAT_ENTRIES_DEFAULT	/* flows per worker, unless NatEntries */
#define DP_NAT_SWEEP	64	/* entries checked per poll round */

/* Where one proxy address leads: the resolved addresses of its name, of
 * the proxy's family (n = 0: the name has none; packets are refused with
 * "unreachable"). */
struct dp_proxy_target {
	uint8_t n;
	struct wg_ipaddr real[WG_DNS_MAX_ADDRS];
};

/* A proxy address one client chose itself (Firezone's AssignedIps,
 * control/fz.c): for that client it wins over the stub's global one, since
 * clients pick from the same ranges and two may pick one address for
 * different names. target indexes dp_proxy_map.targets. */
struct dp_proxy_client {
	uint32_t slot;			/* the client's peer slot */
	struct wg_ipaddr proxy;
	uint32_t target;
};

/* Every proxy address the control core has handed out.
 * Writer: control lcore (builds a new one on every change, swaps
 * dp.proxies, retires the old after a grace period). Readers: workers,
 * lock-free. Immutable once published. */
struct dp_proxy_map {
	struct wg_prefix_map *map;	/* proxy address (host prefix) -> struct dp_proxy_target * */
	struct dp_proxy_target *targets;	/* the global ones [0, n), then the clients' */
	uint32_t n;
	/* Per client, sorted by (slot, proxy): looked up first. */
	struct dp_proxy_client *clients;
	uint32_t n_clients;
};

/* Where proxy leads for the client in slot: its own assignment, else the
 * global one; NULL when neither exists. */
const struct dp_proxy_target *dp_proxy_find(const struct dp_proxy_map *pm, uint32_t slot,
					    const struct wg_ipaddr *proxy);

/* Whether ip lies in the proxy ranges (100.96.0.0/11,
 * fd00:2021:1111:8000::/107). */
bool dp_is_proxy_addr(const struct wg_ipaddr *ip);

/* Client -> resource, after the policy allowed it: a packet to a proxy
 * address is translated (an existing flow, or a new one to the next real
 * address, round robin) or refused (nothing resolved: unreachable;
 * table full; not translatable). true: m goes on; false: consumed. */
bool dp_nat_to_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m);
/* Resource -> client, before the policy: an answer of a translated flow,
 * or an ICMP error quoting one, is put back to the proxy address. Never
 * drops; true when it translated. */
bool dp_nat_from_resource(struct dp_worker *w, struct rte_mbuf *m);
/* A client's packet about to leave a masquerading port: its source
 * becomes the port's address of its family, with a source port (ICMP: echo
 * id) from this worker's slice. true: m goes on; false: dropped (counted).
 * Packets whose source is not a client's, and ICMP errors, pass as they
 * are. */
bool dp_nat_masquerade(struct dp_worker *w, struct rte_mbuf *m, uint8_t port_idx);
/* Splits DP_MASQ_LO..65535 into one slice per worker, leaving out the
 * WireGuard port (setup, once the workers exist). */
void dp_masq_ranges(void);
#define DP_MASQ_LO	16384

/* Several workers: an inner packet for peer that another worker holds NAT
 * flows of (the client keypair's owner) is handed to it (true: taken). */
bool dp_nat_elsewhere(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m);
/* Several workers: an answer to a port address (IP at m's data) whose
 * port lies in another worker's masquerade slice is handed to it (true:
 * taken). */
bool dp_nat_masq_elsewhere(struct dp_worker *w, struct rte_mbuf *m);
/* Setup: keeps w's per-client flow counts as its table drops flows. */
void dp_nat_worker_init(struct dp_worker *w);

/* Frees expired flows, a few per call (worker loop). */
void dp_nat_sweep(struct dp_worker *w);

/* Control lcore: builds and publishes a map from n global proxies (proxy
 * address, target) and n_clients per-client ones (their target fields
 * index client_targets[0, n_client_targets)), retiring the old map.
 * 0 or -ENOMEM (nothing changed). */
int dp_proxies_publish(const struct wg_ipaddr *proxy, const struct dp_proxy_target *targets,
		       uint32_t n, const struct dp_proxy_client *clients, uint32_t n_clients,
		       const struct dp_proxy_target *client_targets, uint32_t n_client_targets);
void dp_proxies_free(void);

#endif
