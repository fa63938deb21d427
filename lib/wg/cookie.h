/* mac1, mac2 and cookie replies: WireGuard's defence against handshake
 * floods (whitepaper section 5.4.7).
 *   mac1 = MAC(HASH("mac1----" || responder pub), msg up to mac1)
 *          proves the sender knows whom it talks to; checked before any DH.
 *   mac2 = MAC(cookie, msg up to mac2), or zeros without a cookie.
 *   cookie = MAC(secret, source ip || source port), the secret renewed every
 *          COOKIE_SECRET_MAX_AGE; sent back encrypted (XChaCha20-Poly1305
 *          under HASH("cookie--" || responder pub), AAD = the mac1 answered).
 * MAC is keyed BLAKE2s with a 16-byte output. Times are a monotonic clock in
 * ns; the random secret and nonces come from libsodium (sodium_init first). */
#ifndef WGATE_LIB_WG_COOKIE_H
#define WGATE_LIB_WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/wg/messages.h"

struct wg_noise_local;
struct wg_noise_peer;

/* Our side: checks MACs on handshake messages sent to us and makes cookies.
 * Writer: one owner core. create_reply and validate with check_mac2 may renew
 * the secret, and a cookie only validates on the checker that made it, so
 * both belong on the same core. validate with check_mac2 false only reads,
 * so other cores may share a read-only copy for the mac1 check. */
#define WG_COOKIE_SECRET_LEN	32

struct wg_cookie_checker {
	uint8_t secret[WG_COOKIE_SECRET_LEN];
	uint64_t secret_birth_ns;
	bool have_secret;
	uint8_t mac1_key[WG_KEY_LEN];	/* copy of wg_noise_local.mac1_key */
	uint8_t cookie_key[WG_KEY_LEN];	/* copy of wg_noise_local.cookie_key */
};

void wg_cookie_checker_init(struct wg_cookie_checker *c, const struct wg_noise_local *l);
/* Renews the secret when there is none or it is older than
 * COOKIE_SECRET_MAX_AGE; true when it did (the owner then shares the new
 * one with the cores that use the _with functions). */
bool wg_cookie_checker_refresh(struct wg_cookie_checker *c, uint64_t now_ns);

enum wg_mac_result {
	WG_MAC_INVALID = 0,	/* mac1 wrong, or message too short: drop */
	WG_MAC_VALID_MAC1,	/* mac1 right; mac2 missing, wrong or not checked */
	WG_MAC_VALID_MAC2,	/* both right: the source address is proven */
};

/* msg is a whole initiation or response (148 or 92 bytes: any message that
 * ends in struct wg_msg_macs works); src_ip is 4 or 16 bytes, src_port in
 * host order. With check_mac2, mac2 is also checked against the cookie of
 * (src_ip, src_port). */
enum wg_mac_result wg_cookie_validate(struct wg_cookie_checker *c, const void *msg, size_t len,
				      const uint8_t *src_ip, size_t ip_len, uint16_t src_port,
				      uint64_t now_ns, bool check_mac2);

/* Fills a cookie reply to msg (a message that passed mac1): receiver_index is
 * the sender index of msg (host order). The secret is renewed first when
 * older than COOKIE_SECRET_MAX_AGE. 0, or -EINVAL for a bad length or
 * address length. */
int wg_cookie_create_reply(struct wg_cookie_checker *c, struct wg_msg_cookie *out,
			   const void *msg, size_t len, uint32_t receiver_index,
			   const uint8_t *src_ip, size_t ip_len, uint16_t src_port,
			   uint64_t now_ns);

/* The same two with keys and a secret the caller holds, renewing nothing:
 * for cores that share a read-only copy of the owner's secret (the data
 * plane's workers answer floods themselves, dataplane/hs_guard.c). The
 * nonce is the caller's; it must never repeat under cookie_key. */
enum wg_mac_result wg_cookie_validate_with(const uint8_t mac1_key[WG_KEY_LEN],
					   const uint8_t secret[WG_COOKIE_SECRET_LEN],
					   const void *msg, size_t len, const uint8_t *src_ip,
					   size_t ip_len, uint16_t src_port, bool check_mac2);
int wg_cookie_reply_with(const uint8_t cookie_key[WG_KEY_LEN],
			 const uint8_t secret[WG_COOKIE_SECRET_LEN], struct wg_msg_cookie *out,
			 const void *msg, size_t len, uint32_t receiver_index,
			 const uint8_t *src_ip, size_t ip_len, uint16_t src_port,
			 const uint8_t nonce[WG_COOKIE_NONCE_LEN]);

/* Peer side (we send to p). Writes mac1 always; mac2 when p holds a cookie
 * younger than COOKIE_SECRET_MAX_AGE - REKEY_TIMEOUT (the responder may have
 * renewed its secret since), else zeros. Remembers mac1 as the AAD of the
 * cookie reply that may answer it. Writer: the control core (owner of p). */
void wg_cookie_add_macs(struct wg_noise_peer *p, void *msg, size_t len, uint64_t now_ns);

/* Opens a cookie reply with p->cookie_key and our last sent mac1 as AAD and
 * stores the cookie. 0; -EINVAL when we sent nothing it could answer;
 * -EBADMSG when it does not decrypt (p unchanged). Lookup of p by
 * m->receiver_index is the caller's. */
int wg_cookie_consume_reply(struct wg_noise_peer *p, const struct wg_msg_cookie *m,
			    uint64_t now_ns);

#endif
