#include "lib/otlp/encode.h"

/* Field numbers, from opentelemetry-proto (v1.x .proto files). Named
 * after the message they belong to so that a wrong one stands out. */
enum {
	/* collector/.../v1: Export{Metrics,Logs}ServiceRequest */
	REQ_RESOURCE_METRICS = 1, REQ_RESOURCE_LOGS = 1,
	/* ResourceMetrics / ResourceLogs */
	RM_RESOURCE = 1, RM_SCOPE_METRICS = 2,
	RL_RESOURCE = 1, RL_SCOPE_LOGS = 2,
	/* resource/v1 Resource */
	RES_ATTRIBUTES = 1,
	/* ScopeMetrics / ScopeLogs */
	SM_SCOPE = 1, SM_METRICS = 2,
	SL_SCOPE = 1, SL_LOG_RECORDS = 2,
	/* common/v1 InstrumentationScope, KeyValue, AnyValue */
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	KV_KEY = 1, KV_VALUE = 2,
	ANY_STRING = 1,
	/* metrics/v1 Metric */
	MET_NAME = 1, MET_DESCRIPTION = 2, MET_UNIT = 3, MET_GAUGE = 5, MET_SUM = 7,
	MET_HISTOGRAM = 9,
	/* Gauge, Sum, Histogram */
	GAUGE_POINTS = 1,
	SUM_POINTS = 1, SUM_TEMPORALITY = 2, SUM_MONOTONIC = 3,
	HIST_POINTS = 1, HIST_TEMPORALITY = 2,
	/* NumberDataPoint */
	NDP_START = 2, NDP_TIME = 3, NDP_AS_DOUBLE = 4, NDP_AS_INT = 6, NDP_ATTRIBUTES = 7,
	/* HistogramDataPoint */
	HDP_START = 2, HDP_TIME = 3, HDP_COUNT = 4, HDP_SUM = 5, HDP_BUCKETS = 6,
	HDP_BOUNDS = 7, HDP_ATTRIBUTES = 9,
	/* logs/v1 LogRecord */
	LR_TIME = 1, LR_SEVERITY_NUMBER = 2, LR_SEVERITY_TEXT = 3, LR_BODY = 5,
	LR_ATTRIBUTES = 6, LR_OBSERVED_TIME = 11,
};

#define AGGREGATION_TEMPORALITY_CUMULATIVE 2

static void any_string(struct pb_buf *b, unsigned int field, const char *s)
{
	size_t m = pb_begin(b, field);

	pb_string(b, ANY_STRING, s);
	pb_end(b, m);
}

static void attrs(struct pb_buf *b, unsigned int field, const struct otlp_attr *a,
		  unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		size_t m = pb_begin(b, field);

		pb_string(b, KV_KEY, a[i].key);
		any_string(b, KV_VALUE, a[i].value);
		pb_end(b, m);
	}
}

static void resource_and_scope_open(struct pb_buf *b, const struct otlp_resource *res,
				    unsigned int f_resource, unsigned int f_scope_x,
				    size_t *scope_x_mark)
{
	size_t m = pb_begin(b, f_resource), s;

	attrs(b, RES_ATTRIBUTES, res->attrs, res->n_attrs);
	pb_end(b, m);
	*scope_x_mark = pb_begin(b, f_scope_x);
	s = pb_begin(b, SM_SCOPE);	/* == SL_SCOPE */
	if (res->scope_name)
		pb_string(b, SCOPE_NAME, res->scope_name);
	if (res->scope_version)
		pb_string(b, SCOPE_VERSION, res->scope_version);
	pb_end(b, s);
}

static void number_point(struct pb_buf *b, unsigned int field, const struct otlp_point *p,
			 uint64_t start_ns, uint64_t now_ns, bool with_start)
{
	size_t m = pb_begin(b, field);

	attrs(b, NDP_ATTRIBUTES, p->attrs, p->n_attrs);
	if (with_start)
		pb_fixed64(b, NDP_START, start_ns);
	pb_fixed64(b, NDP_TIME, now_ns);
	if (p->is_double)
		pb_double(b, NDP_AS_DOUBLE, p->as_double);
	else
		pb_fixed64(b, NDP_AS_INT, (uint64_t)p->as_int);	/* sfixed64 */
	pb_end(b, m);
}

