/* lib/otlp: the protobuf writer and the OTLP bodies, read back by a tiny
 * independent protobuf reader (field numbers written out here from the
 * opentelemetry-proto .proto files, not taken from the encoder); the
 * OTEL_* environment parsers; the export backoff schedule. The e2e test
 * decodes the same bodies with OpenTelemetry's own generated code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/otlp/encode.h"
#include "lib/otlp/env.h"
#include "lib/otlp/hist.h"
#include "lib/otlp/logring.h"
#include "lib/otlp/pb.h"

/* ---- a minimal protobuf reader ---- */

struct span {
	const uint8_t *p;
	size_t n;
};

static int rd_varint(struct span *s, uint64_t *v)
{
	*v = 0;
	for (unsigned int shift = 0; shift < 64; shift += 7) {
		if (!s->n)
			return -1;
		uint8_t c = *s->p++;
		s->n--;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* A little-endian fixed32/fixed64. */
static int rd_fixed(struct span *s, size_t n, uint64_t *v)
{
	if (s->n < n)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v |= (uint64_t)s->p[i] << (8 * i);
	s->p += n;
	s->n -= n;
	return 0;
}

/* The k-th (0-based) occurrence of field f in msg. Returns 0 and the value
 * (varint / fixed in *v, LEN in *sub); -1 if absent or malformed. */
static int field(struct span msg, unsigned int f, unsigned int k, uint64_t *v, struct span *sub)
{
	while (msg.n) {
		uint64_t key, val = 0;
		struct span body = { NULL, 0 };

		if (rd_varint(&msg, &key))
			return -1;
		switch (key & 7) {
		case 0:
			if (rd_varint(&msg, &val))
				return -1;
			break;
		case 1:
			if (rd_fixed(&msg, 8, &val))
				return -1;
			break;
		case 2:
			if (rd_varint(&msg, &val) || val > msg.n)
				return -1;
			body.p = msg.p;
			body.n = (size_t)val;
			msg.p += val;
			msg.n -= (size_t)val;
			break;
		case 5:
			if (rd_fixed(&msg, 4, &val))
				return -1;
			break;
		default:
			return -1;
		}
		if ((key >> 3) == f && k-- == 0) {
			if (v)
				*v = val;
			if (sub)
				*sub = body;
			return 0;
		}
	}
	return -1;
}

static struct span sub(struct span msg, unsigned int f, unsigned int k)
{
	struct span s = { NULL, 0 };

	assert_int_equal(field(msg, f, k, NULL, &s), 0);
	return s;
}

static uint64_t num(struct span msg, unsigned int f)
{
	uint64_t v = 0;

	assert_int_equal(field(msg, f, 0, &v, NULL), 0);
	return v;
}

static bool str_is(struct span s, const char *want)
{
	return s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

static int count(struct span msg, unsigned int f)
{
	int n = 0;

	while (field(msg, f, (unsigned int)n, NULL, NULL) == 0)
		n++;
	return n;
}

static double as_double(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* KeyValue{1: key, 2: AnyValue{1: string_value}} */
static void assert_kv(struct span kv, const char *key, const char *value)
{
	assert_true(str_is(sub(kv, 1, 0), key));
	assert_true(str_is(sub(sub(kv, 2, 0), 1, 0), value));
}

/* ---- the writer ---- */

static void test_pb_basics(void **state)
{
	struct pb_buf b;
	size_t m;

	(void)state;
	pb_init(&b, 0);
	pb_varint(&b, 1, 150);	/* the protobuf docs' example: 08 96 01 */
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, "\x08\x96\x01", 3);
	pb_reset(&b);
	pb_string(&b, 2, "testing");	/* 12 07 74 65 73 74 69 6e 67 */
	assert_memory_equal(b.p, "\x12\x07testing", 9);
	pb_reset(&b);
	m = pb_begin(&b, 3);	/* 1a 03 08 96 01: nested, shortest length */
	pb_varint(&b, 1, 150);
	pb_end(&b, m);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.p, "\x1a\x03\x08\x96\x01", 5);
	pb_reset(&b);
	pb_double(&b, 4, 1.5);	/* 21 + little-endian binary64 */
	assert_int_equal(b.len, 9);
	assert_int_equal(b.p[0], 0x21);
	assert_memory_equal(b.p + 1, "\x00\x00\x00\x00\x00\x00\xf8\x3f", 8);
	pb_free(&b);
}

static void test_pb_long_nested(void **state)
{
	/* A nested body of 300 bytes needs a 2-byte length: the content moves. */
	struct pb_buf b;
	char big[301];
	struct span top, s;
	size_t m;

	(void)state;
	memset(big, 'x', 300);
	big[300] = '\0';
	pb_init(&b, 0);
	m = pb_begin(&b, 1);
	pb_string(&b, 2, big);
	pb_end(&b, m);
	top = (struct span){ b.p, b.len };
	s = sub(top, 1, 0);
	assert_int_equal(s.n, 303);	/* tag + 2-byte length + 300 */
	assert_true(str_is(sub(s, 2, 0), big));
	assert_int_equal(b.len, 1 + 2 + 303);
	pb_free(&b);
}

static void test_pb_limit(void **state)
{
	struct pb_buf b;

	(void)state;
	pb_init(&b, 16);
	pb_string(&b, 1, "0123456789abcdefghij");
	assert_int_equal(b.err, -EMSGSIZE);
	pb_varint(&b, 1, 1);	/* sticky: nothing more is written */
	assert_int_equal(b.err, -EMSGSIZE);
	pb_free(&b);
}

/* ---- metrics ---- */

static const struct otlp_attr res_attrs[] = {
	{ "service.name", "wgate" }, { "service.version", "0.1.0" },
	{ "service.instance.id", "ab" }, { "deployment.environment", "test" },
};
static const struct otlp_resource res = { res_attrs, 4, "wgate", "0.1.0" };

static void test_metrics(void **state)
{
	static const struct otlp_attr rx[] = { { "direction", "rx" } };
	static const struct otlp_attr tx[] = { { "direction", "tx" } };
	static const struct otlp_attr dns[] = { { "dns.question.type", "A" },
						{ "dns.response.code", "NOERROR" } };
	static const double bounds[] = { 0.01, 0.1, 1 };
	static const uint64_t buckets[] = { 1, 2, 0, 1 };
	const struct otlp_point pk[] = { { .attrs = rx, .n_attrs = 1, .as_int = 7 },
					 { .attrs = tx, .n_attrs = 1, .as_int = 5 } };
	const struct otlp_point g[] = { { .as_int = 3 } };
	const struct otlp_point h[] = { { .attrs = dns, .n_attrs = 2, .count = 4, .sum = 2.5,
					  .bucket_counts = buckets } };
	const struct otlp_point r[] = { { .is_double = true, .as_double = 0.25 } };
	const struct otlp_metric m[] = {
		{ "wgate.packets", "Packets", "{packet}", OTLP_SUM, true, NULL, 0, pk, 2 },
		{ "wgate.sessions.active", NULL, "{session}", OTLP_GAUGE, false, NULL, 0, g, 1 },
		{ "dns.lookup.duration", NULL, "s", OTLP_HISTOGRAM, false, bounds, 3, h, 1 },
		{ "wgate.ratio", NULL, "1", OTLP_GAUGE, false, NULL, 0, r, 1 },
	};
	struct pb_buf b;
	struct span req, rm, resource, sm, scope, met, sum, dp, gauge, hist, hdp, packed;

	(void)state;
	pb_init(&b, 0);
	assert_int_equal(otlp_encode_metrics(&b, &res, m, 4, 1000, 2000), 0);
	req = (struct span){ b.p, b.len };
	/* ExportMetricsServiceRequest{1: ResourceMetrics} */
	assert_int_equal(count(req, 1), 1);
	rm = sub(req, 1, 0);
	/* ResourceMetrics{1: Resource{1: KeyValue...}, 2: ScopeMetrics} */
	resource = sub(rm, 1, 0);
	assert_int_equal(count(resource, 1), 4);
	assert_kv(sub(resource, 1, 0), "service.name", "wgate");
	assert_kv(sub(resource, 1, 3), "deployment.environment", "test");
	sm = sub(rm, 2, 0);
	/* ScopeMetrics{1: InstrumentationScope{1: name, 2: version}, 2: Metric...} */
	scope = sub(sm, 1, 0);
	assert_true(str_is(sub(scope, 1, 0), "wgate"));
	assert_true(str_is(sub(scope, 2, 0), "0.1.0"));
	assert_int_equal(count(sm, 2), 4);
	/* Metric{1: name, 2: description, 3: unit, 7: Sum} */
	met = sub(sm, 2, 0);
	assert_true(str_is(sub(met, 1, 0), "wgate.packets"));
	assert_true(str_is(sub(met, 2, 0), "Packets"));
	assert_true(str_is(sub(met, 3, 0), "{packet}"));
	/* Sum{1: NumberDataPoint..., 2: temporality CUMULATIVE=2, 3: monotonic} */
	sum = sub(met, 7, 0);
	assert_int_equal(num(sum, 2), 2);
	assert_int_equal(num(sum, 3), 1);
	assert_int_equal(count(sum, 1), 2);
	/* NumberDataPoint{7: attributes, 2: start, 3: time, 6: as_int} */
	dp = sub(sum, 1, 1);
	assert_kv(sub(dp, 7, 0), "direction", "tx");
	assert_int_equal(num(dp, 2), 1000);
	assert_int_equal(num(dp, 3), 2000);
	assert_int_equal(num(dp, 6), 5);
	/* Gauge (field 5): no start time, no description */
	met = sub(sm, 2, 1);
	assert_int_equal(count(met, 2), 0);
	gauge = sub(met, 5, 0);
	dp = sub(gauge, 1, 0);
	assert_int_equal(count(dp, 2), 0);
	assert_int_equal(num(dp, 6), 3);
	/* Histogram (9){1: HistogramDataPoint, 2: temporality} */
	met = sub(sm, 2, 2);
	assert_true(str_is(sub(met, 3, 0), "s"));
	hist = sub(met, 9, 0);
	assert_int_equal(num(hist, 2), 2);
	/* HistogramDataPoint{9: attrs, 4: count, 5: sum, 6: buckets, 7: bounds} */
	hdp = sub(hist, 1, 0);
	assert_kv(sub(hdp, 9, 1), "dns.response.code", "NOERROR");
	assert_int_equal(num(hdp, 4), 4);
	assert_true(as_double(num(hdp, 5)) == 2.5);
	packed = sub(hdp, 6, 0);
	assert_int_equal(packed.n, 4 * 8);
	assert_int_equal(packed.p[8], 2);	/* second bucket, little endian */
	packed = sub(hdp, 7, 0);
	assert_int_equal(packed.n, 3 * 8);
	{
		struct span third = { packed.p + 16, 8 };
		uint64_t u;
		assert_int_equal(rd_fixed(&third, 8, &u), 0);
		assert_true(as_double(u) == 1.0);
	}
	/* as_double (4) */
	dp = sub(sub(sub(sm, 2, 3), 5, 0), 1, 0);
	assert_true(as_double(num(dp, 4)) == 0.25);
	assert_int_equal(count(dp, 6), 0);
	pb_free(&b);
}

static void test_logs(void **state)
{
	static const struct otlp_attr a[] = { { "module", "otlp" } };
	const struct otlp_log recs[] = {
		{ 111, OTLP_SEV_WARN, "WARN", "first", a, 1 },
		{ 222, OTLP_SEV_DEBUG, "DEBUG", "second \"quoted\"", NULL, 0 },
	};
	struct pb_buf b;
	struct span req, rl, sl, lr;

	(void)state;
	pb_init(&b, 0);
	assert_int_equal(otlp_encode_logs(&b, &res, recs, 2, 333), 0);
	req = (struct span){ b.p, b.len };
	/* ExportLogsServiceRequest{1: ResourceLogs{1: Resource, 2: ScopeLogs}} */
	rl = sub(req, 1, 0);
	assert_kv(sub(sub(rl, 1, 0), 1, 2), "service.instance.id", "ab");
	sl = sub(rl, 2, 0);
	assert_true(str_is(sub(sub(sl, 1, 0), 1, 0), "wgate"));
	/* ScopeLogs{2: LogRecord...} */
	assert_int_equal(count(sl, 2), 2);
	/* LogRecord{1: time, 2: severity_number, 3: severity_text, 5: body,
	 * 6: attributes, 11: observed_time} */
	lr = sub(sl, 2, 0);
	assert_int_equal(num(lr, 1), 111);
	assert_int_equal(num(lr, 2), 13);
	assert_true(str_is(sub(lr, 3, 0), "WARN"));
	assert_true(str_is(sub(sub(lr, 5, 0), 1, 0), "first"));
	assert_kv(sub(lr, 6, 0), "module", "otlp");
	assert_int_equal(num(lr, 11), 333);
	lr = sub(sl, 2, 1);
	assert_int_equal(num(lr, 2), 5);
	assert_true(str_is(sub(sub(lr, 5, 0), 1, 0), "second \"quoted\""));
	assert_int_equal(count(lr, 6), 0);
	pb_free(&b);
}

static void test_bucket(void **state)
{
	static const double bounds[] = { 0.001, 0.01, 0.1 };

	(void)state;
	/* (-inf, b0], (b0, b1], (b1, b2], (b2, +inf) */
	assert_int_equal(otlp_bucket(bounds, 3, 0), 0);
	assert_int_equal(otlp_bucket(bounds, 3, 0.001), 0);
	assert_int_equal(otlp_bucket(bounds, 3, 0.0011), 1);
	assert_int_equal(otlp_bucket(bounds, 3, 0.1), 2);
	assert_int_equal(otlp_bucket(bounds, 3, 7), 3);
}

static void test_hist(void **state)
{
	static const double bounds[] = { 0.01, 0.1 };
	struct otlp_hist h;
	char b1[16], b2[16];

	(void)state;
	otlp_hist_init(&h, bounds, 2);
	otlp_hist_observe(&h, 1, 0, 0.005);
	otlp_hist_observe(&h, 1, 0, 0.05);
	otlp_hist_observe(&h, 28, 3, 2.0);
	otlp_hist_observe(&h, 1, 0, -1);	/* clamped to 0 */
	assert_int_equal(h.n_series, 2);
	assert_int_equal(h.series[0].count, 3);
	assert_true(h.series[0].sum == 0.055);
	assert_int_equal(h.series[0].buckets[0], 2);
	assert_int_equal(h.series[0].buckets[1], 1);
	assert_int_equal(h.series[1].buckets[2], 1);
	/* Beyond OTLP_HIST_SERIES pairs: one overflow series, nothing lost. */
	for (int t = 100; t < 100 + OTLP_HIST_SERIES + 5; t++)
		otlp_hist_observe(&h, t, 0, 0.001);
	assert_int_equal(h.n_series, OTLP_HIST_SERIES + 1);
	assert_int_equal(h.series[OTLP_HIST_SERIES].a, OTLP_HIST_OTHER);
	assert_int_equal(h.series[OTLP_HIST_SERIES].count, 7);	/* 2 + 37 - 32 */
	uint64_t total = 0;
	for (unsigned int i = 0; i < h.n_series; i++)
		total += h.series[i].count;
	assert_int_equal(total, 4 + OTLP_HIST_SERIES + 5);

	assert_string_equal(otlp_dns_qtype_str(28, b1, sizeof(b1)), "AAAA");
	assert_string_equal(otlp_dns_qtype_str(99, b1, sizeof(b1)), "TYPE99");
	assert_string_equal(otlp_dns_qtype_str(OTLP_HIST_OTHER, b1, sizeof(b1)), "other");
	assert_string_equal(otlp_dns_rcode_str(3, b2, sizeof(b2)), "NXDOMAIN");
	assert_string_equal(otlp_dns_rcode_str(9, b2, sizeof(b2)), "RCODE9");
	assert_string_equal(otlp_dns_rcode_str(-1, b2, sizeof(b2)), "TIMEOUT");
}

/* ---- the log streaming queue ---- */

static void push_n(struct otlp_logring *r, int from, int n)
{
	char msg[32];

	for (int i = from; i < from + n; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		otlp_logring_push(r, (uint64_t)i, 2, "mod", msg);
	}
}

static void test_logring(void **state)
{
	struct otlp_logring r;
	char long_msg[2000];

	(void)state;
	assert_int_equal(otlp_logring_init(&r, 4), 0);
	push_n(&r, 0, 3);
	assert_int_equal(otlp_logring_queued(&r), 3);
	/* a batch that fails stays queued and is taken again */
	assert_int_equal(otlp_logring_take(&r, 2), 2);
	assert_string_equal(otlp_logring_peek(&r, 0)->msg, "m0");
	otlp_logring_done(&r, false);
	assert_int_equal(otlp_logring_queued(&r), 3);
	assert_int_equal(otlp_logring_take(&r, 2), 2);
	otlp_logring_done(&r, true);
	assert_int_equal(otlp_logring_queued(&r), 1);
	assert_int_equal(r.exported, 2);
	assert_string_equal(otlp_logring_peek(&r, 0)->msg, "m2");
	/* full: the oldest goes, counted */
	push_n(&r, 3, 5);	/* m2..m7 offered to 4 slots: m2, m3 dropped */
	assert_int_equal(otlp_logring_queued(&r), 4);
	assert_int_equal(r.dropped, 2);
	assert_string_equal(otlp_logring_peek(&r, 0)->msg, "m4");
	assert_string_equal(otlp_logring_peek(&r, 3)->msg, "m7");
	/* records of a batch in flight pushed out meanwhile: dropped, not
	 * exported twice */
	assert_int_equal(otlp_logring_take(&r, 3), 3);	/* m4 m5 m6 */
	push_n(&r, 8, 2);				/* m4, m5 dropped */
	assert_int_equal(r.dropped, 4);
	otlp_logring_done(&r, true);			/* m6 confirmed */
	assert_int_equal(r.exported, 3);
	assert_int_equal(otlp_logring_queued(&r), 3);
	assert_string_equal(otlp_logring_peek(&r, 0)->msg, "m7");
	/* a batch wholly pushed out: nothing exported, nothing lost track of */
	assert_int_equal(otlp_logring_take(&r, 1), 1);	/* m7 */
	push_n(&r, 10, 2);				/* m7 dropped */
	otlp_logring_done(&r, true);
	assert_int_equal(r.exported, 3);
	assert_int_equal(r.dropped, 5);
	assert_int_equal(otlp_logring_queued(&r), 4);
	assert_string_equal(otlp_logring_peek(&r, 0)->msg, "m8");
	/* m0..m11: each exported, dropped or queued, exactly once */
	assert_int_equal(r.dropped + r.exported + otlp_logring_queued(&r), 12);
	/* long fields are cut to fit */
	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	otlp_logring_push(&r, 99, 0, "a_module_name_longer_than_24", long_msg);
	assert_int_equal(strlen(otlp_logring_peek(&r, 3)->msg), OTLP_LOG_MSG_MAX - 1);
	assert_int_equal(strlen(otlp_logring_peek(&r, 3)->module), OTLP_LOG_MODULE_MAX - 1);
	otlp_logring_free(&r);
}

/* ---- the environment ---- */

static void test_kvlist(void **state)
{
	struct otlp_kvlist l;
	char why[200];

	(void)state;
	assert_int_equal(otlp_kvlist_parse(NULL, &l, why, sizeof(why)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(otlp_kvlist_parse(" deployment.environment = prod , ,"
					   "host.name=gw%201,note=a%2Cb%3Dc", &l, why,
					   sizeof(why)), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.key[0], "deployment.environment");
	assert_string_equal(l.value[0], "prod");
	assert_string_equal(l.value[1], "gw 1");
	assert_string_equal(l.value[2], "a,b=c");
	otlp_kvlist_free(&l);
	/* a value may hold '=' */
	assert_int_equal(otlp_kvlist_parse("k=a=b", &l, why, sizeof(why)), 0);
	assert_string_equal(l.value[0], "a=b");
	otlp_kvlist_free(&l);

	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "a=1,novalue", "member 2: expected key=value" },
		{ "=x", "member 1: empty key" },
		{ "a=%4", "member 1: '%' must be followed by two hex digits" },
		{ "a=%zz", "member 1: '%' must be followed by two hex digits" },
		{ "a=1,b=%", "member 2: '%' must be followed by two hex digits" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(otlp_kvlist_parse(bad[i].in, &l, why, sizeof(why)), -EINVAL);
		assert_string_equal(why, bad[i].why);
		assert_int_equal(l.n, 0);
	}
}

static void test_headers(void **state)
{
	struct otlp_kvlist l;
	char why[200];

	(void)state;
	assert_int_equal(otlp_headers_parse("api-key=s3cr%3Dt,X-Scope-OrgID=tenant 1", &l, why,
					    sizeof(why)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.key[0], "api-key");
	assert_string_equal(l.value[0], "s3cr=t");
	assert_string_equal(l.value[1], "tenant 1");
	otlp_kvlist_free(&l);
	/* a name with a blank or ':' is no header name */
	assert_int_equal(otlp_headers_parse("bad name=x", &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "header 1: the name is not an HTTP token");
	assert_int_equal(otlp_headers_parse("a=1,x:y=2", &l, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "header 2: the name is not an HTTP token");
	/* a CR/LF smuggled in through percent-encoding; the secret is not quoted */
	assert_int_equal(otlp_headers_parse("auth=SECRET%0d%0aEvil: 1", &l, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "header auth: the value holds a control character");
	assert_null(strstr(why, "SECRET"));
	assert_int_equal(otlp_headers_parse("auth=%", &l, why, sizeof(why)), -EINVAL);
	assert_null(strstr(why, "auth=%"));
}

static void test_interval(void **state)
{
	uint64_t ms = 0;
	char why[200];

	(void)state;
	assert_int_equal(otlp_interval_parse(NULL, &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(otlp_interval_parse("", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(otlp_interval_parse("1500", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(otlp_interval_parse("86400000", &ms, why, sizeof(why)), 0);
	static const char *const bad[] = { "0", "-5", "1.5", "10s", "86400001",
					   "99999999999999999999999", " 5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(otlp_interval_parse(bad[i], &ms, why, sizeof(why)), -EINVAL);
		assert_string_equal(why, "expected milliseconds (1 to 86400000)");
	}
}

static void test_endpoint(void **state)
{
	char url[OTLP_URL_MAX], why[200];

	(void)state;
	assert_int_equal(otlp_endpoint(NULL, NULL, "/v1/metrics", url, sizeof(url), why,
				       sizeof(why)), 0);
	assert_string_equal(url, "http://localhost:4318/v1/metrics");
	assert_int_equal(otlp_endpoint("https://otel.example:4318/", NULL, "/v1/logs", url,
				       sizeof(url), why, sizeof(why)), 0);
	assert_string_equal(url, "https://otel.example:4318/v1/logs");
	assert_int_equal(otlp_endpoint("http://c:4318/prefix", NULL, "/v1/metrics", url,
				       sizeof(url), why, sizeof(why)), 0);
	assert_string_equal(url, "http://c:4318/prefix/v1/metrics");
	/* the signal's own variable is used as is */
	assert_int_equal(otlp_endpoint("http://ignored:1", "http://m:9/custom", "/v1/metrics",
				       url, sizeof(url), why, sizeof(why)), 0);
	assert_string_equal(url, "http://m:9/custom");
	assert_int_equal(otlp_endpoint("grpc://x:4317", NULL, "/v1/metrics", url, sizeof(url),
				       why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "not an http:// or https:// URL");
	assert_int_equal(otlp_endpoint(NULL, "http:///v1/metrics", "/v1/metrics", url,
				       sizeof(url), why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the URL has no host");
	assert_int_equal(otlp_endpoint("http://a b", NULL, "/v1/metrics", url, sizeof(url),
				       why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the URL holds a blank or control character");
	assert_int_equal(otlp_endpoint("http://abcdefghij", NULL, "/v1/metrics", url, 20, why,
				       sizeof(why)), -EINVAL);
	assert_string_equal(why, "the URL is longer than 19 characters");
}

static void test_redact(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://user:pw@otel.example:4318/v1/metrics", "https://****@otel.example:4318/v1/metrics" },
		{ "https://tok3n@otel.example/v1/logs", "https://****@otel.example/v1/logs" },
		{ "http://a:b@c@host/x", "http://****@host/x" },
		{ "http://127.0.0.1:4318/v1/metrics?u=a@b", "http://127.0.0.1:4318/v1/metrics?u=a@b" },
		{ "http://host/path@x", "http://host/path@x" },
	};
	char out[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		otlp_url_redact(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

static void test_backoff(void **state)
{
	(void)state;
	/* 1, 2, 4 ... s, capped at the interval */
	static const uint64_t want60[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(otlp_backoff_ms(i + 1, 60000), want60[i]);
	assert_int_equal(otlp_backoff_ms(1000, 60000), 60000);	/* no overflow */
	assert_int_equal(otlp_backoff_ms(1, 5000), 1000);
	assert_int_equal(otlp_backoff_ms(3, 5000), 4000);
	assert_int_equal(otlp_backoff_ms(4, 5000), 5000);
	/* a sub-second interval still waits a second after a failure */
	assert_int_equal(otlp_backoff_ms(1, 200), 1000);
	assert_int_equal(otlp_backoff_ms(9, 200), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pb_basics),
		cmocka_unit_test(test_pb_long_nested),
		cmocka_unit_test(test_pb_limit),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_logring),
		cmocka_unit_test(test_kvlist),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
