/* wg_sig_merge(): the file's config plus the Redis state (see merge.h).
 *
 * Clients are taken greedily in id order: one is taken unless it clashes
 * with a [Peer] or with a client taken before it. The key test groups equal
 * keys once (sorted), so a clash is an O(1) look at the group; the overlap
 * test asks overlap.h's index, which sees only what was taken so far. So the
 * whole merge is O(n log n), however many clients clash.
 *
 * The result goes through wg_config_check(), the loader's own checks, so a
 * merged config obeys exactly the rules of a loaded one. */
#include "lib/signal/merge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/config/config.h"
#include "lib/config/values.h"
#include "lib/signal/overlap.h"
#include "lib/signal/state_int.h"

/* ---- deep copy of the base config (allocated as wg_config_free frees) ---- */

static void *dup_array(const void *p, size_t n, size_t size, bool *oom)
{
	void *q;

	if (!n || !p)
		return NULL;
	q = malloc(n * size);
	if (!q)
		*oom = true;
	else
		memcpy(q, p, n * size);
	return q;
}

/* eal_args is one block: the pointer array, then the strings (wg_cfgval_split). */
static char **dup_args(char *const *v, size_t n)
{
	size_t text = 0, off;
	char **out, *t;

	for (size_t i = 0; i < n; i++)
		text += strlen(v[i]) + 1;
	out = malloc((n + 1) * sizeof(char *) + text + 1);
	if (!out)
		return NULL;
	t = (char *)(out + n + 1);
	off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(t + off, v[i], l);
		out[i] = t + off;
		off += l;
	}
	out[n] = NULL;
	return out;
}

static struct wg_config *copy_base(const struct wg_config *b, size_t xp, size_t xr, size_t xa)
{
	struct wg_config *c = calloc(1, sizeof(*c));
	bool oom = false;

	if (!c)
		return NULL;
	memcpy(c->path, b->path, sizeof(c->path));
	c->iface = b->iface;
	c->dataplane = b->dataplane;
	c->signaling = b->signaling;
	c->dataplane.eal_args = dup_args(b->dataplane.eal_args, b->dataplane.n_eal_args);
	if (!c->dataplane.eal_args)
		goto oom;
	c->ports = calloc(b->n_ports ? b->n_ports : 1, sizeof(*c->ports));
	c->peers = calloc(b->n_peers + xp + 1, sizeof(*c->peers));
	c->resources = calloc(b->n_resources + xr + 1, sizeof(*c->resources));
	c->access = calloc(b->n_access + xa + 1, sizeof(*c->access));
	if (!c->ports || !c->peers || !c->resources || !c->access)
		goto oom;
	/* Counts grow with what is copied, so wg_config_free() can undo a part. */
	for (; c->n_ports < b->n_ports && !oom; c->n_ports++) {
		struct wg_cfg_port *p = &c->ports[c->n_ports];

		*p = b->ports[c->n_ports];
		p->routes = dup_array(p->routes, p->n_routes, sizeof(*p->routes), &oom);
	}
	for (; c->n_peers < b->n_peers && !oom; c->n_peers++) {
		struct wg_cfg_peer *p = &c->peers[c->n_peers];

		*p = b->peers[c->n_peers];
		p->allowed = dup_array(p->allowed, p->n_allowed, sizeof(*p->allowed), &oom);
	}
	for (; c->n_resources < b->n_resources && !oom; c->n_resources++) {
		struct wg_cfg_resource *r = &c->resources[c->n_resources];

		*r = b->resources[c->n_resources];
		r->filters = dup_array(r->filters, r->n_filters, sizeof(*r->filters), &oom);
	}
	if (oom)
		goto oom;
	if (b->n_access)
		memcpy(c->access, b->access, b->n_access * sizeof(*c->access));
	c->n_access = b->n_access;
	return c;
oom:
	wg_config_free(c);
	return NULL;
}

/* ---- sorted views ---- */

static int cmp_client(const void *a, const void *b)
{
	return strcmp((*(struct sig_client *const *)a)->id, (*(struct sig_client *const *)b)->id);
}

static int cmp_resource(const void *a, const void *b)
{
	return strcmp((*(struct sig_resource *const *)a)->res.name,
		      (*(struct sig_resource *const *)b)->res.name);
}

static int cmp_grant(const void *a, const void *b)
{
	const struct sig_grant *x = *(struct sig_grant *const *)a;
	const struct sig_grant *y = *(struct sig_grant *const *)b;
	int c = strcmp(x->c->id, y->c->id);

	return c ? c : strcmp(x->r->res.name, y->r->res.name);
}

/* The present clients, the present resources, every grant: arrays sorted
 * by id. n is how many there are. */
