/* ICMP errors the gateway sends back through the tunnel for a client packet
 * it refuses (no grant, filtered, spoofed source: "prohibited"; Internet
 * resource or DNS proxy with no usable address: "unreachable") or cannot
 * carry (packet too big). Firezone-compatible; see
 * shared/reference/firezone-gateway.md, "Refused packets".
 *
 * The client's WireGuard accepts an inner packet only if its source lies in
 * the gateway peer's allowed IPs, i.e. inside the resources. So the error's
 * source is the address the client tried to reach (the refused packet's
 * destination), never a gateway address, and its destination is the refused
 * packet's source. The client's stack then matches the quoted header to the
 * socket: a TCP connect fails at once with EHOSTUNREACH (v4) / EACCES (v6)
 * instead of timing out, and Firezone clients re-request access on it.
 *
 * Pure functions over byte buffers: no state, no allocation, safe from any
 * thread. Rate limiting (per client, lib/util/tbucket.h) is the caller's. */
#ifndef WGATE_LIB_NET_ICMP_ERROR_H
#define WGATE_LIB_NET_ICMP_ERROR_H

#include <stddef.h>
#include <stdint.h>

/* Largest error either builder writes: the IPv6 minimum MTU, which bounds an
 * ICMPv6 error (RFC 4443 2.4(c)); an ICMPv4 one is at most 20 + 8 + 60 + 8. */
#define WG_ICMP_ERROR_MAX	1280
/* Hop limit of the errors, as Firezone's gateway sets it. */
#define WG_ICMP_ERROR_TTL	20

enum wg_icmp_err_kind {
	WG_ICMP_ERR_PROHIBITED,		/* v4 type 3 code 13; v6 type 1 code 1 */
	WG_ICMP_ERR_UNREACHABLE,	/* v4 type 3 code 0 (net unreachable);
					 * v6 type 1 code 3 (address unreachable) */
};

/* Builds into out (cap bytes) the IP packet answering orig, a whole IPv4 or
 * IPv6 packet of len bytes as the client sent it (bytes past the IP total /
 * payload length are ignored). Returns the length written, or 0 when no error
 * may be sent:
 *   - orig malformed or truncated (bad version, header or extension chain
 *     longer than the packet, total length over len, an ICMP header too short
 *     to tell its type);
 *   - orig is itself an ICMP error (v4 types 3, 4, 5, 11, 12; v6 types < 128)
 *     or an ICMPv6 message other than echo request/reply (neighbour discovery,
 *     MLD, ...): never answer an error with an error;
 *   - destination multicast, broadcast or unspecified (v4 224/4,
 *     255.255.255.255, 0.0.0.0; v6 ff00::/8, ::), which would become our
 *     source; source multicast, broadcast or unspecified (nobody to tell);
 *   - a non-first fragment (v4 offset != 0, or a v6 fragment header with
 *     offset != 0): its transport header is elsewhere, so it could be an
 *     ICMP error and the quote would name no socket;
 *   - cap too small for the error (cap >= WG_ICMP_ERROR_MAX always suffices).
 * ICMPv4 quotes the original IP header with its options plus the first 8
 * bytes of its payload (RFC 792), ICMPv6 as much of the original packet as
 * fits in WG_ICMP_ERROR_MAX bytes in all. TTL / hop limit WG_ICMP_ERROR_TTL,
 * IPv4 id 0 and DF clear, all checksums valid.
 * out may overlap orig (e.g. build in place in the refused packet's buffer):
 * everything needed from orig is read before out is written. */
size_t wg_icmp_error_build(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
			   enum wg_icmp_err_kind kind);

/* The same refusal rules, quoting and addressing, for a packet that exceeds
 * the tunnel MTU: IPv4 type 3 code 4 with the next-hop MTU (clamped to
 * 65535), only when orig has DF set (0 otherwise: the caller fragments it);
 * IPv6 type 2 with the MTU.
 * The source is the original destination here too, not a gateway address
 * that a router would use: the client's cryptokey routing drops any inner
 * source outside the resources, so a "correct" router source would never
 * reach its stack. The client's PMTU logic keys on the quoted header, not on
 * who sent the error, so nothing is lost. */
size_t wg_icmp_too_big_build(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
			     uint32_t mtu);

#endif
