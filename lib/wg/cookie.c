#include "lib/wg/cookie.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "lib/crypto/aead.h"
#include "lib/crypto/blake2s.h"
#include "lib/wg/noise.h"

/* Offsets of the MACs, counted from the end so that one function serves
 * initiations and responses. */
#define MACS_LEN	sizeof(struct wg_msg_macs)
#define MAC1_END(len)	((len) - MACS_LEN)			/* bytes covered by mac1 */
#define MAC2_END(len)	((len) - MACS_LEN + WG_COOKIE_LEN)	/* bytes covered by mac2 */
/* Shortest message with MACs worth looking at: a header and the MACs. */
#define MIN_LEN		(sizeof(struct wg_msg_header) + MACS_LEN)

/* now - birth >= age, with a clock that went backwards counted as expired:
 * a secret of unknown age is not trusted. */
static bool has_expired(uint64_t birth_ns, uint64_t age_ns, uint64_t now_ns)
{
	return now_ns < birth_ns || now_ns - birth_ns >= age_ns;
}

static void compute_mac(uint8_t mac[WG_COOKIE_LEN], const void *msg, size_t len,
			const uint8_t *key, size_t keylen)
{
	wg_blake2s(mac, WG_COOKIE_LEN, msg, len, key, keylen);
}

bool wg_cookie_checker_refresh(struct wg_cookie_checker *c, uint64_t now_ns)
{
	if (c->have_secret && !has_expired(c->secret_birth_ns, COOKIE_SECRET_MAX_AGE, now_ns))
		return false;
	randombytes_buf(c->secret, sizeof(c->secret));
	c->secret_birth_ns = now_ns;
	c->have_secret = true;
	return true;
}

static int make_cookie(const uint8_t secret[WG_COOKIE_SECRET_LEN], uint8_t cookie[WG_COOKIE_LEN],
		       const uint8_t *src_ip, size_t ip_len, uint16_t src_port)
{
	struct wg_blake2s_state s;
	uint8_t port[2] = { (uint8_t)(src_port >> 8), (uint8_t)src_port };

	if (ip_len != 4 && ip_len != 16)
		return -EINVAL;
	wg_blake2s_init_key(&s, WG_COOKIE_LEN, secret, WG_COOKIE_SECRET_LEN);
	wg_blake2s_update(&s, src_ip, ip_len);
	wg_blake2s_update(&s, port, sizeof(port));	/* network order */
	wg_blake2s_final(&s, cookie);
	return 0;
}

void wg_cookie_checker_init(struct wg_cookie_checker *c, const struct wg_noise_local *l)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac1_key, l->mac1_key, WG_KEY_LEN);
	memcpy(c->cookie_key, l->cookie_key, WG_KEY_LEN);
}

