#include "lib/wg/noise.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "lib/crypto/aead.h"
#include "lib/crypto/blake2s.h"
#include "lib/crypto/kdf.h"
#include "lib/wg/tai64n.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const char mac1_label[] = "mac1----";
static const char cookie_label[] = "cookie--";

_Static_assert(WG_TIMESTAMP_LEN == WG_TAI64N_LEN, "timestamp length");

/* HASH(label || public key): the mac1 and cookie keys of an identity. */
static void label_key(uint8_t out[WG_KEY_LEN], const char label[8],
		      const uint8_t pub[WG_KEY_LEN])
{
	struct wg_blake2s_state s;

	wg_blake2s_init(&s, WG_HASH_LEN);
	wg_blake2s_update(&s, label, 8);
	wg_blake2s_update(&s, pub, WG_KEY_LEN);
	wg_blake2s_final(&s, out);
}

/* h = HASH(h || data) */
static void mix_hash(uint8_t h[WG_HASH_LEN], const void *data, size_t len)
{
	struct wg_blake2s_state s;

	wg_blake2s_init(&s, WG_HASH_LEN);
	wg_blake2s_update(&s, h, WG_HASH_LEN);
	wg_blake2s_update(&s, data, len);
	wg_blake2s_final(&s, h);
}

/* ck = HASH(construction); h = HASH(HASH(ck || identifier) || responder
 * static). The first two values are constants; computing them costs three
 * compressions per handshake, nothing beside one X25519. */
static void handshake_init(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
			   const uint8_t responder_static[WG_KEY_LEN])
{
	wg_blake2s(ck, WG_HASH_LEN, construction, strlen(construction), NULL, 0);
	memcpy(h, ck, WG_HASH_LEN);
	mix_hash(h, identifier, strlen(identifier));
	mix_hash(h, responder_static, WG_KEY_LEN);
}

/* An unencrypted ephemeral enters both the hash and the chaining key. */
static void mix_ephemeral(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
			  const uint8_t ephemeral[WG_KEY_LEN])
{
	mix_hash(h, ephemeral, WG_KEY_LEN);
	wg_kdf(ck, NULL, NULL, ephemeral, WG_KEY_LEN, ck);
}

/* (ck, key) = KDF2(ck, DH(priv, pub)); key may be NULL. -EINVAL when the DH
 * result is all zero. */
static int mix_dh(uint8_t ck[WG_HASH_LEN], uint8_t *key,
		  const uint8_t priv[WG_KEY_LEN], const uint8_t pub[WG_KEY_LEN])
{
	uint8_t dh[WG_KEY_LEN];

	if (wg_x25519(dh, priv, pub))
		return -EINVAL;
	wg_kdf(ck, key, NULL, dh, sizeof(dh), ck);
	sodium_memzero(dh, sizeof(dh));
	return 0;
}

/* Same with the static-static DH computed at peer set-up; all zero there
 * means the peer key was unusable. */
static int mix_precomputed_dh(uint8_t ck[WG_HASH_LEN], uint8_t key[WG_KEY_LEN],
			      const uint8_t ss[WG_KEY_LEN])
{
	if (sodium_is_zero(ss, WG_KEY_LEN))
		return -EINVAL;
	wg_kdf(ck, key, NULL, ss, WG_KEY_LEN, ck);
	return 0;
}

/* (ck, tau, key) = KDF3(ck, psk); h = HASH(h || tau) */
static void mix_psk(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
		    uint8_t key[WG_KEY_LEN], const uint8_t psk[WG_KEY_LEN])
{
	uint8_t tau[WG_HASH_LEN];

	wg_kdf(ck, tau, key, psk, WG_KEY_LEN, ck);
	mix_hash(h, tau, sizeof(tau));
	sodium_memzero(tau, sizeof(tau));
}

/* dst = AEAD(key, 0, src, h); h = HASH(h || dst). Handshake keys are used
 * once, so the counter is always 0. */
