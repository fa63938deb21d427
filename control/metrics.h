/* What the OTLP export reports (README "Metrics (OTLP)"): the per-lcore
 * counters summed, gauges read from the data plane, each feature flag's
 * value, and the DNS lookup duration histogram, turned into one
 * ExportMetricsServiceRequest. Collecting is separate from exporting
 * (control/otlp.c) so the instrument table lives in one place.
 *
 * Writer and reader: the control lcore only (under ctl_lock, as the loop
 * runs). */
#ifndef WGATE_CONTROL_METRICS_H
#define WGATE_CONTROL_METRICS_H

#include <stdint.h>

struct pb_buf;
struct otlp_resource;

/* One DNS lookup took `seconds`: qtype is the question type (1 = A,
 * 28 = AAAA, ...), rcode the response code, or -1 when no response came
 * (timeout, network error). Control lcore only (the resolver runs there);
 * cheap: no allocation, no I/O. */
void ctl_metrics_dns_observe(int qtype, int rcode, double seconds);

/* Starts the busy-ratio clock (the data plane must be set up). */
void ctl_metrics_init(void);

/* Encodes every instrument, read now, into b (reset first). start_ns: the
 * gateway's start (unix ns); now_ns: this reading. 0 or -errno. */
int ctl_metrics_encode(struct pb_buf *b, const struct otlp_resource *res, uint64_t start_ns,
		       uint64_t now_ns);

#endif
