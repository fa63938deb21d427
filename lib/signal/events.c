/* Signaling messages {"event", "payload"} in, applied to the state: the
 * event table, the JSON text checks (size cap, syntax) and the entry points
 * wg_sig_apply() and wg_sig_state_load_*(). The values inside are parse.c's;
 * the commit is state.c's. Nothing is applied before the whole message has
 * been validated.
 *
 * jansson's own error text is never used in a reason: it quotes the input
 * near the error, and a message cut inside a preshared key would show it. */
#include "lib/signal/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "lib/signal/parse.h"
#include "lib/signal/state_int.h"

static int ev_init(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	json_t *itf = json_object_get(pl, "interface");
	json_t *list = json_object_get(pl, "authorizations");
	struct wg_prefix a;
	bool has;
	char p[SIG_PATH_LEN];
	size_t n;
	int rc;

	if (itf && !json_is_null(itf)) {
		if (!json_is_object(itf))
			return sig_bad(j, "payload.interface", "not an object");
		rc = sig_tunnel_addr(j, itf, "payload.interface", "ipv4", WG_AF_INET4, &a, &has);
		if (rc)
			return rc;
		if (has)
			m->iface4 = a.ip;
		rc = sig_tunnel_addr(j, itf, "payload.interface", "ipv6", WG_AF_INET6, &a, &has);
		if (rc)
			return rc;
		if (has)
			m->iface6 = a.ip;
	}
	if (!list)
		return sig_bad(j, "payload.authorizations", "missing");
	if (!json_is_array(list))
		return sig_bad(j, "payload.authorizations", "not an array");
	n = json_array_size(list);
	m->grants = calloc(n ? n : 1, sizeof(*m->grants));
	if (!m->grants)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "payload.authorizations[%zu]", i);
		if ((rc = sig_parse_grant(j, json_array_get(list, i), p, &m->grants[i])))
			return rc;
		m->n_grants++;
	}
	return 0;
}

