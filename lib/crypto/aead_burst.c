/* Burst ChaCha20-Poly1305: the two backends behind aead_burst.h.
 *
 * intel-ipsec-mb (1.3 and later, WGATE_HAVE_IPSEC_MB): one IMB_MGR per
 * engine. A burst takes n job slots with IMB_GET_NEXT_BURST, fills them,
 * hands them over with IMB_SUBMIT_BURST and collects whatever is still
 * queued with IMB_FLUSH_BURST, so the manager's queue is empty between calls.
 * That invariant is what lets a call take all n <= WG_AEAD_BURST_MAX slots
 * at once (the queue holds IMB_MAX_JOBS = 256) and know that every job it
 * collects is one of its own. On decrypt the library computes the tag but
 * does not check it: we compare it with the received one, in constant time.
 *
 * libsodium: the detached IETF calls, one op at a time. They verify the tag
 * before they decrypt, so a forged op's data is left as it came.
 *
 * Owner: an engine belongs to one thread (see aead_burst.h); the scratch
 * arrays in it are reset by every burst call. */
#include "lib/crypto/aead_burst.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#ifdef WGATE_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>

#if IMB_VERSION_NUM < IMB_VERSION(1, 3, 0)
#error "intel-ipsec-mb 1.3 or later is needed for the burst API"
#endif
_Static_assert(WG_AEAD_BURST_MAX <= IMB_MAX_BURST_SIZE, "burst larger than ipsec-mb takes");
#endif

_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == 16, "tag");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "nonce");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == sizeof(struct wg_aead_key), "key");

/* Cache-aligned: it is a worker's private scratch (STYLE rule 8). */
struct wg_aead_engine {
	enum wg_crypto_backend backend;
	const char *name;
#ifdef WGATE_HAVE_IPSEC_MB
	IMB_MGR *mgr;
	/* Per burst: op i's nonce, and on open the tag the library computed.
	 * The library reads iv[i] when it runs the job, which may be as late
	 * as the flush, so these cannot live on the caller's stack frame of a
	 * helper that returns earlier; here they outlive the whole call. */
	uint8_t iv[WG_AEAD_BURST_MAX][16];
	uint8_t tag[WG_AEAD_BURST_MAX][16];
#endif
} __attribute__((aligned(64)));

