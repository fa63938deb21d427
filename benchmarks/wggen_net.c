/* wggen's port: setup, ARP, and the outer Ethernet/IPv4/UDP framing.
 *
 * The generator's veth end has no kernel address (the kernel would answer
 * ARP for it and reply to our frames with ICMP), so ARP is ours: we answer
 * requests for g->ip and resolve the gateway's address ourselves. Outer UDP
 * checksums are 0, which IPv4 allows; WireGuard authenticates the payload
 * anyway. */
#include "benchmarks/wggen.h"

#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "benchmarks/bench_util.h"

#define RX_DESC		1024
#define TX_DESC		1024
#define ARP_RETRY_NS	(200ULL * 1000 * 1000)

int gen_port_init(struct gen *g, uint16_t port_id)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	g->port_id = port_id;
	rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
	if (rc)
		return rc;
	rc = rte_eth_rx_queue_setup(port_id, 0, RX_DESC, rte_eth_dev_socket_id(port_id), NULL,
				    g->mp);
	if (rc)
		return rc;
	rc = rte_eth_tx_queue_setup(port_id, 0, TX_DESC, rte_eth_dev_socket_id(port_id), NULL);
	if (rc)
		return rc;
	rc = rte_eth_dev_start(port_id);
	if (rc)
		return rc;
	return rte_eth_macaddr_get(port_id, &g->mac);
}

/* Sends one frame, a few tries if the ring is full; consumes m. */
static int xmit_one(struct gen *g, struct rte_mbuf *m)
{
	for (int i = 0; i < 100; i++)
		if (rte_eth_tx_burst(g->port_id, 0, &m, 1) == 1)
			return 0;
	rte_pktmbuf_free(m);
	return -ENOBUFS;
}

void gen_ipv4_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		  size_t payload_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + payload_len));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload_len));
	udp->dgram_cksum = 0;
}

/* Outer Ethernet + IPv4 + UDP header for payload_len bytes to the gateway. */
static void fill_hdr(const struct gen *g, uint8_t *buf, uint16_t src_port, size_t payload_len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;

	rte_ether_addr_copy(&g->gw_mac, &eth->dst_addr);
	rte_ether_addr_copy(&g->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	gen_ipv4_udp((uint8_t *)(eth + 1), g->ip, g->gw_ip, src_port, g->gw_port, payload_len);
}

void gen_frame_templates(struct gen *g, size_t msg_len)
{
	for (unsigned int i = 0; i < g->n; i++)
		fill_hdr(g, g->c[i].hdr, g->c[i].udp_port, msg_len);
}

int gen_send_udp(struct gen *g, uint16_t src_port, const void *payload, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->mp);
	uint8_t *p;

	if (!m)
		return -ENOMEM;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(GEN_HDR_LEN + len));
	if (!p) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	fill_hdr(g, p, src_port, len);
	memcpy(p + GEN_HDR_LEN, payload, len);
	return xmit_one(g, m);
}

static void send_arp(struct gen *g, uint16_t op, const struct rte_ether_addr *dst_mac,
		     uint32_t target_ip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (!m)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (!eth) {
		rte_pktmbuf_free(m);
		return;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (dst_mac)
		rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	else
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&g->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&g->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = g->ip;
	if (dst_mac)
		rte_ether_addr_copy(dst_mac, &arp->arp_data.arp_tha);
	else
		memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = target_ip;
	xmit_one(g, m);
}

static void arp_input(struct gen *g, const struct rte_arp_hdr *arp)
{
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);

	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return;
	/* Any ARP from the gateway tells us where it is. */
	if (arp->arp_data.arp_sip == g->gw_ip)
		rte_ether_addr_copy(&arp->arp_data.arp_sha, &g->gw_mac);
	if (op == RTE_ARP_OP_REQUEST && arp->arp_data.arp_tip == g->ip) {
		send_arp(g, RTE_ARP_OP_REPLY, &arp->arp_data.arp_sha, arp->arp_data.arp_sip);
		g->arp_answered++;
	}
}

unsigned int gen_rx_poll(struct gen *g,
			 void (*on_wg)(struct gen *g, uint16_t dst_port, const uint8_t *msg,
				       size_t len))
{
	struct rte_mbuf *pkts[GEN_BURST];
	uint16_t n = rte_eth_rx_burst(g->port_id, 0, pkts, GEN_BURST);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t len = rte_pktmbuf_data_len(m);
		const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;

		if (len < sizeof(*eth))
			goto next;
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			if (len >= sizeof(*eth) + sizeof(struct rte_arp_hdr))
				arp_input(g, (const struct rte_arp_hdr *)(eth + 1));
		} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && on_wg &&
			   len >= GEN_HDR_LEN) {
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
			size_t ihl = (size_t)(ip->version_ihl & 0x0f) * 4;
			const struct rte_udp_hdr *udp;
			size_t ulen;

			if (ip->next_proto_id != IPPROTO_UDP || ip->src_addr != g->gw_ip ||
			    ip->dst_addr != g->ip || ihl < 20 ||
			    len < sizeof(*eth) + ihl + sizeof(*udp))
				goto next;
			udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
			ulen = rte_be_to_cpu_16(udp->dgram_len);
			if (udp->src_port != rte_cpu_to_be_16(g->gw_port) || ulen < sizeof(*udp) ||
			    sizeof(*eth) + ihl + ulen > len)
				goto next;
			on_wg(g, rte_be_to_cpu_16(udp->dst_port), (const uint8_t *)(udp + 1),
			      ulen - sizeof(*udp));
		}
next:
		rte_pktmbuf_free(m);
	}
	return n;
}

int gen_resolve_gateway(struct gen *g, double timeout_s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9), asked = 0;

	memset(&g->gw_mac, 0, sizeof(g->gw_mac));
	while (rte_is_zero_ether_addr(&g->gw_mac)) {
		uint64_t now = bench_now_ns();

		if (now >= deadline)
			return -ETIMEDOUT;
		if (now - asked >= ARP_RETRY_NS) {
			send_arp(g, RTE_ARP_OP_REQUEST, NULL, g->gw_ip);
			asked = now;
		}
		if (!gen_rx_poll(g, NULL))
			rte_delay_us_sleep(1000);
	}
	return 0;
}
