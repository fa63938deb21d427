/* Who may reach what: [Peer], [Resource NAME] and [Access]. Checks that need
 * several sections (unique keys, overlaps, what [Access] names) are in
 * checks.c, once all are read. */
#include "lib/config/sections.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/values.h"

/* ---- [Peer] ---- */

static int peer_public_key(struct cfg_ctx *x, const struct ini_section *s,
			   const struct ini_entry *e, void *obj)
{
	struct wg_cfg_peer *p = obj;

	if (wg_cfgval_key(e->value, p->public_key))
		return wg_cfg_fail(x, s, e, KEY_ERR);
	x->peer_p[p - x->c->peers].key_e = e;
	return 0;
}

static int peer_psk(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		    void *obj)
{
	struct wg_cfg_peer *p = obj;

	if (wg_cfgval_key(e->value, p->psk))
		return wg_cfg_fail(x, s, e, KEY_ERR);
	p->has_psk = true;
	return 0;
}

static int peer_psk_file(struct cfg_ctx *x, const struct ini_section *s,
			 const struct ini_entry *e, void *obj)
{
	struct wg_cfg_peer *p = obj;
	int rc = wg_cfg_key_file(x, s, e, p->psk);

	p->has_psk = rc == 0;
	return rc;
}

static int peer_allowed_item(struct cfg_ctx *x, const struct ini_section *s,
			     const struct ini_entry *e, void *obj, const char *it)
{
	struct wg_cfg_peer *p = obj;
	struct wg_prefix *pf = &p->allowed[p->n_allowed];
	char net[WG_PREFIX_STRLEN];

	if (wg_prefix_parse(it, false, pf))
		return wg_cfg_fail(x, s, e, "'%s' is not a prefix like 100.64.0.2/32", it);
	if (wg_prefix_parse(it, true, pf)) {
		wg_prefix_parse(it, false, pf);
		wg_prefix_str(pf, net, sizeof(net));
		return wg_cfg_fail(x, s, e, "'%s' has host bits set (the network is %s)", it, net);
	}
	/* A repeat is taken once, as wg(8) does; the allowed-IPs map would
	 * refuse it and stop the gateway. */
	p->n_allowed += !wg_prefix_listed(p->allowed, p->n_allowed, pf);
	return 0;
}

static int peer_allowed_ips(struct cfg_ctx *x, const struct ini_section *s,
			    const struct ini_entry *e, void *obj)
{
	struct wg_cfg_peer *p = obj;

	p->allowed = calloc(wg_cfg_max_items(e->value), sizeof(*p->allowed));
	if (!p->allowed)
		return wg_cfg_oom(x), -ENOMEM;
	x->peer_p[p - x->c->peers].allowed_e = e;
	if (wg_cfg_each_item(x, s, e, obj, peer_allowed_item))
		return -EINVAL;
	if (!p->n_allowed)
		return wg_cfg_fail(x, s, e, "no prefixes");
	return 0;
}

static int peer_endpoint(struct cfg_ctx *x, const struct ini_section *s,
			 const struct ini_entry *e, void *obj)
{
	struct wg_cfg_peer *p = obj;

	if (wg_endpoint_parse(e->value, &p->endpoint_ip, &p->endpoint_port))
		return wg_cfg_fail(x, s, e,
				   "'%s' is not IP:port or [IPv6]:port (names are not resolved)",
				   e->value);
	return 0;
}

static int peer_keepalive(struct cfg_ctx *x, const struct ini_section *s,
			  const struct ini_entry *e, void *obj)
{
	unsigned long v = 0;

	/* wg(8) spells "never" as off. */
	if (strcasecmp(e->value, "off") && wg_cfgval_uint(e->value, 0, 65535, &v))
		return wg_cfg_fail(x, s, e, "not a number of seconds in 0..65535 or off");
	((struct wg_cfg_peer *)obj)->persistent_keepalive = (uint16_t)v;
	return 0;
}

static void *peer_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	struct wg_config *c = x->c;
	size_t cap = x->cap_peers;
	struct wg_cfg_peer *p;

	p = wg_cfg_grow((void **)&c->peers, &x->cap_peers, c->n_peers, sizeof(*p));
	if (!p || !wg_cfg_grow((void **)&x->peer_p, &cap, c->n_peers, sizeof(*x->peer_p)))
		return wg_cfg_oom(x);
	c->n_peers++;
	p->line = s->line;
	return p;
}

static int peer_end(struct cfg_ctx *x, const struct ini_section *s, void *obj)
{
	(void)obj;
	if (!wg_cfg_find(s, "PublicKey"))
		return wg_cfg_fail(x, s, NULL, "missing PublicKey");
	if (!wg_cfg_find(s, "AllowedIPs"))
		return wg_cfg_fail(x, s, NULL, "missing AllowedIPs");
	return 0;
}

static const struct key_spec peer_keys[] = {
	{ "PublicKey", NULL, peer_public_key },
	{ "PresharedKey", "PresharedKeyFile", peer_psk },
	{ "PresharedKeyFile", "PresharedKey", peer_psk_file },
	{ "AllowedIPs", NULL, peer_allowed_ips },
	{ "Endpoint", NULL, peer_endpoint },
	{ "PersistentKeepalive", NULL, peer_keepalive },
};

/* ---- [Resource NAME] ---- */

