/* The gateway's own tunnel addresses answer ping: an echo request from a
 * client is turned around in place (no allocation) and sent back through
 * the tunnel, so a client can check the tunnel without any resource. */
#include "dataplane/icmp.h"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include <rte_ip.h>

#include "dataplane/pipeline.h"

bool dp_icmp_echo_turn(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = m->data_len;

	if ((p[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		if (ip->next_proto_id != IPPROTO_ICMP || len < ihl + 8)
			return false;
		uint8_t *icmp = p + ihl;
		if (icmp[0] != ICMP_ECHO || icmp[1] != 0)
			return false;
		icmp[0] = ICMP_ECHOREPLY;
		icmp[2] = icmp[3] = 0;
		uint16_t ck = (uint16_t)~rte_raw_cksum(icmp, len - ihl);
		memcpy(icmp + 2, &ck, 2);
		rte_be32_t a = ip->src_addr;
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		return true;
	}
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)p;
	if (ip6->proto != IPPROTO_ICMPV6 || len < sizeof(*ip6) + 8)
		return false;
	uint8_t *icmp = (uint8_t *)(ip6 + 1);
	if (icmp[0] != ICMP6_ECHO_REQUEST || icmp[1] != 0)
		return false;
	uint8_t a[16];
	memcpy(a, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, a, 16);
	ip6->hop_limits = 64;
	icmp[0] = ICMP6_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	uint16_t ck = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &ck, 2);
	return true;
}

/* UDP or TCP to port 53 (IPv6: right after the fixed header), not a
 * fragment: the stub's queries (UDP) and connections (TCP). */
static bool is_dns(const uint8_t *p, uint32_t len)
{
	uint32_t off = (p[0] >> 4) == 4 ? (uint32_t)(p[0] & 0xf) * 4 : 40;
	uint8_t proto = (p[0] >> 4) == 4 ? p[9] : p[6];

	if (proto == IPPROTO_UDP ? len < off + 8 : proto != IPPROTO_TCP || len < off + 20)
		return false;
	if ((p[0] >> 4) == 4 && (p[6] & 0x3f) | p[7])
		return false;	/* a fragment */
	return p[off + 2] == 0 && p[off + 3] == 53;
}

bool dp_for_gateway(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct wg_ipaddr dst;

	if ((p[0] >> 4) == 4)
		wg_ipaddr_from_v4(&dst, &((const struct rte_ipv4_hdr *)p)->dst_addr);
	else
		wg_ipaddr_from_v6(&dst, ((const struct rte_ipv6_hdr *)p)->dst_addr);
	for (unsigned int i = 0; i < dp.n_tunnel_addrs; i++) {
		if (!wg_ipaddr_equal(&dst, &dp.tunnel_addrs[i]))
			continue;
		if (dp_icmp_echo_turn(m)) {
			dp_count(w, WG_CNT_ECHO_REPLIED);
			dp_encrypt_to_peer(w, m, peer);
		} else if (is_dns(p, m->data_len)) {
			dp_punt(w, m, DP_PUNT_DNS);	/* the stub: control/stub.c */
		} else {
			dp_drop(w, m, WG_CNT_DROP_NOT_FOR_US);
		}
		return true;
	}
	return false;
}