/* WireGuard's 96-bit nonce: 32 zero bits, then the counter little endian. */
static inline void make_nonce(uint8_t n[12], uint64_t counter)
{
	memset(n, 0, 4);
	for (int i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(counter >> (8 * i));
}

/* ---- libsodium ---- */

static void sodium_seal_one(struct wg_aead_op *op)
{
	uint8_t n[12];

	make_nonce(n, op->nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(op->data, op->tag, NULL, op->data,
							   op->len, NULL, 0, NULL, n, op->key->k);
}

/* 1 when op authenticated (data is now plaintext), else 0. libsodium
 * compares the tag in constant time (crypto_verify_16). */
static uint64_t sodium_open_one(struct wg_aead_op *op)
{
	uint8_t n[12];

	make_nonce(n, op->nonce);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(op->data, NULL, op->data,
								  op->len, op->tag, NULL, 0,
								  n, op->key->k) == 0;
}

static void sodium_seal_burst(struct wg_aead_op *ops, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		sodium_seal_one(&ops[i]);
}

static uint64_t sodium_open_burst(struct wg_aead_op *ops, unsigned int n)
{
	uint64_t ok = 0;

	for (unsigned int i = 0; i < n; i++)
		ok |= sodium_open_one(&ops[i]) << i;
	return ok;
}

/* ---- intel-ipsec-mb ---- */

#ifdef WGATE_HAVE_IPSEC_MB

/* 1 when the two tags are equal, else 0, in time independent of where
 * they differ: no early exit, no branch on the data. */
static inline uint64_t tag_equal_ct(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1, d;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	d = (a0 ^ b0) | (a1 ^ b1);
	/* d | -d has the top bit set exactly when d != 0. */
	return 1 ^ ((d | (0 - d)) >> 63);
}

static void fill_job(IMB_JOB *job, struct wg_aead_op *op, uint8_t *iv, uint8_t *tag_out,
		     bool seal, unsigned int i)
{
	make_nonce(iv, op->nonce);
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	if (seal) {
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
	} else {
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
	}
	job->enc_keys = op->key->k;
	job->dec_keys = op->key->k;
	job->key_len_in_bytes = sizeof(op->key->k);
	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = iv;
	job->iv_len_in_bytes = 12;
	job->auth_tag_output = tag_out;
	job->auth_tag_output_len_in_bytes = 16;
	job->u.CHACHA20_POLY1305.aad = NULL;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
	job->user_data = (void *)(uintptr_t)i;
}

static inline uint64_t all_bits(unsigned int n)
{
	return n >= 64 ? UINT64_MAX : (1ull << n) - 1;
}

/* Runs n <= WG_AEAD_BURST_MAX ops through the manager: true, with the mask
 * of ops whose job completed in *completed; or false when the manager
 * refused the burst, which it does before it runs any job (it checks every
 * job first), so no data was touched and the caller redoes the ops with
 * libsodium. With the jobs we fill neither refusal nor an incomplete job
 * happens; handling both keeps "seal cannot fail" true whatever a future
 * library version checks. */
static bool imb_run(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n,
		    bool seal, uint64_t *completed)
{
	IMB_JOB *jobs[WG_AEAD_BURST_MAX];
	unsigned int done;

	/* The queue is empty between calls, so all n slots are free. */
	if (IMB_GET_NEXT_BURST(e->mgr, n, jobs) != n)
		return false;
	for (unsigned int i = 0; i < n; i++)
		fill_job(jobs[i], &ops[i], e->iv[i], seal ? ops[i].tag : e->tag[i], seal, i);

	done = IMB_SUBMIT_BURST(e->mgr, n, jobs);
	if (done == 0)
		return false;
	/* Completed jobs come back in submission order; those the submit did
	 * not finish, the flush does (none, for ChaCha20-Poly1305 in 1.3: it
	 * runs each job to the end on submit, but the API does not promise it). */
	while (done < n) {
		unsigned int f = IMB_FLUSH_BURST(e->mgr, n - done, jobs + done);

		if (f == 0)
			break;
		done += f;
	}
	*completed = 0;
	for (unsigned int j = 0; j < done; j++) {
		unsigned int i = (unsigned int)(uintptr_t)jobs[j]->user_data;

		*completed |= (uint64_t)(jobs[j]->status == IMB_STATUS_COMPLETED) << i;
	}
	return true;
}

static void imb_seal_burst(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n)
{
	uint64_t completed;

	if (!imb_run(e, ops, n, true, &completed)) {
		sodium_seal_burst(ops, n);
		return;
	}
	if (completed == all_bits(n))
		return;
	/* A job the library took but did not finish may have left plaintext
	 * in place, or half of it. Sealing it again could seal ciphertext, so
	 * wipe it instead: what goes out is a packet the peer drops, never
	 * plaintext. */
	for (unsigned int i = 0; i < n; i++) {
		if (!(completed >> i & 1)) {
			if (ops[i].len)
				memset(ops[i].data, 0, ops[i].len);
			memset(ops[i].tag, 0, 16);
		}
	}
}

static uint64_t imb_open_burst(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n)
{
	uint64_t completed, ok = 0;

	if (!imb_run(e, ops, n, false, &completed))
		return sodium_open_burst(ops, n);
	for (unsigned int i = 0; i < n; i++)
		ok |= tag_equal_ct(e->tag[i], ops[i].tag) << i;
	return ok & completed;
}

static const char *arch_name(uint32_t arch)
{
	switch (arch) {
	case IMB_ARCH_NOAESNI:	return "ipsec-mb no-aesni";
	case IMB_ARCH_SSE:	return "ipsec-mb sse";
	case IMB_ARCH_AVX:	return "ipsec-mb avx";
	case IMB_ARCH_AVX2:	return "ipsec-mb avx2";
	case IMB_ARCH_AVX512:	return "ipsec-mb avx512";
	default:		return "ipsec-mb";
	}
}

/* A manager on the best arch the CPU offers, or NULL. */
static IMB_MGR *imb_open(void)
{
	IMB_MGR *mgr = alloc_mb_mgr(0);
	IMB_ARCH arch = IMB_ARCH_NONE;

	if (!mgr)
		return NULL;
	init_mb_mgr_auto(mgr, &arch);
	if (arch == IMB_ARCH_NONE || imb_get_errno(mgr) != 0) {
		free_mb_mgr(mgr);
		return NULL;
	}
	return mgr;
}

/* One seal and two opens against libsodium, run once per new ipsec-mb
 * engine. The library is a shared object chosen at run time and its arch
 * code is picked per CPU, so the code path we will use is checked on the
 * machine that uses it, not just on the one that ran the unit tests.
 * 65 bytes: one full ChaCha block and a partial one. 0, or -EIO. */
static int self_test(struct wg_aead_engine *e)
{
	struct wg_aead_key key;
	uint8_t pt[65], data[65], tag[16], ref[65], ref_tag[16];
	struct wg_aead_op op = { data, sizeof(data), tag, 0x0706050403020100ull, &key };
	struct wg_aead_op ref_op = { ref, sizeof(ref), ref_tag, op.nonce, &key };

	for (unsigned int i = 0; i < sizeof(key.k); i++)
		key.k[i] = (uint8_t)(0x80 + i);
	for (unsigned int i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)i;
	memcpy(data, pt, sizeof(pt));
	memcpy(ref, pt, sizeof(pt));
	wg_aead_seal_burst(e, &op, 1);
	sodium_seal_one(&ref_op);
	if (memcmp(data, ref, sizeof(ref)) || memcmp(tag, ref_tag, sizeof(tag)))
		return -EIO;
	tag[5] ^= 0x10;
	if (wg_aead_open_burst(e, &op, 1) != 0)
		return -EIO;
	memcpy(data, ref, sizeof(ref));
	tag[5] ^= 0x10;
	if (wg_aead_open_burst(e, &op, 1) != 1 || memcmp(data, pt, sizeof(pt)))
		return -EIO;
	return 0;
}

#endif /* WGATE_HAVE_IPSEC_MB */

/* ---- the interface ---- */

int wg_crypto_backend_parse(const char *s, enum wg_crypto_backend *out)
{
	static const enum wg_crypto_backend all[] = {
		WG_CRYPTO_AUTO, WG_CRYPTO_IPSEC_MB, WG_CRYPTO_LIBSODIUM,
	};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, wg_crypto_backend_str(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

const char *wg_crypto_backend_str(enum wg_crypto_backend b)
{
	switch (b) {
	case WG_CRYPTO_AUTO:		return "auto";
	case WG_CRYPTO_IPSEC_MB:	return "ipsec-mb";
	case WG_CRYPTO_LIBSODIUM:	return "libsodium";
	}
	return "unknown";
}

bool wg_crypto_ipsec_mb_available(void)
{
	/* The same checks an engine gets, self-test included, so that
	 * "available" and "wg_aead_engine_new(WG_CRYPTO_IPSEC_MB) != NULL"
	 * never disagree. Control path only: it builds a manager. */
	struct wg_aead_engine *e = wg_aead_engine_new(WG_CRYPTO_IPSEC_MB);
	bool ok = e != NULL;

	wg_aead_engine_free(e);
	return ok;
}

static struct wg_aead_engine *engine_alloc(void)
{
	struct wg_aead_engine *e;
	size_t size = (sizeof(*e) + 63) & ~(size_t)63;	/* aligned_alloc wants a multiple */

	e = aligned_alloc(64, size);
	if (e)
		memset(e, 0, sizeof(*e));
	return e;
}

struct wg_aead_engine *wg_aead_engine_new(enum wg_crypto_backend want)
{
	struct wg_aead_engine *e;

	if (want != WG_CRYPTO_AUTO && want != WG_CRYPTO_IPSEC_MB && want != WG_CRYPTO_LIBSODIUM)
		return NULL;
	e = engine_alloc();
	if (!e)
		return NULL;

#ifdef WGATE_HAVE_IPSEC_MB
	if (want != WG_CRYPTO_LIBSODIUM) {
		e->mgr = imb_open();
		/* Auto takes ipsec-mb only from AVX2 up, as aead_burst.h
		 * promises. Below that the gain is small or none: forced to SSE
		 * and AVX on an AMD EPYC, one core, libsodium in the same run,
		 * SSE did 1.2-1.8x libsodium and AVX 1.0-1.2x (64-1420 B), while
		 * AVX-512 did 2-4x (benchmarks/aead_perf). */
		if (e->mgr && want == WG_CRYPTO_AUTO && e->mgr->used_arch < IMB_ARCH_AVX2) {
			free_mb_mgr(e->mgr);
			e->mgr = NULL;
		}
		if (e->mgr) {
			e->backend = WG_CRYPTO_IPSEC_MB;
			e->name = arch_name(e->mgr->used_arch);
			if (self_test(e) == 0)
				return e;
			free_mb_mgr(e->mgr);
			e->mgr = NULL;
		}
	}
#endif
	if (want == WG_CRYPTO_IPSEC_MB) {
		free(e);
		return NULL;
	}
	e->backend = WG_CRYPTO_LIBSODIUM;
	e->name = "libsodium";
	return e;
}

void wg_aead_engine_free(struct wg_aead_engine *e)
{
	if (!e)
		return;
#ifdef WGATE_HAVE_IPSEC_MB
	if (e->mgr)
		free_mb_mgr(e->mgr);
	/* The scratch held nonces and computed tags, nothing secret, but a
	 * freed engine should not hand anything to the next owner of the
	 * memory. */
	sodium_memzero(e->tag, sizeof(e->tag));
#endif
	free(e);
}

enum wg_crypto_backend wg_aead_engine_backend(const struct wg_aead_engine *e)
{
	return e->backend;
}

const char *wg_aead_engine_name(const struct wg_aead_engine *e)
{
	return e->name;
}

void wg_aead_seal_burst(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n)
{
	/* More than WG_AEAD_BURST_MAX breaks the contract, but leaving the
	 * excess unsealed would send plaintext: seal it in chunks. */
	(void)e;
	while (n > 0) {
		unsigned int k = n < WG_AEAD_BURST_MAX ? n : WG_AEAD_BURST_MAX;

#ifdef WGATE_HAVE_IPSEC_MB
		if (e->backend == WG_CRYPTO_IPSEC_MB)
			imb_seal_burst(e, ops, k);
		else
#endif
			sodium_seal_burst(ops, k);
		ops += k;
		n -= k;
	}
}

uint64_t wg_aead_open_burst(struct wg_aead_engine *e, struct wg_aead_op *ops, unsigned int n)
{
	/* The mask has 64 bits: ops past WG_AEAD_BURST_MAX get no bit, so the
	 * caller drops them, which is safe. */
	if (n > WG_AEAD_BURST_MAX)
		n = WG_AEAD_BURST_MAX;
	if (n == 0)
		return 0;
#ifdef WGATE_HAVE_IPSEC_MB
	if (e->backend == WG_CRYPTO_IPSEC_MB)
		return imb_open_burst(e, ops, n);
#endif
	(void)e;
	return sodium_open_burst(ops, n);
}
