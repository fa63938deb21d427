/* Cumulative explicit-bucket histograms split by two small attributes (a
 * series per (a, b) pair), as dns.lookup.duration needs them: by question
 * type and response code. Fixed memory: at most OTLP_HIST_SERIES pairs;
 * observations of any further pair go to one overflow series (a = b =
 * OTLP_HIST_OTHER) rather than being lost. Not thread-safe: one writer,
 * which also reads (wgate: the control lcore). */
#ifndef WGATE_LIB_OTLP_HIST_H
#define WGATE_LIB_OTLP_HIST_H

#include <stdint.h>

#define OTLP_HIST_SERIES	32
#define OTLP_HIST_MAX_BOUNDS	16
#define OTLP_HIST_OTHER		(-2)

struct otlp_hist_series {
	int a, b;
	uint64_t count;
	double sum;
	uint64_t buckets[OTLP_HIST_MAX_BOUNDS + 1];
};

struct otlp_hist {
	const double *bounds;		/* ascending, n_bounds <= OTLP_HIST_MAX_BOUNDS */
	unsigned int n_bounds;
	unsigned int n_series;
	struct otlp_hist_series series[OTLP_HIST_SERIES + 1];	/* + overflow */
};

void otlp_hist_init(struct otlp_hist *h, const double *bounds, unsigned int n_bounds);
void otlp_hist_observe(struct otlp_hist *h, int a, int b, double v);

/* DNS names for the attributes: "A", "AAAA", ... else "TYPE<n>" (RFC 3597);
 * "NOERROR", "NXDOMAIN", ... else "RCODE<n>"; a negative rcode means no
 * response arrived: "TIMEOUT". OTLP_HIST_OTHER: "other". */
const char *otlp_dns_qtype_str(int qtype, char *buf, unsigned int len);
const char *otlp_dns_rcode_str(int rcode, char *buf, unsigned int len);

#endif
