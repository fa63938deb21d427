/* See metrics.h. The instrument table (name, unit, kind, attributes) is
 * built here on every export from the counter names of
 * dataplane/counters.h, so a new drop reason shows up as a new data point
 * with no change here. */
#include "control/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "control/flags.h"
#include "control/peers.h"
#include "dataplane/counters.h"
#include "dataplane/dp.h"
#include "lib/otlp/encode.h"
#include "lib/otlp/hist.h"

#define MAX_METRICS	24
/* Data points of all metrics together: one per counter at most, plus the
 * rings (2 + 2 per worker), the flags and the DNS series. */
#define MAX_POINTS	(WG_CNT__MAX + 2 + 2 * DP_MAX_WORKERS + 64 + OTLP_HIST_SERIES + 1)
#define MAX_ATTRS	(2 * MAX_POINTS)

/* dns.lookup.duration bounds (seconds): 0.5 ms to 5 s, a resolver's range. */
static const double dns_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				     0.1, 0.25, 0.5, 1, 2.5, 5 };
static struct otlp_hist dns_hist;
static bool dns_ready;

void ctl_metrics_dns_observe(int qtype, int rcode, double seconds)
{
	if (!dns_ready) {
		otlp_hist_init(&dns_hist, dns_bounds, sizeof(dns_bounds) / sizeof(dns_bounds[0]));
		dns_ready = true;
	}
	otlp_hist_observe(&dns_hist, qtype, rcode, seconds);
}

/* Scratch for one export, rebuilt each time (control lcore only). */
static struct {
	struct otlp_metric m[MAX_METRICS];
	unsigned int n_m;
	struct otlp_point p[MAX_POINTS];
	unsigned int n_p;
	struct otlp_attr a[MAX_ATTRS];
	unsigned int n_a;
	char worker_names[DP_MAX_WORKERS][4];
	char dns_names[OTLP_HIST_SERIES + 1][2][16];
	uint64_t cnt[WG_CNT__MAX];
} s;

static struct otlp_metric *metric(const char *name, const char *desc, const char *unit,
				  enum otlp_kind kind, bool monotonic)
{
	struct otlp_metric *m = &s.m[s.n_m++];

	*m = (struct otlp_metric){ .name = name, .description = desc, .unit = unit,
				   .kind = kind, .monotonic = monotonic,
				   .points = &s.p[s.n_p] };
	return m;
}

/* A point of the metric opened last, with up to two string attributes
 * (NULL key: none). */
static struct otlp_point *point(struct otlp_metric *m, int64_t v, const char *k1,
				const char *v1, const char *k2, const char *v2)
{
	struct otlp_point *p;

	if (s.n_p == MAX_POINTS || s.n_a + 2 > MAX_ATTRS)
		return NULL;
	p = &s.p[s.n_p++];
	*p = (struct otlp_point){ .as_int = v, .attrs = &s.a[s.n_a] };
	if (k1) {
		s.a[s.n_a++] = (struct otlp_attr){ k1, v1 };
		p->n_attrs++;
	}
	if (k2) {
		s.a[s.n_a++] = (struct otlp_attr){ k2, v2 };
		p->n_attrs++;
	}
	m->n_points++;
	return p;
}

/* One point per counter whose name starts with prefix, the rest of the
 * name as the attribute's value (drop_no_route -> reason=no_route). */
static void by_prefix(struct otlp_metric *m, const char *prefix, const char *key)
{
	size_t n = strlen(prefix);

	for (unsigned int c = 0; c < WG_CNT__MAX; c++)
		if (!strncmp(wg_counter_names[c], prefix, n))
			point(m, (int64_t)s.cnt[c], key, wg_counter_names[c] + n, NULL, NULL);
}

static int64_t sessions_active(void)
{
	int64_t n = 0;

	for (uint32_t i = 0; i < ctl.slot_hw; i++)
		if (ctl.peers[i] && atomic_load_explicit(&ctl.peers[i]->dp->kp_current,
							 memory_order_relaxed))
			n++;
	return n;
}

static void rings(void)
{
	struct otlp_metric *m = metric("wgate.ring.occupancy",
				       "Entries waiting in a ring between lcores", "{entry}",
				       OTLP_GAUGE, false);

	point(m, rte_ring_count(dp.punt_ring), "ring", "punt", NULL, NULL);
	point(m, rte_ring_count(dp.event_ring), "ring", "event", NULL, NULL);
	for (unsigned int w = 0; w < dp.n_workers; w++) {
		snprintf(s.worker_names[w], sizeof(s.worker_names[w]), "%u", w);
		if (dp.workers[w]->tx_ring)
			point(m, rte_ring_count(dp.workers[w]->tx_ring), "ring", "tx", "worker",
			      s.worker_names[w]);
		if (dp.workers[w]->handoff_ring)
			point(m, rte_ring_count(dp.workers[w]->handoff_ring), "ring", "handoff",
			      "worker", s.worker_names[w]);
	}
}

/* Busy ratio of each worker since the previous reading: busy cycles
 * (counted by the worker per poll that found work) over elapsed cycles. */
static struct {
	uint64_t tsc;
	uint64_t busy[DP_MAX_WORKERS];
} prev;

void ctl_metrics_init(void)
{
	prev.tsc = rte_rdtsc();
	for (unsigned int w = 0; w < dp.n_workers; w++)
		prev.busy[w] = dp.workers[w]->cnt->v[WG_CNT_BUSY_CYCLES];
}

