#ifndef WGATE_DATAPLANE_ICMP_H
#define WGATE_DATAPLANE_ICMP_H

#include <stdbool.h>

#include <rte_mbuf.h>

struct dp_worker;
struct dp_peer;

/* If m (an inner IP packet, no L2) is an ICMP/ICMPv6 echo request, rewrite it
 * in place into the reply (addresses swapped, checksums valid) and return
 * true; otherwise leave it untouched and return false. */
bool dp_icmp_echo_turn(struct rte_mbuf *m);

/* Packets a client sends to the gateway's own tunnel addresses: an echo
 * request is answered, UDP to port 53 goes to the control core's DNS stub
 * (punted), anything else dropped (counted). Returns true when m
 * was for the gateway (and is consumed), false to let it go on. */
bool dp_for_gateway(struct dp_worker *w, struct dp_peer *peer, struct rte_mbuf *m);

#endif
