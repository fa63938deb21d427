/* Reading a packet's NAT key and rewriting it in place, checksums patched
 * incrementally (RFC 1624): the IPv4 header checksum, and the TCP, UDP
 * (IPv4 UDP without checksum stays without) and ICMPv6 checksums, which
 * cover the addresses through the pseudo-header; ICMPv4 covers only the
 * echo identifier. ICMP errors from outside that quote a translated packet
 * are translated as a whole: the quoted header (and its ports, and the
 * checksums within the quoted bytes) back to what the client sent, the
 * outer addresses as the caller says, the ICMP checksum summed again.
 * Pure: bytes in, bytes out. */
#ifndef WGATE_LIB_NAT_REWRITE_H
#define WGATE_LIB_NAT_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/nat/table.h"

struct wg_nat_pkt {
	/* The packet's own flow; for an ICMP error, that of the packet it
	 * quotes (as quoted). */
	struct wg_nat_key key;
	uint16_t l4off;		/* transport header of the packet */
	uint16_t tot;		/* the packet's length from its header */
	uint16_t inner_off;	/* ICMP error: the quoted IP header */
	uint16_t inner_l4off;	/* ICMP error: the quoted transport header */
	uint8_t tcp_flags;	/* TCP: the flags byte; else 0 */
	bool icmp_error;
};

/* 0; -ENOTSUP: a protocol NAT does not key (not TCP, UDP, ICMP echo or an
 * ICMP error quoting one of those); -EINVAL: malformed, truncated or a
 * fragment. */
int wg_nat_parse(const uint8_t *p, size_t len, struct wg_nat_pkt *out);

/* Rewrites the addresses and ports (ICMP echo: the identifier, from
 * to->sport for a request and to->dport for a reply) of a parsed packet
 * (not an ICMP error) from pk->key to *to, same family and protocol. */
void wg_nat_rewrite(uint8_t *p, const struct wg_nat_pkt *pk, const struct wg_nat_key *to);

/* An ICMP error: the quoted packet becomes *quoted (its addresses and
 * ports), the outer source and destination become outer_src and outer_dst,
 * every checksum valid again. len: the bytes available at p. */
void wg_nat_rewrite_icmp_error(uint8_t *p, size_t len, const struct wg_nat_pkt *pk,
			       const struct wg_nat_key *quoted, const struct wg_ipaddr *outer_src,
			       const struct wg_ipaddr *outer_dst);

/* The reply key of a packet's key (source and destination swapped). */
static inline void wg_nat_key_reverse(struct wg_nat_key *r, const struct wg_nat_key *k)
{
	wg_nat_key_make(r, &k->dst, &k->src, k->dport, k->sport, k->proto);
}

#endif
