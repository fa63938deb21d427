/* The tables of struct wg_sig_state and the commit of a validated message.
 *
 * A commit runs in two steps. Prepare counts the slots and grants the
 * message may create, allocates them into pools and grows the hash tables
 * to hold them; this is the only step that can fail (-ENOMEM), and it
 * changes nothing that the state's content shows. Apply then links, moves
 * and frees, and cannot fail. So a message is applied whole or not at all,
 * even when memory runs out. */
#include "lib/signal/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/signal/state_int.h"

/* ---- hash table ---- */

static int htab_reserve(struct sig_htab *t, size_t want)
{
	struct sig_hnode **nb;
	size_t n = t->nb ? t->nb : 16;

	while (n < want)
		n *= 2;
	if (n == t->nb)
		return 0;
	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < t->nb; i++) {
		struct sig_hnode *e = t->b[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(t->b);
	t->b = nb;
	t->nb = n;
	return 0;
}

/* Only after htab_reserve() made room for it. */
static void htab_insert(struct sig_htab *t, struct sig_hnode *e)
{
	struct sig_hnode **b = &t->b[e->hash & (t->nb - 1)];

	e->next = *b;
	*b = e;
	t->n++;
}

static void htab_remove(struct sig_htab *t, struct sig_hnode *e)
{
	struct sig_hnode **p = &t->b[e->hash & (t->nb - 1)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	t->n--;
}

struct sig_hnode *sig_htab_next(const struct sig_htab *t, struct sig_hnode *n, size_t *i)
{
	if (n && n->next)
		return n->next;
	for (++*i; *i < t->nb; ++*i)
		if (t->b[*i])
			return t->b[*i];
	return NULL;
}

struct sig_hnode *sig_htab_first(const struct sig_htab *t, size_t *i)
{
	if (!t->nb)
		return NULL;
	*i = 0;
	return t->b[0] ? t->b[0] : sig_htab_next(t, NULL, i);
}

static uint64_t hash_bytes(const struct wg_sig_state *s, const void *p, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, n, s->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static uint64_t hash_grant(const struct wg_sig_state *s, const struct sig_client *c,
			   const struct sig_resource *r)
{
	const void *k[2] = { c, r };

	return hash_bytes(s, k, sizeof(k));
}

struct sig_client *sig_client_find(const struct wg_sig_state *s, const char *id)
{
	uint64_t h = hash_bytes(s, id, strlen(id));

	for (struct sig_hnode *e = s->clients.b[h & (s->clients.nb - 1)]; e; e = e->next) {
		struct sig_client *c = (struct sig_client *)e;

		if (e->hash == h && !strcmp(c->id, id))
			return c;
	}
	return NULL;
}

struct sig_resource *sig_resource_find(const struct wg_sig_state *s, const char *id)
{
	uint64_t h = hash_bytes(s, id, strlen(id));

	for (struct sig_hnode *e = s->resources.b[h & (s->resources.nb - 1)]; e; e = e->next) {
		struct sig_resource *r = (struct sig_resource *)e;

		if (e->hash == h && !strcmp(r->res.name, id))
			return r;
	}
	return NULL;
}

static struct sig_grant *grant_find(const struct wg_sig_state *s, const struct sig_client *c,
				    const struct sig_resource *r)
{
	uint64_t h;

	if (!c || !r)
		return NULL;
	h = hash_grant(s, c, r);
	for (struct sig_hnode *e = s->grants.b[h & (s->grants.nb - 1)]; e; e = e->next) {
		struct sig_grant *g = (struct sig_grant *)e;

		if (g->c == c && g->r == r)
			return g;
	}
	return NULL;
}

/* ---- pools: nodes allocated by prepare, taken by apply ---- */

struct pool {
	void **v;
	size_t n;
};

static int pool_fill(struct pool *p, size_t n, size_t size)
{
	if (!n)
		return 0;
	p->v = calloc(n, sizeof(*p->v));
	if (!p->v)
		return -ENOMEM;
	for (; p->n < n; p->n++)
		if (!(p->v[p->n] = calloc(1, size)))
			return -ENOMEM;
	return 0;
}

static void *pool_take(struct pool *p)
{
	return p->v[--p->n];
}

static void pool_drain(struct pool *p)
{
	while (p->n)
		free(p->v[--p->n]);
	free(p->v);
}

/* ---- slots ---- */

static void peer_clear(struct wg_cfg_peer *p)
{
	free(p->allowed);
	sodium_memzero(p, sizeof(*p));
}

static void resource_clear(struct wg_cfg_resource *r)
{
	char name[WG_CFG_RESOURCE_NAME_LEN];

	memcpy(name, r->name, sizeof(name));
	free(r->filters);
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, sizeof(name));
}

static struct sig_client *client_get(struct wg_sig_state *s, const char *id, struct pool *p)
{
	struct sig_client *c = sig_client_find(s, id);

	if (c)
		return c;
	c = pool_take(p);
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->hn.hash = hash_bytes(s, id, strlen(id));
	htab_insert(&s->clients, &c->hn);
	return c;
}

static struct sig_resource *resource_get(struct wg_sig_state *s, const char *id, struct pool *p)
{
	struct sig_resource *r = sig_resource_find(s, id);

	if (r)
		return r;
	r = pool_take(p);
	snprintf(r->res.name, sizeof(r->res.name), "%s", id);
	r->hn.hash = hash_bytes(s, id, strlen(id));
	htab_insert(&s->resources, &r->hn);
	return r;
}

/* An anchor that no grant names any more goes. */
static void client_gc(struct wg_sig_state *s, struct sig_client *c)
{
	if (c->present || c->n_grants)
		return;
	htab_remove(&s->clients, &c->hn);
	free(c);
}

static void resource_gc(struct wg_sig_state *s, struct sig_resource *r)
{
	if (r->present || r->n_grants)
		return;
	htab_remove(&s->resources, &r->hn);
	free(r);
}

static void client_set(struct wg_sig_state *s, struct sig_client *c, struct sig_client_in *in)
{
	peer_clear(&c->peer);
	c->peer = in->peer;
	sodium_memzero(&in->peer, sizeof(in->peer));	/* the slot owns allowed now */
	if (!c->present)
		s->n_clients++;
	c->present = true;
}

static void resource_set(struct wg_sig_state *s, struct sig_resource *r,
			 struct sig_resource_in *in)
{
	free(r->res.filters);
	r->res = in->res;
	in->res.filters = NULL;
	memcpy(r->display, in->display, sizeof(r->display));
	if (!r->present)
		s->n_resources++;
	r->present = true;
}

/* Unlinks and frees g; the slots stay, even when now empty. */
static void grant_unlink(struct wg_sig_state *s, struct sig_grant *g)
{
	struct sig_client *c = g->c;
	struct sig_resource *r = g->r;

	if (g->c_prev)
		g->c_prev->c_next = g->c_next;
	else
		c->grants = g->c_next;
	if (g->c_next)
		g->c_next->c_prev = g->c_prev;
	if (g->r_prev)
		g->r_prev->r_next = g->r_next;
	else
		r->grants = g->r_next;
	if (g->r_next)
		g->r_next->r_prev = g->r_prev;
	c->n_grants--;
	r->n_grants--;
	htab_remove(&s->grants, &g->hn);
	free(g);
}

static struct sig_grant *grant_put(struct wg_sig_state *s, struct sig_client *c,
				   struct sig_resource *r, int64_t expires, struct pool *p)
{
	struct sig_grant *g = grant_find(s, c, r);

	if (!g) {
		g = pool_take(p);
		g->c = c;
		g->r = r;
		g->hn.hash = hash_grant(s, c, r);
		htab_insert(&s->grants, &g->hn);
		g->c_next = c->grants;
		if (c->grants)
			c->grants->c_prev = g;
		c->grants = g;
		g->r_next = r->grants;
		if (r->grants)
			r->grants->r_prev = g;
		r->grants = g;
		c->n_grants++;
		r->n_grants++;
	}
	g->expires = expires;
	return g;
}

/* Removes a Redis client (and every grant naming its id). */
static void client_drop(struct wg_sig_state *s, struct sig_client *c)
{
	while (c->grants) {
		struct sig_resource *r = c->grants->r;

		grant_unlink(s, c->grants);
		resource_gc(s, r);
	}
	if (c->present)
		s->n_clients--;
	c->present = false;
	peer_clear(&c->peer);
	client_gc(s, c);
}

static void resource_drop(struct wg_sig_state *s, struct sig_resource *r)
{
	while (r->grants) {
		struct sig_client *c = r->grants->c;

		grant_unlink(s, r->grants);
		client_gc(s, c);
	}
	if (r->present)
		s->n_resources--;
	r->present = false;
	resource_clear(&r->res);
	r->display[0] = '\0';
	resource_gc(s, r);
}

/* ---- commit ---- */

struct prep {
	struct pool c, r, g;
};

/* Counts what the grant (cid, rid) may create. */
static void need_grant(const struct wg_sig_state *s, const char *cid, const char *rid,
		       size_t *nc, size_t *nr, size_t *ng)
{
	struct sig_client *c = sig_client_find(s, cid);
	struct sig_resource *r = sig_resource_find(s, rid);

	*nc += !c;
	*nr += !r;
	*ng += !grant_find(s, c, r);
}

static int prepare(struct wg_sig_state *s, const struct sig_msg *m, struct prep *p)
{
	size_t nc = 0, nr = 0, ng = 0;

	switch (m->ev) {
	case WG_SIG_EV_INIT:
		/* Duplicates in the list count twice: a little too much, never too little. */
		for (size_t i = 0; i < m->n_grants; i++)
			need_grant(s, m->grants[i].client_id, m->grants[i].resource_id, &nc, &nr,
				   &ng);
		break;
	case WG_SIG_EV_CREATE_AUTHORIZATION:
		need_grant(s, m->grant.client_id, m->grant.resource_id, &nc, &nr, &ng);
		break;
	case WG_SIG_EV_CLIENT_UPDATED:
		nc = !sig_client_find(s, m->client.id);
		break;
	case WG_SIG_EV_RESOURCE_UPDATED:
		nr = !sig_resource_find(s, m->resource.res.name);
		break;
	default:
		break;	/* removals create nothing */
	}
	if (pool_fill(&p->c, nc, sizeof(struct sig_client)) ||
	    pool_fill(&p->r, nr, sizeof(struct sig_resource)) ||
	    pool_fill(&p->g, ng, sizeof(struct sig_grant)) ||
	    htab_reserve(&s->clients, s->clients.n + nc) ||
	    htab_reserve(&s->resources, s->resources.n + nr) ||
	    htab_reserve(&s->grants, s->grants.n + ng))
		return -ENOMEM;
	return 0;
}

/* init: every grant listed is upserted and marked; the rest go. */
static void apply_init(struct wg_sig_state *s, struct sig_msg *m, struct prep *p)
{
	struct sig_hnode *e, *next;
	size_t i;

	s->epoch++;
	for (size_t k = 0; k < m->n_grants; k++) {
		const struct sig_grant_in *gi = &m->grants[k];
		struct sig_client *c = client_get(s, gi->client_id, &p->c);
		struct sig_resource *r = resource_get(s, gi->resource_id, &p->r);

		grant_put(s, c, r, gi->expires, &p->g)->mark = s->epoch;
	}
	for (e = sig_htab_first(&s->grants, &i); e; e = next) {
		struct sig_grant *g = (struct sig_grant *)e;
		struct sig_client *c = g->c;
		struct sig_resource *r = g->r;

		next = sig_htab_next(&s->grants, e, &i);
		if (g->mark == s->epoch)
			continue;
		grant_unlink(s, g);
		client_gc(s, c);
		resource_gc(s, r);
	}
}

static void apply_reject(struct wg_sig_state *s, const struct sig_msg *m,
			 struct wg_sig_result *res)
{
	struct sig_client *c = sig_client_find(s, m->grant.client_id);
	struct sig_resource *r = sig_resource_find(s, m->grant.resource_id);
	struct sig_grant *g = grant_find(s, c, r);

	if (!g)
		return;		/* already gone: nothing to do, twice or once */
	grant_unlink(s, g);
	resource_gc(s, r);
	/* Only the event that takes a client's last grant removes it, so a client
	 * added by client_updated and not granted yet stays. */
	if (c->present && !c->n_grants) {
		client_drop(s, c);
		res->client_removed = true;
		return;
	}
	client_gc(s, c);
}

int sig_commit(struct wg_sig_state *s, struct sig_msg *m, struct wg_sig_result *res)
{
	struct prep p = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	struct sig_client *c;
	struct sig_resource *r;
	int rc = prepare(s, m, &p);

	if (rc)
		goto out;
	switch (m->ev) {
	case WG_SIG_EV_INIT:
		apply_init(s, m, &p);
		break;
	case WG_SIG_EV_CREATE_AUTHORIZATION:
		c = client_get(s, m->grant.client_id, &p.c);
		r = resource_get(s, m->grant.resource_id, &p.r);
		if (!m->grant_only && m->has_client)
			client_set(s, c, &m->client);
		if (!m->grant_only && m->has_resource)
			resource_set(s, r, &m->resource);
		grant_put(s, c, r, m->grant.expires, &p.g);
		break;
	case WG_SIG_EV_REJECT_ACCESS:
		apply_reject(s, m, res);
		break;
	case WG_SIG_EV_RESOURCE_UPDATED:
		resource_set(s, resource_get(s, m->resource.res.name, &p.r), &m->resource);
		break;
	case WG_SIG_EV_CLIENT_UPDATED:
		client_set(s, client_get(s, m->client.id, &p.c), &m->client);
		break;
	case WG_SIG_EV_CLIENT_DELETED:
		c = sig_client_find(s, m->grant.client_id);
		if (c) {
			res->client_removed = c->present;
			client_drop(s, c);
		}
		break;
	case WG_SIG_EV_RESOURCE_DELETED:
		r = sig_resource_find(s, m->grant.resource_id);
		if (r)
			resource_drop(s, r);
		break;
	default:
		rc = -EINVAL;
		break;
	}
out:
	pool_drain(&p.c);
	pool_drain(&p.r);
	pool_drain(&p.g);
	return rc;
}

void sig_msg_release(struct sig_msg *m)
{
	peer_clear(&m->client.peer);
	free(m->resource.res.filters);
	m->resource.res.filters = NULL;
	free(m->grants);
	m->grants = NULL;
	m->n_grants = 0;
}

/* ---- life cycle ---- */

struct wg_sig_state *wg_sig_state_new(void)
{
	struct wg_sig_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	crypto_shorthash_keygen(s->hkey);
	if (htab_reserve(&s->clients, 16) || htab_reserve(&s->resources, 16) ||
	    htab_reserve(&s->grants, 16)) {
		wg_sig_state_free(s);
		return NULL;
	}
	return s;
}

void wg_sig_state_free(struct wg_sig_state *s)
{
	struct sig_hnode *e, *next;
	size_t i;

	if (!s)
		return;
	for (e = sig_htab_first(&s->grants, &i); e; e = next) {
		next = sig_htab_next(&s->grants, e, &i);
		free(e);
	}
	for (e = sig_htab_first(&s->resources, &i); e; e = next) {
		next = sig_htab_next(&s->resources, e, &i);
		free(((struct sig_resource *)e)->res.filters);
		free(e);
	}
	for (e = sig_htab_first(&s->clients, &i); e; e = next) {
		next = sig_htab_next(&s->clients, e, &i);
		peer_clear(&((struct sig_client *)e)->peer);
		free(e);
	}
	free(s->grants.b);
	free(s->resources.b);
	free(s->clients.b);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

size_t wg_sig_state_n_clients(const struct wg_sig_state *s)
{
	return s->n_clients;
}

size_t wg_sig_state_n_resources(const struct wg_sig_state *s)
{
	return s->n_resources;
}

size_t wg_sig_state_n_grants(const struct wg_sig_state *s)
{
	return s->grants.n;
}

const char *sig_kind_name(enum wg_cfg_resource_kind k)
{
	switch (k) {
	case WG_CFG_RES_CIDR:
		return "cidr";
	case WG_CFG_RES_DNS:
		return "dns";
	case WG_CFG_RES_INTERNET:
		return "internet";
	}
	return "?";
}
