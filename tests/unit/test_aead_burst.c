/* Burst ChaCha20-Poly1305 (aead_burst.h), every backend this build and CPU
 * offer, held to the same answers:
 *   - fixed vectors computed once with an independent implementation,
 *     pyca/cryptography 48 (OpenSSL's ChaCha20-Poly1305), no additional
 *     data, WireGuard's nonce 00000000 || le64(counter). RFC 8439's own
 *     AEAD vectors (2.8.2, A.5) cannot serve directly: 2.8.2's nonce is not
 *     of WireGuard's form and both carry additional data, which transport
 *     data never has. The first vector reuses 2.8.2's key and text, and its
 *     ciphertext (not its tag: the AD differs) equals the one test_aead.c
 *     checks, which ties the two tests together;
 *   - random bursts of mixed keys, lengths and counters against
 *     wg_aead_encrypt/wg_aead_decrypt (libsodium, aead.h) as the oracle,
 *     sealed with one backend and opened with every other, both ways, with
 *     forgeries mixed in: a forged op clears its bit and only its bit;
 *   - parse/str and backend choice. */
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
#include "lib/crypto/aead_burst.h"

static void unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* splitmix64: deterministic, so a failure replays the same packets. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = (rng_state += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* ---- engines under test ---- */

#define MAX_ENGINES 2

struct engines {
	struct wg_aead_engine *e[MAX_ENGINES];
	int n;
};

static struct engines engines;

static int setup(void **state)
{
	struct wg_aead_engine *e;

	(void)state;
	engines.n = 0;
	e = wg_aead_engine_new(WG_CRYPTO_LIBSODIUM);
	if (!e)
		return -1;
	engines.e[engines.n++] = e;
	e = wg_aead_engine_new(WG_CRYPTO_IPSEC_MB);
	if (e)
		engines.e[engines.n++] = e;
	print_message("backends under test:");
	for (int i = 0; i < engines.n; i++)
		print_message(" [%s]", wg_aead_engine_name(engines.e[i]));
	print_message("\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < engines.n; i++)
		wg_aead_engine_free(engines.e[i]);
	engines.n = 0;
	return 0;
}

/* ---- (c) parse / str ---- */

static void test_backend_parse_str(void **state)
{
	static const struct {
		const char *s;
		enum wg_crypto_backend b;
	} good[] = {
		{ "auto", WG_CRYPTO_AUTO },
		{ "ipsec-mb", WG_CRYPTO_IPSEC_MB },
		{ "libsodium", WG_CRYPTO_LIBSODIUM },
	};
	static const char *const bad[] = {
		"", "Auto", "ipsec_mb", "ipsecmb", "sodium", "libsodium ", " auto", "autox",
	};
	enum wg_crypto_backend b;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		b = (enum wg_crypto_backend)-1;
		assert_int_equal(wg_crypto_backend_parse(good[i].s, &b), 0);
		assert_int_equal(b, good[i].b);
		assert_string_equal(wg_crypto_backend_str(good[i].b), good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = WG_CRYPTO_LIBSODIUM;
		assert_int_equal(wg_crypto_backend_parse(bad[i], &b), -EINVAL);
		assert_int_equal(b, WG_CRYPTO_LIBSODIUM);	/* untouched */
	}
	assert_int_equal(wg_crypto_backend_parse(NULL, &b), -EINVAL);
	assert_string_equal(wg_crypto_backend_str((enum wg_crypto_backend)42), "unknown");
}

/* ---- (d) which backend each request gets ---- */

static void test_backend_choice(void **state)
{
	struct wg_aead_engine *e;
	bool have = wg_crypto_ipsec_mb_available();

	(void)state;
#ifndef WGATE_HAVE_IPSEC_MB
	assert_false(have);
#elif defined(__x86_64__)
	/* Built in, on a CPU that runs its AVX2 code: it must be usable, and
	 * auto must take it. Without this, an ipsec-mb path that fails the
	 * engine's self-test would quietly leave only libsodium under test. */
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
	    __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul")) {
		assert_true(have);
		e = wg_aead_engine_new(WG_CRYPTO_AUTO);
		assert_non_null(e);
		assert_int_equal(wg_aead_engine_backend(e), WG_CRYPTO_IPSEC_MB);
		wg_aead_engine_free(e);
	}
#endif
	e = wg_aead_engine_new(WG_CRYPTO_IPSEC_MB);
	if (!have) {
		assert_null(e);
	} else {
		assert_non_null(e);
		assert_int_equal(wg_aead_engine_backend(e), WG_CRYPTO_IPSEC_MB);
		assert_memory_equal(wg_aead_engine_name(e), "ipsec-mb", 8);
		wg_aead_engine_free(e);
	}

	e = wg_aead_engine_new(WG_CRYPTO_LIBSODIUM);
	assert_non_null(e);
	assert_int_equal(wg_aead_engine_backend(e), WG_CRYPTO_LIBSODIUM);
	assert_string_equal(wg_aead_engine_name(e), "libsodium");
	wg_aead_engine_free(e);

	/* Auto never fails, and takes ipsec-mb only from AVX2 up. */
	e = wg_aead_engine_new(WG_CRYPTO_AUTO);
	assert_non_null(e);
	if (wg_aead_engine_backend(e) == WG_CRYPTO_IPSEC_MB) {
		assert_true(have);
		assert_true(!strcmp(wg_aead_engine_name(e), "ipsec-mb avx2") ||
			    !strcmp(wg_aead_engine_name(e), "ipsec-mb avx512"));
	} else {
		assert_int_equal(wg_aead_engine_backend(e), WG_CRYPTO_LIBSODIUM);
	}
	wg_aead_engine_free(e);

	assert_null(wg_aead_engine_new((enum wg_crypto_backend)42));
	wg_aead_engine_free(NULL);
}

/* ---- (a) known answers ---- */

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only one "
	"tip for the future, sunscreen would be it.";

struct kat {
	uint8_t key[32];
	uint64_t counter;
	uint8_t pt[1420];
	uint32_t len;
	uint8_t ct[1420];
	uint8_t tag[16];
	uint8_t ct_sha256[32];	/* instead of ct, for the long one */
	bool by_hash;
};

#define N_KATS 4
static struct kat kats[N_KATS];

static void kats_init(void)
{
	struct kat *k;

	/* RFC 8439 2.8.2's key and text, counter 0x0102030405060708, no AD. */
	k = &kats[0];
	for (int i = 0; i < 32; i++)
		k->key[i] = (uint8_t)(0x80 + i);
	k->counter = 0x0102030405060708ull;
	k->len = sizeof(sunscreen) - 1;
	memcpy(k->pt, sunscreen, k->len);
	unhex(k->ct,
	      "b8d08ad235a97bbc4dd551cc6b1911b3961e31851245f58e7f581dbe0627e811"
	      "f7465bd39dd94d5546bf48ac1a2dd43cbda6f795d215ec93abb888192adfa41a"
	      "10ee4bb956f2bbbe7294b33f513dbeeba962d9c2f8cc18c88a9171bebc9ffb11"
	      "6a4383f49408e055ad9ca5fa75dccb65b94f");
	unhex(k->tag, "d5d23d697079b0de81ed4b7817a92427");

	/* Empty, counter 0: a keepalive is a bare tag. */
	k = &kats[1];
	for (int i = 0; i < 32; i++)
		k->key[i] = (uint8_t)(0x80 + i);
	k->counter = 0;
	k->len = 0;
	unhex(k->tag, "3ae5d3f2a376d317eaea5aef0215ba54");

	/* RFC 8439 A.5's key, counter 2^64 - 2 (the last one a sender may
	 * use is REJECT_AFTER_MESSAGES - 1, far below; this one checks that
	 * all 64 bits reach the nonce), 1420 bytes (i * 7 + 3). The tag and
	 * SHA-256 of the ciphertext stand for 1420 bytes of hex. */
	k = &kats[2];
	unhex(k->key, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
	k->counter = UINT64_MAX - 1;
	k->len = 1420;
	for (uint32_t i = 0; i < k->len; i++)
		k->pt[i] = (uint8_t)(i * 7 + 3);
	unhex(k->tag, "9ef7ab11a3f0ef26b5a015ecc5af75bc");
	unhex(k->ct_sha256, "b2018821be6bc124d5c2954ffa190bc9f4bc1e32d35c541b436deca1b8753280");
	k->by_hash = true;

	/* Counter 2^32: the high word of the counter goes to the nonce's last
	 * four bytes, not into ChaCha's 32-bit block counter. 17 bytes: one
	 * 16-byte Poly1305 block and a partial one. */
	k = &kats[3];
	for (int i = 0; i < 32; i++)
		k->key[i] = (uint8_t)i;
	k->counter = 1ull << 32;
	k->len = 17;
	memset(k->pt, 0xff, k->len);
	unhex(k->ct, "ac8ffe89f624b892792e5f383a3a1c6cb9");
	unhex(k->tag, "ce70a5297ca280fa35fd971e2f0656b0");
}

static void check_kat_ct(const struct kat *k, const uint8_t *ct, const uint8_t *tag)
{
	if (k->by_hash) {
		uint8_t h[32];

		crypto_hash_sha256(h, ct, k->len);
		assert_memory_equal(h, k->ct_sha256, 32);
	} else if (k->len) {
		assert_memory_equal(ct, k->ct, k->len);
	}
	assert_memory_equal(tag, k->tag, 16);
}

static void test_known_answers(void **state)
{
	static uint8_t buf[N_KATS][1420 + 16];
	struct wg_aead_key keys[N_KATS];
	struct wg_aead_op ops[N_KATS];

	(void)state;
	kats_init();
	for (int k = 0; k < N_KATS; k++)
		memcpy(keys[k].k, kats[k].key, 32);

	/* The oracle agrees with the vectors first. */
	for (int k = 0; k < N_KATS; k++) {
		assert_int_equal(wg_aead_encrypt(buf[k], kats[k].pt, kats[k].len, NULL, 0,
						 kats[k].counter, kats[k].key), 0);
		check_kat_ct(&kats[k], buf[k], buf[k] + kats[k].len);
	}

	for (int e = 0; e < engines.n; e++) {
		struct wg_aead_engine *eng = engines.e[e];

		/* One op per call, then all four in one burst (four keys). */
		for (int k = 0; k <= N_KATS; k++) {
			int lo = k < N_KATS ? k : 0, hi = k < N_KATS ? k + 1 : N_KATS;
			unsigned int n = (unsigned int)(hi - lo);

			for (int j = lo; j < hi; j++) {
				memcpy(buf[j], kats[j].pt, kats[j].len);
				ops[j] = (struct wg_aead_op){ buf[j], kats[j].len,
							      buf[j] + kats[j].len,
							      kats[j].counter, &keys[j] };
			}
			wg_aead_seal_burst(eng, &ops[lo], n);
			for (int j = lo; j < hi; j++)
				check_kat_ct(&kats[j], buf[j], buf[j] + kats[j].len);
			assert_int_equal(wg_aead_open_burst(eng, &ops[lo], n),
					 (1ull << n) - 1);
			for (int j = lo; j < hi; j++)
				assert_memory_equal(buf[j], kats[j].pt, kats[j].len);
		}
	}
}

/* ---- (b) random bursts, every backend against every other ---- */

#define MAX_LEN		1500
#define GUARD		16
#define SLOT		(GUARD + 15 + MAX_LEN + 16 + GUARD)
#define N_KEYS		5
#define ROUNDS		150

struct pkt {
	uint8_t pt[MAX_LEN];
	uint8_t ref[MAX_LEN + 16];	/* the oracle's ciphertext || tag */
	uint32_t len;
	uint64_t counter;
	int key;
	unsigned int misalign;		/* data offset mod 16, 0..15 */
};

static struct pkt pkts[WG_AEAD_BURST_MAX];
static uint8_t slots[WG_AEAD_BURST_MAX][SLOT];
static struct wg_aead_key keys[N_KEYS];

static uint32_t pick_len(void)
{
	static const uint32_t edge[] = { 0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129,
					 255, 256, 257, 511, 512, 513, 1420, 1500 };

	if (rnd_below(3) == 0)
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	return (uint32_t)rnd_below(MAX_LEN + 1);
}

static uint64_t pick_counter(void)
{
	static const uint64_t edge[] = { 0, 1, UINT64_MAX - 1, UINT64_MAX, 0xffffffffull,
					 1ull << 32, (1ull << 60) - 1 };

	if (rnd_below(4) == 0)
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	return rnd() >> rnd_below(64);
}

static uint8_t *data_of(unsigned int i)
{
	return slots[i] + GUARD + pkts[i].misalign;
}

/* Loads op i with packet i's plaintext (or, when sealed, the oracle's
 * ciphertext and tag), the tag right after the data as on the wire, and
 * 0xa5 guard bytes around both. */
static void load(struct wg_aead_op *op, unsigned int i, bool sealed)
{
	struct pkt *p = &pkts[i];
	uint8_t *d = data_of(i);

	memset(slots[i], 0xa5, SLOT);
	if (sealed)
		memcpy(d, p->ref, p->len + 16);
	else
		memcpy(d, p->pt, p->len);
	*op = (struct wg_aead_op){ d, p->len, d + p->len, p->counter, &keys[p->key] };
}

static void check_guards(unsigned int i)
{
	uint8_t *d = data_of(i);
	size_t after = SLOT - (size_t)(d - slots[i]) - pkts[i].len - 16;

	for (uint8_t *g = slots[i]; g < d; g++)
		assert_int_equal(*g, 0xa5);
	for (size_t k = 0; k < after; k++)
		assert_int_equal(d[pkts[i].len + 16 + k], 0xa5);
}

static void make_burst(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct pkt *p = &pkts[i];

		p->len = pick_len();
		p->counter = pick_counter();
		p->key = (int)rnd_below(N_KEYS);
		p->misalign = (unsigned int)rnd_below(16);
		rnd_bytes(p->pt, p->len);
		assert_int_equal(wg_aead_encrypt(p->ref, p->pt, p->len, NULL, 0, p->counter,
						 keys[p->key].k), 0);
	}
}

static uint64_t all_bits(unsigned int n)
{
	return n == 64 ? UINT64_MAX : (1ull << n) - 1;
}

/* Ways to spoil an op: each must fail authentication. */
enum spoil { SPOIL_TAG, SPOIL_CT, SPOIL_COUNTER, SPOIL_KEY, SPOIL_N };

static void spoil(struct wg_aead_op *op, const struct pkt *p, enum spoil how)
{
	/* An empty op has no ciphertext to flip: its tag is flipped instead. */
	if (how == SPOIL_CT && p->len == 0)
		how = SPOIL_TAG;
	switch (how) {
	case SPOIL_CT:
		op->data[rnd_below(p->len)] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case SPOIL_TAG:
		op->tag[rnd_below(16)] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case SPOIL_COUNTER:
		op->nonce ^= 1ull << rnd_below(64);
		break;
	case SPOIL_KEY:
		op->key = &keys[(p->key + 1 + (int)rnd_below(N_KEYS - 1)) % N_KEYS];
		break;
	case SPOIL_N:
		break;
	}
}

static void test_cross_random(void **state)
{
	struct wg_aead_op ops[WG_AEAD_BURST_MAX];
	uint8_t out[MAX_LEN];
	unsigned long n_ops = 0, n_spoiled = 0;

	(void)state;
	rng_state = 0x77676174;		/* "wgat" */
	for (int k = 0; k < N_KEYS; k++)
		rnd_bytes(keys[k].k, 32);

	for (int round = 0; round < ROUNDS; round++) {
		/* Sizes 1, 2 and 64 early, the rest random. */
		unsigned int n = round == 0 ? 1 : round == 1 ? 64 : round == 2 ? 2 :
				 1 + (unsigned int)rnd_below(WG_AEAD_BURST_MAX);

		make_burst(n);
		n_ops += n;
		for (int a = 0; a < engines.n; a++) {
			/* Seal with A: the oracle's bytes exactly, nothing outside. */
			for (unsigned int i = 0; i < n; i++)
				load(&ops[i], i, false);
			wg_aead_seal_burst(engines.e[a], ops, n);
			for (unsigned int i = 0; i < n; i++) {
				assert_memory_equal(data_of(i), pkts[i].ref, pkts[i].len + 16);
				check_guards(i);
				/* ... which the oracle opens. */
				assert_int_equal(wg_aead_decrypt(out, data_of(i), pkts[i].len + 16,
								 NULL, 0, pkts[i].counter,
								 keys[pkts[i].key].k), 0);
				assert_memory_equal(out, pkts[i].pt, pkts[i].len);
			}
			/* Open with every B. A's output equals the oracle's, so
			 * loading the oracle's bytes covers "A seals, B opens" and
			 * "the oracle seals, B opens" at once. */
			for (int b = 0; b < engines.n; b++) {
				for (unsigned int i = 0; i < n; i++)
					load(&ops[i], i, true);
				assert_int_equal(wg_aead_open_burst(engines.e[b], ops, n),
						 all_bits(n));
				for (unsigned int i = 0; i < n; i++) {
					assert_memory_equal(data_of(i), pkts[i].pt, pkts[i].len);
					check_guards(i);
				}
			}
		}

		/* Forgeries among good ops: about one op in four spoiled, one of
		 * four ways; each backend must clear exactly those bits. */
		uint64_t spoiled = 0;
		enum spoil how[WG_AEAD_BURST_MAX];
		uint64_t pick[WG_AEAD_BURST_MAX];

		for (unsigned int i = 0; i < n; i++) {
			if (rnd_below(4) == 0 || (round == 1 && (i == 0 || i == 63))) {
				spoiled |= 1ull << i;
				how[i] = (enum spoil)rnd_below(SPOIL_N);
				pick[i] = rnd();
			}
		}
		n_spoiled += (unsigned long)__builtin_popcountll(spoiled);
		for (int b = 0; b < engines.n; b++) {
			uint64_t saved = rng_state;

			for (unsigned int i = 0; i < n; i++) {
				load(&ops[i], i, true);
				if (spoiled >> i & 1) {
					/* Same spoiling for every backend. */
					rng_state = pick[i];
					spoil(&ops[i], &pkts[i], how[i]);
				}
			}
			rng_state = saved;
			assert_int_equal(wg_aead_open_burst(engines.e[b], ops, n),
					 all_bits(n) & ~spoiled);
			for (unsigned int i = 0; i < n; i++) {
				if (!(spoiled >> i & 1))
					assert_memory_equal(data_of(i), pkts[i].pt, pkts[i].len);
				check_guards(i);
			}
		}
	}
	print_message("%lu ops in %d bursts, %lu forged, %d backend(s)\n", n_ops, ROUNDS,
		      n_spoiled, engines.n);
}

/* An empty burst does nothing; seal takes more than WG_AEAD_BURST_MAX
 * (in chunks) rather than leave plaintext behind; open reports at most 64. */
static void test_burst_bounds(void **state)
{
	static uint8_t buf[WG_AEAD_BURST_MAX + 3][64 + 16];
	struct wg_aead_op ops[WG_AEAD_BURST_MAX + 3];
	struct wg_aead_key key = { { 7 } };
	uint8_t ref[64 + 16];

	(void)state;
	for (int e = 0; e < engines.n; e++) {
		struct wg_aead_engine *eng = engines.e[e];

		wg_aead_seal_burst(eng, ops, 0);
		assert_int_equal(wg_aead_open_burst(eng, ops, 0), 0);

		for (unsigned int i = 0; i < WG_AEAD_BURST_MAX + 3; i++) {
			memset(buf[i], (int)i, 64);
			ops[i] = (struct wg_aead_op){ buf[i], 64, buf[i] + 64, i, &key };
		}
		wg_aead_seal_burst(eng, ops, WG_AEAD_BURST_MAX + 3);
		for (unsigned int i = 0; i < WG_AEAD_BURST_MAX + 3; i++) {
			uint8_t pt[64];

			memset(pt, (int)i, 64);
			wg_aead_encrypt(ref, pt, 64, NULL, 0, i, key.k);
			assert_memory_equal(buf[i], ref, sizeof(ref));
		}
		assert_int_equal(wg_aead_open_burst(eng, ops, WG_AEAD_BURST_MAX + 3),
				 UINT64_MAX);
		/* Past 64 nothing was opened: still ciphertext. */
		for (unsigned int i = WG_AEAD_BURST_MAX; i < WG_AEAD_BURST_MAX + 3; i++) {
			uint8_t pt[64];

			memset(pt, (int)i, 64);
			wg_aead_encrypt(ref, pt, 64, NULL, 0, i, key.k);
			assert_memory_equal(buf[i], ref, 64);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_parse_str),
		cmocka_unit_test(test_backend_choice),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_cross_random),
		cmocka_unit_test(test_burst_bounds),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
