#include "lib/crypto/blake2s.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

/* Same initial values as SHA-256 (RFC 7693 section 2.6). */
static const uint32_t blake2s_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

/* Message word schedule, one row per round (RFC 7693 section 2.7). BLAKE2s
 * runs 10 rounds, so every row is used once. */
static const uint8_t blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static inline uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* Byte-wise so that it is right on any host and any alignment. */
static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The G mixing function (RFC 7693 section 3.1) with BLAKE2s rotations. */
#define G(a, b, c, d, x, y) do {			\
	v[a] = v[a] + v[b] + (x);			\
	v[d] = ror32(v[d] ^ v[a], 16);			\
	v[c] = v[c] + v[d];				\
	v[b] = ror32(v[b] ^ v[c], 12);			\
	v[a] = v[a] + v[b] + (y);			\
	v[d] = ror32(v[d] ^ v[a], 8);			\
	v[c] = v[c] + v[d];				\
	v[b] = ror32(v[b] ^ v[c], 7);			\
} while (0)

static void compress(struct wg_blake2s_state *s, const uint8_t block[64],
		     int last)
{
	uint32_t m[16], v[16];
	int i;

	for (i = 0; i < 16; i++)
		m[i] = load_le32(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = blake2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (last)
		v[14] = ~v[14];

	for (i = 0; i < 10; i++) {
		const uint8_t *sg = blake2s_sigma[i];

		G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
		G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
		G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
		G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
		G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
		G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
		G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
		G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
	}
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];

	/* The message words may be key material (keyed first block). */
	sodium_memzero(m, sizeof(m));
	sodium_memzero(v, sizeof(v));
}

#undef G

static void counter_add(struct wg_blake2s_state *s, uint32_t n)
{
	s->t[0] += n;
	if (s->t[0] < n)
		s->t[1]++;
}

int wg_blake2s_init_key(struct wg_blake2s_state *s, size_t outlen,
			const void *key, size_t keylen)
{
	if (outlen == 0 || outlen > WG_BLAKE2S_OUT_LEN ||
	    keylen > WG_BLAKE2S_KEY_LEN || (keylen && !key))
		return -EINVAL;

	memset(s, 0, sizeof(*s));
	memcpy(s->h, blake2s_iv, sizeof(s->h));
	/* Parameter block word 0: digest length, key length, fanout 1, depth 1. */
	s->h[0] ^= 0x01010000u ^ ((uint32_t)keylen << 8) ^ (uint32_t)outlen;
	s->outlen = outlen;

	/* A key is hashed as a first block of its own, zero padded. */
	if (keylen) {
		memcpy(s->buf, key, keylen);
		s->buflen = WG_BLAKE2S_BLOCK_LEN;
	}
	return 0;
}

int wg_blake2s_init(struct wg_blake2s_state *s, size_t outlen)
{
	return wg_blake2s_init_key(s, outlen, NULL, 0);
}

void wg_blake2s_update(struct wg_blake2s_state *s, const void *in, size_t inlen)
{
	const uint8_t *p = in;

	if (inlen == 0)
		return;

	/* A full buffer is compressed only once more input shows that it is
	 * not the last block; the last one needs the final flag. */
	if (s->buflen + inlen > WG_BLAKE2S_BLOCK_LEN) {
		size_t fill = WG_BLAKE2S_BLOCK_LEN - s->buflen;

		memcpy(s->buf + s->buflen, p, fill);
		counter_add(s, WG_BLAKE2S_BLOCK_LEN);
		compress(s, s->buf, 0);
		s->buflen = 0;
		p += fill;
		inlen -= fill;

		while (inlen > WG_BLAKE2S_BLOCK_LEN) {
			counter_add(s, WG_BLAKE2S_BLOCK_LEN);
			compress(s, p, 0);
			p += WG_BLAKE2S_BLOCK_LEN;
			inlen -= WG_BLAKE2S_BLOCK_LEN;
		}
	}
	memcpy(s->buf + s->buflen, p, inlen);
	s->buflen += inlen;
}

void wg_blake2s_final(struct wg_blake2s_state *s, uint8_t *out)
{
	uint8_t full[WG_BLAKE2S_OUT_LEN];
	int i;

	counter_add(s, (uint32_t)s->buflen);
	memset(s->buf + s->buflen, 0, WG_BLAKE2S_BLOCK_LEN - s->buflen);
	compress(s, s->buf, 1);

	for (i = 0; i < 8; i++)
		store_le32(full + 4 * i, s->h[i]);
	memcpy(out, full, s->outlen);

	sodium_memzero(full, sizeof(full));
	sodium_memzero(s, sizeof(*s));
}

int wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
	       const void *key, size_t keylen)
{
	struct wg_blake2s_state s;
	int ret;

	ret = wg_blake2s_init_key(&s, outlen, key, keylen);
	if (ret)
		return ret;
	wg_blake2s_update(&s, in, inlen);
	wg_blake2s_final(&s, out);
	return 0;
}
