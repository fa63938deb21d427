/* Proxy-address NAT, per packet (nat.h).
 *
 * Each worker owns a NAT table (lib/nat, w->nat): only it reads or writes
 * it, so no locks. A flow's state lives on the worker that saw the
 * client's first packet, which is the client keypair's owner (decrypt runs
 * there), or for a masqueraded flow, the worker whose port slice the
 * source port came from (the same one). An answer landing on another
 * worker (RSS, af_packet fanout) is handed to the owner through its
 * hand-off ring: for a client, when the owner's per-client flow count
 * (peer_stats nat_flows, a relaxed read of another worker's counter, a
 * hint) says it has flows; for a port address, by the port's slice.
 *
 * Order on the way in: policy (the client must hold a grant covering the
 * proxy address: the control core adds proxy addresses of the names a DNS
 * resource matches to the client's table), then this stage. On the way
 * back: this stage first, so the policy judges the proxy address the
 * client knows. */
#include "dataplane/nat.h"

#include <rte_mbuf.h>

#include "dataplane/pipeline.h"
#include "lib/fz/ctlmsg.h"
#include "lib/nat/rewrite.h"
#include "lib/net/prefix_map.h"
#include "lib/policy/policy.h"

bool dp_is_proxy_addr(const struct wg_ipaddr *ip)
{
	return wg_fz_is_proxy_addr(ip);
}

static int client_cmp(uint32_t slot, const struct wg_ipaddr *ip, const struct dp_proxy_client *c)
{
	if (slot != c->slot)
		return slot < c->slot ? -1 : 1;
	return __builtin_memcmp(ip, &c->proxy, sizeof(*ip));
}

const struct dp_proxy_target *dp_proxy_find(const struct dp_proxy_map *pm, uint32_t slot,
					    const struct wg_ipaddr *proxy)
{
	uintptr_t v;

	if (!pm)
		return NULL;
	/* Binary search: only a flow's first packet gets here. */
	for (uint32_t lo = 0, hi = pm->n_clients; lo < hi;) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = client_cmp(slot, proxy, &pm->clients[mid]);
		if (!c)
			return &pm->targets[pm->clients[mid].target];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return wg_prefix_map_lookup(pm->map, proxy, &v) ? (const struct dp_proxy_target *)v : NULL;
}

bool dp_nat_to_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct wg_ipaddr dst;
	struct wg_nat_pkt pk;
	struct wg_nat_entry *e;
	struct wg_nat_key to;
	int err;

	if ((p[0] >> 4) == 4)
		wg_ipaddr_from_v4(&dst, p + 16);
	else
		wg_ipaddr_from_v6(&dst, p + 24);
	if (likely(!dp_is_proxy_addr(&dst)))
		return true;
	if (wg_nat_parse(p, m->data_len, &pk) || pk.icmp_error) {
		dp_drop(w, m, WG_CNT_DROP_NAT_UNSUPPORTED);
		return false;
	}
	e = wg_nat_lookup_out(w->nat, &pk.key, w->now_ns);
	if (!e) {
		const struct dp_proxy_map *pm =
			atomic_load_explicit(&dp.proxies, memory_order_acquire);
		const struct dp_proxy_target *tg = dp_proxy_find(pm, peer->slot, &dst);

		if (!tg || !tg->n) {
			/* Nothing resolved of this family: unreachable. */
			dp_refuse(w, peer, m, WG_CNT_REFUSED_PROXY_UNRESOLVED, true);
			return false;
		}
		const struct wg_ipaddr *real = &tg->real[w->nat_rr++ % tg->n];
		/* The client's port stays unless the answer's key is taken
		 * (two proxy addresses of one real address, same client
		 * port): then it is remapped. */
		e = wg_nat_add(w->nat, &pk.key, &pk.key.src, real, 0, UINT16_MAX, w->now_ns, &err);
		if (!e) {
			dp_drop(w, m, err == -ENOSPC ? WG_CNT_DROP_NAT_FULL : WG_CNT_DROP_NAT_NO_PORT);
			return false;
		}
		e->user = peer->slot;
		atomic_fetch_add_explicit(&w->peer_stats[peer->slot].nat_flows, 1,
					  memory_order_relaxed);
	}
	wg_nat_key_reverse(&to, &e->reply);
	/* Written before a RST may free the entry. */
	wg_nat_seen(w->nat, e, true, pk.tcp_flags, w->now_ns);
	wg_nat_rewrite(p, &pk, &to);
	dp_count(w, WG_CNT_NAT_OUT);
	return true;
}