static int ev_create_authorization(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	json_t *ref = json_object_get(pl, "ref"), *c, *r;
	char *text;
	int rc;

	if (!ref)
		return sig_bad(j, "payload.ref", "missing");
	if (!json_is_string(ref) && !json_is_integer(ref))
		return sig_bad(j, "payload.ref", "not a string or an integer");
	text = json_dumps(ref, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	rc = strlen(text) < sizeof(m->ref) ? 0 : -EINVAL;
	if (!rc)
		memcpy(m->ref, text, strlen(text) + 1);
	free(text);
	if (rc)
		return sig_bad(j, "payload.ref", "longer than %zu characters as JSON",
			   sizeof(m->ref) - 1);
	/* The portal always sends both objects; without one, its id names it. */
	m->has_client = json_object_get(pl, "client") != NULL;
	m->has_resource = json_object_get(pl, "resource") != NULL;
	if (!m->has_client && !json_object_get(pl, "client_id"))
		return sig_bad(j, "payload.client", "missing");
	if (!m->has_resource && !json_object_get(pl, "resource_id"))
		return sig_bad(j, "payload.resource", "missing");
	if (m->has_client) {
		if ((rc = sig_req_obj(j, pl, "payload", "client", &c)) ||
		    (rc = sig_parse_client(j, c, "payload.client", &m->client)))
			return rc;
		memcpy(m->grant.client_id, m->client.id, sizeof(m->grant.client_id));
	} else if ((rc = sig_id(j, pl, "payload", "client_id", true, m->grant.client_id))) {
		return rc;
	}
	if (m->has_resource) {
		if ((rc = sig_req_obj(j, pl, "payload", "resource", &r)) ||
		    (rc = sig_parse_resource(j, r, "payload.resource", &m->resource)))
			return rc;
		memcpy(m->grant.resource_id, m->resource.res.name, sizeof(m->grant.resource_id));
	} else if ((rc = sig_id(j, pl, "payload", "resource_id", false, m->grant.resource_id))) {
		return rc;
	}
	return sig_expires(j, pl, "payload", &m->grant.expires);
}

static int ev_reject_access(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	int rc = sig_id(j, pl, "payload", "client_id", true, m->grant.client_id);

	return rc ? rc : sig_id(j, pl, "payload", "resource_id", false, m->grant.resource_id);
}

static int ev_resource_updated(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	const struct sig_resource *old;
	json_t *r;
	int rc;

	if ((rc = sig_req_obj(j, pl, "payload", "resource", &r)) ||
	    (rc = sig_parse_resource(j, r, "payload.resource", &m->resource)))
		return rc;
	/* The data plane keeps a DNS resource apart from an address one, and
	 * Firezone never changes a resource's kind: delete and create instead. */
	old = sig_resource_find(j->s, m->resource.res.name);
	if (old && old->present && old->res.kind != m->resource.res.kind)
		return sig_bad(j, "payload.resource.type",
			       "cannot change from %s to %s (delete the resource first)",
			       sig_kind_name(old->res.kind), sig_kind_name(m->resource.res.kind));
	return 0;
}

static int ev_client_updated(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	json_t *c;
	int rc = sig_req_obj(j, pl, "payload", "client", &c);

	return rc ? rc : sig_parse_client(j, c, "payload.client", &m->client);
}

static int ev_client_deleted(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	return sig_id(j, pl, "payload", "client_id", true, m->grant.client_id);
}

static int ev_resource_deleted(struct jp *j, const json_t *pl, struct sig_msg *m)
{
	return sig_id(j, pl, "payload", "resource_id", false, m->grant.resource_id);
}

static const struct {
	const char *name;
	enum wg_sig_event ev;
	int (*parse)(struct jp *j, const json_t *payload, struct sig_msg *m);
} events[] = {
	{ "init", WG_SIG_EV_INIT, ev_init },
	{ "create_authorization", WG_SIG_EV_CREATE_AUTHORIZATION, ev_create_authorization },
	{ "reject_access", WG_SIG_EV_REJECT_ACCESS, ev_reject_access },
	{ "resource_updated", WG_SIG_EV_RESOURCE_UPDATED, ev_resource_updated },
	{ "client_updated", WG_SIG_EV_CLIENT_UPDATED, ev_client_updated },
	{ "client_deleted", WG_SIG_EV_CLIENT_DELETED, ev_client_deleted },
	{ "resource_deleted", WG_SIG_EV_RESOURCE_DELETED, ev_resource_deleted },
};

#define N_EVENTS (sizeof(events) / sizeof(events[0]))

const char *wg_sig_event_name(enum wg_sig_event ev)
{
	for (size_t i = 0; i < N_EVENTS; i++)
		if (events[i].ev == ev)
			return events[i].name;
	return "none";
}

/* Parses len bytes into a JSON object. */
static int load(struct jp *j, const char *text, size_t len, const char *what, json_t **out)
{
	static const struct {
		enum json_error_code code;
		const char *text;
	} reasons[] = {
		{ json_error_premature_end_of_input, "truncated" },
		{ json_error_end_of_input_expected, "data after the end" },
		{ json_error_invalid_utf8, "invalid UTF-8" },
		{ json_error_duplicate_key, "duplicate key" },
		{ json_error_null_character, "NUL character" },
		{ json_error_null_byte_in_key, "NUL character" },
		{ json_error_numeric_overflow, "number out of range" },
		{ json_error_stack_overflow, "nested too deeply" },
	};
	const char *r = "invalid syntax";
	json_error_t err;
	json_t *v;

	if (len > WG_SIG_MSG_MAX)
		return sig_bad(j, what, "%zu bytes, over the limit of %u", len, WG_SIG_MSG_MAX);
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!v) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return -ENOMEM;
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (json_error_code(&err) == reasons[i].code)
				r = reasons[i].text;
		/* Not err.text: it quotes the input near the error. */
		return sig_bad(j, what, "not JSON: %s at byte %d", r, err.position);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return sig_bad(j, what, "not a JSON object");
	}
	*out = v;
	return 0;
}

