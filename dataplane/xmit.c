/* Everything that leaves a worker: routing an inner packet to the resources,
 * wrapping a WireGuard message in UDP/IP for an endpoint, resolving the next
 * hop's MAC, staging frames per port and flushing them once per burst.
 * Frames whose next hop is not resolved yet go to the control core, which
 * holds them while it asks (ARP/ND) and sends them once it knows. */
#include "dataplane/nat.h"
#include "dataplane/pipeline.h"

#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "lib/net/prefix_map.h"

void dp_punt(struct dp_worker *w, struct rte_mbuf *m, enum dp_punt_reason why)
{
	dp_priv(m)->punt_reason = (uint8_t)why;
	if (rte_ring_mp_enqueue(dp.punt_ring, m) != 0) {
		dp_drop(w, m, WG_CNT_DROP_RING_FULL);
		return;
	}
	dp_count(w, why == DP_PUNT_HANDSHAKE ? WG_CNT_HANDSHAKE_PUNTED :
		    why == DP_PUNT_DNS ? WG_CNT_DNS_PUNTED :
		    why == DP_PUNT_FZ_CONTROL ? WG_CNT_FZ_CONTROL_PUNTED : WG_CNT_ARP_ND_PUNTED);
}

void dp_raise_event(struct dp_worker *w, const struct dp_event *ev)
{
	if (rte_ring_mp_enqueue_elem(dp.event_ring, (void *)ev, sizeof(*ev)) != 0)
		dp_count(w, WG_CNT_DROP_EVENT_RING_FULL);
}

/* Sends what is staged for port p. What a full TX queue does not take is
 * dropped (drop_tx_full), or, with enobufs-as-would-block, kept staged in
 * order for the next flush, like a would-block: unless keep is false
 * (staging is full and must make room). */
static void flush_port(struct dp_worker *w, unsigned int p, bool keep)
{
	uint16_t n = w->n_tx[p];
	uint64_t bytes = 0;
	uint16_t sent;

	/* Summed before the burst: a sent mbuf belongs to the PMD at once
	 * (af_packet frees it inside the call); unsent ones are ours again. */
	for (uint16_t i = 0; i < n; i++)
		bytes += w->tx[p][i]->pkt_len;
	sent = rte_eth_tx_burst(dp.ports[p].port_id, (uint16_t)w->idx, w->tx[p], n);
	for (uint16_t i = sent; i < n; i++)
		bytes -= w->tx[p][i]->pkt_len;
	w->cnt->v[WG_CNT_TX_PACKETS] += sent;
	w->cnt->v[WG_CNT_TX_BYTES] += bytes;
	if (unlikely(sent < n) && keep && DP_BURST_FLAG(w, tx_retry)) {
		w->cnt->v[WG_CNT_TX_FULL_RETRIED] += (uint16_t)(n - sent);
		memmove(&w->tx[p][0], &w->tx[p][sent], (size_t)(n - sent) * sizeof(w->tx[p][0]));
		w->n_tx[p] = (uint16_t)(n - sent);
		return;
	}
	for (uint16_t i = sent; i < n; i++)
		dp_drop(w, w->tx[p][i], WG_CNT_DROP_TX_FULL);
	w->n_tx[p] = 0;
}

void dp_tx_stage(struct dp_worker *w, struct rte_mbuf *m, uint8_t port_idx)
{
	if (unlikely(w->n_tx[port_idx] == RTE_DIM(w->tx[0]))) {
		flush_port(w, port_idx, true);
		if (w->n_tx[port_idx] == RTE_DIM(w->tx[0]))
			flush_port(w, port_idx, false);
	}
	w->tx[port_idx][w->n_tx[port_idx]++] = m;
}

/* A full burst goes out at once; a partial one waits for more until the
 * worker is idle or the drain deadline passes (l3fwd's BURST_TX_DRAIN_US),
 * so that moderate loads still reach the port in whole bursts. */
void dp_tx_flush(struct dp_worker *w, bool all)
{
	for (unsigned int p = 0; p < dp.n_ports; p++)
		if (w->n_tx[p] && (all || w->n_tx[p] >= DP_BURST))
			flush_port(w, p, true);
	if (all)
		w->tx_deadline_tsc = w->now_tsc + dp.tx_drain_tsc;
}

