/* Neighbour table (control lcore only), ARP (RFC 826) and IPv6 neighbour
 * discovery (RFC 4861, solicitations and advertisements only).
 *
 * States: an entry is INCOMPLETE while we ask (up to NEIGH_TRIES requests,
 * one per second, holding up to NEIGH_HOLD frames), REACHABLE once an
 * answer or any ARP/ND from the address arrived. REACHABLE entries older
 * than NEIGH_REFRESH are asked again but keep working meanwhile; an
 * INCOMPLETE entry that never answers is dropped with its held frames. */
#include "dataplane/arp_nd.h"

#include <netinet/icmp6.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/log.h"
#include "dataplane/publish.h"
#include "lib/net/prefix_map.h"

#define NEIGH_MAX	4096
#define NEIGH_HOLD	4
#define NEIGH_TRIES	3
#define NEIGH_RETRY_NS	(1000ULL * 1000 * 1000)
#define NEIGH_REFRESH_NS (300ULL * 1000 * 1000 * 1000)

enum neigh_state { NEIGH_INCOMPLETE, NEIGH_REACHABLE };

struct neigh {
	struct wg_ipaddr ip;
	uint8_t port_idx;
	enum neigh_state state;
	struct rte_ether_addr mac;
	uint64_t confirmed_ns;
	uint64_t asked_ns;
	unsigned int tries;
	struct rte_mbuf *held[NEIGH_HOLD];
	unsigned int n_held;
};

static struct neigh table[NEIGH_MAX];
static unsigned int n_table;

struct nd_msg {
	uint8_t type, code;
	uint16_t cksum;
	uint32_t flags;
	uint8_t target[16];
	uint8_t opt_type, opt_len;
	struct rte_ether_addr opt_mac;
} __attribute__((packed, aligned(2)));
_Static_assert(sizeof(struct nd_msg) == 32, "NS/NA with one link-layer option");

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct neigh *find(const struct wg_ipaddr *ip)
{
	for (unsigned int i = 0; i < n_table; i++)
		if (wg_ipaddr_equal(&table[i].ip, ip))
			return &table[i];
	return NULL;
}

static void publish(void)
{
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	struct wg_prefix_map *m;

	if (!b)
		return;
	for (unsigned int i = 0; i < n_table; i++) {
		if (table[i].state != NEIGH_REACHABLE)
			continue;
		struct wg_prefix p = { .ip = table[i].ip, .len = wg_af_bits(table[i].ip.af) };
		wg_prefix_map_builder_add(b, &p, dp_neigh_pack(&table[i].mac, table[i].port_idx));
	}
	m = wg_prefix_map_build(b);
	if (m)
		dp_neighbours_publish(m);
}

static bool on_link(uint8_t port_idx, const struct wg_ipaddr *ip)
{
	const struct dp_port *p = &dp.ports[port_idx];

	for (unsigned int i = 0; i < p->n_addrs; i++) {
		struct wg_prefix net = { .ip = p->addrs[i], .len = p->addr_len[i] };
		wg_ipaddr_mask(&net.ip, net.len);
		if (wg_prefix_contains(&net, ip))
			return true;
	}
	return false;
}

static bool is_ours(uint8_t port_idx, const struct wg_ipaddr *ip)
{
	const struct dp_port *p = &dp.ports[port_idx];

	for (unsigned int i = 0; i < p->n_addrs; i++)
		if (wg_ipaddr_equal(&p->addrs[i], ip))
			return true;
	return false;
}

static void send_held(struct neigh *n)
{
	for (unsigned int i = 0; i < n->n_held; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(n->held[i], struct rte_ether_hdr *);
		rte_ether_addr_copy(&n->mac, &eth->dst_addr);
		dp_control_tx(n->held[i]);
	}
	n->n_held = 0;
}

static void drop_frame(struct rte_mbuf *m)
{
	dp.control_cnt->v[WG_CNT_DROP_NO_NEIGHBOR]++;
	rte_pktmbuf_free(m);
}

static void drop_held(struct neigh *n)
{
	for (unsigned int i = 0; i < n->n_held; i++)
		drop_frame(n->held[i]);
	n->n_held = 0;
}

