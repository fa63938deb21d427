#include "lib/crypto/aead.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

_Static_assert(WG_AEAD_ABYTES == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(WG_AEAD_ABYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "xtag");
_Static_assert(WG_XAEAD_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "xnonce");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "nonce");

/* WireGuard's 96-bit nonce: 32 zero bits, then the counter little endian. */
static void make_nonce(uint8_t n[12], uint64_t counter)
{
	int i;

	memset(n, 0, 4);
	for (i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(counter >> (8 * i));
}

int wg_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		    const uint8_t *ad, size_t adlen, uint64_t nonce,
		    const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t n[12];

	if (len > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -EMSGSIZE;
	make_nonce(n, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(dst, NULL, src, len, ad, adlen,
						  NULL, n, key);
	return 0;
}

int wg_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t len_with_tag,
		    const uint8_t *ad, size_t adlen, uint64_t nonce,
		    const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t n[12];

	if (len_with_tag < WG_AEAD_ABYTES)
		return -EBADMSG;
	make_nonce(n, nonce);
	/* libsodium checks the tag before it writes dst, so in place is safe
	 * and a forgery leaves the ciphertext readable for nobody: we zero it. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt(dst, NULL, NULL, src,
						      len_with_tag, ad, adlen,
						      n, key) != 0) {
		memset(dst, 0, len_with_tag - WG_AEAD_ABYTES);
		return -EBADMSG;
	}
	return 0;
}

int wg_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen,
		     const uint8_t nonce[WG_XAEAD_NONCE_LEN],
		     const uint8_t key[WG_AEAD_KEY_LEN])
{
	if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -EMSGSIZE;
	crypto_aead_xchacha20poly1305_ietf_encrypt(dst, NULL, src, len, ad, adlen,
						   NULL, nonce, key);
	return 0;
}

int wg_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t len_with_tag,
		     const uint8_t *ad, size_t adlen,
		     const uint8_t nonce[WG_XAEAD_NONCE_LEN],
		     const uint8_t key[WG_AEAD_KEY_LEN])
{
	if (len_with_tag < WG_AEAD_ABYTES)
		return -EBADMSG;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dst, NULL, NULL, src,
						       len_with_tag, ad, adlen,
						       nonce, key) != 0) {
		memset(dst, 0, len_with_tag - WG_AEAD_ABYTES);
		return -EBADMSG;
	}
	return 0;
}

int wg_x25519(uint8_t out[WG_X25519_LEN], const uint8_t scalar[WG_X25519_LEN],
	      const uint8_t point[WG_X25519_LEN])
{
	/* libsodium already fails on low-order points; the explicit zero check
	 * keeps the rule true whatever libsodium version we link. */
	if (crypto_scalarmult_curve25519(out, scalar, point) != 0 ||
	    sodium_is_zero(out, WG_X25519_LEN)) {
		sodium_memzero(out, WG_X25519_LEN);
		return -EINVAL;
	}
	return 0;
}

void wg_x25519_clamp(uint8_t priv[WG_X25519_LEN])
{
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
}

int wg_x25519_public(uint8_t pub[WG_X25519_LEN],
		     const uint8_t priv[WG_X25519_LEN])
{
	if (sodium_is_zero(priv, WG_X25519_LEN) ||
	    crypto_scalarmult_curve25519_base(pub, priv) != 0) {
		sodium_memzero(pub, WG_X25519_LEN);
		return -EINVAL;
	}
	return 0;
}

void wg_x25519_generate(uint8_t priv[WG_X25519_LEN], uint8_t pub[WG_X25519_LEN])
{
	randombytes_buf(priv, WG_X25519_LEN);
	wg_x25519_clamp(priv);
	/* A clamped scalar is never zero and never a multiple of the group
	 * order, so this cannot fail. */
	(void)wg_x25519_public(pub, priv);
}
