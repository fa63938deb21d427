/* Log streaming (otlp.h): while the stream-logs flag is on, records that
 * pass its payload's filter are copied by a log sink (lib/util/log.h) into
 * a ring and exported as OTLP logs, beside the local log.
 *
 * Which records: only those logged on the control lcore, the thread that
 * installs the sink (see wg_log_set_sink): workers never log per packet,
 * and the few lines other threads write (EAL, the telemetry thread) stay
 * local. So the ring has one writer and one reader, the same thread, and
 * needs no lock.
 *
 * Bounds: LOG_RING records at most; when it is full the oldest is dropped
 * and counted. A batch (up to LOG_BATCH records) goes out when LOG_BATCH
 * are queued or LOG_FLUSH_NS after the last one, one request at a time; a
 * failed batch stays queued and is tried again after the backoff.
 *
 * The payload: a filter in WGATE_LOG syntax, as a JSON string
 * ("debug,otlp=info") or an object {"filter": "..."}, the one that
 * control/flags.c also applies to the local log; none (or a bad one,
 * logged): the WGATE_LOG filter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/flags.h"
#include "control/otlp_exp.h"
#include "lib/flags/flags.h"
#include "lib/otlp/encode.h"
#include "lib/otlp/logring.h"
#include "lib/otlp/pb.h"
#include "lib/util/log.h"

#define MOD		"otlp"
#define FLAG		"stream-logs"
#define LOG_RING	512
#define LOG_BATCH	100
#define LOG_FLUSH_NS	(1000ULL * 1000 * 1000)
#define MAX_BODY	(2u << 20)

static struct {
	bool configured;		/* the exporter is set up (WGATE_METRICS=otlp) */
	bool streaming;			/* the sink is installed */
	bool warned_no_exporter;
	unsigned int flags_gen;
	bool flags_seen;
	struct otlp_logring ring;
	uint64_t last_flush_ns;
	struct ctl_otlp_exp exp;
	struct pb_buf buf;
	struct otlp_log batch[LOG_BATCH];
	struct otlp_attr attrs[LOG_BATCH];
} lg;

static void sink(void *arg, enum wg_log_level lvl, const char *module, uint64_t unix_ns,
		 const char *msg)
{
	(void)arg;
	otlp_logring_push(&lg.ring, unix_ns, (int)lvl, module, msg);
}

static void done(struct ctl_otlp_exp *e, bool ok, uint64_t now_ns)
{
	(void)e;
	(void)now_ns;
	otlp_logring_done(&lg.ring, ok);	/* a failed batch stays queued */
}

int ctl_otlp_logs_init(const char *base, const char *specific)
{
	char why[200];

	if (otlp_endpoint(base, specific, "/v1/logs", lg.exp.url, sizeof(lg.exp.url), why,
			  sizeof(why))) {
		WG_LOG(ERR, MOD, "environment %s: %s", specific && *specific
		       ? "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT", why);
		return -EINVAL;
	}
	if (otlp_logring_init(&lg.ring, LOG_RING))
		return -ENOMEM;
	otlp_url_redact(lg.exp.url, lg.exp.url_shown, sizeof(lg.exp.url_shown));
	lg.exp.signal = "logs";
	lg.exp.done = done;
	pb_init(&lg.buf, MAX_BODY);
	lg.configured = true;
	return 0;
}

/* The filter from the flag's payload (JSON text, or NULL): as the local
 * log reads it (control/flags.c), so both agree; none or a bad one: the
 * WGATE_LOG filter. */
static void payload_filter(const char *payload, struct wg_log_filter *f)
{
	char text[256];

	if (payload && (wg_flag_log_filter(payload, text, sizeof(text)) ||
			wg_log_filter_parse(f, text))) {
		WG_LOG(WARN, MOD, FLAG " payload is not a log filter (a JSON string such as"
		       " \"warn,otlp=debug\" or {\"filter\": ...}); streaming as WGATE_LOG says");
		payload = NULL;
	}
	if (!payload && wg_log_filter_parse(f, getenv("WGATE_LOG")))
		wg_log_filter_parse(f, "info");
}