/* Records what an ARP/ND frame told us about an on-link address. */
static void learn(uint8_t port_idx, const struct wg_ipaddr *ip, const struct rte_ether_addr *mac)
{
	struct neigh *n;

	if (!on_link(port_idx, ip) || rte_is_zero_ether_addr(mac) ||
	    !rte_is_unicast_ether_addr(mac))
		return;
	n = find(ip);
	if (!n) {
		if (n_table == NEIGH_MAX)
			return;
		n = &table[n_table++];
		*n = (struct neigh){ .ip = *ip };
	}
	bool changed = n->state != NEIGH_REACHABLE || !rte_is_same_ether_addr(&n->mac, mac) ||
		       n->port_idx != port_idx;
	n->port_idx = port_idx;
	n->mac = *mac;
	n->state = NEIGH_REACHABLE;
	n->confirmed_ns = now_ns();
	n->tries = 0;
	if (changed)
		publish();
	send_held(n);
}

static struct rte_mbuf *new_frame(uint8_t port_idx, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);

	if (!m)
		return NULL;
	if (!rte_pktmbuf_append(m, len)) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	dp_priv(m)->out_port_idx = port_idx;
	return m;
}

static void arp_send(uint8_t port_idx, uint16_t op, const struct rte_ether_addr *dst_mac,
		     const uint8_t tip[4], const struct rte_ether_addr *tha)
{
	const struct dp_port *p = &dp.ports[port_idx];
	struct rte_mbuf *m;

	if (!p->addr4.af)
		return;
	m = new_frame(port_idx, sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr));
	if (!m)
		return;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	eth->dst_addr = *dst_mac;
	eth->src_addr = p->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = p->mac;
	memcpy(&arp->arp_data.arp_sip, p->addr4.a, 4);
	arp->arp_data.arp_tha = *tha;
	memcpy(&arp->arp_data.arp_tip, tip, 4);
	dp_control_tx(m);
}

/* NS (to the solicited-node group) or NA (to dst). */
static void nd_send(uint8_t port_idx, uint8_t type, const uint8_t target[16],
		    const uint8_t dst_ip[16], const struct rte_ether_addr *dst_mac)
{
	const struct dp_port *p = &dp.ports[port_idx];
	struct rte_mbuf *m;

	if (!p->addr6.af)
		return;
	m = new_frame(port_idx, sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) +
					sizeof(struct nd_msg));
	if (!m)
		return;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	struct nd_msg *nd = (struct nd_msg *)(ip6 + 1);

	eth->dst_addr = *dst_mac;
	eth->src_addr = p->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	*ip6 = (struct rte_ipv6_hdr){
		.vtc_flow = rte_cpu_to_be_32(6u << 28),
		.payload_len = rte_cpu_to_be_16(sizeof(*nd)),
		.proto = IPPROTO_ICMPV6,
		.hop_limits = 255,	/* RFC 4861: receivers check it is 255 */
	};
	memcpy(ip6->src_addr, p->addr6.a, 16);
	memcpy(ip6->dst_addr, dst_ip, 16);
	*nd = (struct nd_msg){
		.type = type,
		.flags = type == ND_NEIGHBOR_ADVERT ? rte_cpu_to_be_32(0x60000000) : 0, /* S|O */
		.opt_type = type == ND_NEIGHBOR_ADVERT ? 2 : 1,	/* target / source LL */
		.opt_len = 1,
		.opt_mac = p->mac,
	};
	memcpy(nd->target, target, 16);
	nd->cksum = rte_ipv6_udptcp_cksum(ip6, nd);
	dp_control_tx(m);
}

static void ask(struct neigh *n)
{
	static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero;

	n->asked_ns = now_ns();
	n->tries++;
	if (n->ip.af == WG_AF_INET4) {
		arp_send(n->port_idx, RTE_ARP_OP_REQUEST, &bcast, n->ip.a, &zero);
		return;
	}
	/* Solicited-node multicast ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX. */
	uint8_t group[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff,
			      [13] = n->ip.a[13], [14] = n->ip.a[14], [15] = n->ip.a[15] };
	struct rte_ether_addr gmac = { .addr_bytes = { 0x33, 0x33, 0xff, n->ip.a[13],
						       n->ip.a[14], n->ip.a[15] } };
	nd_send(n->port_idx, ND_NEIGHBOR_SOLICIT, n->ip.a, group, &gmac);
}

void dp_neigh_resolve(uint8_t port_idx, const struct wg_ipaddr *ip)
{
	struct neigh *n = find(ip);

	if (n || n_table == NEIGH_MAX)
		return;
	n = &table[n_table++];
	*n = (struct neigh){ .ip = *ip, .port_idx = port_idx, .state = NEIGH_INCOMPLETE };
	ask(n);
}

