/* ICMP errors for refused or oversized client packets: classify the original
 * (may it be answered at all?), then quote it behind a fresh IP + ICMP
 * header. Offsets are written out rather than taken from packed structs so
 * the code reads against the RFC diagrams and has no alignment demands on
 * the caller's buffers. */
#include "lib/net/icmp_error.h"

#include "lib/net/cksum.h"
#include "lib/net/ip_walk.h"

#include <stdbool.h>
#include <string.h>

#define IPV4_HDR_MIN	20
#define IPV6_HDR_LEN	40
#define ICMP_HDR_LEN	8	/* type, code, checksum, 4 bytes "rest of header" */
#define ICMPV4_QUOTE_PAYLOAD 8	/* RFC 792: header + first 64 bits of data */

#define IPPROTO_ICMPV4_	1
#define IPPROTO_ICMPV6_	58

#define ICMPV4_UNREACH		3
#define ICMPV4_CODE_NET		0
#define ICMPV4_CODE_FRAG_NEEDED	4
#define ICMPV4_CODE_PROHIBITED	13
#define ICMPV6_UNREACH		1
#define ICMPV6_CODE_PROHIBITED	1
#define ICMPV6_CODE_ADDR	3
#define ICMPV6_TOO_BIG		2
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129

#define IPV4_DF		0x4000
#define IPV4_OFFSET	0x1fff

/* What the builders need from the original, copied out of it so that out
 * may overlap orig. */
struct orig_info {
	uint8_t version;	/* 4 or 6 */
	bool df;		/* IPv4 only */
	size_t hdr_len;		/* IPv4: ihl * 4 */
	size_t pkt_len;		/* total length per the header, <= len */
	uint8_t src[16], dst[16];
};

/* ICMPv4 types that are errors (RFC 1122 3.2.2, RFC 1812 4.3.2.7). */
static bool icmpv4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool v4_no_reply_addr(const uint8_t *a)
{
	static const uint8_t zero[4], bcast[4] = { 255, 255, 255, 255 };

	return (a[0] & 0xf0) == 224 || !memcmp(a, zero, 4) || !memcmp(a, bcast, 4);
}

static bool v6_no_reply_addr(const uint8_t *a)
{
	static const uint8_t zero[16];

	return a[0] == 0xff || !memcmp(a, zero, 16);
}

static bool classify_v4(const uint8_t *p, size_t len, struct orig_info *o)
{
	size_t ihl, tot;

	if (len < IPV4_HDR_MIN)
		return false;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = wg_rd16(p + 2);
	if (ihl < IPV4_HDR_MIN || ihl > len || tot < ihl || tot > len)
		return false;
	/* A later fragment has no transport header: it might belong to an ICMP
	 * error, and its quote would match no socket anyway. */
	if (wg_rd16(p + 6) & IPV4_OFFSET)
		return false;
	if (v4_no_reply_addr(p + 12) || v4_no_reply_addr(p + 16))
		return false;
	if (p[9] == IPPROTO_ICMPV4_) {
		if (tot == ihl)		/* cannot tell whether it is an error */
			return false;
		if (icmpv4_is_error(p[ihl]))
			return false;
	}
	o->version = 4;
	o->df = wg_rd16(p + 6) & IPV4_DF;
	o->hdr_len = ihl;
	o->pkt_len = tot;
	memcpy(o->src, p + 12, 4);
	memcpy(o->dst, p + 16, 4);
	return true;
}

/* The extension headers are walked to the upper-layer one (ip_walk.c),
 * because an ICMPv6 error behind a hop-by-hop or fragment header is still an
 * error. */
static bool classify_v6(const uint8_t *p, size_t len, struct orig_info *o)
{
	struct wg_ip_l4 l4;

	if (wg_ip_l4_find(p, len, &l4))
		return false;
	if (v6_no_reply_addr(p + 8) || v6_no_reply_addr(p + 24))
		return false;
	/* A later fragment has no transport header (see classify_v4). */
	if (l4.frag == WG_IP_LATER_FRAGMENT)
		return false;
	if (l4.proto == IPPROTO_ICMPV6_) {
		if (l4.off + 1 > l4.tot)
			return false;
		/* Errors are < 128; of the informational messages only echo
		 * is end-to-end traffic a client would send to a resource: ND,
		 * MLD and the like are link-local. */
		if (p[l4.off] != ICMPV6_ECHO_REQUEST && p[l4.off] != ICMPV6_ECHO_REPLY)
			return false;
	}
	o->version = 6;
	o->df = false;
	o->hdr_len = IPV6_HDR_LEN;
	o->pkt_len = l4.tot;
	memcpy(o->src, p + 8, 16);
	memcpy(o->dst, p + 24, 16);
	return true;
}

static bool classify(const uint8_t *p, size_t len, struct orig_info *o)
{
	if (p == NULL || len == 0)
		return false;
	switch (p[0] >> 4) {
	case 4:
		return classify_v4(p, len, o);
	case 6:
		return classify_v6(p, len, o);
	default:
		return false;
	}
}

