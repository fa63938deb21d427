/* NAT packet rewriting (rewrite.h). Offsets: IPv4 source 12, destination
 * 16, checksum 10; IPv6 source 8, destination 24; TCP checksum 16, UDP 6,
 * ICMP 2; ports 0 and 2; echo identifier 4. */
#include "lib/nat/rewrite.h"

#include <errno.h>
#include <string.h>

#include "lib/net/cksum.h"
#include "lib/net/ip_walk.h"

#define P_ICMP	 1
#define P_TCP	 6
#define P_UDP	 17
#define P_ICMPV6 58

static bool v4(const uint8_t *p)
{
	return (p[0] >> 4) == 4;
}

static void addr_at(struct wg_ipaddr *a, const uint8_t *p, bool is4, bool dst)
{
	if (is4)
		wg_ipaddr_from_v4(a, p + (dst ? 16 : 12));
	else
		wg_ipaddr_from_v6(a, p + (dst ? 24 : 8));
}

static bool echo_type(uint8_t proto, uint8_t type, bool *request)
{
	if (proto == P_ICMP && (type == 8 || type == 0)) {
		*request = type == 8;
		return true;
	}
	if (proto == P_ICMPV6 && (type == 128 || type == 129)) {
		*request = type == 128;
		return true;
	}
	return false;
}

static bool error_type(uint8_t proto, uint8_t type)
{
	if (proto == P_ICMP)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return proto == P_ICMPV6 && type < 128;
}

