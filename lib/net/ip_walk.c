#include "lib/net/ip_walk.h"

#include <errno.h>

/* IPv6 extension headers (IANA "IPv6 Extension Header Types"). */
#define NH_HOPOPTS	0
#define NH_ROUTING	43
#define NH_FRAGMENT	44
#define NH_AH		51
#define NH_DSTOPTS	60
#define NH_MOBILITY	135
#define NH_HIP		139
#define NH_SHIM6	140

static inline unsigned int rd16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* Every step advances off by at least 8, so the walk ends within the packet. */
static int v6(const uint8_t *p, size_t len, struct wg_ip_l4 *o)
{
	size_t tot, off = 40;
	uint8_t nh;

	if (len < 40)
		return -EINVAL;
	tot = 40 + (size_t)rd16(p + 4);
	if (tot > len)
		return -EINVAL;
	o->frag = WG_IP_NOT_FRAGMENT;
	nh = p[6];
	for (;;) {
		switch (nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_MOBILITY:
		case NH_HIP:
		case NH_SHIM6:
			if (off + 2 > tot)
				return -EINVAL;
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			break;
		case NH_AH:	/* length in 4-byte units, minus 2 (RFC 4302) */
			if (off + 2 > tot)
				return -EINVAL;
			nh = p[off];
			off += ((size_t)p[off + 1] + 2) * 4;
			break;
		case NH_FRAGMENT:
			if (off + 8 > tot)
				return -EINVAL;
			o->frag = rd16(p + off + 2) & 0xfff8 ? WG_IP_LATER_FRAGMENT
							   : WG_IP_FIRST_FRAGMENT;
			nh = p[off];
			off += 8;
			/* A later fragment's bytes are not headers. */
			if (o->frag == WG_IP_LATER_FRAGMENT)
				goto done;
			break;
		default:	/* upper layer, ESP or no next header */
			goto done;
		}
		if (off > tot)
			return -EINVAL;
	}
done:
	o->proto = nh;
	o->off = (uint16_t)off;
	o->tot = (uint16_t)tot;
	return 0;
}

int wg_ip_l4_find_slow(const uint8_t *p, size_t len, struct wg_ip_l4 *out)
{
	/* IPv4 is handled inline (ip_walk.h); here it is short or malformed. */
	if (len < 1 || (p[0] >> 4) != 6)
		return -EINVAL;
	return v6(p, len, out);
}