/* rest: the ICMP header's second word (unused, or the next-hop MTU). */
static size_t build_v4(uint8_t *out, size_t cap, const uint8_t *orig,
		       const struct orig_info *o, uint8_t type, uint8_t code, uint32_t rest)
{
	size_t payload = o->pkt_len - o->hdr_len;
	size_t quote = o->hdr_len + (payload < ICMPV4_QUOTE_PAYLOAD ? payload
								    : ICMPV4_QUOTE_PAYLOAD);
	size_t total = IPV4_HDR_MIN + ICMP_HDR_LEN + quote;
	uint8_t *ip = out, *icmp = out + IPV4_HDR_MIN;

	if (cap < total)
		return 0;
	/* Quote first: with out overlapping orig, the headers written below
	 * would otherwise clobber bytes still to be copied. */
	memmove(icmp + ICMP_HDR_LEN, orig, quote);

	ip[0] = 0x45;
	ip[1] = 0;
	wg_wr16(ip + 2, (uint16_t)total);
	wg_wr16(ip + 4, 0);	/* id: never fragmented, DF irrelevant at <= 96 bytes */
	wg_wr16(ip + 6, 0);
	ip[8] = WG_ICMP_ERROR_TTL;
	ip[9] = IPPROTO_ICMPV4_;
	wg_wr16(ip + 10, 0);
	memcpy(ip + 12, o->dst, 4);
	memcpy(ip + 16, o->src, 4);
	wg_wr16(ip + 10, wg_cksum_fold(wg_sum16(ip, IPV4_HDR_MIN, 0)));

	icmp[0] = type;
	icmp[1] = code;
	wg_wr16(icmp + 2, 0);
	wg_wr16(icmp + 4, (uint16_t)(rest >> 16));
	wg_wr16(icmp + 6, (uint16_t)rest);
	wg_wr16(icmp + 2, wg_cksum_fold(wg_sum16(icmp, ICMP_HDR_LEN + quote, 0)));
	return total;
}

static size_t build_v6(uint8_t *out, size_t cap, const uint8_t *orig,
		       const struct orig_info *o, uint8_t type, uint8_t code, uint32_t rest)
{
	const size_t room = WG_ICMP_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN;
	size_t quote = o->pkt_len < room ? o->pkt_len : room;
	size_t icmp_len = ICMP_HDR_LEN + quote;
	size_t total = IPV6_HDR_LEN + icmp_len;
	uint8_t *ip = out, *icmp = out + IPV6_HDR_LEN;
	uint64_t acc;

	if (cap < total)
		return 0;
	memmove(icmp + ICMP_HDR_LEN, orig, quote);	/* first: see build_v4 */

	ip[0] = 0x60;	/* version 6, traffic class 0, flow label 0 */
	ip[1] = ip[2] = ip[3] = 0;
	wg_wr16(ip + 4, (uint16_t)icmp_len);
	ip[6] = IPPROTO_ICMPV6_;
	ip[7] = WG_ICMP_ERROR_TTL;
	memcpy(ip + 8, o->dst, 16);
	memcpy(ip + 24, o->src, 16);

	icmp[0] = type;
	icmp[1] = code;
	wg_wr16(icmp + 2, 0);
	wg_wr16(icmp + 4, (uint16_t)(rest >> 16));
	wg_wr16(icmp + 6, (uint16_t)rest);
	/* Pseudo-header (RFC 8200 8.1): addresses, 32-bit upper-layer length,
	 * next header. The length fits 16 bits, so its high word adds 0. */
	acc = wg_sum16(ip + 8, 32, 0);
	acc += icmp_len;
	acc += IPPROTO_ICMPV6_;
	wg_wr16(icmp + 2, wg_cksum_fold(wg_sum16(icmp, icmp_len, acc)));
	return total;
}

size_t wg_icmp_error_build(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
			   enum wg_icmp_err_kind kind)
{
	struct orig_info o;
	uint8_t code4, code6;

	switch (kind) {
	case WG_ICMP_ERR_PROHIBITED:
		code4 = ICMPV4_CODE_PROHIBITED;
		code6 = ICMPV6_CODE_PROHIBITED;
		break;
	case WG_ICMP_ERR_UNREACHABLE:
		code4 = ICMPV4_CODE_NET;
		code6 = ICMPV6_CODE_ADDR;
		break;
	default:
		return 0;
	}
	if (out == NULL || !classify(orig, len, &o))
		return 0;
	if (o.version == 4)
		return build_v4(out, cap, orig, &o, ICMPV4_UNREACH, code4, 0);
	return build_v6(out, cap, orig, &o, ICMPV6_UNREACH, code6, 0);
}

size_t wg_icmp_too_big_build(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
			     uint32_t mtu)
{
	struct orig_info o;

	if (out == NULL || !classify(orig, len, &o))
		return 0;
	if (o.version == 4) {
		/* Without DF the sender allowed fragmentation: no error. */
		if (!o.df)
			return 0;
		/* RFC 1191: unused 16 bits, then the next-hop MTU. */
		return build_v4(out, cap, orig, &o, ICMPV4_UNREACH, ICMPV4_CODE_FRAG_NEEDED,
				mtu > 0xffff ? 0xffff : mtu);
	}
	return build_v6(out, cap, orig, &o, ICMPV6_TOO_BIG, 0, mtu);
}
