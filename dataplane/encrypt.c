/* Send path towards clients: an inner IP packet from a resource is matched
 * to the peer that owns its destination (allowed IPs), checked against the
 * client's grants and the tunnel MTU, padded, sealed in place with the
 * peer's current keypair (the whole burst in one crypto call) and handed to
 * the outer encapsulation, its ECN bits copied to the outer header.
 *
 * The burst arrives with the Ethernet header stripped. */
#include "dataplane/ecn.h"
#include "dataplane/nat.h"
#include "dataplane/pipeline.h"

#include <string.h>

#include <rte_ip.h>

#include "lib/crypto/aead_burst.h"
#include "lib/net/icmp_error.h"
#include "lib/net/prefix_map.h"
#include "lib/wg/messages.h"

static void want_handshake(struct dp_worker *w, struct dp_peer *peer)
{
	if (atomic_exchange_explicit(&peer->handshake_wanted, true, memory_order_relaxed))
		return;
	struct dp_event ev = { .type = DP_EV_WANT_HANDSHAKE, .peer_slot = peer->slot };
	dp_raise_event(w, &ev);
}

/* The destination of an inner packet, or false if it is not IP. */
static bool inner_destination(const uint8_t *p, uint32_t len, struct wg_ipaddr *dst)
{
	if (len >= sizeof(struct rte_ipv4_hdr) && (p[0] >> 4) == 4) {
		wg_ipaddr_from_v4(dst, &((const struct rte_ipv4_hdr *)p)->dst_addr);
		return true;
	}
	if (len >= sizeof(struct rte_ipv6_hdr) && (p[0] >> 4) == 6) {
		wg_ipaddr_from_v6(dst, ((const struct rte_ipv6_hdr *)p)->dst_addr);
		return true;
	}
	return false;
}

/* Rate of the packet-too-big errors sent to resources: they share the token
 * bucket of the client the packet was for with its policy errors, so no
 * flow can make this worker send more than one client's worth. */
#define TOO_BIG_BURST	20
#define TOO_BIG_RATE	20

/* A resource sent more than the client's tunnel carries, and the packet
 * could not be fragmented (IPv4 DF, or IPv6): answer as a router does (IPv4:
 * type 3 code 4; IPv6: packet too big), so its TCP lowers the MSS (path MTU
 * discovery). Anything else too big (IPv4 without DF that would need more
 * than WG_FRAG_MAX pieces) is dropped: wg_icmp_too_big_build refuses it. */
static void too_big(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	struct dp_peer_stats *st = &w->peer_stats[peer->slot];
	size_t len = wg_icmp_too_big_build(w->icmp_scratch, sizeof(w->icmp_scratch),
					   rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					   peer->mtu);

	if (!len || !wg_tbucket_take(&st->icmp_errors, w->now_tsc, dp.tsc_hz / TOO_BIG_RATE,
				     TOO_BIG_BURST)) {
		dp_drop(w, m, WG_CNT_DROP_TOO_BIG);
		return;
	}
	dp_count(w, WG_CNT_DROP_TOO_BIG);
	rte_pktmbuf_reset_headroom(m);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), w->icmp_scratch, len);
	dp_count(w, WG_CNT_ICMP_TOO_BIG_SENT);
	dp_forward_inner(w, m);
}

/* A packet on its way through seal_burst. */
struct enc_item {
	struct rte_mbuf *m;
	struct dp_peer *peer;
	struct dp_keypair *kp;
	const struct dp_endpoint *ep;
	uint8_t tos;		/* outer ECN */
};

/* Pads in place (to 16, never past the MTU: the kernel's rule, so that a
 * full-size packet does not grow the outer one past the path MTU) and makes
 * room for the tag. Returns 0 or the drop reason. */
static enum wg_counter pad(struct rte_mbuf *m, uint32_t mtu)
{
	uint32_t len = m->data_len;
	uint32_t padded = RTE_MIN(RTE_ALIGN_CEIL(len, WG_DATA_PAD), RTE_MAX(mtu, len));
	uint8_t *tail = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(padded - len + WG_AEAD_TAG_LEN));

	if (unlikely(!tail))
		return WG_CNT_DROP_NO_HEADROOM;
	memset(tail, 0, padded - len);
	return 0;
}

/* Seals and sends items whose keypair and endpoint are known, in three
 * stages: reserve send counters (one atomic add per keypair per burst, not
 * per packet: the counter's line is shared by every worker sending to that
 * client), one AEAD call for the burst, then headers and transmit. */
