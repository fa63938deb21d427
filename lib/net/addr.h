/* IP addresses and prefixes as plain values, shared by config, policy and tables.
 * IPv4 lives in a[0..3] in network order and the rest is zero, so a whole
 * struct can be hashed or compared with memcmp. */
#ifndef WGATE_LIB_NET_ADDR_H
#define WGATE_LIB_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_AF_INET4 4
#define WG_AF_INET6 6

struct wg_ipaddr {
	uint8_t af;	/* WG_AF_INET4 or WG_AF_INET6; 0 = unset */
	uint8_t a[16];
};

struct wg_prefix {
	struct wg_ipaddr ip;	/* host bits below len are zero */
	uint8_t len;		/* 0..32 or 0..128 */
};

/* Longest textual forms, with a prefix length. */
#define WG_IPADDR_STRLEN 46
#define WG_PREFIX_STRLEN 50

/* 0 or -EINVAL. Accepts dotted quad or RFC 4291 text; no brackets, no scope. */
int wg_ipaddr_parse(const char *s, struct wg_ipaddr *out);
/* "a/len" or a bare address (host prefix). With strict, host bits set below
 * len are an error (-EINVAL); otherwise they are cleared. */
int wg_prefix_parse(const char *s, bool strict, struct wg_prefix *out);
/* "addr:port" or "[v6]:port"; 0 or -EINVAL. */
int wg_endpoint_parse(const char *s, struct wg_ipaddr *ip, uint16_t *port);

void wg_ipaddr_str(const struct wg_ipaddr *ip, char *buf, size_t len);
void wg_prefix_str(const struct wg_prefix *p, char *buf, size_t len);

static inline uint8_t wg_af_bits(uint8_t af) { return af == WG_AF_INET4 ? 32 : 128; }

/* Inline: the workers compare addresses per packet (endpoint, own address),
 * where a call into memcmp costs more than the compare. The bytes past an
 * IPv4 address are zero by construction, so whole words can be compared. */
static inline bool wg_ipaddr_equal(const struct wg_ipaddr *x, const struct wg_ipaddr *y)
{
	uint64_t x0, x1, y0, y1;

	if (x->af != y->af)
		return false;
	if (x->af == WG_AF_INET4) {
		uint32_t x4, y4;
		__builtin_memcpy(&x4, x->a, 4);
		__builtin_memcpy(&y4, y->a, 4);
		return x4 == y4;
	}
	__builtin_memcpy(&x0, x->a, 8);
	__builtin_memcpy(&y0, y->a, 8);
	__builtin_memcpy(&x1, x->a + 8, 8);
	__builtin_memcpy(&y1, y->a + 8, 8);
	return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}
/* Clears the bits of ip below len (in place). */
void wg_ipaddr_mask(struct wg_ipaddr *ip, uint8_t len);
bool wg_prefix_contains(const struct wg_prefix *p, const struct wg_ipaddr *ip);
/* Whether p (host bits clear) is one of the n prefixes of v. For lists that
 * keep each prefix once: an allowed-IPs map refuses a prefix twice, even
 * for one peer. Linear: for short lists. */
bool wg_prefix_listed(const struct wg_prefix *v, size_t n, const struct wg_prefix *p);

static inline void wg_ipaddr_from_v4(struct wg_ipaddr *ip, const void *be4)
{
	const uint8_t *b = be4;
	*ip = (struct wg_ipaddr){ .af = WG_AF_INET4 };
	ip->a[0] = b[0]; ip->a[1] = b[1]; ip->a[2] = b[2]; ip->a[3] = b[3];
}

static inline void wg_ipaddr_from_v6(struct wg_ipaddr *ip, const void *be16)
{
	const uint8_t *b = be16;
	ip->af = WG_AF_INET6;
	for (int i = 0; i < 16; i++)
		ip->a[i] = b[i];
}

#endif
