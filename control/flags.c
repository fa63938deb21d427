/* Feature flags on the control core (flags.h).
 *
 * States: no remote (only pins and defaults; nothing is ever fetched);
 * remote: IDLE --due--> FETCHING --answer--> IDLE (applied: OK or FAILED).
 * Timer: a fetch at start, then one every interval from the previous start
 * (none while one is in flight; the HTTP timeout is shorter). */
#include "control/flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "control/http.h"
#include "control/identity.h"
#include "control/peers.h"
#include "dataplane/flags.h"
#include "lib/config/values.h"
#include "lib/flags/flags.h"
#include "lib/util/log.h"
#include "lib/util/tbucket.h"

#define MOD "flags"
#define NS_PER_MS	1000000ULL
#define BUSY_RETRY_NS	(1000 * NS_PER_MS)
#define LOG_PER_MIN	20	/* change lines at most, then one summary */

/* Writer: control lcore. Readers: control lcore; telemetry under ctl_lock. */
static struct {
	struct wg_flag_pins pins;
	struct wg_flag_values values;
	char *payload[WG_FLAG__MAX];	/* of flags that are on, from the last good fetch */
	char host[512];			/* WGATE_FLAGS_URL without a final '/'; "" = none */
	char url[560];			/* host + /decide?v=3 */
	char key[256];
	uint64_t interval_ns;
	uint64_t next_fetch_ns;
	bool fetching;
	bool failing;			/* the last fetch failed (its reason was logged) */
	uint64_t n_ok, n_failed;
	char last_error[160];
	unsigned int gen;
	void (*on_change)(void *);
	void *on_change_arg;
	char base_filter[256];		/* WGATE_LOG as started, else "info" */
	char log_filter[256];		/* the filter in force */
	struct wg_tbucket log_bucket;
	unsigned int unlogged;
	bool logged;			/* the values at start were logged */
} st;

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (char *const *v = envp; v && *v; v++)
		if (!strncmp(*v, name, n) && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

static void log_change(unsigned int f, uint64_t now_ns)
{
	if (!wg_tbucket_take(&st.log_bucket, now_ns, 60000 * NS_PER_MS / LOG_PER_MIN,
			     LOG_PER_MIN)) {
		st.unlogged++;
		return;
	}
	WG_LOG(INFO, MOD, "%s is %s (%s)%s", wg_flag_names[f], st.values.value[f] ? "on" : "off",
	       wg_flag_source_str(st.values.source[f]),
	       st.unlogged ? "; some earlier changes were not logged" : "");
	st.unlogged = 0;
}

/* stream-logs: while on, its payload's filter replaces WGATE_LOG for the
 * local log (the OTLP log export reads the same payload). Only the control
 * lcore logs after start-up, so changing the filter here races nothing. */
static void apply_log_filter(void)
{
	char want[sizeof(st.log_filter)];
	const char *p = st.payload[WG_FLAG_STREAM_LOGS];

	snprintf(want, sizeof(want), "%s", st.base_filter);
	if (st.values.value[WG_FLAG_STREAM_LOGS] && p &&
	    wg_flag_log_filter(p, want, sizeof(want))) {
		WG_LOG(WARN, MOD, "stream-logs payload is not a log filter; keeping %s",
		       st.base_filter);
		snprintf(want, sizeof(want), "%s", st.base_filter);
	}
	if (!strcmp(want, st.log_filter))
		return;
	if (wg_log_configure(want, NULL)) {
		WG_LOG(WARN, MOD, "stream-logs filter \"%s\" is not valid (e.g. info or"
		       " warn,dataplane=debug); keeping %s", want, st.log_filter);
		return;
	}
	snprintf(st.log_filter, sizeof(st.log_filter), "%s", want);
	WG_LOG(INFO, MOD, "log filter is now %s", want);
}

/* Resolves, publishes to the workers, and tells listeners. remote: read
 * only for WG_FLAG_FETCH_OK; its payloads are taken over. */
static void apply(enum wg_flag_fetch fetch, struct wg_flag_remote *remote, uint64_t now_ns)
{
	struct wg_flag_values old = st.values;
	bool changed = false;

	wg_flag_resolve(&st.pins, fetch, remote, &st.values);
	for (unsigned int f = 0; f < WG_FLAG__MAX; f++) {
		char *p = NULL;

		if (fetch == WG_FLAG_FETCH_OK && st.values.value[f]) {
			p = remote->payload[f];
			remote->payload[f] = NULL;
		}
		if ((p || st.payload[f]) && (!p || !st.payload[f] || strcmp(p, st.payload[f])))
			changed = true;
		free(st.payload[f]);
		st.payload[f] = p;
		dp_flag_set((enum wg_flag)f, st.values.value[f]);
		if (!st.logged || old.value[f] != st.values.value[f] ||
		    old.source[f] != st.values.source[f]) {
			changed = true;
			log_change(f, now_ns);
		}
	}
	st.logged = true;
	if (!changed)
		return;
	st.gen++;
	apply_log_filter();
	if (st.on_change)
		st.on_change(st.on_change_arg);
}

static void fetch_failed(const char *why, uint64_t now_ns)
{
	st.n_failed++;
	snprintf(st.last_error, sizeof(st.last_error), "%s", why);
	if (!st.failing)
		WG_LOG(WARN, MOD, "fetching flags from %s failed: %s; every flag not pinned is"
		       " off until a fetch succeeds", st.host, why);
	else
		WG_LOG(DEBUG, MOD, "fetching flags from %s failed again: %s", st.host, why);
	st.failing = true;
	apply(WG_FLAG_FETCH_FAILED, NULL, now_ns);
}

static void on_decide(void *arg, const struct ctl_http_resp *r)
{
	struct wg_flag_remote remote;
	uint64_t now = ctl_now_ns();
	char why[160];

	(void)arg;
	st.fetching = false;
	if (r->error && !strcmp(r->error, "cancelled"))
		return;	/* shutting down */
	if (r->error) {
		fetch_failed(r->error, now);
		return;
	}
	if (r->status != 200) {
		snprintf(why, sizeof(why), "HTTP status %ld", r->status);
		fetch_failed(why, now);
		return;
	}
	if (wg_flag_decide_parse(r->body, r->len, &remote, why, sizeof(why))) {
		fetch_failed(why, now);
		return;
	}
	st.n_ok++;
	st.last_error[0] = '\0';
	if (st.failing)
		WG_LOG(INFO, MOD, "fetching flags from %s works again", st.host);
	st.failing = false;
	WG_LOG(DEBUG, MOD, "flags fetched from %s", st.host);
	apply(WG_FLAG_FETCH_OK, &remote, now);
	wg_flag_remote_clear(&remote);
}

void ctl_flags_tick(uint64_t now_ns)
{
	static const char *const headers[] = { "Content-Type: application/json", NULL };
	long timeout;
	char *body;
	int rc;

	if (!st.host[0] || st.fetching || now_ns < st.next_fetch_ns)
		return;
	body = wg_flag_decide_request(st.key, ctl_gateway_id());
	if (!body) {
		st.next_fetch_ns = now_ns + BUSY_RETRY_NS;
		return;
	}
	timeout = (long)(st.interval_ns / NS_PER_MS);
	if (timeout > CTL_FLAGS_TIMEOUT_MS)
		timeout = CTL_FLAGS_TIMEOUT_MS;
	rc = ctl_http_post(st.url, headers, body, strlen(body), timeout, on_decide, NULL);
	free(body);
	if (rc == -EBUSY || rc == -ENOMEM) {
		/* Our side is short of room, not the host: try again soon. */
		st.next_fetch_ns = now_ns + BUSY_RETRY_NS;
		return;
	}
	st.next_fetch_ns = now_ns + st.interval_ns;
	if (rc) {
		char why[80];

		snprintf(why, sizeof(why), "cannot send: %s", strerror(-rc));
		fetch_failed(why, now_ns);
		return;
	}
	st.fetching = true;
}

static int env_bool(char *const *envp, const char *name, bool *out)
{
	const char *v = env_get(envp, name);

	*out = false;
	if (!v || !*v || !strcmp(v, "0") || !strcasecmp(v, "false"))
		return 0;
	if (!strcmp(v, "1") || !strcasecmp(v, "true")) {
		*out = true;
		return 0;
	}
	WG_LOG(ERR, MOD, "environment %s: \"%.40s\" is not 1 or 0", name, v);
	return -EINVAL;
}

/* The flags' environment, checked. */
struct flags_env {
	struct wg_flag_pins pins;
	bool no_telemetry;
	unsigned long interval_ms;
	const char *url;	/* NULL: none */
	size_t url_len;		/* without final '/' */
	const char *key;
};

static int read_env(char *const *envp, struct flags_env *e)
{
	const char *ivl = env_get(envp, "WGATE_FLAGS_INTERVAL_MS");
	char why[200];

	memset(e, 0, sizeof(*e));
	e->interval_ms = CTL_FLAGS_INTERVAL_MS;
	e->url = env_get(envp, "WGATE_FLAGS_URL");
	e->key = env_get(envp, "WGATE_FLAGS_KEY");
	if (wg_flag_pins_parse(envp, &e->pins, why, sizeof(why))) {
		WG_LOG(ERR, MOD, "environment %s", why);
		return -EINVAL;
	}
	if (env_bool(envp, "WGATE_NO_TELEMETRY", &e->no_telemetry))
		return -EINVAL;
	if (ivl && wg_cfgval_uint(ivl, 100, 24UL * 3600 * 1000, &e->interval_ms)) {
		WG_LOG(ERR, MOD, "environment WGATE_FLAGS_INTERVAL_MS: \"%.40s\" is not a number"
		       " of milliseconds from 100 to 86400000", ivl);
		return -EINVAL;
	}
	if (!e->url || !*e->url) {
		e->url = NULL;
		return 0;
	}
	e->url_len = strlen(e->url);
	while (e->url_len && e->url[e->url_len - 1] == '/')
		e->url_len--;
	if ((strncmp(e->url, "http://", 7) && strncmp(e->url, "https://", 8)) ||
	    e->url_len >= sizeof(st.host)) {
		WG_LOG(ERR, MOD, "environment WGATE_FLAGS_URL: not an http:// or https://"
		       " URL of at most %zu characters", sizeof(st.host) - 1);
		return -EINVAL;
	}
	if (!e->key || !*e->key || strlen(e->key) >= sizeof(st.key)) {
		WG_LOG(ERR, MOD, "environment WGATE_FLAGS_KEY: %s", e->key && *e->key ?
		       "too long" : "WGATE_FLAGS_URL needs the project API key");
		return -EINVAL;
	}
	return 0;
}

int ctl_flags_check_env(char *const *envp)
{
	struct flags_env e;

	return read_env(envp, &e);
}

int ctl_flags_init(char *const *envp)
{
	const char *logf = env_get(envp, "WGATE_LOG");
	struct flags_env e;

	memset(&st, 0, sizeof(st));
	if (read_env(envp, &e))
		return -EINVAL;
	wg_tbucket_init(&st.log_bucket, LOG_PER_MIN);
	snprintf(st.base_filter, sizeof(st.base_filter), "%s", logf && *logf ? logf : "info");
	snprintf(st.log_filter, sizeof(st.log_filter), "%s", st.base_filter);
	st.pins = e.pins;
	st.interval_ns = e.interval_ms * NS_PER_MS;
	if (e.url && e.no_telemetry) {
		WG_LOG(INFO, MOD, "WGATE_NO_TELEMETRY: no flags fetched, no analytics sent;"
		       " pins still apply");
	} else if (e.url && !*ctl_gateway_id()) {
		WG_LOG(WARN, MOD, "no gateway id: no flags fetched, no analytics sent");
	} else if (e.url) {
		memcpy(st.host, e.url, e.url_len);
		st.host[e.url_len] = '\0';
		snprintf(st.url, sizeof(st.url), "%s/decide?v=3", st.host);
		snprintf(st.key, sizeof(st.key), "%s", e.key);
	}
	/* Defaults and pins hold until the first answer. */
	apply(WG_FLAG_FETCH_NONE, NULL, 0);
	if (st.host[0])
		WG_LOG(INFO, MOD, "fetching from %s every %lu ms", st.host, e.interval_ms);
	return 0;
}

void ctl_flags_free(void)
{
	for (unsigned int f = 0; f < WG_FLAG__MAX; f++) {
		free(st.payload[f]);
		st.payload[f] = NULL;
	}
	sodium_memzero(st.key, sizeof(st.key));
	st.host[0] = '\0';
}

const char *ctl_flags_host(void)
{
	return st.host[0] ? st.host : NULL;
}

const char *ctl_flags_api_key(void)
{
	return st.key;
}

unsigned int ctl_flags_count(void)
{
	return WG_FLAG__MAX;
}

const char *ctl_flag_name(unsigned int i)
{
	return i < WG_FLAG__MAX ? wg_flag_names[i] : NULL;
}

bool ctl_flag_value(unsigned int i)
{
	return i < WG_FLAG__MAX && st.values.value[i];
}

const char *ctl_flag_source(unsigned int i)
{
	return i < WG_FLAG__MAX ? wg_flag_source_str(st.values.source[i]) : NULL;
}

const char *ctl_flags_payload(const char *name)
{
	int f = wg_flag_by_name(name);

	return f < 0 ? NULL : st.payload[f];
}

unsigned int ctl_flags_generation(void)
{
	return st.gen;
}

void ctl_flags_on_change(void (*cb)(void *arg), void *arg)
{
	st.on_change = cb;
	st.on_change_arg = arg;
}

void ctl_flags_stats(uint64_t *ok, uint64_t *failed, const char **last_error)
{
	*ok = st.n_ok;
	*failed = st.n_failed;
	*last_error = st.last_error;
}
