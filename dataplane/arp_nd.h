/* ARP and IPv6 neighbour discovery. af_packet/af_xdp ports have no kernel
 * stack in front of them, so wgate answers for its own port addresses and
 * resolves its next hops itself. Runs on the control lcore, fed by frames
 * the workers punt; the result is published to the workers as an immutable
 * map (ip -> MAC + port). */
#ifndef WGATE_DATAPLANE_ARP_ND_H
#define WGATE_DATAPLANE_ARP_ND_H

#include <stdint.h>

struct rte_mbuf;
struct wg_ipaddr;

int dp_neigh_init(void);
/* A punted ARP or ND frame: learn, answer. Consumes m. */
void dp_neigh_input(struct rte_mbuf *m);
/* A finished frame whose next hop is unresolved (priv nexthop/out_port_idx
 * set, Ethernet header present): held until resolved, then sent. Consumes m. */
void dp_neigh_hold(struct rte_mbuf *m);
/* Ask for an address now (gateways at start-up). */
void dp_neigh_resolve(uint8_t port_idx, const struct wg_ipaddr *ip);
/* Retries, gives up on silent next hops, refreshes old entries. */
void dp_neigh_tick(uint64_t now_ns);
unsigned int dp_neigh_count(void);

#endif
