/* BLAKE2s against RFC 7693 (the "abc" vector of Appendix B and the grand
 * self-test of Appendix E), the keyed KATs of the BLAKE2 reference
 * (blake2s-kat.txt), and HMAC-BLAKE2s / WireGuard's KDF against values from
 * an independent implementation (Python hashlib + hmac). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/crypto/blake2s.h"
#include "lib/crypto/kdf.h"

static void unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static void assert_hex(const uint8_t *got, const char *hex)
{
	uint8_t want[128];
	size_t n = strlen(hex) / 2;

	unhex(want, hex);
	assert_memory_equal(got, want, n);
}

static void test_abc(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(wg_blake2s(out, 32, "abc", 3, NULL, 0), 0);
	assert_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	assert_int_equal(wg_blake2s(out, 32, "", 0, NULL, 0), 0);
	assert_hex(out, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

/* blake2s-kat.txt: key 00..1f, input 00..(n-1). */
static void test_keyed_kat(void **state)
{
	static const struct { size_t inlen; const char *hash; } kat[] = {
		{ 0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49" },
		{ 64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4" },
		{ 255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd" },
	};
	uint8_t key[32], in[255], out[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 255; i++)
		in[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		assert_int_equal(wg_blake2s(out, 32, in, kat[i].inlen, key, 32), 0);
		assert_hex(out, kat[i].hash);
	}
}

/* RFC 7693 Appendix E: deterministic inputs of several lengths hashed with
 * several digest lengths, unkeyed and keyed, all fed into one hash. */
static void selftest_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t a = 0xDEAD4BAD * seed, b = 1, t;

	for (size_t i = 0; i < len; i++) {
		t = a + b;
		a = b;
		b = t;
		out[i] = (uint8_t)(t >> 24);
	}
}

static void test_rfc7693_selftest(void **state)
{
	static const size_t md_len[] = { 16, 20, 28, 32 };
	static const size_t in_len[] = { 0, 3, 64, 65, 255, 1024 };
	struct wg_blake2s_state ctx;
	uint8_t in[1024], md[32], key[32], result[32];

	(void)state;
	assert_int_equal(wg_blake2s_init(&ctx, 32), 0);
	for (size_t i = 0; i < 4; i++) {
		size_t outlen = md_len[i];

		for (size_t j = 0; j < 6; j++) {
			size_t inlen = in_len[j];

			selftest_seq(in, inlen, (uint32_t)inlen);
			assert_int_equal(wg_blake2s(md, outlen, in, inlen, NULL, 0), 0);
			wg_blake2s_update(&ctx, md, outlen);

			selftest_seq(key, outlen, (uint32_t)outlen);
			assert_int_equal(wg_blake2s(md, outlen, in, inlen, key, outlen), 0);
			wg_blake2s_update(&ctx, md, outlen);
		}
	}
	wg_blake2s_final(&ctx, result);
	assert_hex(result, "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

/* Every way of cutting the input in two, keyed or not, block boundaries
 * included, must give the one-shot result. */
static void test_incremental(void **state)
{
	uint8_t in[200], key[32], one[32], inc[32];
	struct wg_blake2s_state s;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);

	for (size_t keylen = 0; keylen <= 32; keylen += 32) {
		for (size_t len = 0; len <= sizeof(in); len += 13) {
			wg_blake2s(one, 32, in, len, key, keylen);
			for (size_t cut = 0; cut <= len; cut++) {
				assert_int_equal(wg_blake2s_init_key(&s, 32, key, keylen), 0);
				wg_blake2s_update(&s, in, cut);
				wg_blake2s_update(&s, in + cut, len - cut);
				wg_blake2s_final(&s, inc);
				assert_memory_equal(one, inc, 32);
			}
			/* Byte at a time. */
			wg_blake2s_init_key(&s, 32, key, keylen);
			for (size_t k = 0; k < len; k++)
				wg_blake2s_update(&s, in + k, 1);
			wg_blake2s_final(&s, inc);
			assert_memory_equal(one, inc, 32);
		}
	}
}

static void test_bad_params(void **state)
{
	struct wg_blake2s_state s;
	uint8_t out[33], key[33] = { 0 };

	(void)state;
	assert_int_equal(wg_blake2s_init(&s, 0), -EINVAL);
	assert_int_equal(wg_blake2s_init(&s, 33), -EINVAL);
	assert_int_equal(wg_blake2s_init_key(&s, 32, key, 33), -EINVAL);
	assert_int_equal(wg_blake2s_init_key(&s, 32, NULL, 16), -EINVAL);
	assert_int_equal(wg_blake2s(out, 33, "x", 1, NULL, 0), -EINVAL);
	assert_int_equal(wg_blake2s_init(&s, 1), 0);
}

static void test_hmac(void **state)
{
	static const char msg[] = "The quick brown fox jumps over the lazy dog";
	uint8_t out[32], longkey[100];

	(void)state;
	wg_hmac_blake2s(out, (const uint8_t *)msg, strlen(msg), (const uint8_t *)"key", 3);
	assert_hex(out, "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0");

	/* A key over one block is hashed first. */
	for (int i = 0; i < 100; i++)
		longkey[i] = (uint8_t)i;
	wg_hmac_blake2s(out, (const uint8_t *)"data", 4, longkey, sizeof(longkey));
	assert_hex(out, "2624e61dfe9fcc84d3137a317c171ced634ef3fcd2fa3f5515940906f4e38c48");
}

static void test_kdf(void **state)
{
	static const char t1[] = "2f4b8dcd1654fe6b710f4ce0a4b33fc98143e414dec8b6169c01de05001c15ed";
	static const char t2[] = "da5edc0da4da1a69e756fb186ca244925815843fa9b03bb0b79e870ff41357ab";
	static const char t3[] = "93078c7a36cdce77ab209f4e540525588fc86793e9ea6d2edb7368eabc51309c";
	static const char data[] = "wgate kdf input";
	uint8_t ck[32], o1[32], o2[32], o3[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		ck[i] = (uint8_t)(0x40 + i);

	wg_kdf(o1, o2, o3, (const uint8_t *)data, strlen(data), ck);
	assert_hex(o1, t1);
	assert_hex(o2, t2);
	assert_hex(o3, t3);

	/* Outputs skipped with NULL do not change the others. */
	memset(o2, 0, sizeof(o2));
	wg_kdf(NULL, o2, NULL, (const uint8_t *)data, strlen(data), ck);
	assert_hex(o2, t2);
	memset(o3, 0, sizeof(o3));
	wg_kdf(NULL, NULL, o3, (const uint8_t *)data, strlen(data), ck);
	assert_hex(o3, t3);

	/* out1 aliasing ck, as the handshake's ck = KDF1(ck, x) does. */
	wg_kdf(ck, o2, NULL, (const uint8_t *)data, strlen(data), ck);
	assert_hex(ck, t1);
	assert_hex(o2, t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_keyed_kat),
		cmocka_unit_test(test_rfc7693_selftest),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_kdf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