static void encrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			     const uint8_t key[WG_KEY_LEN], uint8_t h[WG_HASH_LEN])
{
	wg_aead_encrypt(dst, src, len, h, WG_HASH_LEN, 0, key);
	mix_hash(h, dst, len + WG_AEAD_TAG_LEN);
}

/* dst = AEAD-open(key, 0, src, h); then h = HASH(h || src). h is left alone
 * on failure. */
static int decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len_with_tag,
			    const uint8_t key[WG_KEY_LEN], uint8_t h[WG_HASH_LEN])
{
	if (wg_aead_decrypt(dst, src, len_with_tag, h, WG_HASH_LEN, 0, key))
		return -EBADMSG;
	mix_hash(h, src, len_with_tag);
	return 0;
}

/* Initiator's sending key is the first output, the responder's the second. */
static void derive_keys(struct wg_noise_keys *keys, const uint8_t ck[WG_HASH_LEN],
			bool initiator)
{
	if (initiator)
		wg_kdf(keys->send, keys->recv, NULL, NULL, 0, ck);
	else
		wg_kdf(keys->recv, keys->send, NULL, NULL, 0, ck);
	keys->initiator = initiator;
}

int wg_noise_local_init(struct wg_noise_local *l, const uint8_t private_key[WG_KEY_LEN])
{
	memset(l, 0, sizeof(*l));
	/* Refuse the zero key before clamping would hide it. */
	if (sodium_is_zero(private_key, WG_KEY_LEN))
		return -EINVAL;
	memcpy(l->private_key, private_key, WG_KEY_LEN);
	wg_x25519_clamp(l->private_key);
	if (wg_x25519_public(l->public_key, l->private_key)) {
		sodium_memzero(l, sizeof(*l));
		return -EINVAL;
	}
	label_key(l->mac1_key, mac1_label, l->public_key);
	label_key(l->cookie_key, cookie_label, l->public_key);
	return 0;
}

int wg_noise_peer_init(struct wg_noise_peer *p, const struct wg_noise_local *l,
		       const uint8_t public_key[WG_KEY_LEN], const uint8_t *psk_or_null)
{
	memset(p, 0, sizeof(*p));
	/* Talking to ourselves would make both roles share one peer state. */
	if (sodium_memcmp(public_key, l->public_key, WG_KEY_LEN) == 0)
		return -EINVAL;
	/* A low-order key gives an all-zero DH: no handshake could succeed. */
	if (wg_x25519(p->static_static, l->private_key, public_key))
		return -EINVAL;
	memcpy(p->public_key, public_key, WG_KEY_LEN);
	if (psk_or_null)
		memcpy(p->psk, psk_or_null, WG_KEY_LEN);
	label_key(p->mac1_key, mac1_label, public_key);
	label_key(p->cookie_key, cookie_label, public_key);
	p->state = WG_NOISE_ZEROED;
	return 0;
}

void wg_noise_peer_clear_handshake(struct wg_noise_peer *p)
{
	sodium_memzero(p->hash, sizeof(p->hash));
	sodium_memzero(p->chaining_key, sizeof(p->chaining_key));
	sodium_memzero(p->ephemeral_private, sizeof(p->ephemeral_private));
	sodium_memzero(p->remote_ephemeral, sizeof(p->remote_ephemeral));
	p->local_index = 0;
	p->remote_index = 0;
	p->state = WG_NOISE_ZEROED;
}

int wg_noise_create_initiation(const struct wg_noise_local *l, struct wg_noise_peer *p,
			       uint32_t local_index, const uint8_t timestamp[WG_TIMESTAMP_LEN],
			       struct wg_msg_initiation *out)
{
	uint8_t key[WG_KEY_LEN];
	int ret = -EINVAL;

	wg_noise_peer_clear_handshake(p);
	memset(out, 0, sizeof(*out));
	out->header.type = WG_MSG_INITIATION;
	out->sender_index = wg_le32(local_index);

