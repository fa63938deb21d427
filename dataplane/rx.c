/* First stage of every worker: sort a received burst into WireGuard data
 * messages (to decrypt), packets from the resources bound for clients (to
 * encrypt), and the rare frames the control core handles (handshakes,
 * ARP, neighbour discovery). Everything else is dropped under a reason. */
#include "dataplane/rx.h"

#include <netinet/icmp6.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/ecn.h"
#include "dataplane/nat.h"
#include "dataplane/pipeline.h"
#include "lib/wg/messages.h"

static bool is_local(const struct wg_ipaddr *ip)
{
	for (unsigned int p = 0; p < dp.n_ports; p++)
		for (unsigned int i = 0; i < dp.ports[p].n_addrs; i++)
			if (wg_ipaddr_equal(ip, &dp.ports[p].addrs[i]))
				return true;
	return false;
}

/* A UDP datagram to our WireGuard port: strip to the WireGuard message and
 * sort it by type and size. */
static void wireguard_in(struct dp_worker *w, struct rte_mbuf *m, uint32_t l3_len,
			 const struct rte_udp_hdr *udp, struct dp_rx_sort *out)
{
	uint32_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
	uint32_t avail = m->data_len - l3_len;

	if (udp_len < sizeof(*udp) || udp_len > avail) {
		dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
		return;
	}
	dp_priv(m)->src_udp_port = rte_be_to_cpu_16(udp->src_port);
	rte_pktmbuf_adj(m, (uint16_t)(l3_len + sizeof(*udp)));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - (udp_len - sizeof(*udp))));

	uint32_t len = m->data_len;
	const struct wg_msg_header *h = rte_pktmbuf_mtod(m, const struct wg_msg_header *);
	if (len < sizeof(*h)) {
		dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
		return;
	}
	if (h->reserved[0] | h->reserved[1] | h->reserved[2]) {
		dp_drop(w, m, WG_CNT_DROP_BAD_TYPE);
		return;
	}
	switch (h->type) {
	case WG_MSG_DATA:
		if (len < WG_DATA_MIN_LEN) {
			dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
			return;
		}
		out->data[out->n_data++] = m;
		return;
	case WG_MSG_INITIATION:
	case WG_MSG_RESPONSE:
	case WG_MSG_COOKIE:
		/* Sizes are exact; a wrong one never reaches the control core. */
		if (len != (h->type == WG_MSG_INITIATION ? sizeof(struct wg_msg_initiation) :
			    h->type == WG_MSG_RESPONSE ? sizeof(struct wg_msg_response) :
							sizeof(struct wg_msg_cookie))) {
			dp_drop(w, m, WG_CNT_DROP_BAD_LENGTH);
			return;
		}
		dp_handshake_in(w, m);
		return;
	default:
		dp_drop(w, m, WG_CNT_DROP_BAD_TYPE);
	}
}

/* A packet for one of our port addresses that is not WireGuard: an answer
 * to a masqueraded flow is put back to the client (then encrypted like any
 * packet for a client), anything else is not for us. */
static void local_not_wireguard(struct dp_worker *w, struct rte_mbuf *m, uint32_t ip_len,
				struct dp_rx_sort *out)
{
	if (dp.masquerade_any) {
		rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - ip_len));
		if (dp_nat_from_resource(w, m)) {
			out->enc[out->n_enc++] = m;
			return;
		}
		if (dp.n_workers > 1 && dp_nat_masq_elsewhere(w, m))
			return;
	}
	dp_drop(w, m, WG_CNT_DROP_NOT_FOR_US);
}

/* Trim Ethernet padding and strip L2 so that the inner packet is exact. */
static void to_clients(struct dp_worker *w, struct rte_mbuf *m, uint32_t ip_len,
		       struct dp_rx_sort *out)
{
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - ip_len));
	(void)w;
	out->enc[out->n_enc++] = m;
}

static void ipv4_in(struct dp_worker *w, struct rte_mbuf *m, struct dp_rx_sort *out)
{
	uint32_t len = m->data_len - sizeof(struct rte_ether_hdr);
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	uint32_t ihl, tot;
	struct wg_ipaddr dst;

	if (len < sizeof(*ip)) {
		dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
		return;
	}
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || tot < ihl || tot > len) {
		dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
		return;
	}
	wg_ipaddr_from_v4(&dst, &ip->dst_addr);
	if (!is_local(&dst)) {
		uint8_t first = dst.a[0];
		if (first >= 224 || (first == 0)) {	/* multicast, broadcast, 0/8 */
			dp_drop(w, m, WG_CNT_DROP_NOT_FOR_US);
			return;
		}
		to_clients(w, m, tot, out);
		return;
	}
	if (ip->next_proto_id != IPPROTO_UDP || tot < ihl + sizeof(struct rte_udp_hdr)) {
		local_not_wireguard(w, m, tot, out);
		return;
	}
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		dp_drop(w, m, WG_CNT_DROP_FRAGMENT);
		return;
	}
	const struct rte_udp_hdr *udp = (const void *)((const uint8_t *)ip + ihl);
	if (rte_be_to_cpu_16(udp->dst_port) != dp.listen_port) {
		local_not_wireguard(w, m, tot, out);
		return;
	}
	wg_ipaddr_from_v4(&dp_priv(m)->src, &ip->src_addr);
	dp_priv(m)->outer_ecn = dp_ecn_get((const uint8_t *)ip);
	rte_pktmbuf_trim(m, (uint16_t)(len - tot));
	wireguard_in(w, m, sizeof(struct rte_ether_hdr) + ihl, udp, out);
}