static void histogram_point(struct pb_buf *b, const struct otlp_metric *mt,
			    const struct otlp_point *p, uint64_t start_ns, uint64_t now_ns)
{
	size_t m = pb_begin(b, HIST_POINTS);

	attrs(b, HDP_ATTRIBUTES, p->attrs, p->n_attrs);
	pb_fixed64(b, HDP_START, start_ns);
	pb_fixed64(b, HDP_TIME, now_ns);
	pb_fixed64(b, HDP_COUNT, p->count);
	pb_double(b, HDP_SUM, p->sum);
	pb_packed_fixed64(b, HDP_BUCKETS, p->bucket_counts, mt->n_bounds + 1u);
	pb_packed_double(b, HDP_BOUNDS, mt->bounds, mt->n_bounds);
	pb_end(b, m);
}

static void metric(struct pb_buf *b, const struct otlp_metric *mt, uint64_t start_ns,
		   uint64_t now_ns)
{
	size_t m = pb_begin(b, SM_METRICS), d;

	pb_string(b, MET_NAME, mt->name);
	if (mt->description)
		pb_string(b, MET_DESCRIPTION, mt->description);
	if (mt->unit)
		pb_string(b, MET_UNIT, mt->unit);
	switch (mt->kind) {
	case OTLP_GAUGE:
		d = pb_begin(b, MET_GAUGE);
		for (unsigned int i = 0; i < mt->n_points; i++)
			number_point(b, GAUGE_POINTS, &mt->points[i], start_ns, now_ns, false);
		pb_end(b, d);
		break;
	case OTLP_SUM:
		d = pb_begin(b, MET_SUM);
		for (unsigned int i = 0; i < mt->n_points; i++)
			number_point(b, SUM_POINTS, &mt->points[i], start_ns, now_ns, true);
		pb_varint(b, SUM_TEMPORALITY, AGGREGATION_TEMPORALITY_CUMULATIVE);
		pb_varint(b, SUM_MONOTONIC, mt->monotonic ? 1 : 0);
		pb_end(b, d);
		break;
	case OTLP_HISTOGRAM:
		d = pb_begin(b, MET_HISTOGRAM);
		for (unsigned int i = 0; i < mt->n_points; i++)
			histogram_point(b, mt, &mt->points[i], start_ns, now_ns);
		pb_varint(b, HIST_TEMPORALITY, AGGREGATION_TEMPORALITY_CUMULATIVE);
		pb_end(b, d);
		break;
	}
	pb_end(b, m);
}

int otlp_encode_metrics(struct pb_buf *b, const struct otlp_resource *res,
			const struct otlp_metric *m, unsigned int n, uint64_t start_ns,
			uint64_t now_ns)
{
	size_t rm = pb_begin(b, REQ_RESOURCE_METRICS), sm;

	resource_and_scope_open(b, res, RM_RESOURCE, RM_SCOPE_METRICS, &sm);
	for (unsigned int i = 0; i < n; i++)
		metric(b, &m[i], start_ns, now_ns);
	pb_end(b, sm);
	pb_end(b, rm);
	return b->err;
}

int otlp_encode_logs(struct pb_buf *b, const struct otlp_resource *res,
		     const struct otlp_log *recs, unsigned int n, uint64_t observed_ns)
{
	size_t rl = pb_begin(b, REQ_RESOURCE_LOGS), sl;

	resource_and_scope_open(b, res, RL_RESOURCE, RL_SCOPE_LOGS, &sl);
	for (unsigned int i = 0; i < n; i++) {
		const struct otlp_log *r = &recs[i];
		size_t m = pb_begin(b, SL_LOG_RECORDS);

		pb_fixed64(b, LR_TIME, r->time_ns);
		pb_varint(b, LR_SEVERITY_NUMBER, (uint64_t)r->severity);
		if (r->severity_text)
			pb_string(b, LR_SEVERITY_TEXT, r->severity_text);
		any_string(b, LR_BODY, r->body);
		attrs(b, LR_ATTRIBUTES, r->attrs, r->n_attrs);
		pb_fixed64(b, LR_OBSERVED_TIME, observed_ns);
		pb_end(b, m);
	}
	pb_end(b, sl);
	pb_end(b, rl);
	return b->err;
}

unsigned int otlp_bucket(const double *bounds, unsigned int n_bounds, double v)
{
	unsigned int i = 0;

	while (i < n_bounds && v > bounds[i])
		i++;
	return i;
}