static void busy(void)
{
	struct otlp_metric *m = metric("wgate.worker.busy",
				       "Share of time a worker spent on polls that found work,"
				       " since the previous export", "1", OTLP_GAUGE, false);
	uint64_t now = rte_rdtsc();
	uint64_t span = now - prev.tsc;

	for (unsigned int w = 0; w < dp.n_workers; w++) {
		uint64_t b = dp.workers[w]->cnt->v[WG_CNT_BUSY_CYCLES];
		double r = span ? (double)(b - prev.busy[w]) / (double)span : 0;
		struct otlp_point *p = point(m, 0, "worker", s.worker_names[w], NULL, NULL);

		if (p) {
			p->is_double = true;
			p->as_double = r > 1 ? 1 : r;
		}
		prev.busy[w] = b;
	}
	prev.tsc = now;
}

static void flags(void)
{
	struct otlp_metric *m = metric("wgate.flag",
				       "Feature flag value in force (1 on, 0 off)", "1",
				       OTLP_GAUGE, false);

	for (unsigned int i = 0; i < ctl_flags_count(); i++)
		point(m, ctl_flag_value(i) ? 1 : 0, "flag", ctl_flag_name(i), "source",
		      ctl_flag_source(i));
}

static void dns(void)
{
	struct otlp_metric *m = metric("dns.lookup.duration", "Duration of DNS lookups", "s",
				       OTLP_HISTOGRAM, false);

	m->bounds = dns_bounds;
	m->n_bounds = sizeof(dns_bounds) / sizeof(dns_bounds[0]);
	if (!dns_ready)
		return;	/* no lookup yet: the instrument, no point */
	for (unsigned int i = 0; i < dns_hist.n_series; i++) {
		const struct otlp_hist_series *h = &dns_hist.series[i];
		struct otlp_point *p = point(m, 0, "dns.question.type",
				otlp_dns_qtype_str(h->a, s.dns_names[i][0], sizeof(s.dns_names[i][0])),
				"dns.response.code",
				otlp_dns_rcode_str(h->b, s.dns_names[i][1], sizeof(s.dns_names[i][1])));
		if (!p)
			break;
		p->count = h->count;
		p->sum = h->sum;
		p->bucket_counts = h->buckets;
	}
}

int ctl_metrics_encode(struct pb_buf *b, const struct otlp_resource *res, uint64_t start_ns,
		       uint64_t now_ns)
{
	struct otlp_metric *m;

	s.n_m = s.n_p = s.n_a = 0;
	dp_counters_sum(s.cnt);

	m = metric("wgate.packets", "Frames received and sent on the ports", "{packet}",
		   OTLP_SUM, true);
	point(m, (int64_t)s.cnt[WG_CNT_RX_PACKETS], "direction", "rx", NULL, NULL);
	point(m, (int64_t)s.cnt[WG_CNT_TX_PACKETS], "direction", "tx", NULL, NULL);
	m = metric("wgate.bytes", "Bytes of the frames received and sent on the ports", "By",
		   OTLP_SUM, true);
	point(m, (int64_t)s.cnt[WG_CNT_RX_BYTES], "direction", "rx", NULL, NULL);
	point(m, (int64_t)s.cnt[WG_CNT_TX_BYTES], "direction", "tx", NULL, NULL);
	m = metric("wgate.drops", "Packets dropped, by reason", "{packet}", OTLP_SUM, true);
	by_prefix(m, "drop_", "reason");
	m = metric("wgate.refusals", "Client packets refused by zero-trust policy, by reason",
		   "{packet}", OTLP_SUM, true);
	by_prefix(m, "refused_", "reason");
	m = metric("wgate.icmp.errors", "ICMP errors answering refused packets, by outcome",
		   "{packet}", OTLP_SUM, true);
	by_prefix(m, "icmp_error_", "outcome");
	m = metric("wgate.bounds.refused", "Peers, grants and DNS lookups refused at their"
		   " [Dataplane] bound, by bound", "{refusal}", OTLP_SUM, true);
	by_prefix(m, "bound_refused_", "bound");
	m = metric("wgate.handshakes.completed", "Handshakes that established a session",
		   "{handshake}", OTLP_SUM, true);
	point(m, (int64_t)s.cnt[WG_CNT_HS_COMPLETED], NULL, NULL, NULL, NULL);
	m = metric("wgate.handshakes.failed", "Handshake messages refused or attempts given up,"
		   " by reason", "{handshake}", OTLP_SUM, true);
	by_prefix(m, "handshake_drop_", "reason");
	point(m, (int64_t)s.cnt[WG_CNT_HS_RESPONSE_FAILED], "reason", "response_failed", NULL,
	      NULL);
	point(m, (int64_t)s.cnt[WG_CNT_HS_GAVE_UP], "reason", "gave_up", NULL, NULL);
	m = metric("wgate.handshakes.cookies_sent", "Cookie replies sent under load",
		   "{message}", OTLP_SUM, true);
	point(m, (int64_t)s.cnt[WG_CNT_HS_COOKIE_TX], NULL, NULL, NULL, NULL);
	m = metric("wgate.sessions.active", "Peers holding a current session", "{session}",
		   OTLP_GAUGE, false);
	point(m, sessions_active(), NULL, NULL, NULL, NULL);
	rings();
	busy();
	flags();
	dns();
	return otlp_encode_metrics(b, res, s.m, s.n_m, start_ns, now_ns);
}
