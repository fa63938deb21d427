/* Private to lib/signal: the JSON value parsers of parse.c, shared with the
 * message parser of events.c.
 *
 * Each parser fills a struct of state_int.h and returns 0, or -EINVAL with
 * the reason "<path>: <what is wrong>" in j->why (path as in
 * "payload.resource.filters[1].protocol"), or -ENOMEM. On failure what it
 * allocated stays in the struct for sig_msg_release(). */
#ifndef WGATE_LIB_SIGNAL_PARSE_H
#define WGATE_LIB_SIGNAL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/net/addr.h"
#include "lib/signal/state.h"

#define SIG_PATH_LEN	128	/* "payload.resource.filters[1023].port_range_start" fits */
#define SIG_QUOTE_MAX	64	/* characters of a value quoted in a reason */
#define SIG_QUOTE_LEN	(SIG_QUOTE_MAX + 4)

struct sig_client_in;
struct sig_resource_in;
struct sig_grant_in;

/* One parse in progress: where the reason goes, and the state it may read
 * (a resource's current type). */
struct jp {
	char *why;
	size_t len;
	const struct wg_sig_state *s;
};

/* Puts "path: reason" (or the reason alone, path NULL) in j->why; returns
 * -EINVAL. */
int sig_bad(struct jp *j, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* s fit to quote in a reason: printable ASCII, at most SIG_QUOTE_MAX
 * characters, the rest cut and marked "...". Returns out. */
const char *sig_quote(const char *s, char out[SIG_QUOTE_LEN]);

/* o[key] must be an object (*out). */
int sig_req_obj(struct jp *j, const json_t *o, const char *base, const char *key,
		json_t **out);
/* o[key] must be an id: a client id (1-63 of A-Z a-z 0-9 _ - . + / =: base64
 * public keys name peers) or a resource id (1-63 of A-Z a-z 0-9 _ - .). */
int sig_id(struct jp *j, const json_t *o, const char *base, const char *key, bool client,
	   char out[WG_SIG_ID_LEN]);
/* o["expires_at"]: unix seconds >= 0, or absent/null = 0 (never). */
int sig_expires(struct jp *j, const json_t *o, const char *base, int64_t *out);
/* o[k], optional: an address of family af, as a host prefix. */
int sig_tunnel_addr(struct jp *j, const json_t *o, const char *base, const char *k,
		    uint8_t af, struct wg_prefix *out, bool *present);

int sig_parse_client(struct jp *j, const json_t *o, const char *base, struct sig_client_in *c);
int sig_parse_resource(struct jp *j, const json_t *o, const char *base,
		       struct sig_resource_in *ri);
int sig_parse_grant(struct jp *j, const json_t *o, const char *base, struct sig_grant_in *g);

#endif
