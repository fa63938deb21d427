#ifndef WGATE_DATAPLANE_ICMP_H
#define WGATE_DATAPLANE_ICMP_H

#include <stdbool.h>

#include <rte_mbuf.h>

/* If m (an inner IP packet, no L2) is an ICMP/ICMPv6 echo request, rewrite it
 * in place into the reply (addresses swapped, checksums valid) and return
 * true; otherwise leave it untouched and return false. */
bool dp_icmp_echo_turn(struct rte_mbuf *m);

#endif
