/* TCP segments in IPv4/IPv6 for the DNS stub's TCP responder
 * (control/stub_tcp.c): reading a client's segment (IP and TCP headers,
 * both checksums, the MSS option) and building the gateway's (IP header,
 * TCP header with an optional MSS option, payload, checksums). Also the
 * bare IP header and pseudo-header sum both the stub's UDP answers and
 * these segments use. Pure: bytes in, bytes out; no options beyond MSS
 * are sent (no window scaling, SACK or timestamps: a peer that offers
 * them falls back to plain TCP, RFC 7323 2.2 and RFC 2018). */
#ifndef WGATE_LIB_NET_TCP_SEG_H
#define WGATE_LIB_NET_TCP_SEG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define WG_TCP_FIN	0x01
#define WG_TCP_SYN	0x02
#define WG_TCP_RST	0x04
#define WG_TCP_PSH	0x08
#define WG_TCP_ACK	0x10

#define WG_TCP_HDR_LEN		20
#define WG_TCP_MSS_OPT_LEN	4
/* RFC 9293 3.7.1: the MSS a peer that sends none is taken to have. */
#define WG_TCP_DEFAULT_MSS4	536
#define WG_TCP_DEFAULT_MSS6	1220

/* Sequence-space comparisons (RFC 9293 3.4, modulo 2^32). */
static inline int wg_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int wg_seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

/* One segment, read or to be built. */
struct wg_tcp_seg {
	struct wg_ipaddr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* WG_TCP_* */
	uint16_t win;
	uint16_t mss;		/* the MSS option (read from / put in a SYN); 0: none */
	const uint8_t *data;	/* payload (parse: points into the packet) */
	size_t len;
};

/* Reads the IP packet ip (len bytes) as a TCP segment. 0; -EPROTO: not
 * TCP, an IPv4 fragment, or IPv6 with extension headers; -EINVAL:
 * malformed (lengths, data offset, a bad option length); -EBADMSG: a
 * checksum is wrong (IPv4 header or TCP). */
int wg_tcp_parse(const uint8_t *ip, size_t len, struct wg_tcp_seg *s);

/* Builds s as an IP packet into out (cap bytes): IPv4 (TTL 64, DF) or
 * IPv6 (hop limit 64) by s->src's family, an MSS option when s->mss.
 * Returns the length, or 0 when cap is too small. */
size_t wg_tcp_build(uint8_t *out, size_t cap, const struct wg_tcp_seg *s);

/* Writes an IPv4 (no options, DF when df) or IPv6 header from src to dst
 * carrying l4len bytes of protocol proto; returns its length (20 or 40). */
size_t wg_ip_hdr_write(uint8_t *pkt, const struct wg_ipaddr *src, const struct wg_ipaddr *dst,
		       uint8_t proto, size_t l4len, int df);
/* The pseudo-header sum (RFC 768 / RFC 8200 8.1) for the packet whose IP
 * header wg_ip_hdr_write wrote, to start the L4 checksum with. */
uint64_t wg_ip_pseudo_sum(const uint8_t *pkt, uint8_t proto, size_t l4len);

#endif
