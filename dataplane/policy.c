/* Zero trust on the worker: every decrypted packet is checked against the
 * client's grants before it may reach a resource, and every packet from a
 * resource before it may reach a client. The decision is wg_pol_decide()
 * (lib/policy) on the client's immutable table, read lock-free; expiry is
 * compared with this burst's wall-clock time (TSC through dp.clock), so a
 * lapsed grant stops the very next packet.
 *
 * A refused client packet is answered, in place in its own mbuf, with the
 * ICMP error the client's stack understands (Firezone's: prohibited, or
 * unreachable for rejected internet addresses), rate-limited per client by
 * a token bucket that lives in this worker's per-peer stats (no shared
 * writes). Refused resource packets are dropped silently. */
#include "dataplane/pipeline.h"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include <rte_ip.h>

#include "lib/net/icmp_error.h"
#include "lib/net/ip_walk.h"
#include "lib/policy/policy.h"
#include "lib/policy/table.h"	/* gen, stable_until read inline per packet */

/* Per client: a burst of 20 errors, then 20 per second. Enough for a client
 * to learn at once that each flow is refused; little for a flood. */
#define ICMP_ERR_BURST	20
#define ICMP_ERR_RATE	20

/* What the policy needs of a packet, from the resource's side, with the
 * transport header found past any IPv6 extension headers. Also says whether
 * it is an ICMP error (those from resources always pass). false with *why
 * set for a fragment (no ports to judge a later one by; wgate reassembles
 * nothing, on either side) or a packet whose headers run past its end. */
static __rte_unused bool describe(const uint8_t *p, uint32_t len, bool to_resource,
				  struct wg_pol_pkt *pkt, bool *icmp_error, enum wg_counter *why)
{
	struct wg_ip_l4 hdr;

	*icmp_error = false;
	pkt->port = 0;
	if (wg_ip_l4_find(p, len, &hdr)) {
		*why = WG_CNT_DROP_BAD_INNER;
		return false;
	}
	if (hdr.frag != WG_IP_NOT_FRAGMENT) {
		*why = WG_CNT_DROP_FRAGMENT;
		return false;
	}
	if ((p[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const void *)p;
		wg_ipaddr_from_v4(&pkt->resource, to_resource ? &ip->dst_addr : &ip->src_addr);
	} else {
		const struct rte_ipv6_hdr *ip6 = (const void *)p;
		wg_ipaddr_from_v6(&pkt->resource, to_resource ? ip6->dst_addr : ip6->src_addr);
	}
	pkt->proto = hdr.proto;
	const uint8_t *l4 = p + hdr.off;
	uint32_t l4_len = (uint32_t)hdr.tot - hdr.off;

	switch (pkt->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (l4_len >= 4)
			pkt->port = rte_be_to_cpu_16(*(const uint16_t *)(l4 + (to_resource ? 2 : 0)));
		break;
	case IPPROTO_ICMP:
		if ((p[0] >> 4) != 4)
			break;	/* protocol 1 inside IPv6 is not ICMP */
		if (l4_len >= 8 && (l4[0] == ICMP_ECHO || l4[0] == ICMP_ECHOREPLY))
			pkt->port = rte_be_to_cpu_16(*(const uint16_t *)(l4 + 4));	/* echo id */
		else if (l4_len >= 1)
			*icmp_error = l4[0] == ICMP_UNREACH || l4[0] == ICMP_SOURCEQUENCH ||
				      l4[0] == ICMP_REDIRECT || l4[0] == ICMP_TIMXCEED ||
				      l4[0] == ICMP_PARAMPROB;
		break;
	case IPPROTO_ICMPV6:
		if ((p[0] >> 4) != 6)
			break;	/* protocol 58 inside IPv4 is not ICMPv6 */
		if (l4_len >= 8 && (l4[0] == ICMP6_ECHO_REQUEST || l4[0] == ICMP6_ECHO_REPLY))
			pkt->port = rte_be_to_cpu_16(*(const uint16_t *)(l4 + 4));
		else if (l4_len >= 1)
			*icmp_error = l4[0] < 128;
		break;
	}
	return true;
}

void dp_refuse(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m,
	       enum wg_counter why, bool unreachable)
{
	struct dp_peer_stats *st = &w->peer_stats[peer->slot];
	size_t len;

