/* See grant_bound.h. */
#include "control/grant_bound.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/util/idset.h"

/* What the last committed apply published and refused, and what the
 * select not yet committed chose. */
static struct {
	struct wg_idset published, refused;
	uint64_t *next_pub, *next_ref;
	size_t n_next_pub, n_next_ref;
} B;

/* The peer's key and the resource's name: a collision only changes which
 * grant is preferred past the bound, never what one grants. */
static uint64_t grant_id(const struct wg_config *cfg, const struct wg_cfg_access *ac)
{
	const char *n = cfg->resources[ac->resource_idx].name;
	uint64_t h = wg_idset_hash(WG_IDSET_SEED, cfg->peers[ac->peer_idx].public_key,
				   WG_CFG_KEY_LEN);

	return wg_idset_hash(h, n, strlen(n));
}

static void drop_next(void)
{
	free(B.next_pub);
	free(B.next_ref);
	B.next_pub = B.next_ref = NULL;
	B.n_next_pub = B.n_next_ref = 0;
}

int ctl_grant_bound_select(const struct wg_config *cfg, const bool *live, size_t max, bool *keep,
			   size_t *n_refused, size_t *n_new_refused)
{
	size_t cap = cfg->n_access ? cfg->n_access : 1;
	uint64_t *pub = malloc(cap * sizeof(*pub)), *ref = malloc(cap * sizeof(*ref));
	size_t n = 0, r = 0;

	if (!pub || !ref) {
		free(pub);
		free(ref);
		return -ENOMEM;
	}
	*n_new_refused = 0;
	for (size_t a = 0; a < cfg->n_access; a++)
		keep[a] = false;
	/* Pass 0: what was published before; pass 1: the rest, in order. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t a = 0; a < cfg->n_access; a++) {
			const struct wg_cfg_access *ac = &cfg->access[a];
			uint64_t id;

			if (keep[a] || !live[ac->peer_idx])
				continue;
			id = grant_id(cfg, ac);
			if (pass == 0 && !wg_idset_has(&B.published, id))
				continue;
			if (max && n >= max) {
				if (pass == 1) {
					ref[r++] = id;
					*n_new_refused += !wg_idset_has(&B.refused, id);
				}
				continue;
			}
			keep[a] = true;
			pub[n++] = id;
		}
	}
	*n_refused = r;
	drop_next();
	B.next_pub = pub;
	B.n_next_pub = n;
	B.next_ref = ref;
	B.n_next_ref = r;
	return 0;
}

void ctl_grant_bound_commit(void)
{
	wg_idset_take(&B.published, B.next_pub, B.n_next_pub);
	wg_idset_take(&B.refused, B.next_ref, B.n_next_ref);
	B.next_pub = B.next_ref = NULL;
	B.n_next_pub = B.n_next_ref = 0;
}

void ctl_grant_bound_free(void)
{
	drop_next();
	wg_idset_free(&B.published);
	wg_idset_free(&B.refused);
}
