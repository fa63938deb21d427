/* A set of 64-bit ids, built once from an array and then only searched:
 * what one apply refused or published, so the next apply can tell what is
 * new (control/grant_bound.c, control/peers.c). Sorted array, bsearch. */
#ifndef WGATE_LIB_UTIL_IDSET_H
#define WGATE_LIB_UTIL_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_idset {
	uint64_t *v;	/* sorted; owned */
	size_t n;
};

/* Replaces s's content with the n ids of v (malloc'd; s takes it over and
 * sorts it; NULL with n 0 empties s). */
void wg_idset_take(struct wg_idset *s, uint64_t *v, size_t n);
bool wg_idset_has(const struct wg_idset *s, uint64_t id);
void wg_idset_free(struct wg_idset *s);

/* FNV-1a over len bytes, continuing from h (start with WG_IDSET_SEED). */
#define WG_IDSET_SEED 0xcbf29ce484222325ULL
static inline uint64_t wg_idset_hash(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

#endif
