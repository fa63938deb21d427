/* ECN across the tunnel (RFC 6040, normal mode, as the kernel's WireGuard
 * does with ip_tunnel_ecn_encap / INET_ECN_decapsulate):
 *   encapsulation: the outer header carries the inner ECN field, except
 *     that CE becomes ECT(0) (a mark must not be seen twice downstream);
 *   decapsulation: congestion met on the outer path (outer CE) is copied
 *     onto an ECN-capable inner packet; an inner Not-ECT packet cannot
 *     carry it and is dropped, the only congestion signal it understands. */
#ifndef WGATE_DATAPLANE_ECN_H
#define WGATE_DATAPLANE_ECN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#define DP_ECN_MASK	3
#define DP_ECN_NOT_ECT	0
#define DP_ECN_ECT1	1
#define DP_ECN_ECT0	2
#define DP_ECN_CE	3

/* ECN field of a validated IPv4 or IPv6 packet. */
static inline uint8_t dp_ecn_get(const uint8_t *p)
{
	if ((p[0] >> 4) == 4)
		return ((const struct rte_ipv4_hdr *)p)->type_of_service & DP_ECN_MASK;
	return (uint8_t)(rte_be_to_cpu_32(((const struct rte_ipv6_hdr *)p)->vtc_flow) >> 20) &
	       DP_ECN_MASK;
}

/* The outer ECN field for an inner packet's. */
static inline uint8_t dp_ecn_encap(uint8_t inner)
{
	return inner == DP_ECN_CE ? DP_ECN_ECT0 : inner;
}

/* Applies the outer ECN field to the inner packet p in place. Returns 1
 * when CE was copied, 0 when nothing changed, -1 when the packet must be
 * dropped (outer CE, inner Not-ECT). */
static inline int dp_ecn_decap(uint8_t *p, uint8_t outer)
{
	uint8_t inner;

	if (outer != DP_ECN_CE)
		return 0;
	inner = dp_ecn_get(p);
	if (inner == DP_ECN_CE)
		return 0;
	if (inner == DP_ECN_NOT_ECT)
		return -1;
	if ((p[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
		/* RFC 1624 incremental update: the 16-bit word holding the TOS
		 * gains (CE - inner), so the one's complement sum gains it
		 * too and the checksum loses it. */
		uint32_t sum = (uint16_t)~rte_be_to_cpu_16(ip->hdr_checksum);
		sum += (uint32_t)(DP_ECN_CE - inner);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->type_of_service |= DP_ECN_CE;
		ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~sum);
		return 1;
	}
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)p;
	ip6->vtc_flow |= rte_cpu_to_be_32((uint32_t)DP_ECN_CE << 20);
	return 1;
}

#endif
