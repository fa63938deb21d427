/* Receive path for WireGuard data messages: index lookup, hand-off to the
 * keypair's owner worker, expiry, replay pre-check, AEAD open in place for
 * the whole burst, replay update, roaming and confirmation events, inner
 * packet validation, the inner-source check and ECN, then the packet is
 * routed towards the resources.
 *
 * The burst arrives with the outer Ethernet/IP/UDP headers stripped; the
 * outer source is in the mbuf's private area. */
#include "dataplane/pipeline.h"

#include "dataplane/ecn.h"
#include "dataplane/icmp.h"
#include "dataplane/nat.h"

#include <string.h>

#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include "lib/crypto/aead_burst.h"
#include "lib/fz/ctlmsg.h"
#include "lib/net/prefix_map.h"
#include "lib/wg/messages.h"

static void note_endpoint(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	const struct dp_mbuf_priv *pv = dp_priv(m);
	const struct dp_endpoint *ep = atomic_load_explicit(&peer->endpoint, memory_order_acquire);

	if (ep && ep->udp_port == pv->src_udp_port && ep->port_idx == pv->in_port_idx &&
	    wg_ipaddr_equal(&ep->ip, &pv->src))
		return;
	/* One event per roam: the flag is cleared by the control core once it
	 * has published the new endpoint. */
	if (atomic_exchange_explicit(&peer->roam_reported, true, memory_order_relaxed))
		return;
	struct dp_event ev = {
		.type = DP_EV_ROAMED, .port_idx = pv->in_port_idx,
		.udp_port = pv->src_udp_port, .peer_slot = peer->slot, .ip = pv->src,
	};
	dp_raise_event(w, &ev);
}

static void note_confirmed(struct dp_worker *w, struct dp_peer *peer, struct dp_keypair *kp)
{
	if (atomic_load_explicit(&peer->kp_next, memory_order_relaxed) != kp ||
	    atomic_exchange_explicit(&kp->confirm_sent, true, memory_order_relaxed))
		return;
	struct dp_event ev = {
		.type = DP_EV_KEYPAIR_CONFIRMED, .peer_slot = peer->slot,
		.local_index = kp->local_index,
	};
	dp_raise_event(w, &ev);
}

/* Validates the decrypted inner packet and returns its length from its own
 * header (the rest is padding), or 0 with *why set. */
static uint32_t inner_length(const uint8_t *p, uint32_t len, struct wg_ipaddr *src,
			     enum wg_counter *why)
{
	*why = WG_CNT_DROP_BAD_INNER;
	if ((p[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const void *)p;
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		uint32_t tot = rte_be_to_cpu_16(ip->total_length);

		if (len < sizeof(*ip) || ihl < sizeof(*ip) || tot < ihl || tot > len)
			return 0;
		if (rte_be_to_cpu_16(ip->fragment_offset) &
		    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
			*why = WG_CNT_DROP_FRAGMENT;
			return 0;
		}
		wg_ipaddr_from_v4(src, &ip->src_addr);
		return tot;
	}
	if ((p[0] >> 4) == 6) {
		const struct rte_ipv6_hdr *ip6 = (const void *)p;
		uint32_t tot;

		if (len < sizeof(*ip6))
			return 0;
		tot = sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
		if (tot > len)
			return 0;
		if (ip6->proto == IPPROTO_FRAGMENT) {
			*why = WG_CNT_DROP_FRAGMENT;
			return 0;
		}
		wg_ipaddr_from_v6(src, ip6->src_addr);
		return tot;
	}
	return 0;
}

static void handoff_flush_one(struct dp_worker *w, unsigned int o)
{
	unsigned int n = w->n_handoff[o], sent;

	if (!n)
		return;
	sent = rte_ring_mp_enqueue_burst(dp.workers[o]->handoff_ring, (void **)w->handoff[o], n,
					 NULL);
	w->cnt->v[WG_CNT_HANDOFF_TX] += sent;
	for (unsigned int i = sent; i < n; i++)
		dp_drop(w, w->handoff[o][i], WG_CNT_DROP_HANDOFF_FULL);
	w->n_handoff[o] = 0;
}

void dp_handoff(struct dp_worker *w, struct rte_mbuf *m, unsigned int owner,
		enum dp_handoff_kind kind)
{
	if (unlikely(w->n_handoff[owner] == DP_BURST))
		handoff_flush_one(w, owner);
	dp_priv(m)->punt_reason = (uint8_t)kind;
	w->handoff[owner][w->n_handoff[owner]++] = m;
}

void dp_handoff_flush(struct dp_worker *w)
{
	for (unsigned int o = 0; o < dp.n_workers; o++)
		handoff_flush_one(w, o);
}

/* After the tag is verified: replay window, session events, inner packet
 * checks, zero trust, then on to the resources. */
static void deliver(struct dp_worker *w, struct rte_mbuf *m, struct dp_keypair *kp,
		    uint64_t counter, const struct wg_prefix_map *allowed)
{
	uint8_t *msg = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t plain_len = m->data_len - sizeof(struct wg_msg_data) - WG_AEAD_TAG_LEN;
	enum wg_counter why;

	/* Only now, with the tag verified, may the window move. */
	if (!wg_replay_update(&kp->replay, counter)) {
		dp_drop(w, m, WG_CNT_DROP_REPLAY);
		return;
	}
	struct dp_peer *peer = kp->peer;
	struct dp_peer_stats *st = &w->peer_stats[peer->slot];

	st->last_any_rx_tsc = w->now_tsc;
	st->rx_bytes += m->pkt_len;
	note_endpoint(w, peer, m);
	note_confirmed(w, peer, kp);

	if (plain_len == 0) {
		dp_count(w, WG_CNT_KEEPALIVE_RX);
		rte_pktmbuf_free(m);
		return;
	}
	st->last_data_rx_tsc = w->now_tsc;
	dp_count(w, WG_CNT_DATA_DECRYPTED);

	uint8_t *pt = msg + sizeof(struct wg_msg_data);
	struct wg_ipaddr src;
	uint32_t inner = inner_length(pt, plain_len, &src, &why);
	if (!inner) {
		dp_drop(w, m, why);
		return;
	}
	rte_pktmbuf_adj(m, sizeof(struct wg_msg_data));
	rte_pktmbuf_trim(m, m->data_len - inner);
	/* Firezone's in-tunnel control packets come from ::, which no
	 * client's AllowedIPs hold: recognised by their exact header before
	 * the source check, and handed to the control core with the sender
	 * (control/fz.c). Anything short of that shape goes the normal way. */
	if (unlikely(wg_fz_is_control(pt, inner))) {
		if (!wg_tbucket_take(&st->fz_control, w->now_tsc,
				     dp.tsc_hz / DP_FZ_CONTROL_RATE, DP_FZ_CONTROL_BURST)) {
			dp_drop(w, m, WG_CNT_DROP_FZ_CONTROL_RATE);
			return;
		}
		dp_priv(m)->peer_slot = peer->slot;
		dp_punt(w, m, DP_PUNT_FZ_CONTROL);
		return;
	}
	uintptr_t owner;
	if (!wg_prefix_map_lookup(allowed, &src, &owner) || (struct dp_peer *)owner != peer) {
		/* Spoofed: never forwarded, answered like any refusal. */
		dp_refuse(w, peer, m, WG_CNT_DROP_BAD_INNER_SOURCE, false);
		return;
	}
	int ecn = dp_ecn_decap(pt, dp_priv(m)->outer_ecn);
	if (unlikely(ecn)) {
		if (ecn < 0) {
			dp_drop(w, m, WG_CNT_DROP_ECN);
			return;
		}
		dp_count(w, WG_CNT_ECN_CE_COPIED);
	}
	if (dp_for_gateway(w, peer, m))
		return;
	if (!dp_policy_to_resource(w, peer, m) || !dp_nat_to_resource(w, peer, m))
		return;
	dp_forward_inner(w, m);
}

/* Three stages so that the AEAD runs over the whole burst at once:
 *   1. keypair by receiver index (one bulk hash lookup), hand-off of what
 *      another worker owns, expiry and the replay pre-check (cheap
 *      rejections before any crypto);
 *   2. open every survivor in one call to the crypto engine;
 *   3. per packet: replay update, events, inner checks, policy, forward. */
void dp_decrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t idx[DP_BURST];
	const void *keys[DP_BURST];
	void *kps[DP_BURST];
	struct wg_aead_op ops[DP_BURST];
	struct rte_mbuf *live[DP_BURST];
	struct dp_keypair *live_kp[DP_BURST];
	uint64_t hits = 0, authentic;
	unsigned int k = 0;
	const struct wg_prefix_map *allowed =
		atomic_load_explicit(&dp.allowed_ips, memory_order_acquire);

