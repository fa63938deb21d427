/* Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s exactly as WireGuard runs it
 * (whitepaper section 5.4), both roles. Consumes and fills message structs;
 * no I/O, no clocks (time comes in as now_ns, a monotonic clock in ns).
 *
 * Handshake states of one peer (struct wg_noise_peer.state):
 *   ZEROED               nothing in progress, no handshake secrets held
 *   CREATED_INITIATION   we sent an initiation; waiting for its response
 *   CONSUMED_INITIATION  we accepted their initiation; next: our response
 *   (CREATED_RESPONSE, CONSUMED_RESPONSE exist for callers that track the
 *    kernel's states; this module returns to ZEROED once keys are derived,
 *    because the keys leave in struct wg_noise_keys and nothing is kept.)
 *
 * Initiator: create_initiation -> (peer answers) -> consume_response -> keys.
 * Responder: initiation_open (who is it?) -> look the peer up by
 *            ctx.remote_static -> initiation_finish -> create_response -> keys.
 * The caller adds mac1/mac2 with wg_cookie_add_macs and checks them with
 * wg_cookie_validate before anything here runs.
 *
 * Every function needs sodium_init() to have run. */
#ifndef WGATE_LIB_WG_NOISE_H
#define WGATE_LIB_WG_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/wg/messages.h"

/* Kernel INITIATIONS_PER_SECOND: a responder accepts at most one initiation
 * per peer every 20 ms. */
#define WG_NOISE_INITIATIONS_PER_SECOND	50
#define WG_NOISE_INITIATION_MIN_GAP_NS	(WG_NSEC_PER_SEC / WG_NOISE_INITIATIONS_PER_SECOND)

/* Our static identity. Writer: control core at configuration time.
 * Readers: control core (handshakes), workers (mac1 check, by copy in the
 * cookie checker). Immutable once configured. */
struct wg_noise_local {
	uint8_t private_key[WG_KEY_LEN];	/* clamped */
	uint8_t public_key[WG_KEY_LEN];
	uint8_t mac1_key[WG_KEY_LEN];	/* HASH("mac1----" || our pub): verifies mac1 on msgs to us */
	uint8_t cookie_key[WG_KEY_LEN];	/* HASH("cookie--" || our pub): encrypts our cookie replies */
};

/* Clamps and stores private_key, derives the rest. 0, or -EINVAL for an
 * all-zero key. */
int wg_noise_local_init(struct wg_noise_local *l, const uint8_t private_key[WG_KEY_LEN]);

enum wg_noise_state {
	WG_NOISE_ZEROED,
	WG_NOISE_CREATED_INITIATION,
	WG_NOISE_CONSUMED_INITIATION,
	WG_NOISE_CREATED_RESPONSE,
	WG_NOISE_CONSUMED_RESPONSE,
};

/* Long-lived handshake state for one remote peer.
 * Writer and reader: the control core only (single writer, no locking).
 * Workers never see it; they get keys through struct wg_noise_keys. */
struct wg_noise_peer {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t psk[WG_KEY_LEN];		/* zeros if none */
	uint8_t static_static[WG_KEY_LEN];	/* DH(our priv, their pub), precomputed */
	uint8_t mac1_key[WG_KEY_LEN];		/* HASH("mac1----" || their pub): mac1 on msgs we send */
	uint8_t cookie_key[WG_KEY_LEN];		/* HASH("cookie--" || their pub): opens their cookie replies */

	/* Replay and flood defence for initiations they send us. */
	uint8_t latest_timestamp[WG_TIMESTAMP_LEN];
	uint64_t last_initiation_consumed_ns;	/* 0 = never */

	/* Cookie they gave us, for the mac2 of our next handshake message. */
	uint8_t cookie[WG_COOKIE_LEN];
	uint64_t cookie_birth_ns;
	bool have_cookie;
	uint8_t last_sent_mac1[WG_COOKIE_LEN];	/* AAD of the cookie reply we may get */
	bool have_sent_mac1;

	/* Handshake in progress; wiped whenever state returns to ZEROED. */
	enum wg_noise_state state;
	uint8_t hash[WG_HASH_LEN];
	uint8_t chaining_key[WG_HASH_LEN];
	uint8_t ephemeral_private[WG_KEY_LEN];
	uint8_t remote_ephemeral[WG_KEY_LEN];
	uint32_t local_index;	/* host order; our sender index for this handshake */
	uint32_t remote_index;	/* host order; theirs */
};