	handshake_init(p->chaining_key, p->hash, p->public_key);

	/* e */
	wg_x25519_generate(p->ephemeral_private, out->unencrypted_ephemeral);
	mix_ephemeral(p->chaining_key, p->hash, out->unencrypted_ephemeral);

	/* es */
	if (mix_dh(p->chaining_key, key, p->ephemeral_private, p->public_key))
		goto out;

	/* s */
	encrypt_and_hash(out->encrypted_static, l->public_key, WG_KEY_LEN, key, p->hash);

	/* ss */
	if (mix_precomputed_dh(p->chaining_key, key, p->static_static))
		goto out;

	/* {t} */
	encrypt_and_hash(out->encrypted_timestamp, timestamp, WG_TIMESTAMP_LEN, key, p->hash);

	p->local_index = local_index;
	p->state = WG_NOISE_CREATED_INITIATION;
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (ret) {
		wg_noise_peer_clear_handshake(p);
		sodium_memzero(out, sizeof(*out));
	}
	return ret;
}

int wg_noise_consume_response(const struct wg_noise_local *l, struct wg_noise_peer *p,
			      const struct wg_msg_response *m, struct wg_noise_keys *keys)
{
	uint8_t ck[WG_HASH_LEN], h[WG_HASH_LEN], key[WG_KEY_LEN];
	uint8_t nothing[1];
	int ret = -EBADMSG;

	if (m->header.type != WG_MSG_RESPONSE ||
	    p->state != WG_NOISE_CREATED_INITIATION ||
	    wg_le32(m->receiver_index) != p->local_index)
		return -EINVAL;

	/* Work on copies: a forged response must not spoil the handshake that
	 * the real response will still complete. */
	memcpy(ck, p->chaining_key, sizeof(ck));
	memcpy(h, p->hash, sizeof(h));

	/* e */
	mix_ephemeral(ck, h, m->unencrypted_ephemeral);
	/* ee */
	if (mix_dh(ck, NULL, p->ephemeral_private, m->unencrypted_ephemeral))
		goto out;
	/* se */
	if (mix_dh(ck, NULL, l->private_key, m->unencrypted_ephemeral))
		goto out;
	/* psk */
	mix_psk(ck, h, key, p->psk);
	/* {} */
	if (decrypt_and_hash(nothing, m->encrypted_nothing, WG_AEAD_TAG_LEN, key, h))
		goto out;

	derive_keys(keys, ck, true);
	keys->local_index = p->local_index;
	keys->remote_index = wg_le32(m->sender_index);
	wg_noise_peer_clear_handshake(p);
	ret = 0;
out:
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(key, sizeof(key));
	return ret;
}

int wg_noise_initiation_open(const struct wg_noise_local *l, const struct wg_msg_initiation *m,
			     struct wg_noise_initiation_ctx *ctx)
{
	uint8_t key[WG_KEY_LEN];
	int ret = -EBADMSG;

	memset(ctx, 0, sizeof(*ctx));
	if (m->header.type != WG_MSG_INITIATION)
		return -EINVAL;

	handshake_init(ctx->chaining_key, ctx->hash, l->public_key);

	/* e */
	memcpy(ctx->remote_ephemeral, m->unencrypted_ephemeral, WG_KEY_LEN);
	mix_ephemeral(ctx->chaining_key, ctx->hash, ctx->remote_ephemeral);
	/* es */
	if (mix_dh(ctx->chaining_key, key, l->private_key, ctx->remote_ephemeral))
		goto out;
	/* s */
	if (decrypt_and_hash(ctx->remote_static, m->encrypted_static,
			     sizeof(m->encrypted_static), key, ctx->hash))
		goto out;

	ctx->sender_index = wg_le32(m->sender_index);
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (ret)
		sodium_memzero(ctx, sizeof(*ctx));
	return ret;
}