static struct sig_client **sorted_clients(const struct wg_sig_state *s, size_t n)
{
	struct sig_client **v = calloc(n ? n : 1, sizeof(*v));
	struct sig_hnode *e;
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (e = sig_htab_first(&s->clients, &i); e; e = sig_htab_next(&s->clients, e, &i))
		if (((struct sig_client *)e)->present)
			v[k++] = (struct sig_client *)e;
	qsort(v, k, sizeof(*v), cmp_client);
	return v;
}

static struct sig_resource **sorted_resources(const struct wg_sig_state *s, size_t n)
{
	struct sig_resource **v = calloc(n ? n : 1, sizeof(*v));
	struct sig_hnode *e;
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (e = sig_htab_first(&s->resources, &i); e; e = sig_htab_next(&s->resources, e, &i))
		if (((struct sig_resource *)e)->present)
			v[k++] = (struct sig_resource *)e;
	qsort(v, k, sizeof(*v), cmp_resource);
	return v;
}

static struct sig_grant **sorted_grants(const struct wg_sig_state *s, size_t n)
{
	struct sig_grant **v = calloc(n ? n : 1, sizeof(*v));
	struct sig_hnode *e;
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (e = sig_htab_first(&s->grants, &i); e; e = sig_htab_next(&s->grants, e, &i))
		v[k++] = (struct sig_grant *)e;
	qsort(v, k, sizeof(*v), cmp_grant);
	return v;
}

struct key_ref {
	const uint8_t *key;
	size_t idx;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = memcmp(x->key, y->key, WG_CFG_KEY_LEN);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Index of the first entry with this key, or -1. */
static long find_key(const struct key_ref *k, size_t n, const uint8_t *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(k[mid].key, key, WG_CFG_KEY_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !memcmp(k[lo].key, key, WG_CFG_KEY_LEN) ? (long)k[lo].idx : -1;
}

struct name_ref {
	const char *name;
	size_t idx;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_ref *)a)->name, ((const struct name_ref *)b)->name);
}

/* Index of the base resource of this name, or -1. */
static long find_name(const struct name_ref *v, size_t n, const char *name)
{
	struct name_ref q = { name, 0 };
	const struct name_ref *f = bsearch(&q, v, n, sizeof(*v), cmp_name);

	return f ? (long)f->idx : -1;
}

/* ---- the merge ---- */

struct merge {
	const struct wg_config *base;
	struct wg_config *c;
	struct wg_sig_merge_report *rep;
	struct sig_client **cl;		/* present clients by id */
	struct sig_resource **rl;	/* present resources by id */
	struct sig_grant **gl;		/* grants by (client id, resource id) */
	size_t ncl, nrl, ngl;
	int *cl_idx, *rl_idx;		/* merged index of cl[j] / rl[j]; -1 skipped */
	struct key_ref *bkeys;		/* the base peers' keys, sorted */
	struct key_ref *ckeys;		/* the clients' keys, sorted */
	size_t *group;			/* cl[j]: index of its key's first entry in ckeys */
	long *group_taken;		/* per group: the client j taken with that key, or -1 */
	struct name_ref *bnames;	/* the base resources' names, sorted */
};

