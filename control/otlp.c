/* See otlp.h. Configuration, the resource, the shared exporter (post,
 * outcome, backoff, rate-limited logging) and the metrics schedule. */
#include "control/otlp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>

#include "control/http.h"
#include "control/identity.h"
#include "control/metrics.h"
#include "control/otlp_exp.h"
#include "control/peers.h"
#include "lib/otlp/encode.h"
#include "lib/otlp/pb.h"
#include "lib/util/log.h"

#define MOD			"otlp"
#define DEFAULT_TIMEOUT_MS	10000
#define REPORT_EVERY_NS		(60ULL * 1000 * 1000 * 1000)
#define MAX_BODY		(8u << 20)	/* far above a real export (~10 KiB) */
#define NS_PER_MS		1000000ULL

static struct {
	bool configured;		/* ctl_otlp_configure found WGATE_METRICS=otlp */
	bool enabled;			/* ... and ctl_otlp_init started the export */
	uint64_t interval_ms;
	long timeout_ms;
	uint64_t start_unix_ns;
	struct otlp_kvlist res_env;	/* OTEL_RESOURCE_ATTRIBUTES */
	struct otlp_attr res_attrs[3 + OTLP_MAX_PAIRS];
	struct otlp_resource res;
	struct otlp_kvlist hdr_env;	/* OTEL_EXPORTER_OTLP_HEADERS: secrets */
	char *headers[2 + OTLP_MAX_PAIRS];	/* "Name: value", NULL-terminated */
	struct ctl_otlp_exp met;
	struct pb_buf buf;
} st;

uint64_t ctl_otlp_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool ctl_otlp_enabled(void)
{
	return st.enabled;
}

const struct otlp_resource *ctl_otlp_resource(void)
{
	return &st.res;
}

uint64_t ctl_otlp_interval_ms(void)
{
	return st.interval_ms;
}

uint64_t ctl_otlp_start_unix_ns(void)
{
	return st.start_unix_ns;
}

static void on_done(void *arg, const struct ctl_http_resp *r)
{
	struct ctl_otlp_exp *e = arg;
	uint64_t now = ctl_now_ns();
	bool ok;

	e->inflight = false;
	if (r->error && !strcmp(r->error, "cancelled"))
		return;	/* shutting down */
	ok = !r->error && r->status >= 200 && r->status < 300;
	if (ok) {
		e->ok++;
		e->last_ok_unix = (uint64_t)time(NULL);
		if (e->failures && e->streak_reported)
			WG_LOG(INFO, MOD, "%s export to %s works again after %u failure%s",
			       e->signal, e->url_shown, e->failures, e->failures == 1 ? "" : "s");
		e->failures = 0;
		e->streak_reported = false;
	} else {
		if (r->error)
			snprintf(e->last_error, sizeof(e->last_error), "%s", r->error);
		else
			snprintf(e->last_error, sizeof(e->last_error), "HTTP status %ld", r->status);
		e->failed++;
		e->failures++;
		e->next_ns = now + otlp_backoff_ms(e->failures, st.interval_ms) * NS_PER_MS;
		/* One line a minute at most while the collector is away or
		 * flapping; the recovery is logged only after a logged failure. */
		if (!e->last_report_ns || now - e->last_report_ns >= REPORT_EVERY_NS) {
			if (e->failures == 1)
				WG_LOG(WARN, MOD, "%s export to %s failed: %s; retrying in %" PRIu64
				       " ms", e->signal, e->url_shown, e->last_error,
				       (uint64_t)((e->next_ns - now) / NS_PER_MS));
			else
				WG_LOG(WARN, MOD, "%s export to %s still failing: %s (%u failures in"
				       " a row, %" PRIu64 " not logged)", e->signal, e->url_shown,
				       e->last_error, e->failures, e->unreported);
			e->last_report_ns = now;
			e->unreported = 0;
			e->streak_reported = true;
		} else {
			e->unreported++;
		}
	}
	if (e->done)
		e->done(e, ok, now);
}

void ctl_otlp_post(struct ctl_otlp_exp *e, const struct pb_buf *b, uint64_t now_ns,
		   uint64_t interval_ns)
{
	int rc;

	e->attempts++;
	/* The regular schedule counts from the start of this attempt; a
	 * failure replaces it with the backoff (on_done). */
	e->next_ns = now_ns + interval_ns;
	rc = ctl_http_post(e->url, (const char *const *)st.headers, b->p, b->len, st.timeout_ms,
			   on_done, e);
	if (!rc) {
		e->inflight = true;
		return;
	}
	/* Could not even start: report through the same path as a failure. */
	char why[80];
	snprintf(why, sizeof(why), "request not started: %s", strerror(-rc));
	on_done(e, &(struct ctl_http_resp){ .status = 0, .error = why });
}