static bool is_nd(const struct rte_ipv6_hdr *ip6, uint32_t len)
{
	if (ip6->proto != IPPROTO_ICMPV6 || len < sizeof(*ip6) + 4)
		return false;
	uint8_t type = ((const uint8_t *)(ip6 + 1))[0];
	return type == ND_NEIGHBOR_SOLICIT || type == ND_NEIGHBOR_ADVERT;
}

static void ipv6_in(struct dp_worker *w, struct rte_mbuf *m, struct dp_rx_sort *out)
{
	uint32_t len = m->data_len - sizeof(struct rte_ether_hdr);
	const struct rte_ipv6_hdr *ip6 =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
	uint32_t tot;
	struct wg_ipaddr dst;

	if (len < sizeof(*ip6)) {
		dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
		return;
	}
	tot = sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
	if ((ip6->vtc_flow & rte_cpu_to_be_32(0xf0000000)) != rte_cpu_to_be_32(0x60000000) ||
	    tot > len) {
		dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
		return;
	}
	if (is_nd(ip6, tot)) {
		rte_pktmbuf_trim(m, (uint16_t)(len - tot));
		dp_punt(w, m, DP_PUNT_ND);
		return;
	}
	wg_ipaddr_from_v6(&dst, ip6->dst_addr);
	if (!is_local(&dst)) {
		if (dst.a[0] == 0xff) {
			dp_drop(w, m, WG_CNT_DROP_NOT_FOR_US);
			return;
		}
		to_clients(w, m, tot, out);
		return;
	}
	/* Extension headers before UDP are not expected on WireGuard traffic. */
	const struct rte_udp_hdr *udp = (const void *)(ip6 + 1);
	if (ip6->proto != IPPROTO_UDP || tot < sizeof(*ip6) + sizeof(*udp) ||
	    rte_be_to_cpu_16(udp->dst_port) != dp.listen_port) {
		if (ip6->proto == IPPROTO_FRAGMENT)
			dp_drop(w, m, WG_CNT_DROP_FRAGMENT);
		else
			local_not_wireguard(w, m, tot, out);
		return;
	}
	wg_ipaddr_from_v6(&dp_priv(m)->src, ip6->src_addr);
	dp_priv(m)->outer_ecn = dp_ecn_get((const uint8_t *)ip6);
	rte_pktmbuf_trim(m, (uint16_t)(len - tot));
	wireguard_in(w, m, sizeof(struct rte_ether_hdr) + sizeof(*ip6), udp, out);
}

void dp_rx_sort_burst(struct dp_worker *w, uint8_t port_idx, struct rte_mbuf **pkts,
		      uint16_t n, struct dp_rx_sort *out)
{
	uint64_t bytes = 0;

	out->n_data = out->n_enc = 0;
	w->cnt->v[WG_CNT_RX_PACKETS] += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		if (unlikely(m->nb_segs != 1)) {
			dp_drop(w, m, WG_CNT_DROP_CHAINED_MBUF);
			continue;
		}
		if (unlikely(m->data_len < sizeof(*eth))) {
			dp_drop(w, m, WG_CNT_DROP_TRUNCATED);
			continue;
		}
		dp_priv(m)->in_port_idx = port_idx;
		dp_priv(m)->rx_worker = (uint8_t)w->idx;
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		switch (rte_be_to_cpu_16(eth->ether_type)) {
		case RTE_ETHER_TYPE_IPV4:
			ipv4_in(w, m, out);
			break;
		case RTE_ETHER_TYPE_IPV6:
			ipv6_in(w, m, out);
			break;
		case RTE_ETHER_TYPE_ARP:
			dp_punt(w, m, DP_PUNT_ARP);
			break;
		default:
			dp_drop(w, m, WG_CNT_DROP_NOT_IP);
		}
	}
	w->cnt->v[WG_CNT_RX_BYTES] += bytes;
}
