/* Send path towards clients: an inner IP packet from a resource is matched
 * to the peer that owns its destination (allowed IPs), padded, sealed in
 * place with the peer's current keypair and handed to the outer
 * encapsulation.
 *
 * The burst arrives with the Ethernet header stripped. */
#include "dataplane/pipeline.h"

#include <string.h>

#include <rte_ip.h>

#include "lib/crypto/aead.h"
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

/* Seals one packet. Returns 0 or the drop reason. */
static enum wg_counter seal(struct rte_mbuf *m, struct dp_keypair *kp, uint32_t mtu)
{
	uint32_t len = m->data_len;
	/* Pad to 16 but never past the MTU (the kernel's rule): a full-size
	 * packet must not grow an outer packet beyond the path MTU. */
	uint32_t padded = RTE_MIN(RTE_ALIGN_CEIL(len, WG_DATA_PAD), RTE_MAX(mtu, len));
	uint8_t *tail = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(padded - len + WG_AEAD_TAG_LEN));
	struct wg_msg_data *h;
	uint64_t counter;

	if (!tail)
		return WG_CNT_DROP_NO_HEADROOM;
	memset(tail, 0, padded - len);
	/* One atomic per packet for now; reserving a range per burst is a
	 * later optimisation (issue 3). */
	counter = atomic_fetch_add_explicit(&kp->send_counter, 1, memory_order_relaxed);
	if (unlikely(counter >= REJECT_AFTER_MESSAGES))
		return WG_CNT_DROP_KEYPAIR_EXPIRED;
	uint8_t *pt = rte_pktmbuf_mtod(m, uint8_t *);
	wg_aead_encrypt(pt, pt, padded, NULL, 0, counter, kp->send_key);
	h = (struct wg_msg_data *)rte_pktmbuf_prepend(m, sizeof(*h));
	if (!h)
		return WG_CNT_DROP_NO_HEADROOM;
	h->header = (struct wg_msg_header){ .type = WG_MSG_DATA };
	h->receiver_index = wg_le32(kp->remote_index);
	h->counter = wg_le64(counter);
	return 0;
}

void dp_encrypt_to_peer(struct dp_worker *w, struct rte_mbuf *m, struct dp_peer *peer)
{
	struct dp_keypair *kp = atomic_load_explicit(&peer->kp_current, memory_order_acquire);
	const struct dp_endpoint *ep = atomic_load_explicit(&peer->endpoint, memory_order_acquire);
	enum wg_counter why;

	if (!kp || !ep || w->now_tsc >= kp->reject_tsc) {
		want_handshake(w, peer);
		dp_drop(w, m, WG_CNT_DROP_NO_SESSION);
		return;
	}
	if (m->data_len > peer->mtu) {
		dp_drop(w, m, WG_CNT_DROP_TOO_BIG);
		return;
	}
	why = seal(m, kp, peer->mtu);
	if (why) {
		dp_drop(w, m, why);
		return;
	}
	struct dp_peer_stats *st = &w->peer_stats[peer->slot];
	st->tx_bytes += m->data_len;	/* the WireGuard message, as rx_bytes */
	st->last_data_tx_tsc = w->now_tsc;
	st->last_any_tx_tsc = w->now_tsc;
	dp_count(w, WG_CNT_DATA_ENCRYPTED);
	dp_send_outer(w, m, ep);
}

void dp_encrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
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
		/* Zero trust on the way back too: only what the client's grants
		 * cover reaches it. Refusals here are silent. */
		if (!dp_policy_from_resource(w, peer, m))
			continue;
		enum wg_counter why = dp_decrement_hop(p);
		if (why) {
			dp_drop(w, m, why);
			continue;
		}
		dp_encrypt_to_peer(w, m, peer);
	}
}