	RTE_ASSERT(n <= DP_BURST);
	if (!n)
		return;
	for (uint16_t i = 0; i < n; i++) {
		const struct wg_msg_data *h = rte_pktmbuf_mtod(pkts[i], const struct wg_msg_data *);
		idx[i] = wg_le32(h->receiver_index);
		keys[i] = &idx[i];
	}
	rte_hash_lookup_bulk_data(dp.index_table, keys, n, &hits, kps);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_keypair *kp = kps[i];
		uint8_t *msg = rte_pktmbuf_mtod(m, uint8_t *);
		uint64_t counter = wg_le64(((const struct wg_msg_data *)msg)->counter);

		if (!(hits & (1ULL << i))) {
			dp_drop(w, m, WG_CNT_DROP_UNKNOWN_INDEX);
			continue;
		}
		if (unlikely(kp->owner != w->idx)) {
			dp_handoff(w, m, kp->owner, DP_HANDOFF_DECRYPT);
			continue;
		}
		if (unlikely(w->now_tsc >= kp->reject_tsc)) {
			dp_drop(w, m, WG_CNT_DROP_KEYPAIR_EXPIRED);
			continue;
		}
		if (!wg_replay_check(&kp->replay, counter)) {
			dp_drop(w, m, wg_replay_out_of_window(&kp->replay, counter) ?
				      WG_CNT_DROP_TOO_OLD : WG_CNT_DROP_REPLAY);
			continue;
		}
		uint32_t ct_len = m->data_len - sizeof(struct wg_msg_data) - WG_AEAD_TAG_LEN;
		ops[k] = (struct wg_aead_op){
			.data = msg + sizeof(struct wg_msg_data),
			.len = ct_len,
			.tag = msg + sizeof(struct wg_msg_data) + ct_len,
			.nonce = counter,
			.key = &kp->recv_key,
		};
		live[k] = m;
		live_kp[k++] = kp;
	}
	if (dp.n_workers > 1)
		dp_handoff_flush(w);
	if (!k)
		return;

	authentic = wg_aead_open_burst(w->aead, ops, k);

	for (unsigned int i = 0; i < k; i++) {
		if (i + 1 < k)
			rte_prefetch0(ops[i + 1].data);
		if (!(authentic & (1ULL << i))) {
			dp_drop(w, live[i], WG_CNT_DROP_BAD_TAG);
			continue;
		}
		deliver(w, live[i], live_kp[i], ops[i].nonce, allowed);
	}
}
