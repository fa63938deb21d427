/* The worker's pipeline stages. Each takes a burst and a count; packets it
 * drops are freed and counted under their reason by dp_drop(). */
#ifndef WGATE_DATAPLANE_PIPELINE_H
#define WGATE_DATAPLANE_PIPELINE_H

#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"

/* decrypt.c: WireGuard data messages (outer headers already stripped). */
void dp_decrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* encrypt.c: inner IP packets (Ethernet stripped) bound for clients: peer by
 * destination, policy, then sealed. */
void dp_encrypt_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* encrypt.c: seal one inner packet for a known peer and send it (replies the
 * gateway makes itself: echo replies, ICMP errors). */
void dp_encrypt_to_peer(struct dp_worker *w, struct rte_mbuf *m, struct dp_peer *peer);
/* encrypt.c: seal n (<= DP_BURST) inner packets for one peer as one burst
 * (the fragments of one packet). */
void dp_encrypt_list_to_peer(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf **ms,
			     unsigned int n);
/* frag.c: a packet larger than peer's MTU that may be fragmented (IPv4, DF
 * clear, at most WG_FRAG_MAX pieces) is split, and the fragments are sealed
 * and sent (m consumed, true). false, m untouched: it may not or cannot be
 * fragmented. */
bool dp_fragment_to_peer(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m);
/* policy.c: zero trust. Each returns true when the packet may go on;
 * otherwise it has been refused (ICMP error to the client, rate-limited)
 * or dropped, and counted. */
bool dp_policy_to_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m);
bool dp_policy_from_resource(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m);
/* policy.c: answer a client's packet with an ICMP error (prohibited, or
 * unreachable when unreachable is true), counted under why. Consumes m. */
void dp_refuse(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m,
	       enum wg_counter why, bool unreachable);
/* xmit.c: route an inner packet (no L2 header) out of a port. */
void dp_forward_inner(struct dp_worker *w, struct rte_mbuf *m);
/* xmit.c: add UDP/IP/Ethernet for a WireGuard message to an endpoint and
 * stage it; tos is the outer TOS / traffic class byte (ECN bits). Used by
 * workers; control-built frames go through tx rings. */
/* A handshake message (m holds just the message, its source in the
 * private area): punted to the control core, or under load vetted here
 * and answered with a cookie reply (dataplane/hs_guard.c). Consumes m. */
void dp_handshake_in(struct dp_worker *w, struct rte_mbuf *m);
void dp_send_outer(struct dp_worker *w, struct rte_mbuf *m, const struct dp_endpoint *ep,
		   uint8_t tos);
/* Queues a ready frame for port_idx (sent by dp_tx_flush). */
void dp_tx_stage(struct dp_worker *w, struct rte_mbuf *m, uint8_t port_idx);
/* Sends what is staged: every port (all = true), or only ports with a full
 * burst staged. */
void dp_tx_flush(struct dp_worker *w, bool all);
/* xmit.c, shared with the control core: prepend UDP and IP from our port
 * address to dst (route chosen here), then Ethernet for the next hop.
 * dp_eth_fill returns WG_CNT_DROP_NO_NEIGHBOR with the next hop recorded in
 * the mbuf's private area when the MAC is not known yet. */
enum wg_counter dp_encap_udp(struct rte_mbuf *m, const struct wg_ipaddr *dst,
			     uint16_t dst_port, uint8_t tos, const struct dp_route **rt);
enum wg_counter dp_eth_fill(struct rte_mbuf *m, const struct dp_route *rt,
			    const struct wg_ipaddr *dst);
/* decrypt.c: stage m for the worker owner's hand-off ring (sent by
 * dp_handoff_flush, or at once when that owner's staging is full). kind
 * says what the owner does with it (worker.c drain_handoff). */
void dp_handoff(struct dp_worker *w, struct rte_mbuf *m, unsigned int owner,
		enum dp_handoff_kind kind);
void dp_handoff_flush(struct dp_worker *w);
/* Punt a frame to the control core (handshakes, ARP/ND, neighbour misses). */
void dp_punt(struct dp_worker *w, struct rte_mbuf *m, enum dp_punt_reason why);
void dp_raise_event(struct dp_worker *w, const struct dp_event *ev);

static inline void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum wg_counter why)
{
	dp_count(w, why);
	rte_pktmbuf_free(m);
}

/* Routers decrement the hop count; a packet that would reach zero goes no
 * further. The inner packet was validated as IPv4 or IPv6 before. */
static inline enum wg_counter dp_decrement_hop(uint8_t *p)
{
	if ((p[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (void *)p;
		if (ip->time_to_live <= 1)
			return WG_CNT_DROP_TTL_EXCEEDED;
		ip->time_to_live--;
		/* RFC 1624: TTL - 1 raises the checksum by 0x0100. */
		uint32_t sum = (uint32_t)rte_be_to_cpu_16(ip->hdr_checksum) + 0x0100;
		ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)(sum + (sum >> 16)));
		return 0;
	}
	struct rte_ipv6_hdr *ip6 = (void *)p;
	if (ip6->hop_limits <= 1)
		return WG_CNT_DROP_TTL_EXCEEDED;
	ip6->hop_limits--;
	return 0;
}

static inline uint64_t dp_ns_to_tsc(uint64_t ns)
{
	return (uint64_t)((double)ns * (double)dp.tsc_hz / 1e9);
}

#endif
