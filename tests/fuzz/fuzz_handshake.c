/* libFuzzer: the handshake messages, both roles, and cookie replies.
 * Byte 0 picks the role; the rest is a message, either taken as it is
 * (parsing and every refusal path) or XORed onto a genuine message of a
 * real handshake, so that the fuzzer also explores near-valid messages and
 * the success paths (all-zero XOR). Keys are fixed: the fuzzer cannot
 * learn them, the checks after decryption stay reachable only through the
 * genuine messages. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "lib/wg/cookie.h"
#include "lib/wg/messages.h"
#include "lib/wg/noise.h"

static struct wg_noise_local gw, client;
static struct wg_cookie_checker checker;
static uint64_t now_ns = 1000 * WG_NSEC_PER_SEC;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t k[WG_KEY_LEN];

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		return 1;
	memset(k, 0x11, sizeof(k));
	wg_noise_local_init(&gw, k);
	memset(k, 0x22, sizeof(k));
	wg_noise_local_init(&client, k);
	wg_cookie_checker_init(&checker, &gw);
	return 0;
}

/* out = genuine ^ data (data shorter than the message mutates its start). */
static void mutate(void *out, const void *genuine, size_t len, const uint8_t *d, size_t n)
{
	uint8_t *o = out;

	memcpy(o, genuine, len);
	for (size_t i = 0; i < n && i < len; i++)
		o[i] ^= d[i];
}

static void timestamp(uint8_t ts[WG_TIMESTAMP_LEN])
{
	uint64_t s = now_ns / WG_NSEC_PER_SEC;

	memset(ts, 0, WG_TIMESTAMP_LEN);
	for (int i = 0; i < 8; i++)
		ts[7 - i] = (uint8_t)(s >> (8 * i));
	now_ns += 30 * 1000000ULL;	/* past the 20 ms flood guard next time */
}

/* Responder: the gateway consumes an initiation, answers it. */
static void responder(const uint8_t *d, size_t n, bool raw)
{
	struct wg_msg_initiation genuine, m;
	struct wg_noise_peer as_client, peer;
	struct wg_noise_initiation_ctx ctx;
	struct wg_msg_response resp;
	struct wg_noise_keys keys;
	uint8_t ts[WG_TIMESTAMP_LEN];

	if (raw) {
		if (n < sizeof(m))
			return;
		memcpy(&m, d, sizeof(m));
	} else {
		wg_noise_peer_init(&as_client, &client, gw.public_key, NULL);
		timestamp(ts);
		if (wg_noise_create_initiation(&client, &as_client, 7, ts, &genuine))
			return;
		wg_cookie_add_macs(&as_client, &genuine, sizeof(genuine), now_ns);
		mutate(&m, &genuine, sizeof(m), d, n);
	}
	wg_cookie_validate(&checker, &m, sizeof(m), (const uint8_t *)"\x0a\0\0\x01", 4, 4000,
			   now_ns, true);
	if (wg_noise_initiation_open(&gw, &m, &ctx))
		return;
	wg_noise_peer_init(&peer, &gw, client.public_key, NULL);
	if (wg_noise_initiation_finish(&ctx, &peer, &m, now_ns))
		return;
	wg_noise_create_response(&peer, 9, &resp, &keys);
}

/* The gateway starts a handshake with the client: its peer state and the
 * initiation it sent (MACs added, so a reply can be bound to it). */
static int gw_initiates(struct wg_noise_peer *gw_side, struct wg_msg_initiation *init)
{
	uint8_t ts[WG_TIMESTAMP_LEN];

	wg_noise_peer_init(gw_side, &gw, client.public_key, NULL);
	timestamp(ts);
	if (wg_noise_create_initiation(&gw, gw_side, 5, ts, init))
		return -1;
	wg_cookie_add_macs(gw_side, init, sizeof(*init), now_ns);
	return 0;
}

/* Initiator: the gateway started a handshake and consumes a response. */
static void initiator(const uint8_t *d, size_t n, bool raw)
{
	struct wg_noise_peer gw_side, cl_side;
	struct wg_msg_initiation init;
	struct wg_noise_initiation_ctx ctx;
	struct wg_msg_response genuine, m;
	struct wg_noise_keys keys;

	if (gw_initiates(&gw_side, &init))
		return;
	if (raw) {
		if (n < sizeof(m))
			return;
		memcpy(&m, d, sizeof(m));
	} else {
		wg_noise_peer_init(&cl_side, &client, gw.public_key, NULL);
		if (wg_noise_initiation_open(&client, &init, &ctx) ||
		    wg_noise_initiation_finish(&ctx, &cl_side, &init, now_ns) ||
		    wg_noise_create_response(&cl_side, 6, &genuine, &keys))
			return;
		mutate(&m, &genuine, sizeof(m), d, n);
	}
	wg_noise_consume_response(&gw, &gw_side, &m, &keys);
}

/* Cookie reply to an initiation the gateway sent. */
static void cookie(const uint8_t *d, size_t n, bool raw)
{
	struct wg_noise_peer gw_side;
	struct wg_cookie_checker client_checker;
	struct wg_msg_initiation init;
	struct wg_msg_cookie genuine, m;

	if (gw_initiates(&gw_side, &init))
		return;
	if (raw) {
		if (n < sizeof(m))
			return;
		memcpy(&m, d, sizeof(m));
	} else {
		wg_cookie_checker_init(&client_checker, &client);
		if (wg_cookie_create_reply(&client_checker, &genuine, &init, sizeof(init), 5,
					   (const uint8_t *)"\x0a\0\0\x02", 4, 51820, now_ns))
			return;
		mutate(&m, &genuine, sizeof(m), d, n);
	}
	if (wg_cookie_consume_reply(&gw_side, &m, now_ns) == 0)
		wg_cookie_add_macs(&gw_side, &init, sizeof(init), now_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool raw = data[0] & 1;
	switch ((data[0] >> 1) % 3) {
	case 0: responder(data + 1, size - 1, raw); break;
	case 1: initiator(data + 1, size - 1, raw); break;
	case 2: cookie(data + 1, size - 1, raw); break;
	}
	return 0;
}