static void seal_burst(struct dp_worker *w, struct enc_item *it, unsigned int n)
{
	struct wg_aead_op ops[DP_BURST];
	uint64_t next[DP_BURST];
	struct dp_keypair *distinct[DP_BURST];
	uint16_t want[DP_BURST];
	uint8_t which[DP_BURST];
	unsigned int n_distinct = 0, k = 0;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int d;
		for (d = 0; d < n_distinct && distinct[d] != it[i].kp; d++)
			;
		if (d == n_distinct) {
			distinct[n_distinct] = it[i].kp;
			want[n_distinct++] = 0;
		}
		which[i] = (uint8_t)d;
		want[d]++;
	}
	for (unsigned int d = 0; d < n_distinct; d++)
		next[d] = atomic_fetch_add_explicit(&distinct[d]->send_counter, want[d],
						    memory_order_relaxed);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t counter = next[which[i]]++;
		struct rte_mbuf *m = it[i].m;

		if (unlikely(counter >= REJECT_AFTER_MESSAGES)) {
			dp_drop(w, m, WG_CNT_DROP_KEYPAIR_EXPIRED);
			continue;
		}
		uint8_t *pt = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t len = m->data_len - WG_AEAD_TAG_LEN;
		ops[k] = (struct wg_aead_op){
			.data = pt, .len = len, .tag = pt + len,
			.nonce = counter, .key = &it[i].kp->send_key,
		};
		it[k++] = it[i];
	}
	if (!k)
		return;
	wg_aead_seal_burst(w->aead, ops, k);

	for (unsigned int i = 0; i < k; i++) {
		struct rte_mbuf *m = it[i].m;
		struct dp_keypair *kp = it[i].kp;
		struct wg_msg_data *h = (struct wg_msg_data *)rte_pktmbuf_prepend(m, sizeof(*h));

		if (unlikely(!h)) {
			dp_drop(w, m, WG_CNT_DROP_NO_HEADROOM);
			continue;
		}
		h->header = (struct wg_msg_header){ .type = WG_MSG_DATA };
		h->receiver_index = wg_le32(kp->remote_index);
		h->counter = wg_le64(ops[i].nonce);

		struct dp_peer_stats *st = &w->peer_stats[it[i].peer->slot];
		st->tx_bytes += m->data_len;	/* the WireGuard message, as rx_bytes */
		st->last_data_tx_tsc = w->now_tsc;
		st->last_any_tx_tsc = w->now_tsc;
		dp_count(w, WG_CNT_DATA_ENCRYPTED);
		dp_send_outer(w, m, it[i].ep, it[i].tos);
	}
}

/* Checks a packet for a peer and fills *it. false: dropped or answered. */
static bool prepare(struct dp_worker *w, struct rte_mbuf *m, struct dp_peer *peer,
		    struct enc_item *it)
{
	struct dp_keypair *kp = atomic_load_explicit(&peer->kp_current, memory_order_acquire);
	const struct dp_endpoint *ep = atomic_load_explicit(&peer->endpoint, memory_order_acquire);
	enum wg_counter why;

	if (!kp || !ep || w->now_tsc >= kp->reject_tsc) {
		want_handshake(w, peer);
		dp_drop(w, m, WG_CNT_DROP_NO_SESSION);
		return false;
	}
	if (m->data_len > peer->mtu) {
		/* Fragmented as a router would where the sender allows it
		 * (frag.c); otherwise the sender learns the MTU. */
		if (!dp_fragment_to_peer(w, peer, m))
			too_big(w, peer, m);
		return false;
	}
	*it = (struct enc_item){
		.m = m, .peer = peer, .kp = kp, .ep = ep,
		.tos = dp_ecn_encap(dp_ecn_get(rte_pktmbuf_mtod(m, const uint8_t *))),
	};
	why = pad(m, peer->mtu);
	if (why) {
		dp_drop(w, m, why);
		return false;
	}
	return true;
}

void dp_encrypt_list_to_peer(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf **ms,
			     unsigned int n)
{
	struct enc_item items[DP_BURST];
	unsigned int k = 0;

	RTE_ASSERT(n <= DP_BURST);
	for (unsigned int i = 0; i < n; i++)
		if (prepare(w, ms[i], peer, &items[k]))
			k++;
	if (k)
		seal_burst(w, items, k);
}

void dp_encrypt_to_peer(struct dp_worker *w, struct rte_mbuf *m, struct dp_peer *peer)
{
	dp_encrypt_list_to_peer(w, peer, &m, 1);
}

void dp_encrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct enc_item items[DP_BURST];
	unsigned int k = 0;
	const struct wg_prefix_map *allowed =
		atomic_load_explicit(&dp.allowed_ips, memory_order_acquire);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		struct wg_ipaddr dst;
		uintptr_t v;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!inner_destination(p, m->data_len, &dst)) {
			dp_drop(w, m, WG_CNT_DROP_NOT_IP);
			continue;
		}
		if (!wg_prefix_map_lookup(allowed, &dst, &v)) {
			dp_drop(w, m, WG_CNT_DROP_NO_PEER);
			continue;
		}
		struct dp_peer *peer = (struct dp_peer *)v;
		/* An answer to a proxy-address flow: back to the proxy address
		 * first, so that the policy judges what the client asked for. */
		if (unlikely(dp.n_workers > 1) && dp_nat_elsewhere(w, peer, m))
			continue;
		dp_nat_from_resource(w, m);
		/* Zero trust on the way back too: only what the client's grants
		 * cover reaches it. Refusals here are silent. */
		if (!dp_policy_from_resource(w, peer, m))
			continue;
		enum wg_counter why = dp_decrement_hop(p);
		if (why) {
			dp_drop(w, m, why);
			continue;
		}
		if (prepare(w, m, peer, &items[k]))
			k++;
	}
	if (k)
		seal_burst(w, items, k);
	/* Answers for NAT flows another worker holds (dp_nat_elsewhere),
	 * and masquerade answers staged by rx. */
	if (dp.n_workers > 1)
		dp_handoff_flush(w);
}
