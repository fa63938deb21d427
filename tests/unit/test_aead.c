/* ChaCha20-Poly1305 against RFC 8439 section 2.8.2, WireGuard's 64-bit
 * counter nonce against an independent implementation (pyca/cryptography),
 * XChaCha20-Poly1305 round trips, tampering, and X25519 against RFC 7748
 * section 6.1 and wg(8). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/crypto/aead.h"

static void unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static const char rfc_plaintext[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only one "
	"tip for the future, sunscreen would be it.";
#define PT_LEN (sizeof(rfc_plaintext) - 1)	/* 114 */
static const uint8_t rfc_ad[] = {
	0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
};
/* Ciphertext then tag (section 2.8.2). */
static const char rfc_ct_tag[] =
	"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	"3ff4def08e4b7a9de576d26586cec64b6116"
	"1ae10b594f09e26a7e902ecbd0600691";

static void rfc_key(uint8_t key[32])
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
}

/* The RFC nonce 07000000 40414243 44454647 is not of WireGuard's form, so
 * the vector goes through libsodium's 12-byte nonce API: it proves the
 * primitive we wrap. */
static void test_rfc8439_vector(void **state)
{
	static const uint8_t nonce[12] = {
		0x07, 0x00, 0x00, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	};
	uint8_t key[32], want[PT_LEN + 16], got[PT_LEN + 16], back[PT_LEN];
	unsigned long long len;

	(void)state;
	rfc_key(key);
	unhex(want, rfc_ct_tag);
	crypto_aead_chacha20poly1305_ietf_encrypt(got, &len, (const uint8_t *)rfc_plaintext,
						  PT_LEN, rfc_ad, sizeof(rfc_ad), NULL, nonce, key);
	assert_int_equal(len, PT_LEN + 16);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(back, &len, NULL, want,
								   sizeof(want), rfc_ad,
								   sizeof(rfc_ad), nonce, key), 0);
	assert_memory_equal(back, rfc_plaintext, PT_LEN);
}

/* Same key, text and AD with WireGuard's nonce 00000000 || le64(counter). */
static void test_counter_nonce(void **state)
{
	static const char want_hex[] =
		"b8d08ad235a97bbc4dd551cc6b1911b3961e31851245f58e7f581dbe0627e811"
		"f7465bd39dd94d5546bf48ac1a2dd43cbda6f795d215ec93abb888192adfa41a"
		"10ee4bb956f2bbbe7294b33f513dbeeba962d9c2f8cc18c88a9171bebc9ffb11"
		"6a4383f49408e055ad9ca5fa75dccb65b94f"
		"d963bce6a7bfba85f5b845fd1ee7f5f1";
	uint8_t key[32], want[PT_LEN + 16], buf[PT_LEN + 16], tag[16];

	(void)state;
	rfc_key(key);
	unhex(want, want_hex);
	assert_int_equal(wg_aead_encrypt(buf, (const uint8_t *)rfc_plaintext, PT_LEN,
					 rfc_ad, sizeof(rfc_ad), 0x0102030405060708ULL, key), 0);
	assert_memory_equal(buf, want, sizeof(want));

	/* Empty message, counter 0: a bare tag, as in a keepalive. */
	unhex(want, "3ae5d3f2a376d317eaea5aef0215ba54");
	assert_int_equal(wg_aead_encrypt(tag, NULL, 0, NULL, 0, 0, key), 0);
	assert_memory_equal(tag, want, 16);
	assert_int_equal(wg_aead_decrypt(buf, tag, 16, NULL, 0, 0, key), 0);
}

static void test_roundtrip_in_place(void **state)
{
	uint8_t key[32], buf[PT_LEN + 16];

	(void)state;
	rfc_key(key);
	memcpy(buf, rfc_plaintext, PT_LEN);
	assert_int_equal(wg_aead_encrypt(buf, buf, PT_LEN, rfc_ad, sizeof(rfc_ad), 42, key), 0);
	assert_memory_not_equal(buf, rfc_plaintext, PT_LEN);
	assert_int_equal(wg_aead_decrypt(buf, buf, sizeof(buf), rfc_ad, sizeof(rfc_ad), 42, key), 0);
	assert_memory_equal(buf, rfc_plaintext, PT_LEN);
}

static void test_tamper(void **state)
{
	uint8_t key[32], ct[PT_LEN + 16], bad[PT_LEN + 16], out[PT_LEN];
	uint8_t zero[PT_LEN] = { 0 };
	size_t flips[] = { 0, 57, PT_LEN - 1, PT_LEN, PT_LEN + 15 };

	(void)state;
	rfc_key(key);
	wg_aead_encrypt(ct, (const uint8_t *)rfc_plaintext, PT_LEN, rfc_ad, sizeof(rfc_ad), 7, key);

	/* Any flipped bit, in the text or the tag. */
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, ct, sizeof(ct));
		bad[flips[i]] ^= 0x01;
		memset(out, 0xee, sizeof(out));
		assert_int_equal(wg_aead_decrypt(out, bad, sizeof(bad), rfc_ad, sizeof(rfc_ad),
						 7, key), -EBADMSG);
		/* A forgery leaves nothing behind. */
		assert_memory_equal(out, zero, sizeof(out));
	}
	/* Wrong counter, wrong AD, wrong key, truncated. */
	assert_int_equal(wg_aead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad), 8, key),
			 -EBADMSG);
	assert_int_equal(wg_aead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad) - 1, 7, key),
			 -EBADMSG);
	key[31] ^= 0x80;
	assert_int_equal(wg_aead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad), 7, key),
			 -EBADMSG);
	key[31] ^= 0x80;
	assert_int_equal(wg_aead_decrypt(out, ct, 15, NULL, 0, 7, key), -EBADMSG);
	assert_int_equal(wg_aead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad), 7, key), 0);
}