/* Zeroes p and fills keys and precomputations. psk_or_null NULL = no PSK.
 * 0, or -EINVAL when public_key is a low-order point (no DH possible) or is
 * our own public key. */
int wg_noise_peer_init(struct wg_noise_peer *p, const struct wg_noise_local *l,
		       const uint8_t public_key[WG_KEY_LEN], const uint8_t *psk_or_null);

/* Transport keys of one completed handshake. Indices in host order. */
struct wg_noise_keys {
	uint8_t send[WG_KEY_LEN];
	uint8_t recv[WG_KEY_LEN];
	uint32_t local_index;
	uint32_t remote_index;
	bool initiator;
};

/* --- initiator --- */

/* Starts a handshake with p, replacing any in progress. Fills the whole
 * message except the MACs (left zero; see wg_cookie_add_macs). State becomes
 * CREATED_INITIATION. 0, or -EINVAL when a DH fails (p is then cleared of
 * handshake state). */
int wg_noise_create_initiation(const struct wg_noise_local *l, struct wg_noise_peer *p,
			       uint32_t local_index, const uint8_t timestamp[WG_TIMESTAMP_LEN],
			       struct wg_msg_initiation *out);
/* Requires p->state == CREATED_INITIATION and m->receiver_index ==
 * p->local_index, else -EINVAL. -EBADMSG when a DH or the decryption fails.
 * On failure p is unchanged. On success: keys filled (initiator = true),
 * handshake secrets wiped, state ZEROED. */
int wg_noise_consume_response(const struct wg_noise_local *l, struct wg_noise_peer *p,
			      const struct wg_msg_response *m, struct wg_noise_keys *keys);

/* --- responder, in two steps: the peer is only known once its static key
 * is decrypted --- */

/* Handshake state between open and finish. Holds secrets: the caller keeps it
 * on its stack; finish wipes hash and chaining_key. */
struct wg_noise_initiation_ctx {
	uint8_t hash[WG_HASH_LEN];
	uint8_t chaining_key[WG_HASH_LEN];
	uint8_t remote_ephemeral[WG_KEY_LEN];
	uint8_t remote_static[WG_KEY_LEN];	/* the key to look the peer up by */
	uint32_t sender_index;			/* host order */
};

/* Decrypts the initiator's static key. Touches no peer. 0, -EINVAL for a
 * message that is not an initiation, or -EBADMSG (DH or decryption failed;
 * ctx is then wiped). */
int wg_noise_initiation_open(const struct wg_noise_local *l, const struct wg_msg_initiation *m,
			     struct wg_noise_initiation_ctx *ctx);
/* Completes the initiation against the peer whose public key is
 * ctx->remote_static. Returns
 *   -EINVAL   p is not the peer named by ctx->remote_static
 *   -EBADMSG  static-static DH or timestamp decryption failed
 *   -ESTALE   timestamp not newer than p->latest_timestamp (replay)
 *   -EBUSY    an initiation from p was consumed less than 20 ms ago (flood)
 * and never modifies p on failure. On success p holds the handshake
 * (CONSUMED_INITIATION, replacing any in progress), latest_timestamp and
 * last_initiation_consumed_ns are updated. ctx's hash and chaining_key are
 * wiped in every case. */
int wg_noise_initiation_finish(struct wg_noise_initiation_ctx *ctx, struct wg_noise_peer *p,
			       const struct wg_msg_initiation *m, uint64_t now_ns);
/* Requires p->state == CONSUMED_INITIATION, else -EINVAL. Fills the whole
 * response except the MACs, keys (initiator = false), wipes the handshake
 * secrets and sets state ZEROED. -EINVAL also when a DH fails (their
 * ephemeral or static is low order); p's handshake is then cleared. */
int wg_noise_create_response(struct wg_noise_peer *p, uint32_t local_index,
			     struct wg_msg_response *out, struct wg_noise_keys *keys);

/* Wipes any handshake in progress (state ZEROED). Keeps keys, timestamps and
 * cookies. */
void wg_noise_peer_clear_handshake(struct wg_noise_peer *p);

#endif
