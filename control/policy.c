/* Publishing policy. The resources of one configuration generation are one
 * immutable array; each client's table points into it. A new generation
 * (start, SIGHUP, later signaling) builds everything new, swaps every
 * client's table pointer, and retires the old tables and the old resource
 * array through RCU, in that order, so no worker ever sees a table whose
 * resources are gone.
 *
 * Expiry: [Access] Expires is wall-clock (unix seconds); tables hold it in
 * unix ns and workers compare it with their burst's wall-clock time, derived
 * from the TSC through an anchor re-measured every second (ctl_clock_tick). */
#include "control/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "control/fz.h"
#include "control/grant_bound.h"
#include "control/peers.h"
#include "control/proxy.h"
#include "dataplane/rcu.h"
#include "lib/config/config.h"
#include "lib/policy/policy.h"
#include "lib/util/log.h"

/* One generation of resources. Writer: control lcore. Readers: workers,
 * through the tables that point into it. Immutable once published.
 * A DNS resource i also stands for the proxy addresses (control/proxy.h)
 * of the names its pattern matches: res[n + extra_off[i] ...] are host
 * CIDR resources for them with i's filters, granted with every grant of i.
 * And a grant a of a DNS resource covers the proxy addresses its client
 * chose itself for names of it (control/fz.h): res[n + n_extra +
 * acc_off[a] ...], granted with a alone. */
struct generation {
	struct wg_pol_resource *res;
	struct wg_pol_filter *filters;
	size_t n, n_resources_cfg;
	size_t *extra_off, *extra_n;	/* per config resource */
	size_t n_extra;
	size_t *acc_off, *acc_n;	/* per config grant */
	size_t n_acc_extra;
};

static struct generation *current;

static void generation_free(void *obj)
{
	struct generation *g = obj;

	if (!g)
		return;
	free(g->res);
	free(g->filters);
	free(g->extra_off);
	free(g->extra_n);
	free(g->acc_off);
	free(g->acc_n);
	free(g);
}

static void table_free(void *obj)
{
	wg_pol_table_free(obj);
}

/* n proxy addresses a as host resources at res[base...], with resource
 * i's filters (set already). */
static void add_hosts(struct generation *g, size_t i, size_t base, const struct wg_ipaddr *a,
		      size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct wg_pol_resource *r = &g->res[base + k];
		*r = g->res[i];
		r->kind = WG_POL_RES_CIDR;
		r->prefix = (struct wg_prefix){ .ip = a[k], .len = wg_af_bits(a[k].af) };
	}
}

/* The proxy addresses of the names resource i's pattern matches. */
static int add_proxies(struct generation *g, size_t i, const char *pattern)
{
	struct wg_ipaddr *a = calloc(g->extra_n[i], sizeof(*a));

	if (!a)
		return -ENOMEM;
	ctl_proxy_matching(pattern, a, g->extra_n[i]);
	add_hosts(g, i, g->n_resources_cfg + g->extra_off[i], a, g->extra_n[i]);
	free(a);
	return 0;
}

/* The proxy addresses grant a's client chose for names of its resource. */
static int add_client_proxies(struct generation *g, const struct wg_config *cfg, size_t a)
{
	const struct wg_cfg_access *ac = &cfg->access[a];
	struct wg_ipaddr *ips = calloc(g->acc_n[a] + 1, sizeof(*ips));

	if (!ips)
		return -ENOMEM;
	ctl_fz_proxies(cfg->peers[ac->peer_idx].public_key, cfg->resources[ac->resource_idx].name,
		       ips, g->acc_n[a]);
	add_hosts(g, (size_t)ac->resource_idx,
		  g->n_resources_cfg + g->n_extra + g->acc_off[a], ips, g->acc_n[a]);
	free(ips);
	return 0;
}

static struct generation *generation_build(const struct wg_config *cfg)
{
	struct generation *g = calloc(1, sizeof(*g));
	size_t n_filters = 0, used = 0;

	if (!g)
		return NULL;
	g->n_resources_cfg = cfg->n_resources;
	g->extra_off = calloc(cfg->n_resources + 1, sizeof(size_t));
	g->extra_n = calloc(cfg->n_resources + 1, sizeof(size_t));
	g->acc_off = calloc(cfg->n_access + 1, sizeof(size_t));
	g->acc_n = calloc(cfg->n_access + 1, sizeof(size_t));
	if (!g->extra_off || !g->extra_n || !g->acc_off || !g->acc_n) {
		generation_free(g);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_resources; i++) {
		n_filters += cfg->resources[i].n_filters;
		g->extra_off[i] = g->n_extra;
		if (cfg->resources[i].kind == WG_CFG_RES_DNS)
			g->extra_n[i] = ctl_proxy_matching(cfg->resources[i].dns_pattern, NULL, 0);
		g->n_extra += g->extra_n[i];
	}
	for (size_t a = 0; a < cfg->n_access; a++) {
		const struct wg_cfg_access *ac = &cfg->access[a];
		g->acc_off[a] = g->n_acc_extra;
		if (cfg->resources[ac->resource_idx].kind == WG_CFG_RES_DNS)
			g->acc_n[a] = ctl_fz_proxies(cfg->peers[ac->peer_idx].public_key,
						     cfg->resources[ac->resource_idx].name, NULL, 0);
		g->n_acc_extra += g->acc_n[a];
	}
	g->res = calloc(cfg->n_resources + g->n_extra + g->n_acc_extra + 1, sizeof(*g->res));
	g->filters = calloc(n_filters ? n_filters : 1, sizeof(*g->filters));
	if (!g->res || !g->filters) {
		generation_free(g);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_resources; i++) {
		if (wg_pol_resource_from_config(&g->res[i], g->filters + used, &cfg->resources[i],
						(uint32_t)i)) {
			generation_free(g);
			return NULL;
		}
		used += cfg->resources[i].n_filters;
		if (g->extra_n[i] && add_proxies(g, i, cfg->resources[i].dns_pattern)) {
			generation_free(g);
			return NULL;
		}
	}
	for (size_t a = 0; a < cfg->n_access; a++) {
		if (g->acc_n[a] && add_client_proxies(g, cfg, a)) {
			generation_free(g);
			return NULL;
		}
	}
	g->n = cfg->n_resources;
	return g;
}

