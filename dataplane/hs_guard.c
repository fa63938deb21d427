/* Handshake floods, answered by the workers. A flood of initiations with a
 * valid mac1 (anyone who knows the gateway's public key computes it) from
 * spoofed sources would otherwise fill the punt ring faster than one control
 * core can send cookie replies, and a legitimate client's initiation would
 * be dropped with the flood. So while the control core says the gateway is
 * under load (dp.hs_under_load, from the punt ring's fill level and from
 * how many requests the workers answered, control/handshake.c), each worker
 * checks mac1 and mac2 itself with the shared cookie secret:
 *   mac1 wrong           -> dropped (handshake_drop_bad_mac1)
 *   mac2 right           -> punted: the source is proven; the control core
 *                           applies its per-source rate and does the DH
 *   initiation, no mac2  -> answered here with a cookie reply, in place in
 *                           its own mbuf (no allocation)
 *   response, no mac2    -> dropped (handshake_drop_bad_mac2)
 * Cookie replies (to our own initiations) always go to the control core.
 * The cost is three BLAKE2s and one XChaCha20-Poly1305 of 16 bytes per
 * request, spread over every worker; a cookie made here validates on any
 * worker and on the control core, since they share one secret. */
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/pipeline.h"
#include "lib/wg/cookie.h"
#include "lib/wg/messages.h"

static void cookie_reply(struct dp_worker *w, struct rte_mbuf *m,
			 const struct dp_cookie_secret *cs, size_t ip_len)
{
	const struct wg_msg_initiation *init = rte_pktmbuf_mtod(m, const struct wg_msg_initiation *);
	struct dp_mbuf_priv *pv = dp_priv(m);
	struct wg_msg_cookie reply;
	uint64_t ctr;

	memcpy(&ctr, w->cookie_nonce + 16, sizeof(ctr));
	ctr++;
	memcpy(w->cookie_nonce + 16, &ctr, sizeof(ctr));
	if (wg_cookie_reply_with(dp.cookie_key, cs->secret, &reply, init, sizeof(*init),
				 wg_le32(init->sender_index), pv->src.a, ip_len,
				 pv->src_udp_port, w->cookie_nonce)) {
		dp_drop(w, m, WG_CNT_HS_DROP_BAD_MAC1);	/* bad address length: cannot be */
		return;
	}
	/* The reply is shorter: written over the initiation, the rest cut. */
	memcpy(rte_pktmbuf_mtod(m, void *), &reply, sizeof(reply));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - sizeof(reply)));
	dp_count(w, WG_CNT_HS_COOKIE_TX);

	struct dp_endpoint ep = { .ip = pv->src, .udp_port = pv->src_udp_port,
				  .port_idx = pv->in_port_idx };
	dp_send_outer(w, m, &ep, 0);
}

void dp_handshake_in(struct dp_worker *w, struct rte_mbuf *m)
{
	const struct wg_msg_header *h = rte_pktmbuf_mtod(m, const struct wg_msg_header *);
	const struct dp_mbuf_priv *pv = dp_priv(m);
	const struct dp_cookie_secret *cs;
	size_t ip_len;

	if (h->type == WG_MSG_COOKIE ||
	    !atomic_load_explicit(&dp.hs_under_load, memory_order_relaxed) ||
	    !(cs = atomic_load_explicit(&dp.cookie_secret, memory_order_acquire))) {
		dp_punt(w, m, DP_PUNT_HANDSHAKE);
		return;
	}
	ip_len = pv->src.af == WG_AF_INET4 ? 4 : 16;
	switch (wg_cookie_validate_with(dp.mac1_key, cs->secret, h, m->data_len, pv->src.a,
					ip_len, pv->src_udp_port, true)) {
	case WG_MAC_INVALID:
		dp_drop(w, m, WG_CNT_HS_DROP_BAD_MAC1);
		return;
	case WG_MAC_VALID_MAC2:
		dp_punt(w, m, DP_PUNT_HANDSHAKE);
		return;
	case WG_MAC_VALID_MAC1:
		break;
	}
	if (h->type != WG_MSG_INITIATION) {
		dp_drop(w, m, WG_CNT_HS_DROP_BAD_MAC2);
		return;
	}
	dp_count(w, WG_CNT_HS_INITIATION_RX);
	cookie_reply(w, m, cs, ip_len);
}
