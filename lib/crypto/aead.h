/* The AEADs and the Diffie-Hellman of WireGuard, over libsodium.
 *  - ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: four zero bytes,
 *    then a 64-bit little-endian counter. Handshake and transport data.
 *  - XChaCha20-Poly1305 with a 24-byte nonce: cookie replies.
 *  - X25519 that refuses an all-zero shared secret (low-order points).
 * All functions work in place (dst == src). Callers must have called
 * sodium_init() once before. */
#ifndef WGATE_LIB_CRYPTO_AEAD_H
#define WGATE_LIB_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define WG_AEAD_KEY_LEN		32
#define WG_AEAD_ABYTES		16	/* Poly1305 tag */
#define WG_XAEAD_NONCE_LEN	24
#define WG_X25519_LEN		32

/* dst receives len + 16 bytes (ciphertext then tag). 0, or -EMSGSIZE for a
 * length libsodium cannot take. */
int wg_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		    const uint8_t *ad, size_t adlen, uint64_t nonce,
		    const uint8_t key[WG_AEAD_KEY_LEN]);
/* dst receives len_with_tag - 16 bytes. 0, or -EBADMSG when the input is
 * shorter than a tag or does not authenticate; dst is then zeroed. */
int wg_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t len_with_tag,
		    const uint8_t *ad, size_t adlen, uint64_t nonce,
		    const uint8_t key[WG_AEAD_KEY_LEN]);

int wg_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen,
		     const uint8_t nonce[WG_XAEAD_NONCE_LEN],
		     const uint8_t key[WG_AEAD_KEY_LEN]);
int wg_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t len_with_tag,
		     const uint8_t *ad, size_t adlen,
		     const uint8_t nonce[WG_XAEAD_NONCE_LEN],
		     const uint8_t key[WG_AEAD_KEY_LEN]);

/* out = scalar * point. 0, or -EINVAL when the result is all zero (the point
 * has low order), which WireGuard must refuse. */
int wg_x25519(uint8_t out[WG_X25519_LEN], const uint8_t scalar[WG_X25519_LEN],
	      const uint8_t point[WG_X25519_LEN]);
/* pub = clamp(priv) * base. 0, or -EINVAL for an all-zero private key. */
int wg_x25519_public(uint8_t pub[WG_X25519_LEN],
		     const uint8_t priv[WG_X25519_LEN]);
/* Fresh random key pair; priv is returned clamped. */
void wg_x25519_generate(uint8_t priv[WG_X25519_LEN], uint8_t pub[WG_X25519_LEN]);
/* Clears and sets the bits RFC 7748 fixes in a private scalar. */
void wg_x25519_clamp(uint8_t priv[WG_X25519_LEN]);

#endif
