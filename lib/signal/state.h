/* The desired state that signaling over Redis carries (README "Signaling
 * over Redis"): clients, resources and grants, kept by id, changed by the
 * events of the stream and laid over the config file by wg_sig_merge()
 * (merge.h).
 *
 * Objects:
 *   - client: id -> public key, optional preshared key, AllowedIPs (the
 *     tunnel addresses as /32 and /128, plus allowed_ips);
 *   - resource: id -> kind, prefix or DNS pattern, filters, display name;
 *   - grant: (client id, resource id) -> expiry, unix seconds, 0 = never.
 *     A grant may name a client or resource that is not in the state (a
 *     [Peer] or [Resource] of the file, or one that comes later): it is kept
 *     by id and resolved only when merging.
 *
 * Cost: hash tables keyed by id (SipHash with a per-state random key, so ids
 * chosen to collide do not degrade them); every grant is on its client's
 * and its resource's list. An upsert or a removal is O(1); deleting a client
 * or a resource is O(its grants); only init, whose list replaces every
 * grant, walks them all.
 *
 * Changes are all or nothing: a message is parsed and validated whole, then
 * everything it needs is allocated, and only then is the state changed, by
 * steps that cannot fail. A refused message (-EINVAL, -ENOTSUP) or -ENOMEM
 * leaves the state as it was.
 *
 * Reasons (why) name the field at fault as a path ("payload.resource.
 * filters[1].protocol: ...") and never quote a key: neither public nor
 * preshared keys, nor any part of the message where a key may stand.
 *
 * Writer and reader: the control core only; not thread-safe. The data plane
 * never sees this state, only the config wg_sig_merge() builds from it. */
#ifndef WGATE_LIB_SIGNAL_STATE_H
#define WGATE_LIB_SIGNAL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define WG_SIG_ID_LEN	64		/* ids: 1-63 characters + NUL */
#define WG_SIG_NAME_LEN	256		/* a resource's display name: 255 bytes + NUL */
#define WG_SIG_REF_LEN	256		/* create_authorization's ref as JSON text + NUL */
/* The largest message or hash value taken. An init listing 100k grants of
 * UUID ids is about 10 MB; anything beyond 16 MiB is refused unparsed. */
#define WG_SIG_MSG_MAX	(16u << 20)
#define WG_SIG_MAX_ALLOWED 1024		/* allowed_ips of one client */
#define WG_SIG_MAX_FILTERS 1024		/* filters of one resource */

struct wg_sig_state;

enum wg_sig_event {
	WG_SIG_EV_NONE = 0,
	WG_SIG_EV_INIT,			/* the grants become exactly the list */
	WG_SIG_EV_CREATE_AUTHORIZATION,	/* client, resource and grant upserted (wholly, the
					 * resource's type too); reply with ref */
	WG_SIG_EV_REJECT_ACCESS,	/* grant removed; a Redis client whose last grant it
					 * was too (not one that had none) */
	WG_SIG_EV_RESOURCE_UPDATED,	/* resource upserted (created if unknown); a change of
					 * type is refused */
	WG_SIG_EV_CLIENT_UPDATED,	/* client upserted (wgate) */
	WG_SIG_EV_CLIENT_DELETED,	/* client and its grants removed (wgate) */
	WG_SIG_EV_RESOURCE_DELETED,	/* resource and its grants removed; clients stay (wgate) */
};

/* The event's wire name ("init", ...); "none" for WG_SIG_EV_NONE. */
const char *wg_sig_event_name(enum wg_sig_event ev);

/* What an applied message did, for the caller's reply, log and sessions. */
struct wg_sig_result {
	enum wg_sig_event event;
	/* create_authorization: the ref exactly as JSON text, a string with its
	 * quotes ("\"r-1\"") or an integer ("42"), ready to be put back into
	 * authorization_created (msg.h). "" for other events. */
	char ref[WG_SIG_REF_LEN];
	char client_id[WG_SIG_ID_LEN];		/* the client the event names; "" if none */
	char resource_id[WG_SIG_ID_LEN];	/* the resource the event names; "" if none */
	size_t n_grants;			/* init: the entries of its list */
	/* reject_access, client_deleted: a Redis client was removed; close its
	 * session. */
	bool client_removed;
	struct wg_ipaddr iface4, iface6;	/* init: interface addresses; af 0 = absent */
};

/* NULL on ENOMEM. */
struct wg_sig_state *wg_sig_state_new(void);
/* Wipes the preshared keys (sodium_memzero) and frees everything. NULL is fine. */
void wg_sig_state_free(struct wg_sig_state *s);

/* Loading the full state: one value of the clients, resources or grants
 * hash (HGETALL), parsed and upserted. A resource loaded this way replaces
 * one of the same id whatever its type (the hash is the truth). 0; -EINVAL
 * with the reason; -ENOMEM. The state is unchanged unless 0. */
int wg_sig_state_load_client(struct wg_sig_state *s, const char *json, size_t len,
			     char *why, size_t whylen);
int wg_sig_state_load_resource(struct wg_sig_state *s, const char *json, size_t len,
			       char *why, size_t whylen);
int wg_sig_state_load_grant(struct wg_sig_state *s, const char *json, size_t len,
			    char *why, size_t whylen);

/* Applies one stream message {"event": ..., "payload": {...}} (len bytes,
 * need not be NUL-terminated). The message is validated whole before
 * anything changes; unknown fields are ignored. Every event is idempotent.
 * 0 with res filled (res may be NULL); -ENOTSUP for an unknown event,
 * -EINVAL for anything else wrong, both with the reason in why; -ENOMEM.
 * The state is unchanged unless 0. */
int wg_sig_apply(struct wg_sig_state *s, const char *json, size_t len,
		 struct wg_sig_result *res, char *why, size_t whylen);

/* Clients and resources from Redis, and grants (whatever they name). */
size_t wg_sig_state_n_clients(const struct wg_sig_state *s);
size_t wg_sig_state_n_resources(const struct wg_sig_state *s);
size_t wg_sig_state_n_grants(const struct wg_sig_state *s);

/* A canonical text of the whole state, one sorted line per client,
 * resource and grant, including the bookkeeping (grant counts, ids held
 * only by grants): two states with the same content give the same text
 * whatever the order of the events that built them. Preshared keys appear
 * only as a short hash. For tests and debugging; malloc'd, NULL on ENOMEM. */
char *wg_sig_state_dump(const struct wg_sig_state *s);

#endif
