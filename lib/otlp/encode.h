/* OTLP/HTTP protobuf bodies: ExportMetricsServiceRequest and
 * ExportLogsServiceRequest (opentelemetry-proto v1: collector/metrics/v1,
 * collector/logs/v1, metrics/v1, logs/v1, common/v1, resource/v1), encoded
 * from plain structs the caller fills. One resource, one instrumentation
 * scope per request. Pure: no I/O, no clock (times come in). */
#ifndef WGATE_LIB_OTLP_ENCODE_H
#define WGATE_LIB_OTLP_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/otlp/pb.h"

/* A string attribute (KeyValue with AnyValue.string_value). */
struct otlp_attr {
	const char *key;
	const char *value;
};

struct otlp_resource {
	const struct otlp_attr *attrs;
	unsigned int n_attrs;
	const char *scope_name;		/* InstrumentationScope */
	const char *scope_version;
};

enum otlp_kind {
	OTLP_SUM,		/* cumulative; monotonic or not */
	OTLP_GAUGE,
	OTLP_HISTOGRAM,		/* cumulative, explicit bounds */
};

/* One data point. Sums and gauges: as_int, or as_double when is_double.
 * Histograms: count, sum and bucket_counts[n_bounds + 1]. */
struct otlp_point {
	const struct otlp_attr *attrs;
	unsigned int n_attrs;
	bool is_double;
	int64_t as_int;
	double as_double;
	uint64_t count;
	double sum;
	const uint64_t *bucket_counts;
};

struct otlp_metric {
	const char *name, *description, *unit;
	enum otlp_kind kind;
	bool monotonic;				/* sums only */
	const double *bounds;			/* histograms: explicit_bounds */
	unsigned int n_bounds;
	const struct otlp_point *points;
	unsigned int n_points;
};

/* Appends an ExportMetricsServiceRequest to b (reset it first). start_ns:
 * start of the cumulative period (gateway start); now_ns: the reading.
 * 0 or b->err. */
int otlp_encode_metrics(struct pb_buf *b, const struct otlp_resource *res,
			const struct otlp_metric *m, unsigned int n, uint64_t start_ns,
			uint64_t now_ns);

/* SeverityNumber values (logs/v1). */
enum otlp_severity {
	OTLP_SEV_DEBUG = 5,
	OTLP_SEV_INFO = 9,
	OTLP_SEV_WARN = 13,
	OTLP_SEV_ERROR = 17,
};

struct otlp_log {
	uint64_t time_ns;
	enum otlp_severity severity;
	const char *severity_text;	/* "INFO" ... */
	const char *body;		/* the message */
	const struct otlp_attr *attrs;	/* e.g. module */
	unsigned int n_attrs;
};

/* Appends an ExportLogsServiceRequest to b. observed_ns: when the records
 * were collected. 0 or b->err. */
int otlp_encode_logs(struct pb_buf *b, const struct otlp_resource *res,
		     const struct otlp_log *recs, unsigned int n, uint64_t observed_ns);

/* Histogram bucket for value v with explicit bounds (ascending): bucket i
 * holds (bounds[i-1], bounds[i]], the last one (bounds[n-1], +inf), as the
 * OTLP data model defines them. */
unsigned int otlp_bucket(const double *bounds, unsigned int n_bounds, double v);

#endif