/* Ports (or echo id) of an L4 header with at least 8 bytes at l4. */
static int l4_key(const uint8_t *l4, uint8_t proto, struct wg_nat_key *k)
{
	bool req;

	switch (proto) {
	case P_TCP:
	case P_UDP:
		k->sport = wg_rd16(l4);
		k->dport = wg_rd16(l4 + 2);
		return 0;
	case P_ICMP:
	case P_ICMPV6:
		if (!echo_type(proto, l4[0], &req))
			return -ENOTSUP;
		k->sport = k->dport = wg_rd16(l4 + 4);
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* The quoted packet of an ICMP error at q (avail bytes): IPv4 with its
 * options, or IPv6 with the transport header right after the fixed one. */
static int quoted(const uint8_t *q, size_t avail, struct wg_nat_pkt *out, size_t base)
{
	size_t hl;
	uint8_t proto;

	if (avail < 20)
		return -EINVAL;
	if (v4(q)) {
		hl = (size_t)(q[0] & 0xf) * 4;
		proto = q[9];
		if (hl < 20 || (wg_rd16(q + 6) & 0x1fff))
			return -EINVAL;
	} else if ((q[0] >> 4) == 6) {
		hl = 40;
		proto = q[6];
	} else {
		return -EINVAL;
	}
	if (avail < hl + 8)
		return -EINVAL;
	memset(&out->key, 0, sizeof(out->key));
	addr_at(&out->key.src, q, v4(q), false);
	addr_at(&out->key.dst, q, v4(q), true);
	out->key.proto = proto;
	out->inner_off = (uint16_t)base;
	out->inner_l4off = (uint16_t)(base + hl);
	return l4_key(q + hl, proto, &out->key);
}

int wg_nat_parse(const uint8_t *p, size_t len, struct wg_nat_pkt *out)
{
	struct wg_ip_l4 h;
	const uint8_t *l4;
	size_t l4len;

	memset(out, 0, sizeof(*out));
	if (wg_ip_l4_find(p, len, &h) || h.frag != WG_IP_NOT_FRAGMENT)
		return -EINVAL;
	if (!v4(p) && h.off != 40)
		return -ENOTSUP;	/* extension headers: not translated */
	out->l4off = h.off;
	out->tot = h.tot;
	l4 = p + h.off;
	l4len = (size_t)h.tot - h.off;
	addr_at(&out->key.src, p, v4(p), false);
	addr_at(&out->key.dst, p, v4(p), true);
	out->key.proto = h.proto;
	if ((h.proto == P_ICMP && !v4(p)) || (h.proto == P_ICMPV6 && v4(p)))
		return -ENOTSUP;
	if (h.proto == P_TCP && l4len < 20)
		return -EINVAL;
	if (l4len < 8)
		return h.proto == P_TCP || h.proto == P_UDP || h.proto == P_ICMP ||
		       h.proto == P_ICMPV6 ? -EINVAL : -ENOTSUP;
	if (h.proto == P_TCP)
		out->tcp_flags = l4[13];
	if ((h.proto == P_ICMP || h.proto == P_ICMPV6) && error_type(h.proto, l4[0])) {
		out->icmp_error = true;
		return quoted(l4 + 8, l4len - 8, out, (size_t)h.off + 8);
	}
	return l4_key(l4, h.proto, &out->key);
}

/* Offset of the checksum a change of address or port touches, or 0 for
 * none (ICMPv4: addresses are not covered; IPv4 UDP with checksum 0). */
static size_t l4_ck_off(const uint8_t *p, size_t l4off, uint8_t proto, bool addr)
{
	switch (proto) {
	case P_TCP:
		return l4off + 16;
	case P_UDP:
		if (v4(p) && !wg_rd16(p + l4off + 6))
			return 0;
		return l4off + 6;
	case P_ICMPV6:
		return l4off + 2;
	case P_ICMP:
		return addr ? 0 : l4off + 2;
	}
	return 0;
}

static void patch(uint8_t *p, size_t ck, const uint8_t *old, const uint8_t *new, size_t n,
		  bool udp)
{
	uint16_t v;

	if (!ck)
		return;
	v = wg_cksum_replace(wg_rd16(p + ck), old, new, n);
	if (udp && v == 0)
		v = 0xffff;	/* 0 means "no checksum" */
	wg_wr16(p + ck, v);
}

/* Sets the address at off (4 or 16 bytes) with the IPv4 header checksum
 * and the transport checksum at ck (0: none) kept right. */
static void set_addr(uint8_t *p, size_t off, const struct wg_ipaddr *a, size_t ck, bool udp)
{
	size_t n = v4(p) ? 4 : 16;

	if (!memcmp(p + off, a->a, n))
		return;
	if (v4(p))
		patch(p, 10, p + off, a->a, 4, false);
	patch(p, ck, p + off, a->a, n, udp);
	memcpy(p + off, a->a, n);
}

static void set16(uint8_t *p, size_t off, uint16_t v, size_t ck, bool udp)
{
	uint8_t b[2];

	wg_wr16(b, v);
	if (!memcmp(p + off, b, 2))
		return;
	patch(p, ck, p + off, b, 2, udp);
	memcpy(p + off, b, 2);
}

/* One IP header at p with its transport header at l4off (both within the
 * buffer): addresses, then ports or echo id. */
static void rewrite_at(uint8_t *p, size_t l4off, uint8_t proto, const struct wg_nat_key *to,
		       bool ck_present)
{
	bool is4 = v4(p), udp = proto == P_UDP, req;
	size_t ck_a = ck_present ? l4_ck_off(p, l4off, proto, true) : 0;
	size_t ck_p = ck_present ? l4_ck_off(p, l4off, proto, false) : 0;

	set_addr(p, is4 ? 12 : 8, &to->src, ck_a, udp);
	set_addr(p, is4 ? 16 : 24, &to->dst, ck_a, udp);
	if (proto == P_TCP || proto == P_UDP) {
		set16(p, l4off, to->sport, ck_p, udp);
		set16(p, l4off + 2, to->dport, ck_p, udp);
	} else if (echo_type(proto, p[l4off], &req)) {
		set16(p, l4off + 4, req ? to->sport : to->dport, ck_p, false);
	}
}

void wg_nat_rewrite(uint8_t *p, const struct wg_nat_pkt *pk, const struct wg_nat_key *to)
{
	rewrite_at(p, pk->l4off, pk->key.proto, to, true);
}

void wg_nat_rewrite_icmp_error(uint8_t *p, size_t len, const struct wg_nat_pkt *pk,
			       const struct wg_nat_key *quoted_to, const struct wg_ipaddr *outer_src,
			       const struct wg_ipaddr *outer_dst)
{
	uint8_t *q = p + pk->inner_off;
	size_t have = len < pk->tot ? len : pk->tot;
	size_t qlen = have - pk->inner_off, qhl = (size_t)pk->inner_l4off - pk->inner_off;
	size_t ckoff = l4_ck_off(q, qhl, pk->key.proto, false);
	bool is4 = v4(p);

	/* The quoted transport checksum is patched only when quoted whole
	 * (an IPv4 error quotes 8 bytes: UDP's, not TCP's). */
	rewrite_at(q, qhl, pk->key.proto, quoted_to, ckoff && ckoff + 2 <= qlen);
	memcpy(p + (is4 ? 12 : 8), outer_src->a, is4 ? 4 : 16);
	memcpy(p + (is4 ? 16 : 24), outer_dst->a, is4 ? 4 : 16);
	if (is4) {
		size_t hl = (size_t)(p[0] & 0xf) * 4;
		wg_wr16(p + 10, 0);
		wg_wr16(p + 10, wg_cksum_fold(wg_sum16(p, hl, 0)));
	}
	uint8_t *icmp = p + pk->l4off;
	size_t ilen = have - pk->l4off;
	uint64_t acc = 0;

	wg_wr16(icmp + 2, 0);
	if (!is4) {	/* pseudo-header: addresses, length, next header */
		acc = wg_sum16(p + 8, 32, 0) + (uint32_t)ilen + P_ICMPV6;
	}
	wg_wr16(icmp + 2, wg_cksum_fold(wg_sum16(icmp, ilen, acc)));
}