enum wg_counter dp_eth_fill(struct rte_mbuf *m, const struct dp_route *rt,
			    const struct wg_ipaddr *dst)
{
	const struct wg_prefix_map *nbrs =
		atomic_load_explicit(&dp.neighbours, memory_order_acquire);
	const struct wg_ipaddr *nh = rt->connected ? dst : &rt->via;
	struct rte_ether_hdr *eth =
		(struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	uintptr_t v;
	uint8_t port_idx;

	if (unlikely(!eth))
		return WG_CNT_DROP_NO_HEADROOM;
	eth->ether_type = rte_cpu_to_be_16(dst->af == WG_AF_INET4 ? RTE_ETHER_TYPE_IPV4
								   : RTE_ETHER_TYPE_IPV6);
	rte_ether_addr_copy(&dp.ports[rt->port_idx].mac, &eth->src_addr);
	dp_priv(m)->out_port_idx = rt->port_idx;
	if (unlikely(!wg_prefix_map_lookup(nbrs, nh, &v))) {
		dp_priv(m)->nexthop = *nh;
		return WG_CNT_DROP_NO_NEIGHBOR;
	}
	dp_neigh_unpack(v, &eth->dst_addr, &port_idx);
	return 0;
}

/* Ethernet for the next hop, then staged; a frame whose next hop is not
 * resolved yet goes to the control core, which holds it while it asks. */
static void l2_out(struct dp_worker *w, struct rte_mbuf *m, const struct dp_route *rt,
		   const struct wg_ipaddr *dst)
{
	enum wg_counter why = dp_eth_fill(m, rt, dst);

	if (likely(!why)) {
		dp_tx_stage(w, m, rt->port_idx);
	} else if (why == WG_CNT_DROP_NO_NEIGHBOR) {
		/* Held by the control core while it asks; dropped (and counted
		 * as drop_no_neighbor) there if nobody answers. */
		dp_count(w, WG_CNT_NEIGH_HELD);
		dp_punt(w, m, DP_PUNT_NEIGH_MISS);
	} else {
		dp_drop(w, m, why);
	}
}

void dp_forward_inner(struct dp_worker *w, struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct wg_ipaddr dst;
	uintptr_t v;
	enum wg_counter why;

	if ((p[0] >> 4) == 4)
		wg_ipaddr_from_v4(&dst, &((struct rte_ipv4_hdr *)p)->dst_addr);
	else
		wg_ipaddr_from_v6(&dst, ((struct rte_ipv6_hdr *)p)->dst_addr);

	if (!wg_prefix_map_lookup(dp.routes, &dst, &v)) {
		dp_drop(w, m, WG_CNT_DROP_NO_ROUTE);
		return;
	}
	why = dp_decrement_hop(p);
	if (why) {
		dp_drop(w, m, why);
		return;
	}
	const struct dp_route *rt = (const struct dp_route *)v;
	if (dp.ports[rt->port_idx].masquerade && !dp_nat_masquerade(w, m, rt->port_idx))
		return;
	l2_out(w, m, rt, &dst);
}

/* Asks the port for the outer checksums of m: the Ethernet header that
 * xmit adds has no VLAN tag, so l2_len is fixed. */
static inline void tx_offload(struct rte_mbuf *m, uint16_t l3_len, uint64_t flags)
{
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = l3_len;
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_TX_OFFLOAD_MASK) | flags;
}

enum wg_counter dp_encap_udp(struct rte_mbuf *m, const struct wg_ipaddr *dst,
			     uint16_t dst_port, uint8_t tos, const struct dp_route **rt_out)
{
	uintptr_t v;

	if (!wg_prefix_map_lookup(dp.routes, dst, &v))
		return WG_CNT_DROP_NO_ROUTE;
	const struct dp_route *rt = (const struct dp_route *)v;
	const struct dp_port *port = &dp.ports[rt->port_idx];
	uint16_t payload = (uint16_t)m->data_len;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*udp));

	if (unlikely(!udp))
		return WG_CNT_DROP_NO_HEADROOM;
	*rt_out = rt;
	udp->src_port = rte_cpu_to_be_16(dp.listen_port);
	udp->dst_port = rte_cpu_to_be_16(dst_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(payload + sizeof(*udp)));
	udp->dgram_cksum = 0;

	if (dst->af == WG_AF_INET4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
		if (unlikely(!ip))
			return WG_CNT_DROP_NO_HEADROOM;
		*ip = (struct rte_ipv4_hdr){
			.version_ihl = RTE_IPV4_VHL_DEF,
			.type_of_service = tos,
			.total_length = rte_cpu_to_be_16((uint16_t)(m->data_len)),
			.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG),
			.time_to_live = 64,
			.next_proto_id = IPPROTO_UDP,
		};
		memcpy(&ip->src_addr, port->addr4.a, 4);
		memcpy(&ip->dst_addr, dst->a, 4);
		/* UDP checksum 0 is allowed over IPv4; the AEAD tag protects
		 * the payload anyway. */
		if (port->tx_ip4_cksum)
			tx_offload(m, sizeof(*ip), RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
		else
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		return 0;
	}
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip6));
	if (unlikely(!ip6))
		return WG_CNT_DROP_NO_HEADROOM;
	*ip6 = (struct rte_ipv6_hdr){
		.vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tos << 20),
		.payload_len = udp->dgram_len,
		.proto = IPPROTO_UDP,
		.hop_limits = 64,
	};
	memcpy(ip6->src_addr, port->addr6.a, 16);
	memcpy(ip6->dst_addr, dst->a, 16);
	/* Mandatory over IPv6 (RFC 8200 section 8.1). The NIC wants the
	 * pseudo-header sum in the field and adds the datagram's. */
	if (port->tx_udp_cksum) {
		tx_offload(m, sizeof(*ip6), RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
		udp->dgram_cksum = rte_ipv6_phdr_cksum(ip6, m->ol_flags);
	} else {
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	}
	return 0;
}

void dp_send_outer(struct dp_worker *w, struct rte_mbuf *m, const struct dp_endpoint *ep,
		   uint8_t tos)
{
	const struct dp_route *rt;
	enum wg_counter why = dp_encap_udp(m, &ep->ip, ep->udp_port, tos, &rt);

	if (why) {
		dp_drop(w, m, why);
		return;
	}
	l2_out(w, m, rt, &ep->ip);
}