bool dp_nat_from_resource(struct dp_worker *w, struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct wg_nat_pkt pk;
	struct wg_nat_entry *e;
	struct wg_nat_key k, to;

	if (wg_nat_empty(w->nat) || wg_nat_parse(p, m->data_len, &pk))
		return false;
	if (!pk.icmp_error) {
		e = wg_nat_lookup_in(w->nat, &pk.key, w->now_ns);
		if (!e)
			return false;
		wg_nat_key_reverse(&to, &e->orig);
		wg_nat_seen(w->nat, e, false, pk.tcp_flags, w->now_ns);
		wg_nat_rewrite(p, &pk, &to);
		dp_count(w, WG_CNT_NAT_IN);
		return true;
	}
	/* An error quoting what we sent (src = the client, dst = the real
	 * address): its reply key is the quote reversed. */
	wg_nat_key_reverse(&k, &pk.key);
	e = wg_nat_lookup_in(w->nat, &k, w->now_ns);
	if (!e)
		return false;
	struct wg_ipaddr osrc;
	if ((p[0] >> 4) == 4)
		wg_ipaddr_from_v4(&osrc, p + 12);
	else
		wg_ipaddr_from_v6(&osrc, p + 8);
	/* From the real host itself: it speaks as the proxy address. From a
	 * router on the way: its own address stays. */
	if (wg_ipaddr_equal(&osrc, &e->reply.src))
		osrc = e->orig.dst;
	wg_nat_rewrite_icmp_error(p, m->data_len, &pk, &e->orig, &osrc, &e->orig.src);
	dp_count(w, WG_CNT_NAT_ICMP_ERROR_IN);
	return true;
}

bool dp_nat_masquerade(struct dp_worker *w, struct rte_mbuf *m, uint8_t port_idx)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	const struct dp_port *port = &dp.ports[port_idx];
	struct wg_ipaddr src;
	struct wg_nat_pkt pk;
	struct wg_nat_entry *e;
	struct wg_nat_key to;
	int err;

	if ((p[0] >> 4) == 4)
		wg_ipaddr_from_v4(&src, p + 12);
	else
		wg_ipaddr_from_v6(&src, p + 8);
	if (!wg_pol_in_tunnel_range(&src) || wg_nat_parse(p, m->data_len, &pk) || pk.icmp_error)
		return true;
	const struct wg_ipaddr *out = src.af == WG_AF_INET4 ? &port->addr4 : &port->addr6;
	if (!out->af)
		return true;	/* no address of this family on the port */
	e = wg_nat_lookup_out(w->nat, &pk.key, w->now_ns);
	if (!e) {
		e = wg_nat_add(w->nat, &pk.key, out, &pk.key.dst, w->masq_lo, w->masq_hi,
			       w->now_ns, &err);
		if (!e) {
			dp_drop(w, m, err == -ENOSPC ? WG_CNT_DROP_NAT_FULL : WG_CNT_DROP_NAT_NO_PORT);
			return false;
		}
	}
	wg_nat_key_reverse(&to, &e->reply);
	wg_nat_seen(w->nat, e, true, pk.tcp_flags, w->now_ns);
	wg_nat_rewrite(p, &pk, &to);
	dp_count(w, WG_CNT_NAT_MASQUERADED);
	return true;
}

bool dp_nat_elsewhere(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	const struct dp_keypair *kp = atomic_load_explicit(&peer->kp_current, memory_order_acquire);
	unsigned int owner;

	if (!kp || (owner = kp->owner) == w->idx ||
	    !atomic_load_explicit(&dp.workers[owner]->peer_stats[peer->slot].nat_flows,
				  memory_order_relaxed))
		return false;
	dp_handoff(w, m, owner, DP_HANDOFF_TO_CLIENT);
	return true;
}

bool dp_nat_masq_elsewhere(struct dp_worker *w, struct rte_mbuf *m)
{
	struct wg_nat_pkt pk;
	uint16_t port;

	if (wg_nat_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pk))
		return false;
	/* Ours in the answer: its destination port (echo: the id); in an
	 * error, the source port of the packet it quotes. */
	port = pk.icmp_error ? pk.key.sport : pk.key.dport;
	for (unsigned int i = 0; i < dp.n_workers; i++) {
		const struct dp_worker *o = dp.workers[i];
		if (port >= o->masq_lo && port <= o->masq_hi) {
			if (i == w->idx)
				return false;
			dp_handoff(w, m, i, DP_HANDOFF_MASQ);
			return true;
		}
	}
	return false;
}

/* Table hook: a proxy flow of a client went. */
static void flow_gone(void *ctx, const struct wg_nat_entry *e)
{
	struct dp_worker *w = ctx;

	if (e->user != WG_NAT_NO_USER)
		atomic_fetch_sub_explicit(&w->peer_stats[e->user].nat_flows, 1,
					  memory_order_relaxed);
}

void dp_nat_worker_init(struct dp_worker *w)
{
	wg_nat_set_remove_hook(w->nat, flow_gone, w);
}

void dp_nat_sweep(struct dp_worker *w)
{
	if (w->nat && !wg_nat_empty(w->nat))
		wg_nat_sweep(w->nat, w->now_ns, DP_NAT_SWEEP);
}