static void skip(struct merge *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void skip(struct merge *m, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	if (!m->rep->skip)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	m->rep->skip(m->rep->ctx, why);
}

/* Every prefix of the base peers (owner i) and of the clients (owner
 * n_peers + j), in that order: client j's items follow client j-1's. */
static int overlap_index(struct sig_ovl *o, const struct wg_config *base,
			 struct sig_client *const *cl, size_t ncl)
{
	size_t n = 0, k = 0;
	int rc;

	for (size_t i = 0; i < base->n_peers; i++)
		n += base->peers[i].n_allowed;
	for (size_t j = 0; j < ncl; j++)
		n += cl[j]->peer.n_allowed;
	if ((rc = sig_ovl_init(o, n)))
		return rc;
	for (size_t i = 0; i < base->n_peers; i++)
		for (size_t a = 0; a < base->peers[i].n_allowed; a++)
			sig_ovl_set(o, k++, &base->peers[i].allowed[a], i);
	for (size_t j = 0; j < ncl; j++)
		for (size_t a = 0; a < cl[j]->peer.n_allowed; a++)
			sig_ovl_set(o, k++, &cl[j]->peer.allowed[a], base->n_peers + j);
	sig_ovl_sort(o);
	return 0;
}

static int take_clients(struct merge *m)
{
	const size_t nb = m->base->n_peers;
	struct sig_ovl o;
	size_t first = 0;
	int rc = overlap_index(&o, m->base, m->cl, m->ncl);

	if (rc)
		goto out;
	for (size_t i = 0; i < o.n && o.it[i].owner < nb; i++)
		sig_ovl_take(&o, i);
	for (size_t j = 0; j < m->ncl; j++) {
		const struct sig_client *sc = m->cl[j];
		char pa[WG_PREFIX_STRLEN], pb[WG_PREFIX_STRLEN];
		struct wg_cfg_peer *p;
		struct wg_prefix *allowed;
		long b = find_key(m->bkeys, nb, sc->peer.public_key), hit = -1;
		bool oom = false;
		size_t a;

		/* This client's items follow the base's, in client order. */
		while (first < o.n && o.it[first].owner < nb + j)
			first++;
		m->cl_idx[j] = -1;
		if (b >= 0) {
			skip(m, "client %s: same public key as the [Peer] at line %d", sc->id,
			     m->base->peers[b].line);
			goto skipped;
		}
		if (m->group_taken[m->group[j]] >= 0) {
			skip(m, "client %s: same public key as client %s", sc->id,
			     m->cl[m->group_taken[m->group[j]]]->id);
			goto skipped;
		}
		for (a = 0; a < sc->peer.n_allowed && hit < 0; a++)
			hit = sig_ovl_find(&o, first + a);
		if (hit >= 0) {
			size_t ow = o.it[hit].owner;

			wg_prefix_str(o.it[first + a - 1].p, pa, sizeof(pa));
			wg_prefix_str(o.it[hit].p, pb, sizeof(pb));
			if (ow < nb)
				skip(m, "client %s: %s overlaps %s of the [Peer] at line %d",
				     sc->id, pa, pb, m->base->peers[ow].line);
			else
				skip(m, "client %s: %s overlaps %s of client %s", sc->id, pa, pb,
				     m->cl[ow - nb]->id);
			goto skipped;
		}
		allowed = dup_array(sc->peer.allowed, sc->peer.n_allowed, sizeof(*allowed), &oom);
		if (oom) {
			rc = -ENOMEM;
			goto out;
		}
		p = &m->c->peers[m->c->n_peers];
		*p = sc->peer;	/* key, psk, AllowedIPs; no endpoint, keepalive off */
		p->allowed = allowed;
		p->line = 0;
		m->cl_idx[j] = (int)m->c->n_peers++;
		m->group_taken[m->group[j]] = (long)j;
		for (a = 0; a < sc->peer.n_allowed; a++)
			sig_ovl_take(&o, first + a);
		m->rep->clients++;
		continue;
skipped:
		m->rep->clients_skipped++;
	}
out:
	sig_ovl_free(&o);
	return rc;
}

static int take_resources(struct merge *m)
{
	for (size_t j = 0; j < m->nrl; j++) {
		const struct sig_resource *sr = m->rl[j];
		const char *name = sr->res.name;
		struct wg_cfg_resource *r;
		struct wg_cfg_filter *filters;
		bool oom = false;

		m->rl_idx[j] = -1;
		if (find_name(m->bnames, m->base->n_resources, name) >= 0) {
			skip(m, "resource %s: the file has a [Resource %s]", name, name);
			m->rep->resources_skipped++;
			continue;
		}
		filters = dup_array(sr->res.filters, sr->res.n_filters, sizeof(*filters), &oom);
		if (oom)
			return -ENOMEM;
		r = &m->c->resources[m->c->n_resources];
		*r = sr->res;
		r->filters = filters;	/* NULL with no filters */
		r->line = 0;
		m->rl_idx[j] = (int)m->c->n_resources++;
		m->rep->resources++;
	}
	return 0;
}

/* Merged index of the peer a grant names: 0+, -1 nothing, -2 a skipped client. */
static int grant_peer(const struct merge *m, const struct sig_client *c)
{
	uint8_t key[WG_CFG_KEY_LEN];
	long b;

	if (c->present) {
		struct sig_client **f = bsearch(&c, m->cl, m->ncl, sizeof(*m->cl), cmp_client);

		return m->cl_idx[f - m->cl] >= 0 ? m->cl_idx[f - m->cl] : -2;
	}
	if (wg_cfgval_key(c->id, key))
		return -1;
	b = find_key(m->bkeys, m->base->n_peers, key);
	return b >= 0 ? (int)b : -1;
}

static int grant_resource(const struct merge *m, const struct sig_resource *r)
{
	if (r->present) {
		struct sig_resource **g = bsearch(&r, m->rl, m->nrl, sizeof(*m->rl), cmp_resource);

		return m->rl_idx[g - m->rl] >= 0 ? m->rl_idx[g - m->rl] : -2;
	}
	return (int)find_name(m->bnames, m->base->n_resources, r->res.name);
}

static int cmp_access(const void *a, const void *b)
{
	const struct wg_cfg_access *x = a, *y = b;

	if (x->peer_idx != y->peer_idx)
		return x->peer_idx - y->peer_idx;
	return x->resource_idx - y->resource_idx;
}

static int take_grants(struct merge *m)
{
	const size_t na = m->base->n_access;
	bool oom = false;
	struct wg_cfg_access *file = dup_array(m->base->access, na, sizeof(*file), &oom);

	if (oom)
		return -ENOMEM;
	if (na)
		qsort(file, na, sizeof(*file), cmp_access);
	for (size_t j = 0; j < m->ngl; j++) {
		const struct sig_grant *g = m->gl[j];
		struct wg_cfg_access a = { .expires = g->expires };
		const struct wg_cfg_access *dup;

		a.peer_idx = grant_peer(m, g->c);
		a.resource_idx = grant_resource(m, g->r);
		if (a.peer_idx == -1 || a.resource_idx == -1) {
			m->rep->grants_unresolved++;
			continue;
		}
		if (a.peer_idx < 0 || a.resource_idx < 0) {
			m->rep->grants_skipped++;
			continue;
		}
		dup = na ? bsearch(&a, file, na, sizeof(*file), cmp_access) : NULL;
		if (dup) {
			skip(m, "grant %s %s: the [Access] at line %d gives it already", g->c->id,
			     g->r->res.name, dup->line);
			m->rep->grants_skipped++;
			continue;
		}
		m->c->access[m->c->n_access++] = a;
		m->rep->grants++;
	}
	free(file);
	return 0;
}

static int prepare(struct merge *m, const struct wg_sig_state *s)
{
	const struct wg_config *b = m->base;

	m->ncl = s->n_clients;
	m->nrl = s->n_resources;
	m->ngl = s->grants.n;
	m->cl = sorted_clients(s, m->ncl);
	m->rl = sorted_resources(s, m->nrl);
	m->gl = sorted_grants(s, m->ngl);
	m->cl_idx = calloc(m->ncl + 1, sizeof(*m->cl_idx));
	m->rl_idx = calloc(m->nrl + 1, sizeof(*m->rl_idx));
	m->bkeys = calloc(b->n_peers + 1, sizeof(*m->bkeys));
	m->ckeys = calloc(m->ncl + 1, sizeof(*m->ckeys));
	m->group = calloc(m->ncl + 1, sizeof(*m->group));
	m->group_taken = calloc(m->ncl + 1, sizeof(*m->group_taken));
	m->bnames = calloc(b->n_resources + 1, sizeof(*m->bnames));
	if (!m->cl || !m->rl || !m->gl || !m->cl_idx || !m->rl_idx || !m->bkeys || !m->ckeys ||
	    !m->group || !m->group_taken || !m->bnames)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_peers; i++)
		m->bkeys[i] = (struct key_ref){ b->peers[i].public_key, i };
	qsort(m->bkeys, b->n_peers, sizeof(*m->bkeys), cmp_key);
	for (size_t j = 0; j < m->ncl; j++)
		m->ckeys[j] = (struct key_ref){ m->cl[j]->peer.public_key, j };
	qsort(m->ckeys, m->ncl, sizeof(*m->ckeys), cmp_key);
	for (size_t i = 0, g = 0; i < m->ncl; i++) {
		if (i && memcmp(m->ckeys[i].key, m->ckeys[i - 1].key, WG_CFG_KEY_LEN))
			g = i;
		m->group[m->ckeys[i].idx] = g;
		m->group_taken[i] = -1;
	}
	for (size_t i = 0; i < b->n_resources; i++)
		m->bnames[i] = (struct name_ref){ b->resources[i].name, i };
	qsort(m->bnames, b->n_resources, sizeof(*m->bnames), cmp_name);
	return 0;
}

