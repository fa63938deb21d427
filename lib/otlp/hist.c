#include "lib/otlp/hist.h"

#include <stdio.h>
#include <string.h>

#include "lib/otlp/encode.h"

void otlp_hist_init(struct otlp_hist *h, const double *bounds, unsigned int n_bounds)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->n_bounds = n_bounds < OTLP_HIST_MAX_BOUNDS ? n_bounds : OTLP_HIST_MAX_BOUNDS;
}

void otlp_hist_observe(struct otlp_hist *h, int a, int b, double v)
{
	struct otlp_hist_series *s = NULL;

	for (unsigned int i = 0; i < h->n_series && !s; i++)
		if (h->series[i].a == a && h->series[i].b == b)
			s = &h->series[i];
	if (!s) {
		if (h->n_series < OTLP_HIST_SERIES) {
			s = &h->series[h->n_series++];
		} else {
			/* The overflow series sits past the others; it is
			 * counted in n_series once used. */
			s = &h->series[OTLP_HIST_SERIES];
			if (h->n_series == OTLP_HIST_SERIES)
				h->n_series++;
			a = b = OTLP_HIST_OTHER;
		}
		s->a = a;
		s->b = b;
	}
	if (v < 0)
		v = 0;
	s->count++;
	s->sum += v;
	s->buckets[otlp_bucket(h->bounds, h->n_bounds, v)]++;
}

const char *otlp_dns_qtype_str(int qtype, char *buf, unsigned int len)
{
	static const struct { int t; const char *s; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		{ 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 64, "SVCB" },
		{ 65, "HTTPS" }, { 255, "ANY" },
	};

	if (qtype == OTLP_HIST_OTHER)
		return "other";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == qtype)
			return names[i].s;
	snprintf(buf, len, "TYPE%d", qtype);
	return buf;
}

const char *otlp_dns_rcode_str(int rcode, char *buf, unsigned int len)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED" };

	if (rcode == OTLP_HIST_OTHER)
		return "other";
	if (rcode < 0)
		return "TIMEOUT";
	if ((size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}
