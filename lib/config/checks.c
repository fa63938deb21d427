/* Checks that span sections, run once every section has been applied, and
 * the same checks on a config built in memory (wg_config_check(): the one
 * lib/signal merges from Redis).
 * Sorting (n log n) rather than comparing all pairs, because a static config
 * for a large site may list thousands of peers. When a check finds several
 * problems it reports the one whose later half comes first in the file. */
#include "lib/config/sections.h"

#include <errno.h>
#include <stdio.h>
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

/* Of the peers sharing a key, the pair whose later peer comes first in the
 * file: true with *later and *earlier set. k is sorted by cmp_key. */
static bool find_dup_key(const struct key_ref *k, size_t n, size_t *later, size_t *earlier)
{
	*later = SIZE_MAX;
	for (size_t i = 1; i < n; i++) {
		if (memcmp(k[i - 1].key, k[i].key, WG_CFG_KEY_LEN) || k[i].idx >= *later)
			continue;
		*later = k[i].idx;
		*earlier = k[i - 1].idx;
	}
	return *later != SIZE_MAX;
}

static int check_peer_keys(struct cfg_ctx *x, const struct key_ref *k)
{
	const struct wg_config *c = x->c;
	size_t later, earlier = 0;

	if (!find_dup_key(k, c->n_peers, &later, &earlier))
		return 0;
	struct ini_section s = { .type = "Peer", .line = c->peers[later].line };
	return wg_cfg_fail(x, &s, x->peer_p[later].key_e, "same key as the peer at line %d",
			   c->peers[earlier].line);
}

struct overlap {
	const struct wg_prefix *a, *b;	/* a of the earlier peer */
	size_t peer_a, peer_b;
};

/* Two peers may not claim one address: cryptokey routing would be ambiguous.
 * Sweep in address order keeping the chain of prefixes that contain the
 * current one; any of them from another peer is an overlap. Of all
 * overlaps, the one whose later peer comes first. 1 with *o set, 0 for none,
 * or -ENOMEM. */
static int find_overlap(const struct wg_cfg_peer *peers, size_t n_peers, struct overlap *o)
{
	struct prefix_ref *v, **stack;
	size_t n = 0, depth = 0;
	const struct prefix_ref *bad_a = NULL, *bad_b = NULL;	/* a earlier peer than b */
	int rc = 0;

	for (size_t i = 0; i < n_peers; i++)
		n += peers[i].n_allowed;
	v = calloc(n ? n : 1, sizeof(*v));
	stack = calloc(n ? n : 1, sizeof(*stack));
	if (!v || !stack) {
		rc = -ENOMEM;
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < n_peers; i++)
		for (size_t j = 0; j < peers[i].n_allowed; j++)
			v[n++] = (struct prefix_ref){ &peers[i].allowed[j], i };
	qsort(v, n, sizeof(*v), cmp_prefix);
	for (size_t i = 0; i < n; i++) {
		while (depth && !wg_prefix_contains(stack[depth - 1]->p, &v[i].p->ip))
			depth--;
		for (size_t d = 0; d < depth; d++) {
			const struct prefix_ref *q = stack[d];
			const struct prefix_ref *a = q->peer < v[i].peer ? q : &v[i];
			const struct prefix_ref *b = q->peer < v[i].peer ? &v[i] : q;

			if (q->peer != v[i].peer && (!bad_b || b->peer < bad_b->peer)) {
				bad_a = a;
				bad_b = b;
			}
		}
		stack[depth++] = &v[i];
	}
	if (bad_b) {
		*o = (struct overlap){ bad_a->p, bad_b->p, bad_a->peer, bad_b->peer };
		rc = 1;
	}
out:
	free(v);
	free(stack);
	return rc;
}

static int check_overlap(struct cfg_ctx *x)
{
	const struct wg_config *c = x->c;
	char pa[WG_PREFIX_STRLEN], pb[WG_PREFIX_STRLEN];
	struct overlap o;
	int rc = find_overlap(c->peers, c->n_peers, &o);

	if (rc <= 0)
		return rc == -ENOMEM ? oom(x) : 0;
	struct ini_section s = { .type = "Peer", .line = c->peers[o.peer_b].line };

	wg_prefix_str(o.a, pa, sizeof(pa));
	wg_prefix_str(o.b, pb, sizeof(pb));
	return wg_cfg_fail(x, &s, x->peer_p[o.peer_b].allowed_e,
			   "%s overlaps %s of the peer at line %d", pb, pa,
			   c->peers[o.peer_a].line);
}

static bool find_dup_name(const struct name_ref *r, size_t n, size_t *later, size_t *earlier)
{
	*later = SIZE_MAX;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(r[i - 1].name, r[i].name) || r[i].idx >= *later)
			continue;
		*later = r[i].idx;
		*earlier = r[i - 1].idx;
	}
	return *later != SIZE_MAX;
}

static int check_resource_names(struct cfg_ctx *x, const struct name_ref *r)
{
	const struct wg_config *c = x->c;
	size_t later, earlier = 0;

	if (!find_dup_name(r, c->n_resources, &later, &earlier))
		return 0;
	struct ini_section s = { .type = "Resource", .name = c->resources[later].name,
				 .line = c->resources[later].line };
	return wg_cfg_fail(x, &s, NULL, "duplicate resource name (first at line %d)",
			   c->resources[earlier].line);
}