/* Unix seconds -> unix ns, the workers' clock (struct dp_clock); 0 stays
 * "never". */
static uint64_t expiry_ns(int64_t expires)
{
	return expires > 0 ? (uint64_t)expires * 1000000000ULL : 0;
}

bool ctl_policy_granted(const struct wg_config *cfg, int peer, size_t res, int64_t now)
{
	for (size_t a = 0; peer >= 0 && a < cfg->n_access; a++) {
		const struct wg_cfg_access *ac = &cfg->access[a];
		if (ac->peer_idx == peer && (size_t)ac->resource_idx == res &&
		    (!ac->expires || ac->expires > now))
			return true;
	}
	return false;
}

int ctl_policy_apply(const struct wg_config *cfg)
{
	/* Client-chosen proxy addresses cfg no longer allows go first, so
	 * that the tables below no longer hold them; the map follows. */
	size_t pruned = ctl_fz_prune(cfg);
	struct generation *g = generation_build(cfg);
	struct wg_pol_table **tables;
	struct wg_pol_grant *grants;
	int rc = -ENOMEM;

	size_t max_grants = 1, n_granted = 0, n_refused = 0, n_new_refused = 0;
	bool *live = calloc(cfg->n_peers + 1, sizeof(*live));
	bool *keep = calloc(cfg->n_access + 1, sizeof(*keep));

	for (size_t a = 0; g && a < cfg->n_access; a++)
		max_grants += 1 + g->extra_n[cfg->access[a].resource_idx] + g->acc_n[a];
	tables = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof(*tables));
	grants = calloc(max_grants, sizeof(*grants));
	if (!g || !tables || !grants || !live || !keep)
		goto out;
	/* A peer refused at MaxPeers holds no grant either; past MaxGrants
	 * the grants published before stay and new ones are refused. */
	for (size_t p = 0; p < cfg->n_peers; p++)
		live[p] = ctl_peer_by_key(cfg->peers[p].public_key) != NULL;
	if (ctl_grant_bound_select(cfg, live, ctl.max_grants, keep, &n_refused, &n_new_refused))
		goto out;
	/* Build everything first: a failure leaves the old state whole. */
	for (size_t p = 0; p < cfg->n_peers; p++) {
		size_t n = 0;

		for (size_t a = 0; a < cfg->n_access; a++) {
			const struct wg_cfg_access *ac = &cfg->access[a];
			if ((size_t)ac->peer_idx != p || !keep[a])
				continue;
			n_granted++;
			grants[n++] = (struct wg_pol_grant){
				.res = &g->res[ac->resource_idx],
				.expires = expiry_ns(ac->expires),
			};
			/* A DNS grant covers its names' proxy addresses. */
			for (size_t k = 0; k < g->extra_n[ac->resource_idx]; k++)
				grants[n++] = (struct wg_pol_grant){
					.res = &g->res[cfg->n_resources +
						       g->extra_off[ac->resource_idx] + k],
					.expires = expiry_ns(ac->expires),
				};
			for (size_t k = 0; k < g->acc_n[a]; k++)
				grants[n++] = (struct wg_pol_grant){
					.res = &g->res[cfg->n_resources + g->n_extra +
						       g->acc_off[a] + k],
					.expires = expiry_ns(ac->expires),
				};
		}
		tables[p] = wg_pol_table_build(grants, n);
		if (!tables[p])
			goto out;
	}
	for (size_t p = 0; p < cfg->n_peers; p++) {
		struct ctl_peer *cp = ctl_peer_by_key(cfg->peers[p].public_key);
		struct wg_pol_table *old;

		if (!cp) {	/* not a live peer (refused at MaxPeers) */
			wg_pol_table_free(tables[p]);
			tables[p] = NULL;
			continue;
		}
		old = atomic_exchange_explicit(&cp->dp->policy, tables[p], memory_order_acq_rel);
		tables[p] = NULL;
		if (old)
			dp_rcu_defer(old, table_free);
	}
	/* After the tables: retired in this order, freed in this order. */
	if (current)
		dp_rcu_defer(current, generation_free);
	current = g;
	g = NULL;
	ctl_grant_bound_commit();
	ctl.n_grants = n_granted;
	if (n_new_refused) {
		dp.control_cnt->v[WG_CNT_GRANT_REFUSED_MAX] += n_new_refused;
		WG_LOG(WARN, "policy", "%zu grant(s) refused, %zu of them new: [Dataplane]"
		       " MaxGrants = %u grants are published (bound_refused_max_grants)",
		       n_refused, n_new_refused, ctl.max_grants);
	}
	WG_LOG(INFO, "policy", "%zu resource(s), %zu grant(s) for %zu peer(s) published",
	       cfg->n_resources, n_granted, cfg->n_peers);
	rc = 0;
	if (pruned)
		ctl_proxy_publish();
out:
	if (tables)
		for (size_t p = 0; p < cfg->n_peers; p++)
			wg_pol_table_free(tables[p]);
	free(tables);
	free(grants);
	free(live);
	free(keep);
	generation_free(g);
	return rc;
}

void ctl_policy_free(void)
{
	ctl_grant_bound_free();
	generation_free(current);
	current = NULL;
}
