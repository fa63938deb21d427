/* Builders of signaling JSON (README "Signaling over Redis"): the values of
 * the clients, resources and grants hashes, the grants hash's field name,
 * and the stream messages. Used by wgatectl (control/ctl_change.c), by
 * control/signaling.c for its reply, and by the tests; what they build is what wg_sig_apply() and
 * wg_sig_state_load_*() parse (tests round-trip them).
 *
 * Each returns a malloc'd NUL-terminated string (compact JSON) the caller
 * frees, or NULL when a required argument is NULL, a JSON text argument does
 * not parse, or memory runs out. Builders check shapes, not values: a bad
 * key or address is refused by the parser, with its reason. */
#ifndef WGATE_LIB_SIGNAL_MSG_H
#define WGATE_LIB_SIGNAL_MSG_H

#include <stddef.h>
#include <stdint.h>

struct wg_cfg_filter;

/* A client: id, public_key required; the rest may be NULL (n_allowed_ips 0). */
struct wg_sig_client_spec {
	const char *id;
	const char *public_key;		/* base64 */
	const char *preshared_key;	/* base64, or NULL */
	const char *ipv4, *ipv6;	/* tunnel addresses, or NULL */
	const char *const *allowed_ips;	/* prefixes */
	size_t n_allowed_ips;
};

/* A resource: type ("cidr", "dns", "internet") and id required; address
 * required unless internet; name may be NULL. Filters as in wgate.conf:
 * proto with lo..hi (ICMP's range is not written). n_filters 0 = every
 * protocol allowed ("filters": []). */
struct wg_sig_resource_spec {
	const char *type;
	const char *id;
	const char *address;
	const char *name;
	const struct wg_cfg_filter *filters;
	size_t n_filters;
};

/* A grant; expires 0 = never (written as null). */
struct wg_sig_grant_spec {
	const char *client_id;
	const char *resource_id;
	int64_t expires;
};

/* Hash values and the grants hash's field name "<client id> <resource id>". */
char *wg_sig_msg_client(const struct wg_sig_client_spec *c);
char *wg_sig_msg_resource(const struct wg_sig_resource_spec *r);
char *wg_sig_msg_grant(const struct wg_sig_grant_spec *g);
char *wg_sig_msg_grant_field(const char *client_id, const char *resource_id);

/* Stream messages {"event": ..., "payload": {...}}. ref_json is the ref as
 * JSON text: "\"r-1\"" or "42" (wg_sig_result.ref gives it back so). */
char *wg_sig_msg_init(const struct wg_sig_grant_spec *g, size_t n);
char *wg_sig_msg_create_authorization(const char *ref_json, const struct wg_sig_client_spec *c,
				      const struct wg_sig_resource_spec *r, int64_t expires);
char *wg_sig_msg_reject_access(const char *client_id, const char *resource_id);
char *wg_sig_msg_resource_updated(const struct wg_sig_resource_spec *r);
char *wg_sig_msg_client_updated(const struct wg_sig_client_spec *c);
char *wg_sig_msg_client_deleted(const char *client_id);
char *wg_sig_msg_resource_deleted(const char *resource_id);
/* The gateway's reply on the replies stream. */
char *wg_sig_msg_authorization_created(const char *ref_json);

#endif