int wg_noise_initiation_finish(struct wg_noise_initiation_ctx *ctx, struct wg_noise_peer *p,
			       const struct wg_msg_initiation *m, uint64_t now_ns)
{
	uint8_t ck[WG_HASH_LEN], h[WG_HASH_LEN], key[WG_KEY_LEN];
	uint8_t ts[WG_TIMESTAMP_LEN];
	int ret;

	if (sodium_memcmp(ctx->remote_static, p->public_key, WG_KEY_LEN) != 0) {
		ret = -EINVAL;
		goto out;
	}

	/* Everything happens on copies until the message proved itself. */
	memcpy(ck, ctx->chaining_key, sizeof(ck));
	memcpy(h, ctx->hash, sizeof(h));

	ret = -EBADMSG;
	/* ss */
	if (mix_precomputed_dh(ck, key, p->static_static))
		goto out;
	/* {t} */
	if (decrypt_and_hash(ts, m->encrypted_timestamp, sizeof(m->encrypted_timestamp),
			     key, h))
		goto out;

	/* A recorded initiation replayed later carries an old timestamp. */
	if (!wg_tai64n_after(ts, p->latest_timestamp)) {
		ret = -ESTALE;
		goto out;
	}
	/* Fresh initiations from a real peer come no faster than REKEY_TIMEOUT;
	 * a burst of them is someone making us burn DH. */
	if (p->last_initiation_consumed_ns &&
	    now_ns - p->last_initiation_consumed_ns < WG_NOISE_INITIATION_MIN_GAP_NS) {
		ret = -EBUSY;
		goto out;
	}

	/* Commit: the new handshake replaces whatever was in progress. */
	wg_noise_peer_clear_handshake(p);
	memcpy(p->hash, h, sizeof(h));
	memcpy(p->chaining_key, ck, sizeof(ck));
	memcpy(p->remote_ephemeral, ctx->remote_ephemeral, WG_KEY_LEN);
	memcpy(p->latest_timestamp, ts, sizeof(ts));
	p->remote_index = ctx->sender_index;
	p->last_initiation_consumed_ns = now_ns;
	p->state = WG_NOISE_CONSUMED_INITIATION;
	ret = 0;
out:
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(ts, sizeof(ts));
	sodium_memzero(ctx->hash, sizeof(ctx->hash));
	sodium_memzero(ctx->chaining_key, sizeof(ctx->chaining_key));
	return ret;
}

int wg_noise_create_response(struct wg_noise_peer *p, uint32_t local_index,
			     struct wg_msg_response *out, struct wg_noise_keys *keys)
{
	uint8_t key[WG_KEY_LEN];
	int ret = -EINVAL;

	if (p->state != WG_NOISE_CONSUMED_INITIATION)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->header.type = WG_MSG_RESPONSE;
	out->sender_index = wg_le32(local_index);
	out->receiver_index = wg_le32(p->remote_index);

	/* e */
	wg_x25519_generate(p->ephemeral_private, out->unencrypted_ephemeral);
	mix_ephemeral(p->chaining_key, p->hash, out->unencrypted_ephemeral);
	/* ee */
	if (mix_dh(p->chaining_key, NULL, p->ephemeral_private, p->remote_ephemeral))
		goto out;
	/* se */
	if (mix_dh(p->chaining_key, NULL, p->ephemeral_private, p->public_key))
		goto out;
	/* psk */
	mix_psk(p->chaining_key, p->hash, key, p->psk);
	/* {} */
	encrypt_and_hash(out->encrypted_nothing, (const uint8_t *)"", 0, key, p->hash);

	derive_keys(keys, p->chaining_key, false);
	keys->local_index = local_index;
	keys->remote_index = p->remote_index;
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	wg_noise_peer_clear_handshake(p);
	if (ret)
		sodium_memzero(out, sizeof(*out));
	return ret;
}
