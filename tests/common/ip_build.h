/* Test helpers shared by tests/unit/test_nat.c and
 * tests/dataplane/test_nat_paths.c: an IPv4/IPv6 packet builder (TCP, UDP,
 * ICMP/ICMPv6 echo or error, checksums computed from scratch) and a check
 * that sums every checksum of a packet again. Header-only. */
#ifndef WGATE_TESTS_COMMON_IP_BUILD_H
#define WGATE_TESTS_COMMON_IP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/net/addr.h"
#include "lib/net/cksum.h"

/* Writes at p a packet src -> dst of protocol proto (6, 17, 1, 58) with
 * ports sp/dp (ICMP: type icmp_type, identifier sp) and payload bytes of
 * a fixed pattern; returns its length. src/dst must parse. */
static inline size_t tst_ip_build(uint8_t *p, bool v6, uint8_t proto, const char *src,
				  const char *dst, uint16_t sp, uint16_t dp, uint8_t icmp_type,
				  size_t payload)
{
	struct wg_ipaddr s, d;
	size_t hl = v6 ? 40 : 20, l4 = proto == 6 ? 20 : 8, tot = hl + l4 + payload;
	uint8_t *q = p + hl;

	wg_ipaddr_parse(src, &s);
	wg_ipaddr_parse(dst, &d);
	memset(p, 0, tot);
	for (size_t i = 0; i < payload; i++)
		q[l4 + i] = (uint8_t)(i * 7 + 3);
	if (v6) {
		p[0] = 0x60;
		wg_wr16(p + 4, (uint16_t)(l4 + payload));
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, s.a, 16);
		memcpy(p + 24, d.a, 16);
	} else {
		p[0] = 0x45;
		wg_wr16(p + 2, (uint16_t)tot);
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, s.a, 4);
		memcpy(p + 16, d.a, 4);
		wg_wr16(p + 10, wg_cksum_fold(wg_sum16(p, 20, 0)));
	}
	if (proto == 6 || proto == 17) {
		wg_wr16(q, sp);
		wg_wr16(q + 2, dp);
		if (proto == 17) {
			wg_wr16(q + 4, (uint16_t)(l4 + payload));
		} else {
			q[12] = 0x50;
			q[13] = 0x18;	/* PSH ACK */
		}
	} else {
		q[0] = icmp_type;
		wg_wr16(q + 4, sp);
		wg_wr16(q + 6, 1);
	}
	size_t ck = proto == 6 ? 16 : proto == 17 ? 6 : 2;
	uint64_t acc = 0;
	if (v6 || proto != 1)
		acc = (v6 ? wg_sum16(p + 8, 32, 0) : wg_sum16(p + 12, 8, 0)) +
		      (uint32_t)(l4 + payload) + proto;
	uint16_t c = wg_cksum_fold(wg_sum16(q, l4 + payload, acc));
	wg_wr16(q + ck, proto == 17 && c == 0 ? 0xffff : c);
	return tot;
}

/* Sums the transport checksum of a packet of len bytes built by
 * tst_ip_build again (after the test changed its content: a quote copied
 * in, other TCP flags). */
static inline void tst_l4_resum(uint8_t *p, size_t len)
{
	bool v6 = (p[0] >> 4) == 6;
	size_t hl = v6 ? 40 : (size_t)(p[0] & 0xf) * 4;
	uint8_t proto = v6 ? p[6] : p[9];
	size_t ck = hl + (proto == 6 ? 16 : proto == 17 ? 6 : 2);
	uint64_t acc = 0;

	if (v6 || proto != 1)
		acc = (v6 ? wg_sum16(p + 8, 32, 0) : wg_sum16(p + 12, 8, 0)) +
		      (uint32_t)(len - hl) + proto;
	wg_wr16(p + ck, 0);
	uint16_t c = wg_cksum_fold(wg_sum16(p + hl, len - hl, acc));
	wg_wr16(p + ck, proto == 17 && c == 0 ? 0xffff : c);
}

/* Every checksum of the packet (IPv4 header, TCP/UDP/ICMP/ICMPv6), summed
 * again from scratch. IPv4 UDP without a checksum passes. */
static inline bool tst_ip_cksums_ok(const uint8_t *p, size_t len)
{
	bool v6 = (p[0] >> 4) == 6;
	size_t hl = v6 ? 40 : (size_t)(p[0] & 0xf) * 4;
	uint8_t proto = v6 ? p[6] : p[9];
	size_t l4len = len - hl;
	uint64_t acc = 0;

	if (!v6 && wg_cksum_fold(wg_sum16(p, hl, 0)) != 0)
		return false;
	if (!v6 && proto == 17 && !wg_rd16(p + hl + 6))
		return true;
	if (v6 || proto != 1)
		acc = (v6 ? wg_sum16(p + 8, 32, 0) : wg_sum16(p + 12, 8, 0)) + (uint32_t)l4len + proto;
	return wg_cksum_fold(wg_sum16(p + hl, l4len, acc)) == 0;
}

#endif
