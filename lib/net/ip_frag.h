/* IPv4 fragmentation (RFC 791 section 3.2, RFC 1812 section 5.2.6) of a
 * packet too big for a client's tunnel whose sender allowed it (DF clear):
 * what the kernel's IP layer does before its WireGuard device sees the
 * packet, so a resource that does not do path-MTU discovery still reaches
 * its client.
 *
 * Pure: it computes each fragment's header and which slice of the payload
 * follows it; the caller builds the fragments in its own buffers. */
#ifndef WGATE_LIB_NET_IP_FRAG_H
#define WGATE_LIB_NET_IP_FRAG_H

#include <stddef.h>
#include <stdint.h>

/* A 9000-byte jumbo frame into a 1280-byte tunnel takes 8. */
#define WG_FRAG_MAX	16

struct wg_frag {
	uint8_t hdr[60];	/* the fragment's IPv4 header, checksum valid */
	uint16_t hdr_len;	/* 20..60, a multiple of 4 */
	uint16_t off;		/* where its payload starts in the original packet */
	uint16_t len;		/* payload bytes; a multiple of 8 but in the last */
};

/* Splits the IPv4 packet pkt (len bytes, its total length) into fragments
 * of at most mtu bytes each. The first fragment keeps every option, the
 * others only those with the copied flag set. A packet that is itself a
 * fragment is split further (offsets continue, MF kept on its last piece).
 * Returns the number of fragments written to out (2..max), or 0 when the
 * packet must not or cannot be fragmented: DF set, not a valid IPv4 header,
 * total length not len, fits already, mtu below 68, or more than max
 * fragments needed. */
size_t wg_ipv4_fragment(const uint8_t *pkt, size_t len, uint32_t mtu, struct wg_frag *out,
			size_t max);

#endif
