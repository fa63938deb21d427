/* Where the transport header of an IP packet is: the IPv4 header length, or
 * the end of the IPv6 extension header chain. Shared by everything that must
 * read ports or ICMP types (the policy, ICMP error rules), so that a packet
 * with a hop-by-hop or destination options header is judged on its real
 * transport header, and a fragment is recognised wherever its header sits.
 * Pure; no state. */
#ifndef WGATE_LIB_NET_IP_WALK_H
#define WGATE_LIB_NET_IP_WALK_H

#include <stddef.h>
#include <stdint.h>

enum wg_ip_frag {
	WG_IP_NOT_FRAGMENT,
	WG_IP_FIRST_FRAGMENT,	/* offset 0, more to come: transport header here */
	WG_IP_LATER_FRAGMENT,	/* offset > 0: no transport header */
};

struct wg_ip_l4 {
	uint8_t proto;		/* upper-layer protocol (IPv6: the last next header) */
	uint8_t frag;		/* enum wg_ip_frag */
	uint16_t off;		/* offset of the transport header */
	uint16_t tot;		/* the packet's own length (IPv4 total / IPv6 40 + payload) */
};

/* p holds len bytes of an IPv4 or IPv6 packet. 0, or -EINVAL when the
 * version is neither, a header or the length field runs past len, or the
 * extension chain runs past the packet. off may equal tot (no payload). */
int wg_ip_l4_find(const uint8_t *p, size_t len, struct wg_ip_l4 *out);

#endif
