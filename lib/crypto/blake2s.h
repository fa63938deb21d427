/* BLAKE2s (RFC 7693), the hash and MAC of WireGuard. libsodium only ships
 * BLAKE2b, so the 32-bit variant lives here. Output 1..32 bytes, optional key
 * of 1..32 bytes. Pure computation: no allocation, safe to use from any core
 * as long as each state has one user. */
#ifndef WGATE_LIB_CRYPTO_BLAKE2S_H
#define WGATE_LIB_CRYPTO_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

#define WG_BLAKE2S_BLOCK_LEN	64
#define WG_BLAKE2S_OUT_LEN	32	/* longest digest */
#define WG_BLAKE2S_KEY_LEN	32	/* longest key */

struct wg_blake2s_state {
	uint32_t h[8];
	uint32_t t[2];		/* bytes hashed so far, 64-bit counter */
	uint8_t buf[WG_BLAKE2S_BLOCK_LEN];
	size_t buflen;		/* 0..64: the last block is kept back for final */
	size_t outlen;
};

/* 0, or -EINVAL when outlen is not 1..32. */
int wg_blake2s_init(struct wg_blake2s_state *s, size_t outlen);
/* 0, or -EINVAL when outlen is not 1..32 or keylen is not 0..32 (0 with key
 * NULL is the unkeyed hash). */
int wg_blake2s_init_key(struct wg_blake2s_state *s, size_t outlen,
			const void *key, size_t keylen);
void wg_blake2s_update(struct wg_blake2s_state *s, const void *in, size_t inlen);
/* Writes s->outlen bytes and wipes the state. */
void wg_blake2s_final(struct wg_blake2s_state *s, uint8_t *out);

/* One shot: out = BLAKE2s-outlen(key; in). key may be NULL with keylen 0.
 * 0 or -EINVAL (bad lengths). */
int wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
	       const void *key, size_t keylen);

#endif