static void test_xaead(void **state)
{
	uint8_t key[32], nonce[24], buf[PT_LEN + 16], ct[PT_LEN + 16], out[PT_LEN];

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(nonce, sizeof(nonce));

	assert_int_equal(wg_xaead_encrypt(ct, (const uint8_t *)rfc_plaintext, PT_LEN,
					  rfc_ad, sizeof(rfc_ad), nonce, key), 0);
	assert_int_equal(wg_xaead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad),
					  nonce, key), 0);
	assert_memory_equal(out, rfc_plaintext, PT_LEN);

	/* In place gives the same bytes. */
	memcpy(buf, rfc_plaintext, PT_LEN);
	assert_int_equal(wg_xaead_encrypt(buf, buf, PT_LEN, rfc_ad, sizeof(rfc_ad), nonce, key), 0);
	assert_memory_equal(buf, ct, sizeof(ct));
	assert_int_equal(wg_xaead_decrypt(buf, buf, sizeof(buf), rfc_ad, sizeof(rfc_ad),
					  nonce, key), 0);
	assert_memory_equal(buf, rfc_plaintext, PT_LEN);

	/* Every byte of the nonce matters (an XChaCha nonce is not truncated
	 * to 12 bytes). */
	nonce[23] ^= 1;
	assert_int_equal(wg_xaead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad),
					  nonce, key), -EBADMSG);
	nonce[23] ^= 1;
	nonce[0] ^= 1;
	assert_int_equal(wg_xaead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad),
					  nonce, key), -EBADMSG);
	nonce[0] ^= 1;
	ct[3] ^= 4;
	assert_int_equal(wg_xaead_decrypt(out, ct, sizeof(ct), rfc_ad, sizeof(rfc_ad),
					  nonce, key), -EBADMSG);
	assert_int_equal(wg_xaead_decrypt(out, ct, 10, NULL, 0, nonce, key), -EBADMSG);
}

static void test_x25519_rfc7748(void **state)
{
	uint8_t a[32], b[32], apub[32], bpub[32], want[32], s1[32], s2[32];

	(void)state;
	unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");

	assert_int_equal(wg_x25519_public(apub, a), 0);
	unhex(want, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_memory_equal(apub, want, 32);
	assert_int_equal(wg_x25519_public(bpub, b), 0);
	unhex(want, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_memory_equal(bpub, want, 32);

	unhex(want, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	assert_int_equal(wg_x25519(s1, a, bpub), 0);
	assert_int_equal(wg_x25519(s2, b, apub), 0);
	assert_memory_equal(s1, want, 32);
	assert_memory_equal(s2, want, 32);
}

/* Same public key as `wg pubkey` prints for this private key. */
static void test_x25519_matches_wg(void **state)
{
	uint8_t priv[32], pub[32], want[32];

	(void)state;
	unhex(priv, "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef");
	unhex(want, "6b3ee67463583cbe3dc08fe9d0765c2666ff5210dd527c9d8705e44927c80d55");
	assert_int_equal(wg_x25519_public(pub, priv), 0);
	assert_memory_equal(pub, want, 32);
}

static void test_x25519_rejects(void **state)
{
	uint8_t priv[32], pub[32], out[32], point[32] = { 0 };

	(void)state;
	wg_x25519_generate(priv, pub);
	/* Low-order points: 0 and 1 give an all-zero secret. */
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(wg_x25519(out, priv, point), -EINVAL);
	assert_true(sodium_is_zero(out, 32));
	point[0] = 1;
	assert_int_equal(wg_x25519(out, priv, point), -EINVAL);

	memset(priv, 0, sizeof(priv));
	assert_int_equal(wg_x25519_public(pub, priv), -EINVAL);
}

static void test_x25519_generate(void **state)
{
	uint8_t a[32], apub[32], b[32], bpub[32], check[32], s1[32], s2[32];

	(void)state;
	wg_x25519_generate(a, apub);
	wg_x25519_generate(b, bpub);
	assert_memory_not_equal(a, b, 32);
	/* Clamped. */
	assert_int_equal(a[0] & 7, 0);
	assert_int_equal(a[31] & 0xc0, 0x40);
	assert_int_equal(wg_x25519_public(check, a), 0);
	assert_memory_equal(check, apub, 32);
	assert_int_equal(wg_x25519(s1, a, bpub), 0);
	assert_int_equal(wg_x25519(s2, b, apub), 0);
	assert_memory_equal(s1, s2, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8439_vector),
		cmocka_unit_test(test_counter_nonce),
		cmocka_unit_test(test_roundtrip_in_place),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_xaead),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_x25519_matches_wg),
		cmocka_unit_test(test_x25519_rejects),
		cmocka_unit_test(test_x25519_generate),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
