/* Feature flags: the registry, the PostHog /decide?v=3 response parser, the
 * WGATE_FLAG_<NAME> pins and the rule that turns them into values. Pure C:
 * the fetch (control/flags.c) and the atomics workers read
 * (dataplane/flags.h) live elsewhere.
 *
 * Resolution, per flag (first that applies):
 *   1. pinned by WGATE_FLAG_<NAME>=true|false          -> source env
 *   2. no remote (no WGATE_FLAGS_URL, WGATE_NO_TELEMETRY, or no fetch
 *      finished yet)                                    -> wgate's default
 *   3. the last fetch failed (transport, HTTP status, malformed body)
 *                                                       -> false, fetch-failed
 *   4. the flag is in the response's featureFlags       -> that value, remote
 *      (true, or a variant string = on; false = off)
 *   5. the response does not name it                    -> wgate's default */
#ifndef WGATE_LIB_FLAGS_FLAGS_H
#define WGATE_LIB_FLAGS_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

/* X(ENUM, "kebab-name", wgate default). The seed defaulted every flag off;
 * wgate keeps the gateway's ICMP errors on unless told otherwise. */
#define WG_FOREACH_FLAG(X)						\
	X(ICMP_ERRORS_ON_DENY,	  "icmp-errors-on-deny",	true)	\
	X(DNS_TTL_RESOLUTION,	  "dns-ttl-resolution",		false)	\
	X(STREAM_LOGS,		  "stream-logs",		false)	\
	X(ENOBUFS_AS_WOULD_BLOCK, "enobufs-as-would-block",	false)

enum wg_flag {
#define WG_FLAG_ENUM(e, name, def) WG_FLAG_##e,
	WG_FOREACH_FLAG(WG_FLAG_ENUM)
#undef WG_FLAG_ENUM
	WG_FLAG__MAX
};

enum wg_flag_source {
	WG_FLAG_SRC_DEFAULT,
	WG_FLAG_SRC_REMOTE,
	WG_FLAG_SRC_ENV,
	WG_FLAG_SRC_FETCH_FAILED,
};

extern const char *const wg_flag_names[WG_FLAG__MAX];
extern const bool wg_flag_defaults[WG_FLAG__MAX];

/* The flag named name (kebab-case, exact), or -1. */
int wg_flag_by_name(const char *name);
/* "default", "remote", "env", "fetch-failed". */
const char *wg_flag_source_str(enum wg_flag_source s);

/* WGATE_FLAG_<NAME>=true|false pins. */
struct wg_flag_pins {
	bool set[WG_FLAG__MAX];
	bool value[WG_FLAG__MAX];
};
#define WG_FLAG_ENV_PREFIX "WGATE_FLAG_"

/* Reads every WGATE_FLAG_* variable of envp (NULL-terminated "K=V"):
 * NAME is the flag name upper-cased with '-' as '_'; the value true|false
 * (also 1|0, yes|no, on|off; any case). 0, or -EINVAL with a reason naming
 * the variable in why (an unknown flag, a bad value). */
int wg_flag_pins_parse(char *const *envp, struct wg_flag_pins *out, char *why, size_t whylen);
/* One variable ("K=V") into p: 0 (also for a variable that is not a pin),
 * or -EINVAL with the reason (without the variable's name) in why. */
int wg_flag_pin_parse(const char *var, struct wg_flag_pins *p, char *why, size_t whylen);

/* One parsed /decide?v=3 response. */
struct wg_flag_remote {
	bool present[WG_FLAG__MAX];	/* named in featureFlags */
	bool value[WG_FLAG__MAX];
	char variant[WG_FLAG__MAX][64];	/* a multivariate flag's variant, else "" */
	char *payload[WG_FLAG__MAX];	/* compact JSON text, malloc'd; NULL = none */
};

/* Parses a PostHog /decide?v=3 body: {"featureFlags": {name: true|false|
 * "variant", ...}, "featureFlagPayloads": {name: "JSON text" | JSON value}}.
 * Names not in the registry are ignored. A string payload is the JSON text
 * PostHog stores (parsed; a string that is not JSON is taken as a JSON
 * string). 0, or -EINVAL with the reason in why (not JSON, no
 * featureFlags object, a known flag with another type); out is then empty.
 * Free with wg_flag_remote_clear. */
int wg_flag_decide_parse(const char *body, size_t len, struct wg_flag_remote *out, char *why,
			 size_t whylen);
void wg_flag_remote_clear(struct wg_flag_remote *r);

enum wg_flag_fetch {
	WG_FLAG_FETCH_NONE,	/* no remote, or no answer yet */
	WG_FLAG_FETCH_OK,
	WG_FLAG_FETCH_FAILED,
};

struct wg_flag_values {
	bool value[WG_FLAG__MAX];
	enum wg_flag_source source[WG_FLAG__MAX];
};

/* The resolution rule above. remote is read only with WG_FLAG_FETCH_OK. */
void wg_flag_resolve(const struct wg_flag_pins *pins, enum wg_flag_fetch fetch,
		     const struct wg_flag_remote *remote, struct wg_flag_values *out);

/* The log filter a stream-logs payload carries: a JSON string ("info,
 * dataplane=debug"), or an object with a string "filter". 0 with out set,
 * -EINVAL (another shape), -ENOSPC (longer than len - 1). */
int wg_flag_log_filter(const char *payload_json, char *out, size_t len);

/* The JSON bodies sent to a PostHog-compatible host; malloc'd strings or
 * NULL. api_key and distinct_id are taken as given (escaped by jansson). */
char *wg_flag_decide_request(const char *api_key, const char *distinct_id);
/* A /capture/ event: {"api_key","event","distinct_id","properties":{...},
 * "timestamp"}; properties_json: a JSON object text or NULL; timestamp:
 * RFC 3339. */
char *wg_flag_capture_event(const char *api_key, const char *event, const char *distinct_id,
			    const char *properties_json, const char *timestamp);

#endif
