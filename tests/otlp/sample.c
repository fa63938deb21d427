/* Writes an ExportMetricsServiceRequest (every kind of point wgate sends,
 * with a histogram holding data) and an ExportLogsServiceRequest to
 * DIR/metrics.bin and DIR/logs.bin, for decode_check.js to decode with
 * OpenTelemetry's own generated code (meson test otlp_decode). */
#include <stdio.h>

#include "lib/otlp/encode.h"

static int dump(const char *dir, const char *name, const struct pb_buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct otlp_attr res_attrs[] = {
		{ "service.name", "wgate" }, { "service.instance.id", "0123abcd" },
		{ "host.role", "gw,test \"quoted\"" },
	};
	static const struct otlp_resource res = { res_attrs, 3, "wgate", "0.1.0" };
	static const struct otlp_attr rx[] = { { "direction", "rx" } };
	static const struct otlp_attr w0[] = { { "worker", "0" } };
	static const struct otlp_attr dns[] = { { "dns.question.type", "AAAA" },
						{ "dns.response.code", "NXDOMAIN" } };
	static const double bounds[] = { 0.001, 0.01, 0.1 };
	static const uint64_t buckets[] = { 3, 0, 2, 1 };
	const struct otlp_point sum[] = { { .attrs = rx, .n_attrs = 1,
					    .as_int = 9007199254740993LL } };	/* 2^53 + 1 */
	const struct otlp_point gauge[] = { { .attrs = w0, .n_attrs = 1, .is_double = true,
					      .as_double = 0.125 } };
	const struct otlp_point neg[] = { { .as_int = -5 } };
	const struct otlp_point hist[] = { { .attrs = dns, .n_attrs = 2, .count = 6, .sum = 0.75,
					     .bucket_counts = buckets } };
	const struct otlp_metric m[] = {
		{ "wgate.packets", "Frames", "{packet}", OTLP_SUM, true, NULL, 0, sum, 1 },
		{ "wgate.worker.busy", NULL, "1", OTLP_GAUGE, false, NULL, 0, gauge, 1 },
		{ "test.updown", NULL, "1", OTLP_SUM, false, NULL, 0, neg, 1 },
		{ "dns.lookup.duration", NULL, "s", OTLP_HISTOGRAM, false, bounds, 3, hist, 1 },
		{ "test.empty", NULL, "s", OTLP_HISTOGRAM, false, bounds, 3, NULL, 0 },
	};
	static const struct otlp_attr mod[] = { { "module", "reload" } };
	const struct otlp_log logs[] = {
		{ 1700000000123456789ULL, OTLP_SEV_INFO, "INFO", "SIGHUP: applied \xc3\xa9", mod, 1 },
		{ 1700000000223456789ULL, OTLP_SEV_ERROR, "ERROR", "", NULL, 0 },
	};
	struct pb_buf b;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 64;
	}
	pb_init(&b, 0);
	rc = otlp_encode_metrics(&b, &res, m, 5, 1700000000000000000ULL, 1700000060000000000ULL) ||
	     dump(argv[1], "metrics.bin", &b);
	pb_reset(&b);
	rc = rc || otlp_encode_logs(&b, &res, logs, 2, 1700000001000000000ULL) ||
	     dump(argv[1], "logs.bin", &b);
	pb_free(&b);
	return rc ? 1 : 0;
}
