/* Analytics events to the flags' PostHog-compatible host (analytics.h). */
#include "control/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <jansson.h>

#include "control/flags.h"
#include "control/http.h"
#include "control/identity.h"
#include "lib/flags/flags.h"
#include "lib/util/log.h"

#define MOD "analytics"
#define TIMEOUT_MS 10000L

/* Control lcore only. */
static struct {
	char os[3 * 65 + 3];
	uint64_t sent, failed;
} an;

static void on_sent(void *arg, const struct ctl_http_resp *r)
{
	const char *event = arg;

	if (r->error || r->status < 200 || r->status > 299) {
		an.failed++;
		WG_LOG(DEBUG, MOD, "%s not delivered: %s%ld", event, r->error ? r->error : "HTTP ",
		       r->error ? 0L : r->status);
		return;
	}
	an.sent++;
}

/* POST {host}/capture/ with one event; event must be a string literal
 * (it is the callback's argument). */
static void send_event(const char *event, json_t *set)
{
	static const char *const headers[] = { "Content-Type: application/json", NULL };
	const char *host = ctl_flags_host();
	json_t *props = json_pack("{s:s, s:s}", "version", WGATE_VERSION, "os", an.os);
	char url[600], ts[40], *p, *body;
	struct timespec now;
	struct tm tm;
	int rc;

	if (!host || !props) {
		json_decref(props);
		json_decref(set);
		return;
	}
	if (set)
		json_object_set_new(props, "$set", set);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	p = json_dumps(props, JSON_COMPACT);
	json_decref(props);
	body = p ? wg_flag_capture_event(ctl_flags_api_key(), event, ctl_gateway_id(), p, ts)
		 : NULL;
	free(p);
	if (!body)
		return;
	snprintf(url, sizeof(url), "%s/capture/", host);
	rc = ctl_http_post(url, headers, body, strlen(body), TIMEOUT_MS, on_sent, (void *)event);
	free(body);
	if (rc) {
		an.failed++;
		WG_LOG(DEBUG, MOD, "%s not sent: %s", event, strerror(-rc));
	}
}

void ctl_analytics_init(void)
{
	struct utsname u;

	if (!uname(&u))
		snprintf(an.os, sizeof(an.os), "%s %s %s", u.sysname, u.release, u.machine);
	else
		snprintf(an.os, sizeof(an.os), "Linux");
	if (!ctl_flags_host())
		return;
	/* $identify: the person properties PostHog keeps for this id. */
	send_event("$identify", json_pack("{s:s, s:s}", "version", WGATE_VERSION, "os", an.os));
}

void ctl_analytics_session(void)
{
	send_event("new_session", NULL);
}