void dp_neigh_hold(struct rte_mbuf *m)
{
	const struct dp_mbuf_priv *pv = dp_priv(m);
	struct neigh *n = find(&pv->nexthop);

	if (!n) {
		dp_neigh_resolve(pv->out_port_idx, &pv->nexthop);
		n = find(&pv->nexthop);
		if (!n) {
			drop_frame(m);	/* table full */
			return;
		}
	}
	if (n->state == NEIGH_REACHABLE) {	/* learnt after the worker looked */
		rte_ether_addr_copy(&n->mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		dp_control_tx(m);
		return;
	}
	if (n->n_held == NEIGH_HOLD) {	/* keep the newest, like the kernel */
		drop_frame(n->held[0]);
		memmove(n->held, n->held + 1, sizeof(n->held[0]) * (NEIGH_HOLD - 1));
		n->n_held--;
	}
	n->held[n->n_held++] = m;
}

static void arp_input(struct rte_mbuf *m, uint8_t port_idx)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	struct wg_ipaddr sip, tip;

	if (m->data_len < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != 6 || arp->arp_plen != 4)
		return;
	wg_ipaddr_from_v4(&sip, &arp->arp_data.arp_sip);
	wg_ipaddr_from_v4(&tip, &arp->arp_data.arp_tip);
	learn(port_idx, &sip, &arp->arp_data.arp_sha);
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && is_ours(port_idx, &tip))
		arp_send(port_idx, RTE_ARP_OP_REPLY, &arp->arp_data.arp_sha, sip.a,
			 &arp->arp_data.arp_sha);
}

static void nd_input(struct rte_mbuf *m, uint8_t port_idx)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	const struct nd_msg *nd = (const struct nd_msg *)(ip6 + 1);
	uint32_t icmp_len = rte_be_to_cpu_16(ip6->payload_len);
	struct wg_ipaddr src, target;
	static const uint8_t unspecified[16];

	if (ip6->hop_limits != 255 || icmp_len < offsetof(struct nd_msg, opt_type))
		return;
	wg_ipaddr_from_v6(&src, ip6->src_addr);
	wg_ipaddr_from_v6(&target, nd->target);
	/* The link-layer option is optional; without it the frame's source
	 * MAC stands in (it is the same on a plain Ethernet). */
	const struct rte_ether_addr *ll = &eth->src_addr;
	if (icmp_len >= sizeof(*nd) && nd->opt_len == 1 &&
	    nd->opt_type == (nd->type == ND_NEIGHBOR_SOLICIT ? 1 : 2))
		ll = &nd->opt_mac;

	if (nd->type == ND_NEIGHBOR_SOLICIT) {
		bool dad = memcmp(ip6->src_addr, unspecified, 16) == 0;
		if (!dad)
			learn(port_idx, &src, ll);
		if (!is_ours(port_idx, &target))
			return;
		static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
		static const struct rte_ether_addr all_nodes_mac = {
			.addr_bytes = { 0x33, 0x33, 0, 0, 0, 1 } };
		if (dad)
			nd_send(port_idx, ND_NEIGHBOR_ADVERT, nd->target, all_nodes, &all_nodes_mac);
		else
			nd_send(port_idx, ND_NEIGHBOR_ADVERT, nd->target, ip6->src_addr,
				&eth->src_addr);
	} else if (nd->type == ND_NEIGHBOR_ADVERT) {
		learn(port_idx, &target, ll);
	}
}

void dp_neigh_input(struct rte_mbuf *m)
{
	uint8_t port_idx = dp_priv(m)->in_port_idx;

	if (dp_priv(m)->punt_reason == DP_PUNT_ARP)
		arp_input(m, port_idx);
	else
		nd_input(m, port_idx);
	rte_pktmbuf_free(m);
}

void dp_neigh_tick(uint64_t now)
{
	for (unsigned int i = 0; i < n_table; i++) {
		struct neigh *n = &table[i];

		if (n->state == NEIGH_REACHABLE) {
			if (now - n->confirmed_ns > NEIGH_REFRESH_NS && now - n->asked_ns > NEIGH_RETRY_NS)
				ask(n);	/* keeps working meanwhile */
			continue;
		}
		if (now - n->asked_ns < NEIGH_RETRY_NS)
			continue;
		if (n->tries < NEIGH_TRIES) {
			ask(n);
			continue;
		}
		/* Silent: forget it and what it held; a later packet asks again. */
		drop_held(n);
		table[i] = table[--n_table];
		i--;
	}
}

unsigned int dp_neigh_count(void)
{
	return n_table;
}

int dp_neigh_init(void)
{
	n_table = 0;
	publish();	/* an empty map, so workers never see NULL surprises */
	return 0;
}
