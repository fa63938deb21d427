/* See ratelimiter.h. */
#include "lib/wg/ratelimiter.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/util/tbucket.h"

#define NS_PER_TOKEN	(1000ULL * 1000 * 1000 / WG_RL_PER_SEC)

struct rl_entry {
	uint8_t key[9];		/* family byte + 4 (v4) or 8 (v6 /64) bytes */
	bool used;
	uint64_t last_ns;	/* latest message seen from it */
	struct wg_tbucket bucket;
};

struct wg_ratelimiter {
	size_t mask;
	uint8_t secret[crypto_shorthash_KEYBYTES];
	struct rl_entry slots[];
};

struct wg_ratelimiter *wg_ratelimiter_create(size_t slots)
{
	struct wg_ratelimiter *rl;
	size_t n = 64;

	while (n < slots && n < ((size_t)1 << 30))
		n <<= 1;
	rl = calloc(1, sizeof(*rl) + n * sizeof(rl->slots[0]));
	if (!rl)
		return NULL;
	rl->mask = n - 1;
	randombytes_buf(rl->secret, sizeof(rl->secret));
	return rl;
}

void wg_ratelimiter_free(struct wg_ratelimiter *rl)
{
	free(rl);
}

bool wg_ratelimiter_allow(struct wg_ratelimiter *rl, const uint8_t *ip, size_t ip_len,
			  uint64_t now_ns)
{
	uint8_t key[9] = { 0 };
	uint8_t h[crypto_shorthash_BYTES];
	struct rl_entry *victim = NULL, *e;
	uint64_t idx;

	key[0] = ip_len == 4 ? 4 : 6;
	memcpy(key + 1, ip, ip_len == 4 ? 4 : 8);
	crypto_shorthash(h, key, sizeof(key), rl->secret);
	memcpy(&idx, h, sizeof(idx));
	for (size_t i = 0; i < WG_RL_PROBE; i++) {
		e = &rl->slots[(idx + i) & rl->mask];
		if (e->used && !memcmp(e->key, key, sizeof(key)))
			goto found;
		/* Free slots first, then the longest idle. */
		if (!victim || (victim->used && (!e->used || e->last_ns < victim->last_ns)))
			victim = e;
	}
	/* New source (or its entry was taken over): a full bucket. */
	e = victim;
	memcpy(e->key, key, sizeof(key));
	e->used = true;
	wg_tbucket_init(&e->bucket, WG_RL_BURST);
found:
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
	return wg_tbucket_take(&e->bucket, now_ns, NS_PER_TOKEN, WG_RL_BURST);
}
