/* What control/otlp.c (metrics) and control/otlp_logs.c (logs) share:
 * the checked configuration, and one "exporter" per signal that posts a
 * body, keeps at most one request in flight, backs off after failures,
 * counts, and logs failures rate-limited.
 * Writer: the control lcore. Reader: also the telemetry thread, under
 * ctl_lock. */
#ifndef WGATE_CONTROL_OTLP_EXP_H
#define WGATE_CONTROL_OTLP_EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/otlp/env.h"

struct pb_buf;
struct otlp_resource;

struct ctl_otlp_exp {
	const char *signal;		/* "metrics", "logs" */
	char url[OTLP_URL_MAX];
	char url_shown[OTLP_URL_MAX];	/* user:password@ redacted */
	/* Called from the HTTP callback with the outcome (after the counts
	 * and the schedule below are updated). */
	void (*done)(struct ctl_otlp_exp *e, bool ok, uint64_t now_ns);
	bool inflight;
	unsigned int failures;		/* in a row; 0 after a success */
	uint64_t next_ns;		/* no new export before (ctl_now_ns) */
	uint64_t attempts, ok, failed;
	uint64_t last_ok_unix;		/* 0 = never */
	char last_error[160];
	uint64_t last_report_ns;	/* last failure logged */
	uint64_t unreported;		/* failures since then, not logged */
	bool streak_reported;		/* a failure of this streak was logged */
};

/* Common configuration (otlp.c). */
bool ctl_otlp_enabled(void);
const struct otlp_resource *ctl_otlp_resource(void);
uint64_t ctl_otlp_interval_ms(void);
uint64_t ctl_otlp_start_unix_ns(void);
uint64_t ctl_otlp_unix_ns(void);

/* Posts b to e->url; on success and on failure the schedule moves:
 * e->next_ns = now + interval (success) or + backoff (failure). A request
 * that cannot even start counts as a failed attempt. */
void ctl_otlp_post(struct ctl_otlp_exp *e, const struct pb_buf *b, uint64_t now_ns,
		   uint64_t interval_ns);

/* otlp_logs.c */
int ctl_otlp_logs_init(const char *base, const char *specific);
void ctl_otlp_logs_tick(uint64_t now_ns);
void ctl_otlp_logs_free(void);
const struct ctl_otlp_exp *ctl_otlp_logs_exp(void);
void ctl_otlp_logs_stats(uint64_t *queued, uint64_t *exported, uint64_t *dropped,
			 bool *streaming);

#endif