static int finish(struct wg_sig_state *s, struct jp *j, struct sig_msg *m, int rc,
		  struct wg_sig_result *res)
{
	struct wg_sig_result dummy;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!rc) {
		res->event = m->ev;
		memcpy(res->ref, m->ref, sizeof(res->ref));
		memcpy(res->client_id, m->grant.client_id[0] ? m->grant.client_id : m->client.id,
		       sizeof(res->client_id));
		memcpy(res->resource_id,
		       m->grant.resource_id[0] ? m->grant.resource_id : m->resource.res.name,
		       sizeof(res->resource_id));
		res->n_grants = m->n_grants;
		res->iface4 = m->iface4;
		res->iface6 = m->iface6;
		rc = sig_commit(s, m, res);
		if (rc)
			memset(res, 0, sizeof(*res));
	}
	if (rc == -ENOMEM)
		sig_bad(j, NULL, "out of memory");
	sig_msg_release(m);
	sodium_memzero(m, sizeof(*m));
	return rc;
}

/* {"event": ..., "payload": {...}}: the event's parser on the payload. */
static int parse_message(struct jp *j, const json_t *root, const char *what, struct sig_msg *m)
{
	json_t *ev = json_object_get(root, "event"), *pl;
	char q[SIG_QUOTE_LEN];
	size_t i = 0;

	(void)what;
	if (!ev)
		return sig_bad(j, "event", "missing");
	if (!json_is_string(ev))
		return sig_bad(j, "event", "not a string");
	while (i < N_EVENTS && strcmp(events[i].name, json_string_value(ev)))
		i++;
	if (i == N_EVENTS) {
		sig_bad(j, NULL, "unknown event \"%s\"", sig_quote(json_string_value(ev), q));
		return -ENOTSUP;
	}
	pl = json_object_get(root, "payload");
	if (!json_is_object(pl))
		return sig_bad(j, "payload", pl ? "not an object" : "missing");
	m->ev = events[i].ev;
	return events[i].parse(j, pl, m);
}

/* The values of the clients, resources and grants hashes, applied as the
 * event that upserts them. A grant is create_authorization without the
 * client and resource data. */
static int parse_client_value(struct jp *j, const json_t *root, const char *what,
			      struct sig_msg *m)
{
	m->ev = WG_SIG_EV_CLIENT_UPDATED;
	return sig_parse_client(j, root, what, &m->client);
}

static int parse_resource_value(struct jp *j, const json_t *root, const char *what,
				struct sig_msg *m)
{
	m->ev = WG_SIG_EV_RESOURCE_UPDATED;
	return sig_parse_resource(j, root, what, &m->resource);
}

static int parse_grant_value(struct jp *j, const json_t *root, const char *what,
			     struct sig_msg *m)
{
	m->ev = WG_SIG_EV_CREATE_AUTHORIZATION;
	m->grant_only = true;
	return sig_parse_grant(j, root, what, &m->grant);
}

/* One JSON text (what names it in reasons) parsed whole by parse, then
 * committed. */
static int apply_text(struct wg_sig_state *s, const char *text, size_t len, const char *what,
		      int (*parse)(struct jp *, const json_t *, const char *, struct sig_msg *),
		      struct wg_sig_result *res, char *why, size_t whylen)
{
	struct jp j = { why, whylen, s };
	struct sig_msg *m = calloc(1, sizeof(*m));
	json_t *root = NULL;
	int rc;

	if (!m)
		return -ENOMEM;
	rc = load(&j, text, len, what, &root);
	if (!rc)
		rc = parse(&j, root, what, m);
	json_decref(root);
	rc = finish(s, &j, m, rc, res);
	free(m);
	return rc;
}

int wg_sig_apply(struct wg_sig_state *s, const char *text, size_t len,
		 struct wg_sig_result *res, char *why, size_t whylen)
{
	return apply_text(s, text, len, "message", parse_message, res, why, whylen);
}

int wg_sig_state_load_client(struct wg_sig_state *s, const char *json, size_t len,
			     char *why, size_t whylen)
{
	return apply_text(s, json, len, "client", parse_client_value, NULL, why, whylen);
}

int wg_sig_state_load_resource(struct wg_sig_state *s, const char *json, size_t len,
			       char *why, size_t whylen)
{
	return apply_text(s, json, len, "resource", parse_resource_value, NULL, why, whylen);
}

int wg_sig_state_load_grant(struct wg_sig_state *s, const char *json, size_t len,
			    char *why, size_t whylen)
{
	return apply_text(s, json, len, "grant", parse_grant_value, NULL, why, whylen);
}