static int res_address(struct cfg_ctx *x, const struct ini_section *s,
		       const struct ini_entry *e, void *obj)
{
	char why[WHY_LEN];

	if (wg_cfgval_resource_address(e->value, obj, why, sizeof(why)))
		return wg_cfg_fail(x, s, e, "%s", why);
	return 0;
}

static int res_filter_item(struct cfg_ctx *x, const struct ini_section *s,
			   const struct ini_entry *e, void *obj, const char *it)
{
	struct wg_cfg_resource *r = obj;
	char why[WHY_LEN];

	if (wg_cfgval_filter(it, &r->filters[r->n_filters], why, sizeof(why)))
		return wg_cfg_fail(x, s, e, "%s", why);
	r->n_filters++;
	return 0;
}

static int res_filters(struct cfg_ctx *x, const struct ini_section *s,
		       const struct ini_entry *e, void *obj)
{
	struct wg_cfg_resource *r = obj;

	r->filters = calloc(wg_cfg_max_items(e->value), sizeof(*r->filters));
	if (!r->filters)
		return wg_cfg_oom(x), -ENOMEM;
	if (wg_cfg_each_item(x, s, e, obj, res_filter_item))
		return -EINVAL;
	if (!r->n_filters) {
		/* "Filters =" is the same as no Filters: everything allowed. */
		free(r->filters);
		r->filters = NULL;
	}
	return 0;
}

static void *res_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	struct wg_config *c = x->c;
	struct wg_cfg_resource *r;

	r = wg_cfg_grow((void **)&c->resources, &x->cap_resources, c->n_resources, sizeof(*r));
	if (!r)
		return wg_cfg_oom(x);
	c->n_resources++;
	snprintf(r->name, sizeof(r->name), "%s", s->name);
	r->line = s->line;
	return r;
}

static int res_end(struct cfg_ctx *x, const struct ini_section *s, void *obj)
{
	(void)obj;
	if (!wg_cfg_find(s, "Address"))
		return wg_cfg_fail(x, s, NULL, "missing Address");
	return 0;
}

static const struct key_spec resource_keys[] = {
	{ "Address", NULL, res_address },
	{ "Filters", NULL, res_filters },
};

/* ---- [Access] ---- */

static struct access_pending *access_of(struct cfg_ctx *x, void *obj)
{
	return &x->access_p[(struct wg_cfg_access *)obj - x->c->access];
}

static int acc_peer(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		    void *obj)
{
	struct access_pending *ap = access_of(x, obj);

	if (wg_cfgval_key(e->value, ap->key))
		return wg_cfg_fail(x, s, e, KEY_ERR);
	ap->peer_e = e;
	return 0;
}

static int acc_resource(struct cfg_ctx *x, const struct ini_section *s,
			const struct ini_entry *e, void *obj)
{
	struct access_pending *ap = access_of(x, obj);

	if (!*e->value)
		return wg_cfg_fail(x, s, e, "empty");
	ap->resource = e->value;
	ap->resource_e = e;
	return 0;
}

static int acc_expires(struct cfg_ctx *x, const struct ini_section *s,
		       const struct ini_entry *e, void *obj)
{
	if (wg_cfgval_rfc3339(e->value, &((struct wg_cfg_access *)obj)->expires))
		return wg_cfg_fail(x, s, e, "not an RFC 3339 time like 2026-12-01T00:00:00Z");
	return 0;
}

static void *acc_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	struct wg_config *c = x->c;
	size_t cap = x->cap_access;
	struct wg_cfg_access *a;

	a = wg_cfg_grow((void **)&c->access, &x->cap_access, c->n_access, sizeof(*a));
	if (!a || !wg_cfg_grow((void **)&x->access_p, &cap, c->n_access, sizeof(*x->access_p)))
		return wg_cfg_oom(x);
	c->n_access++;
	a->peer_idx = a->resource_idx = -1;
	a->line = s->line;
	return a;
}

static int acc_end(struct cfg_ctx *x, const struct ini_section *s, void *obj)
{
	(void)obj;
	if (!wg_cfg_find(s, "Peer"))
		return wg_cfg_fail(x, s, NULL, "missing Peer");
	if (!wg_cfg_find(s, "Resource"))
		return wg_cfg_fail(x, s, NULL, "missing Resource");
	return 0;
}

static const struct key_spec access_keys[] = {
	{ "Peer", NULL, acc_peer },
	{ "Resource", NULL, acc_resource },
	{ "Expires", NULL, acc_expires },
};

const struct section_spec wg_cfg_peer_spec = {
	.type = "Peer",
	.keys = peer_keys,
	.n_keys = ARRAY_SIZE(peer_keys),
	.begin = peer_begin,
	.end = peer_end,
};

const struct section_spec wg_cfg_resource_spec = {
	.type = "Resource",
	.name_max = WG_CFG_RESOURCE_NAME_LEN - 1,
	.name_dots = true,
	.name_example = "web",
	.keys = resource_keys,
	.n_keys = ARRAY_SIZE(resource_keys),
	.begin = res_begin,
	.end = res_end,
};

const struct section_spec wg_cfg_access_spec = {
	.type = "Access",
	.keys = access_keys,
	.n_keys = ARRAY_SIZE(access_keys),
	.begin = acc_begin,
	.end = acc_end,
};
