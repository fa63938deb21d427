/* Big-endian field access and the Internet checksum (RFC 1071), shared by
 * the packet builders of lib/net. Byte-wise so they work on any alignment. */
#ifndef WGATE_LIB_NET_CKSUM_H
#define WGATE_LIB_NET_CKSUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t wg_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static inline void wg_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Sum of big-endian 16-bit words, an odd trailing byte padded with 0.
 * 64-bit accumulator: no carry can be lost for any length we handle. */
static inline uint64_t wg_sum16(const uint8_t *p, size_t n, uint64_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += wg_rd16(p + i);
	if (i < n)
		acc += (uint64_t)p[i] << 8;
	return acc;
}

/* The checksum field value: the folded sum, complemented. */
static inline uint16_t wg_cksum_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* RFC 1624 (eqn. 3): the checksum field ck (as read, big-endian value)
 * after the n bytes (n even, 16-bit aligned within the covered data) at
 * old became those at new: HC' = ~(~HC + ~m + m'). For rewriting a header
 * without summing the whole packet again (NAT). */
static inline uint16_t wg_cksum_replace(uint16_t ck, const uint8_t *old, const uint8_t *new,
					size_t n)
{
	uint64_t acc = (uint16_t)~ck;

	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint16_t)~wg_rd16(old + i) + (uint64_t)wg_rd16(new + i);
	return wg_cksum_fold(acc);
}

#endif