enum wg_mac_result wg_cookie_validate_with(const uint8_t mac1_key[WG_KEY_LEN],
					   const uint8_t secret[WG_COOKIE_SECRET_LEN],
					   const void *msg, size_t len, const uint8_t *src_ip,
					   size_t ip_len, uint16_t src_port, bool check_mac2)
{
	const struct wg_msg_macs *macs;
	uint8_t computed[WG_COOKIE_LEN], cookie[WG_COOKIE_LEN];
	enum wg_mac_result ret = WG_MAC_INVALID;

	if (len < MIN_LEN)
		return WG_MAC_INVALID;
	macs = (const struct wg_msg_macs *)((const uint8_t *)msg + MAC1_END(len));

	compute_mac(computed, msg, MAC1_END(len), mac1_key, WG_KEY_LEN);
	if (sodium_memcmp(computed, macs->mac1, WG_COOKIE_LEN) != 0)
		return WG_MAC_INVALID;
	ret = WG_MAC_VALID_MAC1;
	if (!check_mac2 || make_cookie(secret, cookie, src_ip, ip_len, src_port))
		return ret;
	compute_mac(computed, msg, MAC2_END(len), cookie, WG_COOKIE_LEN);
	if (sodium_memcmp(computed, macs->mac2, WG_COOKIE_LEN) == 0)
		ret = WG_MAC_VALID_MAC2;
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

enum wg_mac_result wg_cookie_validate(struct wg_cookie_checker *c, const void *msg, size_t len,
				      const uint8_t *src_ip, size_t ip_len, uint16_t src_port,
				      uint64_t now_ns, bool check_mac2)
{
	if (check_mac2)
		wg_cookie_checker_refresh(c, now_ns);
	return wg_cookie_validate_with(c->mac1_key, c->secret, msg, len, src_ip, ip_len, src_port,
				       check_mac2);
}

int wg_cookie_reply_with(const uint8_t cookie_key[WG_KEY_LEN],
			 const uint8_t secret[WG_COOKIE_SECRET_LEN], struct wg_msg_cookie *out,
			 const void *msg, size_t len, uint32_t receiver_index,
			 const uint8_t *src_ip, size_t ip_len, uint16_t src_port,
			 const uint8_t nonce[WG_COOKIE_NONCE_LEN])
{
	const struct wg_msg_macs *macs;
	uint8_t cookie[WG_COOKIE_LEN];
	int ret;

	if (len < MIN_LEN)
		return -EINVAL;
	macs = (const struct wg_msg_macs *)((const uint8_t *)msg + MAC1_END(len));
	ret = make_cookie(secret, cookie, src_ip, ip_len, src_port);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->header.type = WG_MSG_COOKIE;
	out->receiver_index = wg_le32(receiver_index);
	memcpy(out->nonce, nonce, sizeof(out->nonce));
	/* The mac1 as AAD binds the reply to the message it answers, so a
	 * cookie cannot be replayed onto another initiator. */
	ret = wg_xaead_encrypt(out->encrypted_cookie, cookie, WG_COOKIE_LEN,
			       macs->mac1, WG_COOKIE_LEN, out->nonce, cookie_key);
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

int wg_cookie_create_reply(struct wg_cookie_checker *c, struct wg_msg_cookie *out,
			   const void *msg, size_t len, uint32_t receiver_index,
			   const uint8_t *src_ip, size_t ip_len, uint16_t src_port,
			   uint64_t now_ns)
{
	uint8_t nonce[WG_COOKIE_NONCE_LEN];

	wg_cookie_checker_refresh(c, now_ns);
	randombytes_buf(nonce, sizeof(nonce));
	return wg_cookie_reply_with(c->cookie_key, c->secret, out, msg, len, receiver_index,
				    src_ip, ip_len, src_port, nonce);
}

void wg_cookie_add_macs(struct wg_noise_peer *p, void *msg, size_t len, uint64_t now_ns)
{
	struct wg_msg_macs *macs;

	if (len < MIN_LEN)
		return;
	macs = (struct wg_msg_macs *)((uint8_t *)msg + MAC1_END(len));

	compute_mac(macs->mac1, msg, MAC1_END(len), p->mac1_key, WG_KEY_LEN);
	memcpy(p->last_sent_mac1, macs->mac1, WG_COOKIE_LEN);
	p->have_sent_mac1 = true;

	if (p->have_cookie &&
	    !has_expired(p->cookie_birth_ns, COOKIE_SECRET_MAX_AGE - REKEY_TIMEOUT, now_ns))
		compute_mac(macs->mac2, msg, MAC2_END(len), p->cookie, WG_COOKIE_LEN);
	else
		memset(macs->mac2, 0, WG_COOKIE_LEN);
}

int wg_cookie_consume_reply(struct wg_noise_peer *p, const struct wg_msg_cookie *m,
			    uint64_t now_ns)
{
	uint8_t cookie[WG_COOKIE_LEN];

	if (!p->have_sent_mac1 || m->header.type != WG_MSG_COOKIE)
		return -EINVAL;
	if (wg_xaead_decrypt(cookie, m->encrypted_cookie, sizeof(m->encrypted_cookie),
			     p->last_sent_mac1, WG_COOKIE_LEN, m->nonce, p->cookie_key))
		return -EBADMSG;

	memcpy(p->cookie, cookie, WG_COOKIE_LEN);
	p->cookie_birth_ns = now_ns;
	p->have_cookie = true;
	/* One reply per message: a second one for the same mac1 is a replay. */
	p->have_sent_mac1 = false;
	sodium_memzero(cookie, sizeof(cookie));
	return 0;
}
