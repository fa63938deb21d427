#include "lib/crypto/kdf.h"

#include <string.h>

#include <sodium.h>

#include "lib/crypto/blake2s.h"

void wg_hmac_blake2s(uint8_t out[WG_KDF_LEN], const uint8_t *in, size_t inlen,
		     const uint8_t *key, size_t keylen)
{
	struct wg_blake2s_state s;
	uint8_t pad[WG_BLAKE2S_BLOCK_LEN];
	uint8_t inner[WG_BLAKE2S_OUT_LEN];
	int i;

	memset(pad, 0, sizeof(pad));
	if (keylen > WG_BLAKE2S_BLOCK_LEN)
		wg_blake2s(pad, WG_BLAKE2S_OUT_LEN, key, keylen, NULL, 0);
	else
		memcpy(pad, key, keylen);

	for (i = 0; i < WG_BLAKE2S_BLOCK_LEN; i++)
		pad[i] ^= 0x36;
	wg_blake2s_init(&s, WG_BLAKE2S_OUT_LEN);
	wg_blake2s_update(&s, pad, sizeof(pad));
	wg_blake2s_update(&s, in, inlen);
	wg_blake2s_final(&s, inner);

	/* 0x36 ^ 0x5c turns the inner pad into the outer one. */
	for (i = 0; i < WG_BLAKE2S_BLOCK_LEN; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	wg_blake2s_init(&s, WG_BLAKE2S_OUT_LEN);
	wg_blake2s_update(&s, pad, sizeof(pad));
	wg_blake2s_update(&s, inner, sizeof(inner));
	wg_blake2s_final(&s, out);

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

void wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
	    const uint8_t *data, size_t len, const uint8_t ck[WG_KDF_LEN])
{
	uint8_t tau0[WG_KDF_LEN];
	/* t[i] holds tau_(i+1), followed by room for the counter byte so that
	 * tau_i || i+1 is one contiguous input. */
	uint8_t t[3][WG_KDF_LEN + 1];
	int n = out3 ? 3 : out2 ? 2 : out1 ? 1 : 0;
	int i;

	if (n == 0)
		return;

	wg_hmac_blake2s(tau0, data, len, ck, WG_KDF_LEN);

	t[0][0] = 1;
	wg_hmac_blake2s(t[0], t[0], 1, tau0, sizeof(tau0));
	for (i = 1; i < n; i++) {
		t[i - 1][WG_KDF_LEN] = (uint8_t)(i + 1);
		wg_hmac_blake2s(t[i], t[i - 1], WG_KDF_LEN + 1, tau0, sizeof(tau0));
	}

	if (out1)
		memcpy(out1, t[0], WG_KDF_LEN);
	if (out2)
		memcpy(out2, t[1], WG_KDF_LEN);
	if (out3)
		memcpy(out3, t[2], WG_KDF_LEN);

	sodium_memzero(tau0, sizeof(tau0));
	sodium_memzero(t, sizeof(t));
}