static void metrics_export(uint64_t now)
{
	int rc;

	pb_reset(&st.buf);
	rc = ctl_metrics_encode(&st.buf, &st.res, st.start_unix_ns, ctl_otlp_unix_ns());
	if (rc) {
		st.met.attempts++;
		st.met.failed++;
		st.met.next_ns = now + st.interval_ms * NS_PER_MS;
		snprintf(st.met.last_error, sizeof(st.met.last_error), "encoding: %s",
			 strerror(-rc));
		WG_LOG(ERR, MOD, "metrics export: %s", st.met.last_error);
		return;
	}
	ctl_otlp_post(&st.met, &st.buf, now, st.interval_ms * NS_PER_MS);
}

void ctl_otlp_tick(uint64_t now_ns)
{
	if (!st.enabled) {
		ctl_otlp_logs_tick(now_ns);	/* warns once if stream-logs is on */
		return;
	}
	if (!st.met.inflight && now_ns >= st.met.next_ns)
		metrics_export(now_ns);
	ctl_otlp_logs_tick(now_ns);
}

static int env_fail(const char *var, const char *why)
{
	WG_LOG(ERR, MOD, "environment %s: %s", var, why);
	return -EINVAL;
}

static int check_protocol(const char *var)
{
	const char *v = getenv(var);

	if (v && *v && strcmp(v, "http/protobuf"))
		return env_fail(var, "wgate exports OTLP over HTTP with protobuf only:"
				     " use http/protobuf (or leave it unset)");
	return 0;
}

/* The resource: what wgate knows of itself, then OTEL_RESOURCE_ATTRIBUTES. */
static void resource_init(void)
{
	const char *gid = ctl_gateway_id();
	unsigned int n = 0;

	st.res_attrs[n++] = (struct otlp_attr){ "service.name", "wgate" };
	st.res_attrs[n++] = (struct otlp_attr){ "service.version", WGATE_VERSION };
	if (*gid)
		st.res_attrs[n++] = (struct otlp_attr){ "service.instance.id", gid };
	for (unsigned int i = 0; i < st.res_env.n; i++) {
		const char *k = st.res_env.key[i];

		/* What wgate knows of itself wins over the environment. */
		if (!strcmp(k, "service.name") || !strcmp(k, "service.version") ||
		    !strcmp(k, "service.instance.id")) {
			WG_LOG(WARN, MOD, "OTEL_RESOURCE_ATTRIBUTES: %s is set by wgate; ignored",
			       st.res_env.key[i]);
			continue;
		}
		st.res_attrs[n++] = (struct otlp_attr){ st.res_env.key[i], st.res_env.value[i] };
	}
	st.res = (struct otlp_resource){ st.res_attrs, n, "wgate", WGATE_VERSION };
}

static int headers_init(void)
{
	char why[200];
	int rc = otlp_headers_parse(getenv("OTEL_EXPORTER_OTLP_HEADERS"), &st.hdr_env, why,
				    sizeof(why));

	if (rc)
		return rc == -EINVAL ? env_fail("OTEL_EXPORTER_OTLP_HEADERS", why) : rc;
	/* headers[] stays NULL-terminated at every step, so ctl_otlp_free()
	 * can wipe what was built when a step fails. */
	st.headers[0] = strdup("Content-Type: application/x-protobuf");
	if (!st.headers[0])
		return -ENOMEM;
	for (unsigned int i = 0; i < st.hdr_env.n; i++)
		if (asprintf(&st.headers[i + 1], "%s: %s", st.hdr_env.key[i],
			     st.hdr_env.value[i]) < 0) {
			st.headers[i + 1] = NULL;
			return -ENOMEM;
		}
	return 0;
}