/* Follows the flag: installs, re-filters or removes the sink. */
static void follow_flag(void)
{
	struct wg_log_filter f;
	bool on = false;

	if (lg.flags_seen && ctl_flags_generation() == lg.flags_gen)
		return;
	lg.flags_seen = true;
	lg.flags_gen = ctl_flags_generation();
	for (unsigned int i = 0; i < ctl_flags_count(); i++)
		if (!strcmp(ctl_flag_name(i), FLAG))
			on = ctl_flag_value(i);
	if (on && !lg.configured) {
		if (!lg.warned_no_exporter)
			WG_LOG(WARN, MOD, FLAG " is on but WGATE_METRICS is not otlp: no OTLP"
			       " endpoint to stream logs to");
		lg.warned_no_exporter = true;
		return;
	}
	if (on) {
		payload_filter(ctl_flags_payload(FLAG), &f);
		wg_log_set_sink(sink, NULL, &f);
		if (!lg.streaming)
			WG_LOG(INFO, MOD, "streaming logs to %s", lg.exp.url_shown);
		lg.streaming = true;
	} else if (lg.streaming) {
		wg_log_set_sink(NULL, NULL, NULL);
		lg.streaming = false;
		WG_LOG(INFO, MOD, "log streaming stopped (" FLAG " is off)");
	}
}

static const char *severity_text(enum wg_log_level l, enum otlp_severity *n)
{
	static const struct { enum otlp_severity n; const char *s; } map[] = {
		[WG_LOG_ERR] = { OTLP_SEV_ERROR, "ERROR" }, [WG_LOG_WARN] = { OTLP_SEV_WARN, "WARN" },
		[WG_LOG_INFO] = { OTLP_SEV_INFO, "INFO" }, [WG_LOG_DEBUG] = { OTLP_SEV_DEBUG, "DEBUG" },
	};

	*n = map[l].n;
	return map[l].s;
}

static void flush(uint64_t now_ns)
{
	unsigned int k = otlp_logring_take(&lg.ring, LOG_BATCH);

	for (unsigned int i = 0; i < k; i++) {
		const struct otlp_log_rec *r = otlp_logring_peek(&lg.ring, i);
		struct otlp_log *o = &lg.batch[i];

		lg.attrs[i] = (struct otlp_attr){ "module", r->module };
		*o = (struct otlp_log){ .time_ns = r->unix_ns, .body = r->msg,
					.attrs = &lg.attrs[i], .n_attrs = 1 };
		o->severity_text = severity_text((enum wg_log_level)r->level, &o->severity);
	}
	pb_reset(&lg.buf);
	if (otlp_encode_logs(&lg.buf, ctl_otlp_resource(), lg.batch, k, ctl_otlp_unix_ns())) {
		/* Cannot happen below MAX_BODY (100 records of 1 KiB); the
		 * batch stays queued and is tried again. */
		otlp_logring_done(&lg.ring, false);
		return;
	}
	lg.last_flush_ns = now_ns;
	ctl_otlp_post(&lg.exp, &lg.buf, now_ns, 0);
}

void ctl_otlp_logs_tick(uint64_t now_ns)
{
	uint64_t queued;

	follow_flag();
	queued = otlp_logring_queued(&lg.ring);
	if (!lg.configured || !queued || lg.exp.inflight || now_ns < lg.exp.next_ns)
		return;
	if (queued >= LOG_BATCH || now_ns - lg.last_flush_ns >= LOG_FLUSH_NS || !lg.streaming)
		flush(now_ns);
}

void ctl_otlp_logs_free(void)
{
	if (lg.streaming)
		wg_log_set_sink(NULL, NULL, NULL);
	lg.streaming = false;
	lg.configured = false;
	pb_free(&lg.buf);
	otlp_logring_free(&lg.ring);
}

const struct ctl_otlp_exp *ctl_otlp_logs_exp(void)
{
	return &lg.exp;
}

void ctl_otlp_logs_stats(uint64_t *queued, uint64_t *exported, uint64_t *dropped,
			 bool *streaming)
{
	*queued = otlp_logring_queued(&lg.ring);
	*exported = lg.ring.exported;
	*dropped = lg.ring.dropped;
	*streaming = lg.streaming;
}
