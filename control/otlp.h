/* OTLP/HTTP export (README "Metrics (OTLP)"), on the control core.
 *
 * With WGATE_METRICS=otlp, every OTEL_METRIC_EXPORT_INTERVAL ms the
 * instruments of control/metrics.c are read and POSTed as one protobuf
 * ExportMetricsServiceRequest to {OTEL_EXPORTER_OTLP_ENDPOINT}/v1/metrics
 * (or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is) through the shared HTTP
 * client (control/http.h). At most one export is in flight; a failed one
 * is not queued or resent: the sums are cumulative, so the next export
 * supersedes it. It comes sooner, after an exponential backoff (1 s, 2 s,
 * ... up to the interval). Failures are logged at most once a minute.
 * While the stream-logs flag is on, log records passing its payload's
 * filter are exported beside the local log (control/otlp_logs.c).
 *
 * Writer and reader: the control lcore (under ctl_lock as the loop runs);
 * the telemetry thread reads the statistics under ctl_lock. */
#ifndef WGATE_CONTROL_OTLP_H
#define WGATE_CONTROL_OTLP_H

#include <stdbool.h>
#include <stdint.h>

/* Reads and checks WGATE_METRICS and the OTEL_* variables (also for
 * wgate --check; before EAL). 0 (also when WGATE_METRICS is unset: nothing
 * is exported) or -EINVAL after logging which variable is wrong and why
 * (never a header's value). */
int ctl_otlp_configure(void);
/* Starts the export configured above, once the gateway id is known
 * (control/identity.h) and ctl.started_unix set. 0. */
int ctl_otlp_init(void);
/* From the loop's tick: starts what is due (metrics, a log batch). */
void ctl_otlp_tick(uint64_t now_ns);
/* Stops streaming logs and frees everything; pending requests must have
 * been cancelled (ctl_http_free) first. */
void ctl_otlp_free(void);
/* Registers /wgate/otlp on the telemetry socket. */
int ctl_otlp_telemetry_init(void);
/* Adds otlp_exports, otlp_export_failures and otlp_last_success (unix s,
 * 0 = never) to /wgate/status when exporting; caller holds ctl_lock. */
struct rte_tel_data;
void ctl_otlp_status(struct rte_tel_data *d);

#endif
