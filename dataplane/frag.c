/* Fragmenting on the way to a client: an IPv4 packet from a resource that is
 * larger than the client's tunnel MTU and does not forbid fragmenting (DF
 * clear) is split as a router would split it (lib/net/ip_frag.c), and each
 * fragment is sealed as a data message of its own, which is what the
 * kernel does before its WireGuard device sees the packet. The client's IP
 * stack reassembles.
 *
 * This is the exception path: the fragments are new mbufs from the
 * packet's own pool (the per-lcore cache; no malloc), which a burst of
 * full-size packets never takes. */
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/pipeline.h"
#include "lib/net/ip_frag.h"

/* All fragments of a packet are sealed as one burst. */
_Static_assert(WG_FRAG_MAX <= DP_BURST, "a packet's fragments must fit one burst");

bool dp_fragment_to_peer(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	struct wg_frag f[WG_FRAG_MAX];
	struct rte_mbuf *out[WG_FRAG_MAX];
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t n = wg_ipv4_fragment(p, m->data_len, peer->mtu, f, WG_FRAG_MAX);

	if (!n)
		return false;
	if (rte_pktmbuf_alloc_bulk(m->pool, out, (unsigned int)n)) {
		dp_drop(w, m, WG_CNT_DROP_FRAG_NO_MBUF);
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(out[i], (uint16_t)(f[i].hdr_len + f[i].len));

		/* A fragment is never larger than the original, which fitted
		 * a buffer of the same pool; checked all the same. */
		if (unlikely(!d)) {
			rte_pktmbuf_free_bulk(out, (unsigned int)n);
			dp_drop(w, m, WG_CNT_DROP_FRAG_NO_MBUF);
			return true;
		}
		memcpy(d, f[i].hdr, f[i].hdr_len);
		memcpy(d + f[i].hdr_len, p + f[i].off, f[i].len);
	}
	rte_pktmbuf_free(m);
	dp_count(w, WG_CNT_FRAGMENTED);
	w->cnt->v[WG_CNT_FRAGMENTS_MADE] += n;
	dp_encrypt_list_to_peer(w, peer, out, (unsigned int)n);
	return true;
}
