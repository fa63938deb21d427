/* Signaling JSON out, with jansson doing the escaping. A client's text may
 * hold its preshared key: callers wipe it (sodium_memzero) before freeing.
 * (jansson's own copies are freed unwiped; only a process-wide allocator
 * hook could change that, which a library has no business setting.) */
#include "lib/signal/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/config/config.h"

/* json_dumps and json_decref in one; NULL in, NULL out. */
static char *dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	return s;
}

/* Sets o[key] to v (stolen). Returns false on failure, freeing v, also when
 * o is NULL (json_object_set_new() frees the value it cannot set). */
static bool put(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0;
}

static bool put_str(json_t *o, const char *key, const char *s)
{
	return !s || put(o, key, json_string(s));
}

static json_t *client_obj(const struct wg_sig_client_spec *c)
{
	json_t *o, *list;

	if (!c || !c->id || !c->public_key)
		return NULL;
	o = json_object();
	if (!o || !put_str(o, "id", c->id) || !put_str(o, "public_key", c->public_key) ||
	    !put_str(o, "preshared_key", c->preshared_key) || !put_str(o, "ipv4", c->ipv4) ||
	    !put_str(o, "ipv6", c->ipv6))
		goto fail;
	if (c->n_allowed_ips) {
		if (!put(o, "allowed_ips", list = json_array()))
			goto fail;
		for (size_t i = 0; i < c->n_allowed_ips; i++)
			if (!c->allowed_ips[i] ||
			    json_array_append_new(list, json_string(c->allowed_ips[i])))
				goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *filter_obj(const struct wg_cfg_filter *f)
{
	static const char *const protos[] = { "tcp", "udp", "icmp" };
	json_t *o = json_object();

	if (!o || (unsigned)f->proto > WG_CFG_PROTO_ICMP ||
	    !put_str(o, "protocol", protos[f->proto]))
		goto fail;
	if (f->proto != WG_CFG_PROTO_ICMP &&
	    (!put(o, "port_range_start", json_integer(f->lo)) ||
	     !put(o, "port_range_end", json_integer(f->hi))))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *resource_obj(const struct wg_sig_resource_spec *r)
{
	json_t *o, *list;

	if (!r || !r->type || !r->id || (!r->address && strcmp(r->type, "internet")))
		return NULL;
	o = json_object();
	if (!o || !put_str(o, "type", r->type) || !put_str(o, "id", r->id) ||
	    !put_str(o, "address", r->address) || !put_str(o, "name", r->name) ||
	    !put(o, "filters", list = json_array()))
		goto fail;
	for (size_t i = 0; i < r->n_filters; i++)
		if (json_array_append_new(list, filter_obj(&r->filters[i])))
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *expires_val(int64_t t)
{
	return t ? json_integer((json_int_t)t) : json_null();
}

static json_t *grant_obj(const struct wg_sig_grant_spec *g)
{
	json_t *o;

	if (!g || !g->client_id || !g->resource_id)
		return NULL;
	o = json_object();
	if (!o || !put_str(o, "client_id", g->client_id) ||
	    !put_str(o, "resource_id", g->resource_id) ||
	    !put(o, "expires_at", expires_val(g->expires))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {key: v}; v stolen. */
static json_t *wrap(const char *key, json_t *v)
{
	json_t *o = json_object();

	if (put(o, key, v))
		return o;
	json_decref(o);
	return NULL;
}

/* {"event": ev, "payload": payload}; payload stolen. */
static char *event(const char *ev, json_t *payload)
{
	json_t *o = wrap("event", json_string(ev));

	if (put(o, "payload", payload))
		return dump(o);
	json_decref(o);
	return NULL;
}

static json_t *ids(const char *ck, const char *cv, const char *rk, const char *rv)
{
	json_t *o;

	if ((ck && !cv) || (rk && !rv))
		return NULL;
	o = json_object();
	if (!o || (ck && !put_str(o, ck, cv)) || (rk && !put_str(o, rk, rv))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *ref_val(const char *ref_json)
{
	json_t *v = ref_json ? json_loads(ref_json, JSON_DECODE_ANY, NULL) : NULL;

	if (v && !json_is_string(v) && !json_is_integer(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

char *wg_sig_msg_client(const struct wg_sig_client_spec *c)
{
	return dump(client_obj(c));
}

char *wg_sig_msg_resource(const struct wg_sig_resource_spec *r)
{
	return dump(resource_obj(r));
}

char *wg_sig_msg_grant(const struct wg_sig_grant_spec *g)
{
	return dump(grant_obj(g));
}

char *wg_sig_msg_grant_field(const char *client_id, const char *resource_id)
{
	char *s = NULL;

	if (!client_id || !resource_id || asprintf(&s, "%s %s", client_id, resource_id) < 0)
		return NULL;
	return s;
}

char *wg_sig_msg_init(const struct wg_sig_grant_spec *g, size_t n)
{
	json_t *list = json_array(), *pl = wrap("authorizations", list);

	if (!pl)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(list, grant_obj(&g[i]))) {
			json_decref(pl);
			return NULL;
		}
	}
	return event("init", pl);
}

char *wg_sig_msg_create_authorization(const char *ref_json, const struct wg_sig_client_spec *c,
				      const struct wg_sig_resource_spec *r, int64_t expires)
{
	json_t *pl = json_object();

	if (!put(pl, "ref", ref_val(ref_json)) || !put(pl, "client", client_obj(c)) ||
	    !put(pl, "resource", resource_obj(r)) ||
	    !put(pl, "expires_at", expires_val(expires))) {
		json_decref(pl);
		return NULL;
	}
	return event("create_authorization", pl);
}

char *wg_sig_msg_reject_access(const char *client_id, const char *resource_id)
{
	return event("reject_access", ids("client_id", client_id, "resource_id", resource_id));
}

char *wg_sig_msg_resource_updated(const struct wg_sig_resource_spec *r)
{
	return event("resource_updated", wrap("resource", resource_obj(r)));
}

char *wg_sig_msg_client_updated(const struct wg_sig_client_spec *c)
{
	return event("client_updated", wrap("client", client_obj(c)));
}

char *wg_sig_msg_client_deleted(const char *client_id)
{
	return event("client_deleted", ids("client_id", client_id, NULL, NULL));
}

char *wg_sig_msg_resource_deleted(const char *resource_id)
{
	return event("resource_deleted", ids(NULL, NULL, "resource_id", resource_id));
}

char *wg_sig_msg_authorization_created(const char *ref_json)
{
	return event("authorization_created", wrap("ref", ref_val(ref_json)));
}
