/* Where the transport header of an IP packet is: the IPv4 header length, or
 * the end of the IPv6 extension header chain. Shared by everything that must
 * read ports or ICMP types (the policy, ICMP error rules), so that a packet
 * with a hop-by-hop or destination options header is judged on its real
 * transport header, and a fragment is recognised wherever its header sits.
 * Pure; no state. */
#ifndef WGATE_LIB_NET_IP_WALK_H
#define WGATE_LIB_NET_IP_WALK_H

#include <errno.h>
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

/* The IPv6 walk (and anything unusual) out of line. */
int wg_ip_l4_find_slow(const uint8_t *p, size_t len, struct wg_ip_l4 *out);

/* p holds len bytes of an IPv4 or IPv6 packet. 0, or -EINVAL when the
 * version is neither, a header or the length field runs past len, or the
 * extension chain runs past the packet. off may equal tot (no payload).
 * IPv4 inline: the policy asks this for every packet. */
static inline int wg_ip_l4_find(const uint8_t *p, size_t len, struct wg_ip_l4 *out)
{
	if (len >= 20 && (p[0] >> 4) == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;
		size_t tot = (size_t)p[2] << 8 | p[3];
		unsigned int frag = (unsigned int)p[6] << 8 | p[7];

		if (ihl < 20 || tot < ihl || tot > len)
			return -EINVAL;
		out->proto = p[9];
		out->off = (uint16_t)ihl;
		out->tot = (uint16_t)tot;
		out->frag = frag & 0x1fff ? WG_IP_LATER_FRAGMENT :
			    frag & 0x2000 ? WG_IP_FIRST_FRAGMENT : WG_IP_NOT_FRAGMENT;
		return 0;
	}
	return wg_ip_l4_find_slow(p, len, out);
}

#endif