	dp_count(w, why);
	if (!DP_BURST_FLAG(w, icmp_errors_on_deny)) {
		dp_drop(w, m, WG_CNT_ICMP_ERROR_FLAG_OFF);
		return;
	}
	len = wg_icmp_error_build(w->icmp_scratch, sizeof(w->icmp_scratch),
				  rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
				  unreachable ? WG_ICMP_ERR_UNREACHABLE : WG_ICMP_ERR_PROHIBITED);
	if (!len) {	/* an error for an error, multicast, malformed */
		dp_drop(w, m, WG_CNT_ICMP_ERROR_NOT_ALLOWED);
		return;
	}
	if (!wg_tbucket_take(&st->icmp_errors, w->now_tsc, dp.tsc_hz / ICMP_ERR_RATE,
			     ICMP_ERR_BURST)) {
		dp_drop(w, m, WG_CNT_ICMP_ERROR_SUPPRESSED);
		return;
	}
	/* The refused packet's own mbuf carries the answer: nothing to
	 * allocate on a path an attacker can drive. */
	rte_pktmbuf_reset_headroom(m);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), w->icmp_scratch, len);
	dp_count(w, WG_CNT_ICMP_ERROR_SENT);
	dp_encrypt_to_peer(w, m, peer);
}

/* The per-client flow cache (struct dp_peer_stats): this worker's own, so
 * no shared writes. A hit needs the same table generation, a time at which
 * no grant can have lapsed since the fill, and the same resource-side flow;
 * the decision is then the one wg_pol_decide made, by construction. */
static inline bool cache_hit(struct dp_worker *w, struct dp_peer *peer,
			     const struct wg_pol_table *t, const struct wg_pol_pkt *pkt)
{
	const struct dp_peer_stats *st = &w->peer_stats[peer->slot];

	return t && st->pol_cache.gen == t->gen && w->now_ns <= st->pol_cache.until_ns &&
	       st->pol_cache.port == pkt->port && st->pol_cache.proto == pkt->proto &&
	       wg_ipaddr_equal(&st->pol_cache.resource, &pkt->resource);
}

static inline void cache_fill(struct dp_worker *w, struct dp_peer *peer,
			      const struct wg_pol_table *t, const struct wg_pol_pkt *pkt)
{
	struct dp_peer_stats *st = &w->peer_stats[peer->slot];

	st->pol_cache.gen = t->gen;
	st->pol_cache.until_ns = t->stable_until;
	st->pol_cache.resource = pkt->resource;
	st->pol_cache.proto = pkt->proto;
	st->pol_cache.port = pkt->port;
}

#ifdef DP_BENCH_NO_POLICY
/* Only for benchmarks/pipeline_perf_nopolicy: the same pipeline with this
 * stage compiled out, to show what zero trust costs. Never in wgate. */
bool dp_policy_to_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	(void)w, (void)peer, (void)m;
	return true;
}

bool dp_policy_from_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	(void)w, (void)peer, (void)m;
	return true;
}
#else
bool dp_policy_to_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	const struct wg_pol_table *t = atomic_load_explicit(&peer->policy, memory_order_acquire);
	struct wg_pol_pkt pkt;
	bool icmp_error;
	enum wg_counter why;

	if (!describe(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, true, &pkt, &icmp_error,
		      &why)) {
		dp_drop(w, m, why);
		return false;
	}
	if (cache_hit(w, peer, t, &pkt))
		return true;
	switch (wg_pol_decide(t, &pkt, w->now_ns)) {
	case WG_POL_ALLOW:
		cache_fill(w, peer, t, &pkt);
		return true;
	case WG_POL_DENY_FILTER:
		dp_refuse(w, peer, m, WG_CNT_REFUSED_FILTER, false);
		return false;
	case WG_POL_DENY_TUNNEL_RANGE:
		dp_refuse(w, peer, m, WG_CNT_REFUSED_TUNNEL_RANGE, false);
		return false;
	case WG_POL_DENY_INTERNET_REJECTED:
		dp_refuse(w, peer, m, WG_CNT_REFUSED_INTERNET, true);
		return false;
	case WG_POL_DENY_NO_GRANT:
	default:
		dp_refuse(w, peer, m, WG_CNT_REFUSED_NO_GRANT, false);
		return false;
	}
}

bool dp_policy_from_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	const struct wg_pol_table *t = atomic_load_explicit(&peer->policy, memory_order_acquire);
	struct wg_pol_pkt pkt;
	bool icmp_error;
	enum wg_counter why;

	if (!describe(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, false, &pkt, &icmp_error,
		      &why)) {
		dp_drop(w, m, why);
		return false;
	}
	if (wg_pol_in_tunnel_range(&pkt.resource)) {
		dp_drop(w, m, WG_CNT_DROP_REPLY_FROM_TUNNEL);
		return false;
	}
	/* A resource (or a router before it) telling the client why its
	 * packet failed always gets through: the client needs to know. */
	if (icmp_error || cache_hit(w, peer, t, &pkt))
		return true;
	if (wg_pol_decide(t, &pkt, w->now_ns) == WG_POL_ALLOW) {
		cache_fill(w, peer, t, &pkt);
		return true;
	}
	dp_drop(w, m, WG_CNT_DROP_REPLY_NO_GRANT);
	return false;
}
#endif
