/* Feature flags: registry, pins, /decide parsing, resolution (flags.h). */
#include "lib/flags/flags.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

const char *const wg_flag_names[WG_FLAG__MAX] = {
#define WG_FLAG_NAME(e, name, def) [WG_FLAG_##e] = name,
	WG_FOREACH_FLAG(WG_FLAG_NAME)
#undef WG_FLAG_NAME
};

const bool wg_flag_defaults[WG_FLAG__MAX] = {
#define WG_FLAG_DEF(e, name, def) [WG_FLAG_##e] = def,
	WG_FOREACH_FLAG(WG_FLAG_DEF)
#undef WG_FLAG_DEF
};

int wg_flag_by_name(const char *name)
{
	for (int i = 0; i < WG_FLAG__MAX; i++)
		if (!strcmp(name, wg_flag_names[i]))
			return i;
	return -1;
}

const char *wg_flag_source_str(enum wg_flag_source s)
{
	switch (s) {
	case WG_FLAG_SRC_REMOTE: return "remote";
	case WG_FLAG_SRC_ENV: return "env";
	case WG_FLAG_SRC_FETCH_FAILED: return "fetch-failed";
	default: return "default";
	}
}

/* "ICMP_ERRORS_ON_DENY" (n bytes) names "icmp-errors-on-deny". */
static int flag_by_env_name(const char *s, size_t n)
{
	for (int i = 0; i < WG_FLAG__MAX; i++) {
		const char *f = wg_flag_names[i];
		size_t k = 0;

		for (; k < n && f[k]; k++)
			if (s[k] != (f[k] == '-' ? '_' : toupper((unsigned char)f[k])))
				break;
		if (k == n && !f[k])
			return i;
	}
	return -1;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int wg_flag_pin_parse(const char *var, struct wg_flag_pins *p, char *why, size_t whylen)
{
	const size_t pre = strlen(WG_FLAG_ENV_PREFIX);
	const char *eq = strchr(var, '=');
	size_t nlen = eq ? (size_t)(eq - var) : strlen(var);
	int f;

	if (strncmp(var, WG_FLAG_ENV_PREFIX, pre))
		return 0;
	f = flag_by_env_name(var + pre, nlen - pre);
	if (f < 0) {
		snprintf(why, whylen, "no such feature flag (known: icmp-errors-on-deny,"
			 " dns-ttl-resolution, stream-logs, enobufs-as-would-block)");
		return -EINVAL;
	}
	if (!eq || parse_bool(eq + 1, &p->value[f])) {
		snprintf(why, whylen, "\"%.40s\" is not true or false", eq ? eq + 1 : "");
		return -EINVAL;
	}
	p->set[f] = true;
	return 0;
}

int wg_flag_pins_parse(char *const *envp, struct wg_flag_pins *out, char *why, size_t whylen)
{
	char reason[160];

	memset(out, 0, sizeof(*out));
	for (char *const *v = envp; v && *v; v++) {
		if (wg_flag_pin_parse(*v, out, reason, sizeof(reason))) {
			snprintf(why, whylen, "%.*s: %s", (int)strcspn(*v, "="), *v, reason);
			return -EINVAL;
		}
	}
	return 0;
}

void wg_flag_remote_clear(struct wg_flag_remote *r)
{
	for (int i = 0; i < WG_FLAG__MAX; i++)
		free(r->payload[i]);
	memset(r, 0, sizeof(*r));
}

/* A payload as compact JSON text. PostHog v3 sends each payload as a
 * string holding JSON; older hosts send the value itself. */
static char *payload_text(json_t *v)
{
	json_t *parsed = NULL;
	char *s;

	if (json_is_string(v)) {
		parsed = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
		if (parsed)
			v = parsed;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(parsed);
	return s;
}

int wg_flag_decide_parse(const char *body, size_t len, struct wg_flag_remote *out, char *why,
			 size_t whylen)
{
	json_error_t jerr;
	json_t *root, *ff, *pl, *v;
	const char *name;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, 0, &jerr);
	if (!root) {
		snprintf(why, whylen, "not JSON: %s (line %d)", jerr.text, jerr.line);
		return -EINVAL;
	}
	ff = json_object_get(root, "featureFlags");
	if (!json_is_object(ff)) {
		snprintf(why, whylen, "no \"featureFlags\" object");
		goto out;
	}
	json_object_foreach(ff, name, v) {
		int f = wg_flag_by_name(name);

		if (f < 0)
			continue;
		if (json_is_boolean(v)) {
			out->value[f] = json_is_true(v);
		} else if (json_is_string(v) && json_string_length(v) > 0) {
			/* A multivariate flag is on, in the named variant. */
			out->value[f] = true;
			snprintf(out->variant[f], sizeof(out->variant[f]), "%s", json_string_value(v));
		} else {
			snprintf(why, whylen, "featureFlags.%s: not true, false or a variant", name);
			goto out;
		}
		out->present[f] = true;
	}
	pl = json_object_get(root, "featureFlagPayloads");
	if (pl && !json_is_object(pl) && !json_is_null(pl)) {
		snprintf(why, whylen, "\"featureFlagPayloads\" is not an object");
		goto out;
	}
	json_object_foreach(pl, name, v) {
		int f = wg_flag_by_name(name);

		if (f < 0 || json_is_null(v))
			continue;
		out->payload[f] = payload_text(v);
		if (!out->payload[f]) {
			snprintf(why, whylen, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	if (rc)
		wg_flag_remote_clear(out);
	return rc;
}

void wg_flag_resolve(const struct wg_flag_pins *pins, enum wg_flag_fetch fetch,
		     const struct wg_flag_remote *remote, struct wg_flag_values *out)
{
	for (int f = 0; f < WG_FLAG__MAX; f++) {
		if (pins && pins->set[f]) {
			out->value[f] = pins->value[f];
			out->source[f] = WG_FLAG_SRC_ENV;
		} else if (fetch == WG_FLAG_FETCH_FAILED) {
			out->value[f] = false;
			out->source[f] = WG_FLAG_SRC_FETCH_FAILED;
		} else if (fetch == WG_FLAG_FETCH_OK && remote && remote->present[f]) {
			out->value[f] = remote->value[f];
			out->source[f] = WG_FLAG_SRC_REMOTE;
		} else {
			out->value[f] = wg_flag_defaults[f];
			out->source[f] = WG_FLAG_SRC_DEFAULT;
		}
	}
}

int wg_flag_log_filter(const char *payload_json, char *out, size_t len)
{
	json_t *root, *s;
	int rc = -EINVAL;

	if (!payload_json)
		return -EINVAL;
	root = json_loads(payload_json, JSON_DECODE_ANY, NULL);
	s = json_is_object(root) ? json_object_get(root, "filter") : root;
	if (json_is_string(s)) {
		rc = (size_t)snprintf(out, len, "%s", json_string_value(s)) < len ? 0 : -ENOSPC;
	}
	json_decref(root);
	return rc;
}

char *wg_flag_decide_request(const char *api_key, const char *distinct_id)
{
	json_t *o = json_pack("{s:s, s:s}", "api_key", api_key, "distinct_id", distinct_id);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

char *wg_flag_capture_event(const char *api_key, const char *event, const char *distinct_id,
			    const char *properties_json, const char *timestamp)
{
	json_t *props = properties_json ? json_loads(properties_json, 0, NULL) : json_object();
	json_t *o;
	char *s;

	if (!json_is_object(props)) {
		json_decref(props);
		return NULL;
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "api_key", api_key, "event", event,
		      "distinct_id", distinct_id, "properties", props, "timestamp", timestamp);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}
