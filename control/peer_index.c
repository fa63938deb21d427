#include "control/peer_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/peers.h"

static struct {
	uint32_t *head;		/* bucket -> slot + 1 of the first peer; 0 = none */
	uint32_t *next;		/* slot -> slot + 1 of the next peer in its chain */
	uint32_t mask;		/* buckets - 1 (a power of two >= slots) */
	uint8_t key[crypto_shorthash_KEYBYTES];
} ix;

static uint32_t bucket(const uint8_t key[32])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint32_t v;

	crypto_shorthash(h, key, 32, ix.key);
	memcpy(&v, h, sizeof(v));
	return v & ix.mask;
}

int ctl_peer_index_init(uint32_t n_slots)
{
	uint32_t n = 1;

	while (n < n_slots)
		n <<= 1;
	ix.head = calloc(n, sizeof(*ix.head));
	ix.next = calloc(n_slots, sizeof(*ix.next));
	if (!ix.head || !ix.next)
		return -ENOMEM;
	ix.mask = n - 1;
	crypto_shorthash_keygen(ix.key);
	return 0;
}

void ctl_peer_index_free(void)
{
	free(ix.head);
	free(ix.next);
	ix.head = ix.next = NULL;
}

void ctl_peer_index_add(struct ctl_peer *p)
{
	uint32_t b = bucket(p->noise.public_key);

	ix.next[p->slot] = ix.head[b];
	ix.head[b] = p->slot + 1;
}

void ctl_peer_index_del(struct ctl_peer *p)
{
	uint32_t *link = &ix.head[bucket(p->noise.public_key)];

	while (*link && *link != p->slot + 1)
		link = &ix.next[*link - 1];
	if (*link)
		*link = ix.next[p->slot];
}

struct ctl_peer *ctl_peer_index_find(const uint8_t key[32])
{
	if (!ix.head)
		return NULL;
	for (uint32_t s = ix.head[bucket(key)]; s; s = ix.next[s - 1]) {
		struct ctl_peer *p = ctl.peers[s - 1];
		if (p && sodium_memcmp(p->noise.public_key, key, 32) == 0)
			return p;
	}
	return NULL;
}
