/* Control lcore: publishing the proxy map (nat.h). Allocates; never on
 * the packet path. */
#include "dataplane/nat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp.h"
#include "dataplane/rcu.h"
#include "lib/net/prefix_map.h"

static void proxy_map_free(void *obj)
{
	struct dp_proxy_map *pm = obj;

	if (!pm)
		return;
	wg_prefix_map_free(pm->map);
	free(pm->targets);
	free(pm->clients);
	free(pm);
}

static int client_order(const void *a, const void *b)
{
	const struct dp_proxy_client *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return memcmp(&x->proxy, &y->proxy, sizeof(x->proxy));
}

int dp_proxies_publish(const struct wg_ipaddr *proxy, const struct dp_proxy_target *targets,
		       uint32_t n, const struct dp_proxy_client *clients, uint32_t n_clients,
		       const struct dp_proxy_target *client_targets, uint32_t n_client_targets)
{
	struct dp_proxy_map *pm = calloc(1, sizeof(*pm));
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();

	if (!pm || !b)
		goto err;
	pm->targets = calloc(n + n_client_targets + 1, sizeof(*pm->targets));
	pm->clients = calloc(n_clients + 1, sizeof(*pm->clients));
	if (!pm->targets || !pm->clients)
		goto err;
	/* Either part may be empty (and NULL): memcpy must not see NULL. */
	if (n)
		memcpy(pm->targets, targets, n * sizeof(*targets));
	if (n_client_targets)
		memcpy(pm->targets + n, client_targets, n_client_targets * sizeof(*client_targets));
	for (uint32_t i = 0; i < n_clients; i++) {
		if (clients[i].target >= n_client_targets)
			goto err;
		pm->clients[i] = clients[i];
		pm->clients[i].target += n;
	}
	if (n_clients)
		qsort(pm->clients, n_clients, sizeof(*pm->clients), client_order);
	pm->n_clients = n_clients;
	for (uint32_t i = 0; i < n; i++) {
		struct wg_prefix px = { .ip = proxy[i], .len = wg_af_bits(proxy[i].af) };
		if (wg_prefix_map_builder_add(b, &px, (uintptr_t)&pm->targets[i]) == -ENOMEM)
			goto err;
	}
	pm->map = wg_prefix_map_build(b);
	b = NULL;
	if (!pm->map)
		goto err;
	pm->n = n;
	struct dp_proxy_map *old = atomic_exchange_explicit(&dp.proxies, pm, memory_order_acq_rel);
	if (old)	/* on -ENOMEM it leaks rather than risk a use-after-free */
		(void)dp_rcu_defer(old, proxy_map_free);
	return 0;
err:
	wg_prefix_map_builder_free(b);
	proxy_map_free(pm);
	return -ENOMEM;
}

void dp_masq_ranges(void)
{
	uint32_t span = (65536u - DP_MASQ_LO) / (dp.n_workers ? dp.n_workers : 1);

	for (unsigned int i = 0; i < dp.n_workers; i++) {
		uint32_t lo = DP_MASQ_LO + i * span, hi = lo + span - 1;
		/* Answers to the WireGuard port are WireGuard's: keep the
		 * larger side of the slice around it. */
		if (dp.listen_port >= lo && dp.listen_port <= hi) {
			if (dp.listen_port - lo > hi - dp.listen_port)
				hi = dp.listen_port - 1u;
			else
				lo = dp.listen_port + 1u;
		}
		dp.workers[i]->masq_lo = (uint16_t)lo;
		dp.workers[i]->masq_hi = (uint16_t)hi;
	}
}

void dp_proxies_free(void)
{
	proxy_map_free(atomic_exchange(&dp.proxies, NULL));
}
