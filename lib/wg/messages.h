/* WireGuard wire formats and protocol constants, named as the whitepaper names
 * them. Every message is little-endian; the first byte is the type and the
 * next three are zero. Layouts are packed structs checked by size. */
#ifndef WGATE_LIB_WG_MESSAGES_H
#define WGATE_LIB_WG_MESSAGES_H

#include <stdint.h>

#define WG_KEY_LEN		32
#define WG_HASH_LEN		32
#define WG_COOKIE_LEN		16
#define WG_COOKIE_NONCE_LEN	24
#define WG_AEAD_TAG_LEN		16
#define WG_TIMESTAMP_LEN	12	/* TAI64N */

enum wg_msg_type {
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4,
};

/* Section 6 of the whitepaper. Times in nanoseconds so that they compare
 * directly with a monotonic clock. */
#define WG_NSEC_PER_SEC			1000000000ULL
#define REKEY_AFTER_MESSAGES		(1ULL << 60)
#define REJECT_AFTER_MESSAGES		(UINT64_MAX - (1ULL << 13))	/* 2^64 - 2^13 - 1 */
#define REKEY_AFTER_TIME		(120 * WG_NSEC_PER_SEC)
#define REJECT_AFTER_TIME		(180 * WG_NSEC_PER_SEC)
/* The paper says 90 s; wgate gives up on a handshake after 15 s so that a dead
 * peer is noticed quickly (shared/reference/firezone-gateway.md). */
#define REKEY_ATTEMPT_TIME		(15 * WG_NSEC_PER_SEC)
#define REKEY_TIMEOUT			(5 * WG_NSEC_PER_SEC)
#define REKEY_TIMEOUT_JITTER_MAX	(333 * 1000000ULL)
#define KEEPALIVE_TIMEOUT		(10 * WG_NSEC_PER_SEC)
#define COOKIE_SECRET_MAX_AGE		(120 * WG_NSEC_PER_SEC)
/* Key material of a silent peer is wiped after this long. */
#define WG_ZERO_KEYS_AFTER		(REJECT_AFTER_TIME * 3)

struct wg_msg_header {
	uint8_t type;
	uint8_t reserved[3];
} __attribute__((packed));

/* The two MACs close every handshake message. */
struct wg_msg_macs {
	uint8_t mac1[WG_COOKIE_LEN];
	uint8_t mac2[WG_COOKIE_LEN];
} __attribute__((packed));

struct wg_msg_initiation {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[WG_KEY_LEN];
	uint8_t encrypted_static[WG_KEY_LEN + WG_AEAD_TAG_LEN];
	uint8_t encrypted_timestamp[WG_TIMESTAMP_LEN + WG_AEAD_TAG_LEN];
	struct wg_msg_macs macs;
} __attribute__((packed));

struct wg_msg_response {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[WG_KEY_LEN];
	uint8_t encrypted_nothing[WG_AEAD_TAG_LEN];
	struct wg_msg_macs macs;
} __attribute__((packed));

struct wg_msg_cookie {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint8_t nonce[WG_COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[WG_COOKIE_LEN + WG_AEAD_TAG_LEN];
} __attribute__((packed));

/* Followed by the encrypted, zero-padded inner packet and its tag. */
struct wg_msg_data {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint64_t counter;
} __attribute__((packed));

_Static_assert(sizeof(struct wg_msg_header) == 4, "header");
_Static_assert(sizeof(struct wg_msg_initiation) == 148, "initiation");
_Static_assert(sizeof(struct wg_msg_response) == 92, "response");
_Static_assert(sizeof(struct wg_msg_cookie) == 64, "cookie reply");
_Static_assert(sizeof(struct wg_msg_data) == 16, "data header");

#define WG_DATA_MIN_LEN		(sizeof(struct wg_msg_data) + WG_AEAD_TAG_LEN)	/* keepalive */
#define WG_DATA_PAD		16	/* plaintext padded to a multiple of this */

/* Messages travel as little-endian; the helpers keep call sites honest on
 * any host. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint32_t wg_le32(uint32_t v) { return v; }
static inline uint64_t wg_le64(uint64_t v) { return v; }
#else
static inline uint32_t wg_le32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t wg_le64(uint64_t v) { return __builtin_bswap64(v); }
#endif

#endif
