/* Checks that span sections, run once every section has been applied.
 * Sorting (n log n) rather than comparing all pairs, because a static config
 * for a large site may list thousands of peers. When a check finds several
 * problems it reports the one whose later half comes first in the file. */
#include "lib/config/sections.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct key_ref {
	const uint8_t *key;
	size_t idx;
};

struct name_ref {
	const char *name;
	size_t idx;
};

struct prefix_ref {
	const struct wg_prefix *p;
	size_t peer;
};

struct grant_ref {
	int peer, resource;
	size_t idx;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = memcmp(x->key, y->key, WG_CFG_KEY_LEN);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_name(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Address order, shorter prefixes first: a prefix comes right before
 * everything it contains. */
static int cmp_prefix(const void *a, const void *b)
{
	const struct prefix_ref *x = a, *y = b;
	int c;

	if (x->p->ip.af != y->p->ip.af)
		return x->p->ip.af - y->p->ip.af;
	c = memcmp(x->p->ip.a, y->p->ip.a, sizeof(x->p->ip.a));
	if (c)
		return c;
	if (x->p->len != y->p->len)
		return x->p->len - y->p->len;
	return (x->peer > y->peer) - (x->peer < y->peer);
}

static int cmp_grant(const void *a, const void *b)
{
	const struct grant_ref *x = a, *y = b;

	if (x->peer != y->peer)
		return x->peer - y->peer;
	if (x->resource != y->resource)
		return x->resource - y->resource;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int oom(struct cfg_ctx *x)
{
	wg_cfg_fail(x, NULL, NULL, "out of memory");
	return -ENOMEM;
}

static int check_peer_keys(struct cfg_ctx *x, const struct key_ref *k)
{
	const struct wg_config *c = x->c;
	size_t later = SIZE_MAX, earlier = 0;

	for (size_t i = 1; i < c->n_peers; i++) {
		if (memcmp(k[i - 1].key, k[i].key, WG_CFG_KEY_LEN) || k[i].idx >= later)
			continue;
		later = k[i].idx;
		earlier = k[i - 1].idx;
	}
	if (later == SIZE_MAX)
		return 0;
	struct ini_section s = { .type = "Peer", .line = c->peers[later].line };
	return wg_cfg_fail(x, &s, x->peer_p[later].key_e, "same key as the peer at line %d",
			   c->peers[earlier].line);
}

/* Two peers may not claim one address: cryptokey routing would be ambiguous.
 * Sweep in address order keeping the chain of prefixes that contain the
 * current one; any of them from another peer is an overlap. */
static int check_overlap(struct cfg_ctx *x)
{
	const struct wg_config *c = x->c;
	struct prefix_ref *v, **stack;
	size_t n = 0, depth = 0;
	const struct prefix_ref *bad_a = NULL, *bad_b = NULL;	/* a earlier peer than b */
	int rc = 0;

	for (size_t i = 0; i < c->n_peers; i++)
		n += c->peers[i].n_allowed;
	v = calloc(n ? n : 1, sizeof(*v));
	stack = calloc(n ? n : 1, sizeof(*stack));
	if (!v || !stack) {
		rc = oom(x);
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < c->n_peers; i++)
		for (size_t j = 0; j < c->peers[i].n_allowed; j++)
			v[n++] = (struct prefix_ref){ &c->peers[i].allowed[j], i };
	qsort(v, n, sizeof(*v), cmp_prefix);
	for (size_t i = 0; i < n; i++) {
		while (depth && !wg_prefix_contains(stack[depth - 1]->p, &v[i].p->ip))
			depth--;
		for (size_t d = 0; d < depth; d++) {
			const struct prefix_ref *o = stack[d];
			const struct prefix_ref *a = o->peer < v[i].peer ? o : &v[i];
			const struct prefix_ref *b = o->peer < v[i].peer ? &v[i] : o;

			if (o->peer != v[i].peer && (!bad_b || b->peer < bad_b->peer)) {
				bad_a = a;
				bad_b = b;
			}
		}
		stack[depth++] = &v[i];
	}
	if (bad_b) {
		char pa[WG_PREFIX_STRLEN], pb[WG_PREFIX_STRLEN];
		struct ini_section s = { .type = "Peer", .line = c->peers[bad_b->peer].line };

		wg_prefix_str(bad_a->p, pa, sizeof(pa));
		wg_prefix_str(bad_b->p, pb, sizeof(pb));
		rc = wg_cfg_fail(x, &s, x->peer_p[bad_b->peer].allowed_e,
				 "%s overlaps %s of the peer at line %d", pb, pa,
				 c->peers[bad_a->peer].line);
	}
out:
	free(v);
	free(stack);
	return rc;
}

static int check_resource_names(struct cfg_ctx *x, const struct name_ref *r)
{
	const struct wg_config *c = x->c;
	size_t later = SIZE_MAX, earlier = 0;

	for (size_t i = 1; i < c->n_resources; i++) {
		if (strcmp(r[i - 1].name, r[i].name) || r[i].idx >= later)
			continue;
		later = r[i].idx;
		earlier = r[i - 1].idx;
	}
	if (later == SIZE_MAX)
		return 0;
	struct ini_section s = { .type = "Resource", .name = c->resources[later].name,
				 .line = c->resources[later].line };
	return wg_cfg_fail(x, &s, NULL, "duplicate resource name (first at line %d)",
			   c->resources[earlier].line);
}

static int resolve_access(struct cfg_ctx *x, const struct key_ref *k, const struct name_ref *r)
{
	struct wg_config *c = x->c;
	struct grant_ref *g;
	size_t later = SIZE_MAX, earlier = 0;

	for (size_t i = 0; i < c->n_access; i++) {
		const struct access_pending *ap = &x->access_p[i];
		struct ini_section s = { .type = "Access", .line = c->access[i].line };
		struct key_ref kq = { ap->key, 0 };
		struct name_ref rq = { ap->resource, 0 };
		const struct key_ref *kf = NULL;
		const struct name_ref *rf = NULL;

		/* cmp_* break ties on idx, so search by key alone. */
		for (size_t lo = 0, hi = c->n_peers; lo < hi && !kf;) {
			size_t mid = lo + (hi - lo) / 2;
			int cmp = memcmp(kq.key, k[mid].key, WG_CFG_KEY_LEN);

			if (!cmp)
				kf = &k[mid];
			else if (cmp < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (!kf)
			return wg_cfg_fail(x, &s, ap->peer_e, "no [Peer] has this public key");
		for (size_t lo = 0, hi = c->n_resources; lo < hi && !rf;) {
			size_t mid = lo + (hi - lo) / 2;
			int cmp = strcmp(rq.name, r[mid].name);

			if (!cmp)
				rf = &r[mid];
			else if (cmp < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (!rf)
			return wg_cfg_fail(x, &s, ap->resource_e, "no [Resource %s] in this file",
					   ap->resource);
		c->access[i].peer_idx = (int)kf->idx;
		c->access[i].resource_idx = (int)rf->idx;
	}
	g = calloc(c->n_access ? c->n_access : 1, sizeof(*g));
	if (!g)
		return oom(x);
	for (size_t i = 0; i < c->n_access; i++)
		g[i] = (struct grant_ref){ c->access[i].peer_idx, c->access[i].resource_idx, i };
	qsort(g, c->n_access, sizeof(*g), cmp_grant);
	for (size_t i = 1; i < c->n_access; i++) {
		if (g[i].peer != g[i - 1].peer || g[i].resource != g[i - 1].resource ||
		    g[i].idx >= later)
			continue;
		later = g[i].idx;
		earlier = g[i - 1].idx;
	}
	free(g);
	if (later == SIZE_MAX)
		return 0;
	struct ini_section s = { .type = "Access", .line = c->access[later].line };
	return wg_cfg_fail(x, &s, NULL, "grants the same Peer and Resource as the [Access] at line %d",
			   c->access[earlier].line);
}

int wg_cfg_check_all(struct cfg_ctx *x)
{
	struct wg_config *c = x->c;
	struct key_ref *k;
	struct name_ref *r;
	bool iface = false;
	int rc;

	for (size_t i = 0; i < x->doc.n; i++)
		iface |= !strcmp(x->doc.s[i].type, "Interface");
	if (!iface)
		return wg_cfg_fail(x, NULL, NULL, "no [Interface] section (PrivateKey is required)");
	if (!c->n_ports)
		return wg_cfg_fail(x, NULL, NULL, "no [Port NAME] section (at least one is required)");
	k = calloc(c->n_peers ? c->n_peers : 1, sizeof(*k));
	r = calloc(c->n_resources ? c->n_resources : 1, sizeof(*r));
	if (!k || !r) {
		rc = oom(x);
		goto out;
	}
	for (size_t i = 0; i < c->n_peers; i++)
		k[i] = (struct key_ref){ c->peers[i].public_key, i };
	qsort(k, c->n_peers, sizeof(*k), cmp_key);
	for (size_t i = 0; i < c->n_resources; i++)
		r[i] = (struct name_ref){ c->resources[i].name, i };
	qsort(r, c->n_resources, sizeof(*r), cmp_name);
	rc = check_peer_keys(x, k);
	if (!rc)
		rc = check_overlap(x);
	if (!rc)
		rc = check_resource_names(x, r);
	if (!rc)
		rc = resolve_access(x, k, r);
out:
	free(k);
	free(r);
	return rc;
}