int ctl_otlp_configure(void)
{
	const char *mode = getenv("WGATE_METRICS");
	const char *base = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	const char *met_url = getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
	const char *tmo = getenv("OTEL_EXPORTER_OTLP_TIMEOUT");
	uint64_t timeout = DEFAULT_TIMEOUT_MS;
	char why[200];
	int rc;

	if (!mode || !*mode || !strcmp(mode, "none"))
		return 0;
	if (strcmp(mode, "otlp"))
		return env_fail("WGATE_METRICS", "expected otlp or none");
	if (check_protocol("OTEL_EXPORTER_OTLP_PROTOCOL") ||
	    check_protocol("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL") ||
	    check_protocol("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"))
		return -EINVAL;
	if (otlp_interval_parse(getenv("OTEL_METRIC_EXPORT_INTERVAL"), &st.interval_ms, why,
				sizeof(why)))
		return env_fail("OTEL_METRIC_EXPORT_INTERVAL", why);
	/* Same range and syntax as the interval: milliseconds. */
	if (tmo && *tmo && otlp_interval_parse(tmo, &timeout, why, sizeof(why)))
		return env_fail("OTEL_EXPORTER_OTLP_TIMEOUT", why);
	st.timeout_ms = (long)timeout;
	if (otlp_endpoint(base, met_url, "/v1/metrics", st.met.url, sizeof(st.met.url), why,
			  sizeof(why)))
		return env_fail(met_url && *met_url ? "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
						    : "OTEL_EXPORTER_OTLP_ENDPOINT", why);
	otlp_url_redact(st.met.url, st.met.url_shown, sizeof(st.met.url_shown));
	rc = otlp_kvlist_parse(getenv("OTEL_RESOURCE_ATTRIBUTES"), &st.res_env, why, sizeof(why));
	if (rc == -EINVAL)
		rc = env_fail("OTEL_RESOURCE_ATTRIBUTES", why);
	if (!rc)
		rc = headers_init();
	if (!rc)
		rc = ctl_otlp_logs_init(base, getenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"));
	if (rc) {
		ctl_otlp_free();
		return rc;
	}
	st.configured = true;
	return 0;
}

int ctl_otlp_init(void)
{
	if (!st.configured)
		return 0;
	resource_init();
	st.met.signal = "metrics";
	ctl_metrics_init();
	pb_init(&st.buf, MAX_BODY);
	st.start_unix_ns = ctl.started_unix * 1000000000ULL;
	st.met.next_ns = ctl_now_ns() + st.interval_ms * NS_PER_MS;
	st.enabled = true;
	WG_LOG(INFO, MOD, "exporting metrics every %" PRIu64 " ms to %s (%u header%s)",
	       st.interval_ms, st.met.url_shown, st.hdr_env.n, st.hdr_env.n == 1 ? "" : "s");
	return 0;
}

void ctl_otlp_free(void)
{
	ctl_otlp_logs_free();
	for (unsigned int i = 0; st.headers[i]; i++) {
		/* The values are secrets: wiped, not just freed. */
		explicit_bzero(st.headers[i], strlen(st.headers[i]));
		free(st.headers[i]);
		st.headers[i] = NULL;
	}
	for (unsigned int i = 0; i < st.hdr_env.n; i++)
		explicit_bzero(st.hdr_env.value[i], strlen(st.hdr_env.value[i]));
	otlp_kvlist_free(&st.hdr_env);
	otlp_kvlist_free(&st.res_env);
	pb_free(&st.buf);
	st.enabled = st.configured = false;
}

static void exp_dict(struct rte_tel_data *d, const char *pfx, const struct ctl_otlp_exp *e)
{
	char k[64];

#define U64(name, v) do { snprintf(k, sizeof(k), "%s_%s", pfx, name); \
			  rte_tel_data_add_dict_u64(d, k, v); } while (0)
	U64("attempts", e->attempts);
	U64("ok", e->ok);
	U64("failed", e->failed);
	U64("failures_in_a_row", e->failures);
	U64("last_success", e->last_ok_unix);
	U64("in_flight", e->inflight);
#undef U64
	snprintf(k, sizeof(k), "%s_last_error", pfx);
	rte_tel_data_add_dict_string(d, k, e->last_error[0] ? e->last_error : "-");
	snprintf(k, sizeof(k), "%s_url", pfx);
	rte_tel_data_add_dict_string(d, k, e->url_shown);
}

void ctl_otlp_status(struct rte_tel_data *d)
{
	if (!st.enabled)
		return;
	rte_tel_data_add_dict_u64(d, "otlp_exports", st.met.attempts);
	rte_tel_data_add_dict_u64(d, "otlp_export_failures", st.met.failed);
	rte_tel_data_add_dict_u64(d, "otlp_last_success", st.met.last_ok_unix);
}

/* /wgate/otlp: the exporter's counts (wgatectl raw /wgate/otlp). */
static int otlp_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t queued, exported, dropped;
	bool streaming;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl_lock);
	rte_tel_data_add_dict_int(d, "enabled", st.enabled ? 1 : 0);
	if (st.enabled) {
		rte_tel_data_add_dict_u64(d, "interval_ms", st.interval_ms);
		exp_dict(d, "metrics", &st.met);
		exp_dict(d, "logs", ctl_otlp_logs_exp());
		ctl_otlp_logs_stats(&queued, &exported, &dropped, &streaming);
		rte_tel_data_add_dict_int(d, "logs_streaming", streaming ? 1 : 0);
		rte_tel_data_add_dict_u64(d, "logs_queued", queued);
		rte_tel_data_add_dict_u64(d, "logs_exported", exported);
		rte_tel_data_add_dict_u64(d, "logs_dropped", dropped);
	}
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

int ctl_otlp_telemetry_init(void)
{
	return rte_telemetry_register_cmd("/wgate/otlp", otlp_cb,
					  "OTLP export: attempts, failures, last success, log streaming");
}