/* Two grants of one (peer, resource): the pair whose later one comes first.
 * 1 with *later and *earlier set, 0 for none, or -ENOMEM. */
static int find_dup_grant(const struct wg_cfg_access *acc, size_t n, size_t *later,
			  size_t *earlier)
{
	struct grant_ref *g = calloc(n ? n : 1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		g[i] = (struct grant_ref){ acc[i].peer_idx, acc[i].resource_idx, i };
	qsort(g, n, sizeof(*g), cmp_grant);
	*later = SIZE_MAX;
	for (size_t i = 1; i < n; i++) {
		if (g[i].peer != g[i - 1].peer || g[i].resource != g[i - 1].resource ||
		    g[i].idx >= *later)
			continue;
		*later = g[i].idx;
		*earlier = g[i - 1].idx;
	}
	free(g);
	return *later != SIZE_MAX;
}

static int resolve_access(struct cfg_ctx *x, const struct key_ref *k, const struct name_ref *r)
{
	struct wg_config *c = x->c;
	size_t later, earlier = 0;
	int rc;

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
	rc = find_dup_grant(c->access, c->n_access, &later, &earlier);
	if (rc <= 0)
		return rc == -ENOMEM ? oom(x) : 0;
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

/* The loader's rules on a config that did not come from a file: messages
 * name entries by index, since they have no line. */
int wg_config_check(const struct wg_config *c, char *why, size_t len)
{
	struct key_ref *k = calloc(c->n_peers ? c->n_peers : 1, sizeof(*k));
	struct name_ref *r = calloc(c->n_resources ? c->n_resources : 1, sizeof(*r));
	char pa[WG_PREFIX_STRLEN], pb[WG_PREFIX_STRLEN];
	size_t later, earlier;
	struct overlap o;
	int rc = -EINVAL;

	if (!k || !r) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct wg_cfg_peer *p = &c->peers[i];

		if (!p->n_allowed) {
			snprintf(why, len, "peer %zu: no AllowedIPs", i);
			goto out;
		}
		for (size_t j = 0; j < p->n_allowed; j++) {
			struct wg_prefix m = p->allowed[j];

			if ((m.ip.af != WG_AF_INET4 && m.ip.af != WG_AF_INET6) ||
			    m.len > wg_af_bits(m.ip.af)) {
				snprintf(why, len, "peer %zu: AllowedIPs %zu is no prefix", i, j);
				goto out;
			}
			wg_ipaddr_mask(&m.ip, m.len);
			if (memcmp(&m, &p->allowed[j], sizeof(m))) {
				wg_prefix_str(&p->allowed[j], pa, sizeof(pa));
				snprintf(why, len, "peer %zu: %s has host bits set", i, pa);
				goto out;
			}
		}
		k[i] = (struct key_ref){ p->public_key, i };
	}
	qsort(k, c->n_peers, sizeof(*k), cmp_key);
	if (find_dup_key(k, c->n_peers, &later, &earlier)) {
		snprintf(why, len, "peer %zu: same key as peer %zu", later, earlier);
		goto out;
	}
	rc = find_overlap(c->peers, c->n_peers, &o);
	if (rc == 1) {
		wg_prefix_str(o.a, pa, sizeof(pa));
		wg_prefix_str(o.b, pb, sizeof(pb));
		snprintf(why, len, "peer %zu: %s overlaps %s of peer %zu", o.peer_b, pb, pa,
			 o.peer_a);
		rc = -EINVAL;
	}
	if (rc)
		goto out;
	rc = -EINVAL;
	for (size_t i = 0; i < c->n_resources; i++) {
		if (!c->resources[i].name[0]) {
			snprintf(why, len, "resource %zu: no name", i);
			goto out;
		}
		r[i] = (struct name_ref){ c->resources[i].name, i };
	}
	qsort(r, c->n_resources, sizeof(*r), cmp_name);
	if (find_dup_name(r, c->n_resources, &later, &earlier)) {
		snprintf(why, len, "resource %zu: same name as resource %zu", later, earlier);
		goto out;
	}
	for (size_t i = 0; i < c->n_access; i++) {
		const struct wg_cfg_access *a = &c->access[i];

		if (a->peer_idx < 0 || (size_t)a->peer_idx >= c->n_peers ||
		    a->resource_idx < 0 || (size_t)a->resource_idx >= c->n_resources) {
			snprintf(why, len, "access %zu: no peer %d or resource %d", i, a->peer_idx,
				 a->resource_idx);
			goto out;
		}
	}
	rc = find_dup_grant(c->access, c->n_access, &later, &earlier);
	if (rc == 1) {
		snprintf(why, len, "access %zu: grants the same peer and resource as access %zu",
			 later, earlier);
		rc = -EINVAL;
	}
out:
	if (rc == -ENOMEM)
		snprintf(why, len, "out of memory");
	free(k);
	free(r);
	return rc;
}