struct wg_config *wg_sig_merge(const struct wg_config *base, const struct wg_sig_state *s,
			       struct wg_sig_merge_report *rep, char *why, size_t whylen)
{
	struct wg_sig_merge_report dummy = { 0 };
	struct merge m = { .base = base, .rep = rep ? rep : &dummy };
	char w[256];
	int rc;

	memset(&m.rep->clients, 0, sizeof(*m.rep) - offsetof(struct wg_sig_merge_report, clients));
	m.c = copy_base(base, s->n_clients, s->n_resources, s->grants.n);
	rc = m.c ? prepare(&m, s) : -ENOMEM;
	if (!rc)
		rc = take_clients(&m);
	if (!rc)
		rc = take_resources(&m);
	if (!rc)
		rc = take_grants(&m);
	if (!rc) {
		rc = wg_config_check(m.c, w, sizeof(w));
		if (rc == -EINVAL)
			snprintf(why, whylen, "the merged config breaks a rule: %s", w);
	}
	if (rc == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	free(m.cl);
	free(m.rl);
	free(m.gl);
	free(m.cl_idx);
	free(m.rl_idx);
	free(m.bkeys);
	free(m.ckeys);
	free(m.group);
	free(m.group_taken);
	free(m.bnames);
	if (rc) {
		wg_config_free(m.c);
		errno = -rc;
		return NULL;
	}
	return m.c;
}
