/* ChaCha20-Poly1305 for WireGuard transport data, a whole burst per call,
 * behind one interface with two backends:
 *   - intel-ipsec-mb (burst API, best SIMD arch picked at run time), the
 *     fast one on x86 with AVX2/AVX-512;
 *   - libsodium, one packet at a time, everywhere.
 * Both work in place: the tag sits in its own buffer (on the wire it follows
 * the ciphertext; the caller points tag there). WireGuard's nonce is four
 * zero bytes then the 64-bit counter little endian, as in aead.h.
 *
 * ChaCha20 has no key schedule, so "expanding a key once per keypair" is
 * copying it into struct wg_aead_key, aligned for the SIMD loads; the
 * keypair keeps that struct and every op points at it.
 *
 * Threads: an engine holds per-thread scratch (the ipsec-mb manager), so
 * each worker owns one; engines are created and freed on the control core
 * before and after the workers run. The burst calls allocate nothing,
 * take no lock and make no syscall. */
#ifndef WGATE_LIB_CRYPTO_AEAD_BURST_H
#define WGATE_LIB_CRYPTO_AEAD_BURST_H

#include <stdbool.h>
#include <stdint.h>

#define WG_AEAD_BURST_MAX	64	/* ops per call: the result is a 64-bit mask */

enum wg_crypto_backend {
	WG_CRYPTO_AUTO,		/* ipsec-mb when built in and the CPU has AVX2 or better */
	WG_CRYPTO_IPSEC_MB,
	WG_CRYPTO_LIBSODIUM,
};

struct wg_aead_key {
	uint8_t k[32];
} __attribute__((aligned(32)));

/* One packet. data is en/decrypted in place. */
struct wg_aead_op {
	uint8_t *data;
	uint32_t len;		/* bytes of plaintext (= ciphertext without the tag) */
	uint8_t *tag;		/* 16 bytes: written by seal, checked by open */
	uint64_t nonce;		/* the WireGuard counter */
	const struct wg_aead_key *key;
};

struct wg_aead_engine;

/* Parses "auto", "ipsec-mb", "libsodium". 0, or -EINVAL. */
int wg_crypto_backend_parse(const char *s, enum wg_crypto_backend *out);
const char *wg_crypto_backend_str(enum wg_crypto_backend b);
/* Whether ipsec-mb was compiled in and usable on this CPU. */
bool wg_crypto_ipsec_mb_available(void);

/* NULL when the backend asked for is not available (ipsec-mb not built in,
 * or the CPU lacks what it needs); auto never fails for that reason. Needs
 * sodium_init() to have run. */
struct wg_aead_engine *wg_aead_engine_new(enum wg_crypto_backend want);
void wg_aead_engine_free(struct wg_aead_engine *e);
/* The backend chosen, and a description for logs ("ipsec-mb avx512"). */
enum wg_crypto_backend wg_aead_engine_backend(const struct wg_aead_engine *e);
const char *wg_aead_engine_name(const struct wg_aead_engine *e);

/* Seals n <= WG_AEAD_BURST_MAX ops, no additional data. Cannot fail. */
void wg_aead_seal_burst(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n);
/* Opens n <= WG_AEAD_BURST_MAX ops; bit i of the result is set when op i
 * authenticated (its data is then the plaintext). The tag is compared in
 * constant time. A forged op's data is undefined (garbage, never trusted):
 * the caller drops it. */
uint64_t wg_aead_open_burst(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n);

#endif
