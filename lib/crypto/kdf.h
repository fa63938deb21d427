/* HMAC-BLAKE2s and the HKDF that WireGuard's Noise handshake chains keys
 * with (whitepaper section 5.4: KDF_n). Every output is 32 bytes. */
#ifndef WGATE_LIB_CRYPTO_KDF_H
#define WGATE_LIB_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#define WG_KDF_LEN 32

/* out = HMAC-BLAKE2s(key, in), 32 bytes. Keys longer than the 64-byte block
 * are hashed first (RFC 2104); WireGuard only ever passes 32-byte keys. out
 * may alias key or in. */
void wg_hmac_blake2s(uint8_t out[WG_KDF_LEN], const uint8_t *in, size_t inlen,
		     const uint8_t *key, size_t keylen);

/* tau0 = HMAC(ck, data); out1 = HMAC(tau0, 0x1);
 * out2 = HMAC(tau0, out1 || 0x2); out3 = HMAC(tau0, out2 || 0x3).
 * Any output may be NULL (only what is asked for is computed) and any may
 * alias ck: all are written after the last read of the inputs. */
void wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
	    const uint8_t *data, size_t len, const uint8_t ck[WG_KDF_LEN]);

#endif
