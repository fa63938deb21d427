/* Zero-trust policy: the reference facts (firezone-gateway.md) as table-driven
 * cases, then a differential test against a deliberately plain model of the
 * rule (a linear scan over the grants, written from the reference text and
 * sharing no code with lib/policy), then one table of a million grants. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/config/config.h"
#include "lib/net/addr.h"
#include "lib/policy/policy.h"

#define NEVER 0

static struct wg_prefix P(const char *s)
{
	struct wg_prefix p;

	if (wg_prefix_parse(s, false, &p))
		fail_msg("bad prefix in test: %s", s);
	return p;
}

static struct wg_ipaddr A(const char *s)
{
	struct wg_ipaddr a;

	if (wg_ipaddr_parse(s, &a))
		fail_msg("bad address in test: %s", s);
	return a;
}

static const char *verdict_str(enum wg_pol_verdict v)
{
	switch (v) {
	case WG_POL_ALLOW: return "ALLOW";
	case WG_POL_DENY_NO_GRANT: return "NO_GRANT";
	case WG_POL_DENY_FILTER: return "FILTER";
	case WG_POL_DENY_TUNNEL_RANGE: return "TUNNEL_RANGE";
	case WG_POL_DENY_INTERNET_REJECTED: return "INTERNET_REJECTED";
	}
	return "?";
}

/* ---- the model: the reference rule, read literally ---- */

/* Bit by bit, unlike the library's byte masks. */
static bool m_covers(const struct wg_prefix *p, const struct wg_ipaddr *a)
{
	if (p->ip.af != a->af)
		return false;
	for (unsigned int i = 0; i < p->len; i++) {
		unsigned int byte = i / 8, bit = 7 - i % 8;
		if (((p->ip.a[byte] >> bit) & 1) != ((a->a[byte] >> bit) & 1))
			return false;
	}
	return true;
}

static const char *const m_tunnel_text[] = { "100.64.0.0/11", "fd00:2021:1111::/107" };
static const char *const m_rejected_text[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
	"::/128", "::1/128", "::ffff:0:0/96", "fc00::/7", "fe80::/10", "ff00::/8",
};
#define N_TUNNEL (sizeof(m_tunnel_text) / sizeof(m_tunnel_text[0]))
#define N_REJECTED (sizeof(m_rejected_text) / sizeof(m_rejected_text[0]))

static bool m_in_list(const char *const *list, size_t n, const struct wg_ipaddr *a)
{
	for (size_t i = 0; i < n; i++) {
		struct wg_prefix p = P(list[i]);
		if (m_covers(&p, a))
			return true;
	}
	return false;
}

/* Parsing the lists per packet is slow; the differential test uses these. */
static struct wg_prefix m_tunnel[N_TUNNEL], m_rejected[N_REJECTED];

static bool m_in(const struct wg_prefix *list, size_t n, const struct wg_ipaddr *a)
{
	for (size_t i = 0; i < n; i++)
		if (m_covers(&list[i], a))
			return true;
	return false;
}

static void m_init(void)
{
	for (size_t i = 0; i < N_TUNNEL; i++)
		m_tunnel[i] = P(m_tunnel_text[i]);
	for (size_t i = 0; i < N_REJECTED; i++)
		m_rejected[i] = P(m_rejected_text[i]);
}

static bool m_is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static bool m_permits(const struct wg_pol_resource *r, uint8_t proto, uint16_t port)
{
	if (r->n_filters == 0)
		return true;
	for (unsigned int i = 0; i < r->n_filters; i++) {
		const struct wg_pol_filter *f = &r->filters[i];

		if (m_is_icmp(proto) && m_is_icmp(f->proto))
			return true;
		if (proto == 6 && f->proto == 6 && f->lo <= port && port <= f->hi)
			return true;
		if (proto == 17 && f->proto == 17 && f->lo <= port && port <= f->hi)
			return true;
	}
	return false;
}

static bool m_present(const struct wg_pol_grant *g, uint64_t now)
{
	return g->expires == 0 || now < g->expires;
}

static enum wg_pol_verdict model_decide(const struct wg_pol_grant *grants, size_t n,
					const struct wg_pol_pkt *pkt, uint64_t now)
{
	const struct wg_ipaddr *a = &pkt->resource;
	const struct wg_pol_grant *win = NULL;
	bool win_permits = false, inet = false, inet_permits = false;

	if (a->af != WG_AF_INET4 && a->af != WG_AF_INET6)
		return WG_POL_DENY_NO_GRANT;
	if (m_in(m_tunnel, N_TUNNEL, a))
		return WG_POL_DENY_TUNNEL_RANGE;
	/* The winner among present CIDR grants containing the address: one
	 * whose filter permits first, then the longest prefix. */
	for (size_t i = 0; i < n; i++) {
		const struct wg_pol_grant *g = &grants[i];

		if (!m_present(g, now) || g->res->kind != WG_POL_RES_CIDR ||
		    !m_covers(&g->res->prefix, a))
			continue;
		bool permits = m_permits(g->res, pkt->proto, pkt->port);
		if (!win || (permits && !win_permits) ||
		    (permits == win_permits && g->res->prefix.len > win->res->prefix.len)) {
			win = g;
			win_permits = permits;
		}
	}
	if (win)
		return win_permits ? WG_POL_ALLOW : WG_POL_DENY_FILTER;
	/* Nothing else matched: the internet resource, if granted. */
	for (size_t i = 0; i < n; i++) {
		const struct wg_pol_grant *g = &grants[i];

		if (!m_present(g, now) || g->res->kind != WG_POL_RES_INTERNET)
			continue;
		if (g->res->prefix.ip.af != 0 && g->res->prefix.ip.af != a->af)
			continue;
		inet = true;
		inet_permits = inet_permits || m_permits(g->res, pkt->proto, pkt->port);
	}
	if (inet) {
		if (m_in(m_rejected, N_REJECTED, a))
			return WG_POL_DENY_INTERNET_REJECTED;
		return inet_permits ? WG_POL_ALLOW : WG_POL_DENY_FILTER;
	}
	return WG_POL_DENY_NO_GRANT;
}

/* ---- table-driven cases ---- */

/* A grant written as text: res is a prefix, "internet" (both families),
 * "internet4", "internet6" or "dns"; filters like "tcp:80-443 udp:53 icmp". */
struct tgrant {
	const char *res;
	const char *filters;
	uint64_t expires;
};

struct tcase {
	const char *addr;
	uint8_t proto;
	uint16_t port;
	uint64_t now;
	enum wg_pol_verdict want;
};

#define MAX_T 32
#define MAX_F 16

struct tscen {
	struct wg_pol_resource res[MAX_T];
	struct wg_pol_filter filters[MAX_T][MAX_F];
	struct wg_pol_grant grants[MAX_T];
	size_t n;
};

static uint16_t parse_filters(const char *s, struct wg_pol_filter *out)
{
	uint16_t n = 0;
	char buf[256], *save = NULL;

	if (!s)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		unsigned int lo = 0, hi = 65535;
		struct wg_pol_filter f;

		assert_true(n < MAX_F);
		if (!strcmp(tok, "icmp")) {
			f = (struct wg_pol_filter){ WG_POL_ICMP, 0, 65535 };
		} else {
			char proto[8];
			int k = sscanf(tok, "%7[a-z]:%u-%u", proto, &lo, &hi);

			if (k == 2)
				hi = lo;
			if (k < 1)
				fail_msg("bad filter %s", tok);
			f.proto = !strcmp(proto, "tcp") ? WG_POL_TCP
				: !strcmp(proto, "udp") ? WG_POL_UDP
				: !strcmp(proto, "gre") ? 47 : 0;
			assert_true(f.proto != 0);
			f.lo = (uint16_t)lo;
			f.hi = (uint16_t)hi;
		}
		out[n++] = f;
	}
	return n;
}

static void scen_build(struct tscen *sc, const struct tgrant *g)
{
	memset(sc, 0, sizeof(*sc));
	for (; g->res; g++) {
		struct wg_pol_resource *r = &sc->res[sc->n];

		assert_true(sc->n < MAX_T);
		r->id = (uint32_t)sc->n;
		if (!strcmp(g->res, "internet")) {
			r->kind = WG_POL_RES_INTERNET;
		} else if (!strcmp(g->res, "internet4")) {
			r->kind = WG_POL_RES_INTERNET;
			r->prefix.ip.af = WG_AF_INET4;
		} else if (!strcmp(g->res, "internet6")) {
			r->kind = WG_POL_RES_INTERNET;
			r->prefix.ip.af = WG_AF_INET6;
		} else if (!strcmp(g->res, "dns")) {
			r->kind = WG_POL_RES_DNS;
		} else {
			r->kind = WG_POL_RES_CIDR;
			r->prefix = P(g->res);
		}
		r->n_filters = parse_filters(g->filters, sc->filters[sc->n]);
		r->filters = r->n_filters ? sc->filters[sc->n] : NULL;
		sc->grants[sc->n] = (struct wg_pol_grant){ .res = r, .expires = g->expires };
		sc->n++;
	}
}

/* Runs the cases on the built table, and on the model too: the model has to
 * pass the same facts before the differential test may trust it. */
static void run(const char *name, const struct tgrant *g, const struct tcase *c)
{
	struct tscen *sc = malloc(sizeof(*sc));
	struct wg_pol_table *t;

	assert_non_null(sc);
	scen_build(sc, g);
	t = wg_pol_table_build(sc->grants, sc->n);
	assert_non_null(t);
	assert_int_equal(wg_pol_table_grants(t), sc->n);
	for (; c->addr; c++) {
		struct wg_pol_pkt pkt = { .resource = A(c->addr), .proto = c->proto, .port = c->port };
		enum wg_pol_verdict got = wg_pol_decide(t, &pkt, c->now);
		enum wg_pol_verdict mod = model_decide(sc->grants, sc->n, &pkt, c->now);

		if (got != c->want || mod != c->want)
			fail_msg("%s: %s proto %u port %u now %llu: got %s, model %s, want %s", name,
				 c->addr, c->proto, c->port, (unsigned long long)c->now,
				 verdict_str(got), verdict_str(mod), verdict_str(c->want));
	}
	wg_pol_table_free(t);
	free(sc);
}

enum { TCP = WG_POL_TCP, UDP = WG_POL_UDP, ICMP = WG_POL_ICMP, ICMP6 = 58, GRE = 47, SCTP = 132 };
#define OK	WG_POL_ALLOW
#define NOG	WG_POL_DENY_NO_GRANT
#define FLT	WG_POL_DENY_FILTER
#define TUN	WG_POL_DENY_TUNNEL_RANGE
#define REJ	WG_POL_DENY_INTERNET_REJECTED

static void test_filters_union(void **state)
{
	static const struct tgrant g[] = {
		{ "10.0.0.0/24", "tcp:80 tcp:443 tcp:8000-8100 udp:53", NEVER },
		/* Two resources on one prefix: their allow-sets add up. */
		{ "10.1.0.0/16", "tcp:22", NEVER },
		{ "10.1.0.0/16", "udp:500-600 tcp:3000-3005", NEVER },
		{ "10.2.0.0/16", "tcp:100-200 tcp:150-300 tcp:301-400", NEVER },
		{ NULL } };
	static const struct tcase c[] = {
		{ "10.0.0.7", TCP, 80, 0, OK }, { "10.0.0.7", TCP, 443, 0, OK },
		{ "10.0.0.7", TCP, 81, 0, FLT }, { "10.0.0.7", TCP, 442, 0, FLT },
		{ "10.0.0.7", TCP, 8000, 0, OK }, { "10.0.0.7", TCP, 8100, 0, OK },
		{ "10.0.0.7", TCP, 7999, 0, FLT }, { "10.0.0.7", TCP, 8101, 0, FLT },
		{ "10.0.0.7", UDP, 53, 0, OK }, { "10.0.0.7", UDP, 80, 0, FLT },
		{ "10.0.0.7", TCP, 53, 0, FLT },
		{ "10.0.0.7", ICMP, 0, 0, FLT }, { "10.0.0.7", GRE, 0, 0, FLT },
		{ "10.0.0.7", 0, 0, 0, FLT },
		{ "10.0.1.7", TCP, 80, 0, NOG },
		{ "10.1.9.9", TCP, 22, 0, OK }, { "10.1.9.9", UDP, 500, 0, OK },
		{ "10.1.9.9", UDP, 600, 0, OK }, { "10.1.9.9", UDP, 601, 0, FLT },
		{ "10.1.9.9", TCP, 3005, 0, OK }, { "10.1.9.9", TCP, 3006, 0, FLT },
		{ "10.1.9.9", UDP, 22, 0, FLT },
		/* Overlapping and touching ranges. */
		{ "10.2.0.1", TCP, 99, 0, FLT }, { "10.2.0.1", TCP, 100, 0, OK },
		{ "10.2.0.1", TCP, 175, 0, OK }, { "10.2.0.1", TCP, 300, 0, OK },
		{ "10.2.0.1", TCP, 301, 0, OK }, { "10.2.0.1", TCP, 400, 0, OK },
		{ "10.2.0.1", TCP, 401, 0, FLT },
		{ NULL } };

	(void)state;
	run("filters_union", g, c);
}

static void test_icmp_and_empty_filters(void **state)
{
	static const struct tgrant g[] = {
		{ "192.0.2.0/24", "icmp", NEVER },
		{ "2001:db8:1::/48", "icmp udp:53", NEVER },
		{ "198.51.100.0/24", NULL, NEVER },	/* no filters: everything */
		{ "2001:db8:2::/48", NULL, NEVER },
		{ "203.0.113.0/24", "tcp:0-65535", NEVER },
		{ "203.0.114.0/24", "gre", NEVER },	/* not a filter protocol: nothing */
		{ NULL } };
	static const struct tcase c[] = {
		{ "192.0.2.1", ICMP, 0, 0, OK }, { "192.0.2.1", ICMP, 65535, 0, OK },
		{ "192.0.2.1", ICMP6, 7, 0, OK },	/* 58 counts as ICMP */
		{ "192.0.2.1", TCP, 0, 0, FLT }, { "192.0.2.1", UDP, 1, 0, FLT },
		{ "2001:db8:1::1", ICMP6, 1234, 0, OK }, { "2001:db8:1::1", ICMP, 0, 0, OK },
		{ "2001:db8:1::1", UDP, 53, 0, OK }, { "2001:db8:1::1", TCP, 53, 0, FLT },
		{ "198.51.100.9", TCP, 1, 0, OK }, { "198.51.100.9", UDP, 65535, 0, OK },
		{ "198.51.100.9", ICMP, 0, 0, OK }, { "198.51.100.9", GRE, 0, 0, OK },
		{ "198.51.100.9", SCTP, 9, 0, OK }, { "198.51.100.9", 0, 0, 0, OK },
		{ "2001:db8:2::9", 255, 0, 0, OK }, { "2001:db8:2::9", ICMP6, 0, 0, OK },
		{ "203.0.113.1", TCP, 0, 0, OK }, { "203.0.113.1", TCP, 65535, 0, OK },
		{ "203.0.113.1", UDP, 0, 0, FLT }, { "203.0.113.1", GRE, 0, 0, FLT },
		{ "203.0.114.1", GRE, 0, 0, FLT }, { "203.0.114.1", TCP, 0, 0, FLT },
		{ NULL } };

	(void)state;
	run("icmp_and_empty", g, c);
}

static void test_longest_and_permitting(void **state)
{
	static const struct tgrant g[] = {
		{ "10.0.0.0/8", "tcp:22", NEVER },
		{ "10.1.0.0/16", "tcp:80", NEVER },
		{ "10.1.2.3/32", "udp:53", NEVER },
		{ "2001:db8::/32", "tcp:443", NEVER },
		{ "2001:db8::/64", "udp:443", NEVER },
		{ "2001:db8::1/128", NULL, NEVER },
		{ NULL } };
	static const struct tcase c[] = {
		/* The longest prefix permits. */
		{ "10.1.2.3", UDP, 53, 0, OK }, { "10.1.9.9", TCP, 80, 0, OK },
		/* A shorter prefix that permits beats a longer one that does not
		 * (Firezone: prefer a permitting filter, then the longest prefix). */
		{ "10.1.2.3", TCP, 22, 0, OK }, { "10.1.2.3", TCP, 80, 0, OK },
		{ "10.1.9.9", TCP, 22, 0, OK },
		/* Contained, none permits. */
		{ "10.1.2.3", UDP, 54, 0, FLT }, { "10.1.9.9", UDP, 53, 0, FLT },
		{ "10.9.9.9", TCP, 80, 0, FLT },
		{ "11.0.0.1", TCP, 22, 0, NOG },
		{ "2001:db8::1", GRE, 0, 0, OK }, { "2001:db8::2", TCP, 443, 0, OK },
		{ "2001:db8::2", UDP, 443, 0, OK }, { "2001:db8::2", GRE, 0, 0, FLT },
		{ "2001:db8:0:1::2", UDP, 443, 0, FLT }, { "2001:db8:0:1::2", TCP, 443, 0, OK },
		{ "2001:db9::", TCP, 443, 0, NOG },
		/* Same bytes, other family. */
		{ "::a01:203", UDP, 53, 0, NOG },
		{ NULL } };

	(void)state;
	run("longest_and_permitting", g, c);
}

static void test_expiry(void **state)
{
	static const struct tgrant g[] = {
		{ "10.0.0.0/24", NULL, 1000 },
		{ "10.0.1.0/24", NULL, 1 },
		{ "10.0.2.0/24", NULL, NEVER },
		/* The permitting grant lapses; the filtering one stays. */
		{ "10.1.0.0/16", "tcp:22", 100 },
		{ "10.1.0.0/24", "tcp:80", NEVER },
		/* Same resource twice with other expiries: the later one counts. */
		{ "10.2.0.0/16", "udp:53", 50 },
		{ "10.2.0.0/16", "udp:53", 70 },
		{ NULL } };
	/* A lapsed CIDR grant hands the address to the internet resource. */
	static const struct tgrant gi[] = {
		{ "8.8.8.0/24", "tcp:53", 500 },
		{ "internet", "udp:53", 600 },
		{ NULL } };
	static const struct tcase ci[] = {
		{ "8.8.8.8", UDP, 53, 499, FLT }, { "8.8.8.8", TCP, 53, 499, OK },
		{ "8.8.8.8", UDP, 53, 500, OK }, { "8.8.8.8", TCP, 53, 500, FLT },
		{ "8.8.8.8", UDP, 53, 600, NOG }, { "10.0.0.1", UDP, 53, 599, REJ },
		{ "10.0.0.1", UDP, 53, 600, NOG },
		{ NULL } };
	static const struct tcase c[] = {
		{ "10.0.0.1", TCP, 1, 0, OK }, { "10.0.0.1", TCP, 1, 999, OK },
		{ "10.0.0.1", TCP, 1, 1000, NOG }, { "10.0.0.1", TCP, 1, 1001, NOG },
		{ "10.0.0.1", TCP, 1, UINT64_MAX, NOG },
		{ "10.0.1.1", TCP, 1, 0, OK }, { "10.0.1.1", TCP, 1, 1, NOG },
		{ "10.0.2.1", TCP, 1, UINT64_MAX, OK },
		{ "10.1.0.1", TCP, 22, 99, OK }, { "10.1.0.1", TCP, 22, 100, FLT },
		{ "10.1.9.1", TCP, 22, 100, NOG }, { "10.1.0.1", TCP, 80, 100, OK },
		{ "10.2.0.1", UDP, 53, 49, OK }, { "10.2.0.1", UDP, 53, 50, OK },
		{ "10.2.0.1", UDP, 53, 69, OK }, { "10.2.0.1", UDP, 53, 70, NOG },
		{ NULL } };

	(void)state;
	run("expiry", g, c);
	run("expiry_internet", gi, ci);
}

static void test_tunnel_range(void **state)
{
	/* Nothing a client holds opens the tunnel range, not even /0s. */
	static const struct tgrant g[] = {
		{ "0.0.0.0/0", NULL, NEVER }, { "::/0", NULL, NEVER },
		{ "100.64.0.0/10", NULL, NEVER }, { "100.64.0.5/32", NULL, NEVER },
		{ "fd00:2021:1111::5/128", NULL, NEVER }, { "internet", NULL, NEVER },
		{ NULL } };
	static const struct tcase c[] = {
		{ "100.64.0.0", TCP, 80, 0, TUN }, { "100.64.0.5", TCP, 80, 0, TUN },
		{ "100.95.255.255", UDP, 53, 0, TUN }, { "100.80.1.2", ICMP, 0, 0, TUN },
		{ "100.96.0.0", TCP, 80, 0, OK }, { "100.63.255.255", TCP, 80, 0, OK },
		{ "fd00:2021:1111::", TCP, 80, 0, TUN }, { "fd00:2021:1111::5", TCP, 80, 0, TUN },
		{ "fd00:2021:1111::1f:ffff", TCP, 80, 0, TUN },
		{ "fd00:2021:1111::20:0", TCP, 80, 0, OK },
		{ "fd00:2021:1110:ffff:ffff:ffff:ffff:ffff", TCP, 80, 0, OK },
		{ "::ffff:100.64.0.5", TCP, 80, 0, OK },	/* a v4-mapped address is IPv6 */
		{ NULL } };

	(void)state;
	run("tunnel_range", g, c);
}

static void test_internet(void **state)
{
	static const struct tgrant g[] = {
		{ "internet", "tcp:443 icmp", NEVER },
		{ "10.5.0.0/16", "tcp:80", NEVER },	/* a CIDR grant beats the exclusions */
		{ "1.1.1.0/24", "udp:53", NEVER },	/* and beats the internet resource */
		{ NULL } };
	static const struct tcase c[] = {
		{ "8.8.8.8", TCP, 443, 0, OK }, { "8.8.8.8", ICMP, 0, 0, OK },
		{ "8.8.8.8", TCP, 80, 0, FLT }, { "8.8.8.8", UDP, 443, 0, FLT },
		{ "1.1.1.1", TCP, 443, 0, FLT }, { "1.1.1.1", UDP, 53, 0, OK },
		{ "1.1.2.1", TCP, 443, 0, OK },
		/* Rejected before the filter is asked. */
		{ "10.1.1.1", TCP, 443, 0, REJ }, { "10.1.1.1", TCP, 80, 0, REJ },
		{ "10.5.0.1", TCP, 80, 0, OK }, { "10.5.0.1", TCP, 443, 0, FLT },
		{ "0.0.0.0", TCP, 443, 0, REJ }, { "0.255.255.255", TCP, 443, 0, REJ },
		{ "1.0.0.0", TCP, 443, 0, OK }, { "9.255.255.255", TCP, 443, 0, OK },
		{ "11.0.0.0", TCP, 443, 0, OK },
		/* 100.64/10: the half outside the tunnel range is rejected. */
		{ "100.63.255.255", TCP, 443, 0, OK }, { "100.64.0.1", TCP, 443, 0, TUN },
		{ "100.96.0.0", TCP, 443, 0, REJ }, { "100.127.255.255", TCP, 443, 0, REJ },
		{ "100.128.0.0", TCP, 443, 0, OK },
		{ "127.0.0.1", TCP, 443, 0, REJ }, { "128.0.0.0", TCP, 443, 0, OK },
		{ "169.254.1.1", TCP, 443, 0, REJ }, { "169.255.0.0", TCP, 443, 0, OK },
		{ "169.253.255.255", TCP, 443, 0, OK },
		{ "172.15.255.255", TCP, 443, 0, OK }, { "172.16.0.0", TCP, 443, 0, REJ },
		{ "172.31.255.255", TCP, 443, 0, REJ }, { "172.32.0.0", TCP, 443, 0, OK },
		{ "192.167.255.255", TCP, 443, 0, OK }, { "192.168.0.1", TCP, 443, 0, REJ },
		{ "192.169.0.0", TCP, 443, 0, OK },
		{ "223.255.255.255", TCP, 443, 0, OK }, { "224.0.0.1", TCP, 443, 0, REJ },
		{ "239.255.255.255", ICMP, 0, 0, REJ }, { "240.0.0.1", TCP, 443, 0, REJ },
		{ "255.255.255.255", TCP, 443, 0, REJ },
		{ "2606:4700::1111", TCP, 443, 0, OK }, { "2606:4700::1111", UDP, 443, 0, FLT },
		{ "2606:4700::1111", ICMP6, 0, 0, OK },
		{ "::", TCP, 443, 0, REJ }, { "::1", TCP, 443, 0, REJ }, { "::2", TCP, 443, 0, OK },
		{ "::ffff:8.8.8.8", TCP, 443, 0, REJ }, { "::ffff:0:0", TCP, 443, 0, REJ },
		{ "::fffe:ffff:ffff", TCP, 443, 0, OK }, { "::1:0:0:0", TCP, 443, 0, OK },
		{ "fbff:ffff::1", TCP, 443, 0, OK }, { "fc00::1", TCP, 443, 0, REJ },
		{ "fdff:ffff::1", TCP, 443, 0, REJ }, { "fe00::1", TCP, 443, 0, OK },
		{ "fe80::1", TCP, 443, 0, REJ }, { "febf:ffff::1", TCP, 443, 0, REJ },
		{ "fec0::1", TCP, 443, 0, OK }, { "ff02::1", TCP, 443, 0, REJ },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", TCP, 443, 0, REJ },
		{ NULL } };
	/* One family only; and an internet grant next to a DNS one. */
	static const struct tgrant g4[] = {
		{ "internet4", NULL, NEVER }, { "dns", NULL, NEVER }, { NULL } };
	static const struct tcase c4[] = {
		{ "8.8.8.8", GRE, 0, 0, OK }, { "2606:4700::1111", TCP, 443, 0, NOG },
		{ "10.0.0.1", TCP, 443, 0, REJ }, { "::ffff:8.8.8.8", TCP, 443, 0, NOG },
		{ NULL } };
	static const struct tgrant g6[] = { { "internet6", "udp:1-2", NEVER }, { NULL } };
	static const struct tcase c6[] = {
		{ "8.8.8.8", UDP, 1, 0, NOG }, { "2606:4700::1111", UDP, 2, 0, OK },
		{ "2606:4700::1111", UDP, 3, 0, FLT }, { "fe80::1", UDP, 1, 0, REJ },
		{ NULL } };

	(void)state;
	run("internet", g, c);
	run("internet4", g4, c4);
	run("internet6", g6, c6);
}

static void test_dns_null_empty(void **state)
{
	static const struct tgrant g[] = {
		{ "dns", NULL, NEVER }, { "dns", "tcp:80", NEVER }, { NULL } };
	static const struct tcase c[] = {
		{ "8.8.8.8", TCP, 80, 0, NOG }, { "10.0.0.1", TCP, 80, 0, NOG },
		{ "100.96.0.1", TCP, 80, 0, NOG },	/* a DNS proxy address: not yet */
		{ "2001:db8::1", UDP, 53, 0, NOG }, { "100.64.0.1", TCP, 80, 0, TUN },
		{ NULL } };
	static const struct tgrant none[] = { { NULL } };
	struct wg_pol_pkt pkt = { .resource = A("8.8.8.8"), .proto = TCP, .port = 80 };
	struct wg_pol_table *t;

	(void)state;
	run("dns", g, c);
	run("empty", none, c);
	/* NULL table = no grants. */
	assert_int_equal(wg_pol_decide(NULL, &pkt, 0), WG_POL_DENY_NO_GRANT);
	pkt.resource = A("fd00:2021:1111::9");
	assert_int_equal(wg_pol_decide(NULL, &pkt, 0), WG_POL_DENY_TUNNEL_RANGE);
	assert_int_equal(wg_pol_table_grants(NULL), 0);
	wg_pol_table_free(NULL);
	/* n = 0 with no array at all. */
	t = wg_pol_table_build(NULL, 0);
	assert_non_null(t);
	assert_int_equal(wg_pol_table_grants(t), 0);
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_DENY_TUNNEL_RANGE);
	pkt.resource = A("::2");
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_DENY_NO_GRANT);
	/* An unset family is nobody's resource. */
	pkt.resource.af = 0;
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_DENY_NO_GRANT);
	wg_pol_table_free(t);
}

/* Grants the builder cannot use are ignored, not fatal; host bits in a
 * prefix are ignored, and one prefix written two ways is one prefix. */
static void test_odd_grants(void **state)
{
	struct wg_pol_resource r[5] = {
		{ .id = 1, .kind = WG_POL_RES_CIDR, .prefix = P("10.0.0.0/8") },
		{ .id = 2, .kind = WG_POL_RES_CIDR, .prefix = { .ip = A("10.0.0.0"), .len = 33 } },
		{ .id = 3, .kind = WG_POL_RES_CIDR, .prefix = { .ip = { .af = 5 }, .len = 0 } },
		{ .id = 4, .kind = 99 },
		{ .id = 5, .kind = WG_POL_RES_CIDR, .prefix = { .ip = A("11.2.3.4"), .len = 8 } },
	};
	static const struct wg_pol_filter tcp80 = { WG_POL_TCP, 80, 80 };
	struct wg_pol_grant g[7] = { { &r[1], 0 }, { &r[2], 0 }, { &r[3], 0 }, { NULL, 0 },
				     { &r[0], 0 }, { &r[4], 0 }, { &r[4], 0 } };
	struct wg_pol_pkt pkt = { .resource = A("10.1.2.3"), .proto = TCP, .port = 80 };
	struct wg_pol_resource r11 = r[4];

	(void)state;
	r[0].filters = &tcp80;
	r[0].n_filters = 1;
	r11.prefix.ip = A("11.0.0.0");
	r11.filters = &tcp80;
	r11.n_filters = 1;
	r11.prefix.ip.a[9] = 0x55;	/* junk past an IPv4 address */
	g[6].res = &r11;
	struct wg_pol_table *t = wg_pol_table_build(g, 7);
	assert_non_null(t);
	assert_int_equal(wg_pol_table_grants(t), 7);
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_ALLOW);
	pkt.port = 81;
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_DENY_FILTER);
	pkt.resource = A("11.200.0.1");	/* r[4] has no filters: all allowed */
	pkt.proto = GRE;
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_ALLOW);
	pkt.resource = A("12.0.0.1");
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_DENY_NO_GRANT);
	wg_pol_table_free(t);
}

static void test_filter_allows(void **state)
{
	static const struct wg_pol_filter f[] = {
		{ WG_POL_TCP, 80, 80 }, { WG_POL_TCP, 1000, 2000 }, { WG_POL_UDP, 53, 53 },
		{ WG_POL_UDP, 9, 5 } /* empty */, { 47, 0, 65535 } };
	static const struct wg_pol_filter icmp6[] = { { 58, 0, 0 } };

	(void)state;
	assert_true(wg_pol_filter_allows(NULL, 0, GRE, 1));
	assert_true(wg_pol_filter_allows(f, 0, 0, 0));
	assert_true(wg_pol_filter_allows(f, 5, TCP, 80));
	assert_false(wg_pol_filter_allows(f, 5, TCP, 79));
	assert_true(wg_pol_filter_allows(f, 5, TCP, 1000));
	assert_true(wg_pol_filter_allows(f, 5, TCP, 2000));
	assert_false(wg_pol_filter_allows(f, 5, TCP, 2001));
	assert_false(wg_pol_filter_allows(f, 1, TCP, 1500));	/* only the first */
	assert_true(wg_pol_filter_allows(f, 5, UDP, 53));
	assert_false(wg_pol_filter_allows(f, 5, UDP, 80));
	assert_false(wg_pol_filter_allows(f, 5, UDP, 7));
	assert_false(wg_pol_filter_allows(f, 5, ICMP, 0));
	assert_false(wg_pol_filter_allows(f, 5, GRE, 0));
	assert_true(wg_pol_filter_allows(icmp6, 1, ICMP, 5));
	assert_true(wg_pol_filter_allows(icmp6, 1, ICMP6, 5));
	assert_false(wg_pol_filter_allows(icmp6, 1, TCP, 0));
}

/* The range predicates at every edge, against the model's lists. */
static void test_ranges(void **state)
{
	static const char *const in_tun[] = { "100.64.0.0", "100.95.255.255",
		"fd00:2021:1111::", "fd00:2021:1111::1f:ffff", NULL };
	static const char *const out_tun[] = { "100.63.255.255", "100.96.0.0", "::",
		"fd00:2021:1111::20:0", "fd00:2021:1110:ffff:ffff:ffff:ffff:ffff",
		"::ffff:100.64.0.1", "0.0.0.0", NULL };
	struct wg_ipaddr a = { 0 };

	(void)state;
	for (const char *const *s = in_tun; *s; s++) {
		a = A(*s);
		if (!wg_pol_in_tunnel_range(&a))
			fail_msg("%s should be in the tunnel range", *s);
	}
	for (const char *const *s = out_tun; *s; s++) {
		a = A(*s);
		if (wg_pol_in_tunnel_range(&a))
			fail_msg("%s should not be in the tunnel range", *s);
	}
	/* First, last, and the neighbours outside each rejected range. */
	for (size_t i = 0; i < N_REJECTED; i++) {
		struct wg_prefix p = P(m_rejected_text[i]);
		unsigned int bits = wg_af_bits(p.ip.af);
		struct wg_ipaddr lo = p.ip, hi = p.ip, x;

		for (unsigned int b = p.len; b < bits; b++)
			hi.a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		assert_true(wg_pol_internet_rejected(&lo));
		assert_true(wg_pol_internet_rejected(&hi));
		/* lo - 1 and hi + 1, with borrow and carry. */
		x = lo;
		for (int k = (int)bits / 8 - 1; k >= 0 && x.a[k]-- == 0; k--)
			;
		if (wg_pol_internet_rejected(&x) != m_in_list(m_rejected_text, N_REJECTED, &x))
			fail_msg("%s: below the range disagrees", m_rejected_text[i]);
		x = hi;
		for (int k = (int)bits / 8 - 1; k >= 0 && ++x.a[k] == 0; k--)
			;
		if (wg_pol_internet_rejected(&x) != m_in_list(m_rejected_text, N_REJECTED, &x))
			fail_msg("%s: above the range disagrees", m_rejected_text[i]);
	}
	a = A("8.8.8.8");
	assert_false(wg_pol_internet_rejected(&a));
	a.af = 0;
	assert_false(wg_pol_internet_rejected(&a));
	assert_false(wg_pol_in_tunnel_range(&a));
}

static void test_from_config(void **state)
{
	struct wg_cfg_filter cf[3] = { { WG_CFG_PROTO_TCP, 80, 443 }, { WG_CFG_PROTO_UDP, 53, 53 },
				       { WG_CFG_PROTO_ICMP, 0, 65535 } };
	struct wg_cfg_resource in;
	struct wg_pol_filter store[3];
	struct wg_pol_resource out;
	struct wg_ipaddr a;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.kind = WG_CFG_RES_CIDR;
	in.prefix = P("10.1.2.3/16");	/* host bits: cleared */
	in.filters = cf;
	in.n_filters = 3;
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 7), 0);
	assert_int_equal(out.id, 7);
	assert_int_equal(out.kind, WG_POL_RES_CIDR);
	a = A("10.1.0.0");
	assert_true(wg_ipaddr_equal(&out.prefix.ip, &a));
	assert_int_equal(out.prefix.len, 16);
	assert_ptr_equal(out.filters, store);
	assert_int_equal(out.n_filters, 3);
	assert_int_equal(store[0].proto, WG_POL_TCP);
	assert_int_equal(store[0].lo, 80);
	assert_int_equal(store[0].hi, 443);
	assert_int_equal(store[1].proto, WG_POL_UDP);
	assert_int_equal(store[2].proto, WG_POL_ICMP);

	/* Straight into a table: the config's meaning survives. */
	struct wg_pol_grant g = { &out, 0 };
	struct wg_pol_table *t = wg_pol_table_build(&g, 1);
	struct wg_pol_pkt pkt = { .resource = A("10.1.200.1"), .proto = TCP, .port = 443 };
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_ALLOW);
	pkt.port = 444;
	assert_int_equal(wg_pol_decide(t, &pkt, 0), WG_POL_DENY_FILTER);
	wg_pol_table_free(t);

	in.kind = WG_CFG_RES_DNS;
	snprintf(in.dns_pattern, sizeof(in.dns_pattern), "*.corp.example");
	in.n_filters = 0;
	assert_int_equal(wg_pol_resource_from_config(&out, NULL, &in, 8), 0);
	assert_int_equal(out.kind, WG_POL_RES_DNS);
	assert_null(out.filters);
	assert_int_equal(out.n_filters, 0);
	in.kind = WG_CFG_RES_INTERNET;
	assert_int_equal(wg_pol_resource_from_config(&out, NULL, &in, 9), 0);
	assert_int_equal(out.kind, WG_POL_RES_INTERNET);
	assert_int_equal(out.prefix.ip.af, 0);	/* both families */

	/* Refusals. */
	in.kind = WG_CFG_RES_CIDR;
	in.prefix.len = 33;
	in.prefix.ip = A("10.0.0.0");
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 1), -EINVAL);
	in.prefix.ip.af = 0;
	in.prefix.len = 0;
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 1), -EINVAL);
	in.prefix = P("2001:db8::/32");
	in.n_filters = 1;
	cf[0].proto = (enum wg_cfg_proto)7;
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 1), -EINVAL);
	cf[0] = (struct wg_cfg_filter){ WG_CFG_PROTO_TCP, 9, 8 };
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 1), -EINVAL);
	cf[0] = (struct wg_cfg_filter){ WG_CFG_PROTO_TCP, 9, 9 };
	assert_int_equal(wg_pol_resource_from_config(&out, NULL, &in, 1), -EINVAL);
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 1), 0);
	in.kind = (enum wg_cfg_resource_kind)9;
	assert_int_equal(wg_pol_resource_from_config(&out, store, &in, 1), -EINVAL);
}

/* ---- differential test: wg_pol_decide against model_decide ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rng() % n);
}

/* Addresses cluster around bases chosen to straddle the special ranges, so
 * that prefixes nest, collide and cross the tunnel and rejected ranges. */
static const char *const bases[] = {
	"10.0.0.0", "100.64.0.0", "100.100.0.0", "192.168.1.0", "8.8.8.0", "172.16.0.0",
	"0.0.0.0", "255.255.255.0", "224.0.0.0",
	"fd00:2021:1111::", "2001:db8::", "fe80::", "::ffff:8.8.8.0", "::", "2606:4700::",
	"fc00::", "ff02::",
};
#define N_BASES (sizeof(bases) / sizeof(bases[0]))

static struct wg_ipaddr base_addr[N_BASES];

static void flip_bits(struct wg_ipaddr *a, unsigned int max_flips)
{
	unsigned int bits = wg_af_bits(a->af), flips = pick(max_flips + 1);

	for (unsigned int i = 0; i < flips; i++) {
		unsigned int span = pick(4) ? 24 : bits;
		unsigned int b = bits - 1 - pick(span);
		a->a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
}

static uint16_t interesting_port(void)
{
	static const uint16_t ports[] = { 0, 1, 22, 53, 80, 443, 1000, 8080, 65534, 65535 };
	uint16_t p = ports[pick(sizeof(ports) / sizeof(ports[0]))];

	return (uint16_t)(p + pick(5) - 2);	/* wraps at the ends on purpose */
}

static uint8_t random_proto(void)
{
	static const uint8_t protos[] = { TCP, TCP, TCP, UDP, UDP, UDP, ICMP, ICMP6, GRE, 0, SCTP };

	return protos[pick(sizeof(protos) / sizeof(protos[0]))];
}

#define POOL 600
#define MAX_FILT 5

struct pool {
	struct wg_pol_resource res[POOL];
	struct wg_pol_filter filters[POOL][MAX_FILT];
};

static void random_resource(struct wg_pol_resource *r, struct wg_pol_filter *fs, uint32_t id)
{
	unsigned int k = pick(100);

	*r = (struct wg_pol_resource){ .id = id };
	if (k < 6) {
		static const uint8_t fams[] = { 0, 0, WG_AF_INET4, WG_AF_INET6 };
		r->kind = WG_POL_RES_INTERNET;
		r->prefix.ip.af = fams[pick(4)];
	} else if (k < 12) {
		r->kind = WG_POL_RES_DNS;
	} else {
		unsigned int bits, l = pick(100);

		r->kind = WG_POL_RES_CIDR;
		r->prefix.ip = base_addr[pick(N_BASES)];
		flip_bits(&r->prefix.ip, 5);
		bits = wg_af_bits(r->prefix.ip.af);
		if (l < 35)
			r->prefix.len = (uint8_t)bits;
		else if (l < 70)
			r->prefix.len = (uint8_t)(bits - pick(12));
		else if (l < 97)
			r->prefix.len = (uint8_t)pick(bits + 1);
		else
			r->prefix.len = 0;
		/* Host bits are usually clear, as config gives them; sometimes
		 * not, which the table must ignore. */
		if (pick(4))
			wg_ipaddr_mask(&r->prefix.ip, r->prefix.len);
	}
	if (pick(10) < 3)
		return;	/* no filters: everything */
	r->n_filters = (uint16_t)(1 + pick(MAX_FILT));
	r->filters = fs;
	for (unsigned int i = 0; i < r->n_filters; i++) {
		static const uint8_t fprotos[] = { TCP, TCP, TCP, UDP, UDP, ICMP, ICMP6, GRE };
		uint16_t lo = interesting_port(), hi;

		switch (pick(4)) {
		case 0: hi = lo; break;
		case 1: hi = (uint16_t)(lo + pick(20)); break;
		case 2: hi = (uint16_t)(lo + pick(30000)); break;
		default: hi = (uint16_t)(pick(8) ? 65535 : lo - 1 - pick(3)); break;	/* maybe lo > hi */
		}
		if (hi < lo && pick(2))
			hi = 65535;
		fs[i] = (struct wg_pol_filter){ fprotos[pick(sizeof(fprotos))], lo, hi };
	}
}

/* Boundary addresses of the special ranges: first, last, one below, one above. */
#define N_EDGES ((N_TUNNEL + N_REJECTED) * 4)
static struct wg_ipaddr edges[N_EDGES];

static void edges_init(void)
{
	size_t e = 0;

	for (size_t i = 0; i < N_TUNNEL + N_REJECTED; i++) {
		struct wg_prefix p = i < N_TUNNEL ? m_tunnel[i] : m_rejected[i - N_TUNNEL];
		unsigned int bits = wg_af_bits(p.ip.af);
		struct wg_ipaddr lo = p.ip, hi = p.ip, x;

		for (unsigned int b = p.len; b < bits; b++)
			hi.a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		edges[e++] = lo;
		edges[e++] = hi;
		x = lo;
		for (int k = (int)bits / 8 - 1; k >= 0 && x.a[k]-- == 0; k--)
			;
		edges[e++] = x;
		x = hi;
		for (int k = (int)bits / 8 - 1; k >= 0 && ++x.a[k] == 0; k--)
			;
		edges[e++] = x;
	}
}

static void random_packet(struct wg_pol_pkt *pkt, uint64_t *now, const struct wg_pol_grant *g,
			  size_t n, uint64_t horizon)
{
	unsigned int k = pick(100);
	const struct wg_pol_resource *r = n ? g[pick((unsigned int)n)].res : NULL;

	if (k < 45 && r && r->kind == WG_POL_RES_CIDR) {
		/* Inside a granted prefix, host bits random. */
		unsigned int bits = wg_af_bits(r->prefix.ip.af);

		pkt->resource = r->prefix.ip;
		for (unsigned int b = r->prefix.len; b < bits; b++)
			if (rng() & 1)
				pkt->resource.a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	} else if (k < 75) {
		pkt->resource = base_addr[pick(N_BASES)];
		flip_bits(&pkt->resource, 6);
	} else if (k < 88) {
		pkt->resource = (struct wg_ipaddr){ .af = pick(2) ? WG_AF_INET4 : WG_AF_INET6 };
		for (unsigned int b = 0; b < wg_af_bits(pkt->resource.af) / 8; b++)
			pkt->resource.a[b] = (uint8_t)rng();
	} else if (k < 99) {
		pkt->resource = edges[pick(N_EDGES)];
	} else {
		pkt->resource = (struct wg_ipaddr){ .af = (uint8_t)pick(3) };	/* unset, bad */
	}
	pkt->proto = random_proto();
	if (r && r->n_filters && pick(2)) {
		const struct wg_pol_filter *f = &r->filters[pick(r->n_filters)];
		uint16_t e[4] = { f->lo, f->hi, (uint16_t)(f->lo - 1), (uint16_t)(f->hi + 1) };
		pkt->port = e[pick(4)];
	} else {
		pkt->port = pick(3) ? interesting_port() : (uint16_t)rng();
	}
	/* Exactly at, just before and just after some expiry; or anywhere. */
	if (n && pick(2)) {
		uint64_t ex = g[pick((unsigned int)n)].expires;
		*now = ex + pick(3) - 1;
	} else if (pick(200)) {
		*now = rng() % (horizon + 10);
	} else {
		*now = UINT64_MAX - pick(2);
	}
}

/* Tables from 0 to a few thousand grants, with repeats of one resource and
 * many resources per prefix. Expiries fall in [1, horizon]; 0 is never. */
static size_t random_grants(struct wg_pol_grant *g, size_t n, const struct pool *p,
			    uint64_t horizon)
{
	/* A narrow slice of the pool makes shared prefixes and repeats likely. */
	unsigned int slice = 1 + pick(POOL), off = pick(POOL - slice + 1);

	for (size_t i = 0; i < n; i++) {
		g[i].res = &p->res[off + pick(slice)];
		g[i].expires = pick(5) < 2 ? 0 : 1 + rng() % horizon;
	}
	return n;
}

static void test_differential(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 5, 8, 13, 20, 40, 80, 150, 300, 600, 1500 };
	const size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);
	const size_t n_pools = 3, per_table = 24000;
	const char *env = getenv("WG_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	struct pool *pool = malloc(sizeof(*pool));
	struct wg_pol_grant *g = malloc(1500 * sizeof(*g));
	size_t counts[5] = { 0 }, packets = 0;
	struct timespec t0, t1;

	(void)state;
	assert_non_null(pool);
	assert_non_null(g);
	printf("test_policy: seed %llu (rerun with WG_TEST_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed;
	for (size_t i = 0; i < N_BASES; i++)
		base_addr[i] = A(bases[i]);
	edges_init();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t pi = 0; pi < n_pools; pi++) {
		for (uint32_t i = 0; i < POOL; i++)
			random_resource(&pool->res[i], pool->filters[i], i);
		for (size_t si = 0; si < n_sizes; si++) {
			uint64_t horizon = 1 + pick(2000);
			size_t n = random_grants(g, sizes[si], pool, horizon);
			/* A NULL table is the same as no grants. */
			struct wg_pol_table *t = si == 0 && pi == 0 ? NULL : wg_pol_table_build(g, n);

			if (!(si == 0 && pi == 0) && !t)
				fail_msg("seed %llu: table %zu/%zu (%zu grants): build failed",
					 (unsigned long long)seed, pi, si, n);
			for (size_t k = 0; k < per_table; k++) {
				struct wg_pol_pkt pkt;
				uint64_t now;

				random_packet(&pkt, &now, g, n, horizon);
				enum wg_pol_verdict want = model_decide(g, n, &pkt, now);
				enum wg_pol_verdict got = wg_pol_decide(t, &pkt, now);

				if (want != got) {
					char s[WG_IPADDR_STRLEN];
					wg_ipaddr_str(&pkt.resource, s, sizeof(s));
					fail_msg("seed %llu: table %zu/%zu (%zu grants), packet %zu: %s "
						 "proto %u port %u now %llu: decide %s, model %s",
						 (unsigned long long)seed, pi, si, n, k, s, pkt.proto,
						 pkt.port, (unsigned long long)now, verdict_str(got),
						 verdict_str(want));
				}
				counts[want]++;
				packets++;
			}
			wg_pol_table_free(t);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("test_policy: %zu packets, 0 mismatches, %.2f s (allow %zu, no_grant %zu, "
	       "filter %zu, tunnel %zu, rejected %zu)\n", packets,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       counts[WG_POL_ALLOW], counts[WG_POL_DENY_NO_GRANT], counts[WG_POL_DENY_FILTER],
	       counts[WG_POL_DENY_TUNNEL_RANGE], counts[WG_POL_DENY_INTERNET_REJECTED]);
	assert_true(packets >= 1000000);
	/* Every verdict must be common, or the comparison proves little. */
	for (int v = 0; v < 5; v++)
		if (counts[v] < packets / 100)
			fail_msg("seed %llu: verdict %s only %zu times", (unsigned long long)seed,
				 verdict_str((enum wg_pol_verdict)v), counts[v]);
	free(g);
	free(pool);
}

/* ---- scale: one table of a million grants ---- */

/* Client i of a large site: host i in 10.0.0.0/8 (v4) or 2001:db8::/96 (v6),
 * TCP ports p..p+9 with p = (i * 7) % 60000, expiring at i % 3 ? 1000 + i : never. */
#define BIG 1000000u

static void big_host(uint32_t i, struct wg_prefix *p)
{
	uint32_t h = i / 2;

	if (i % 2) {
		*p = P("2001:db8::/128");
		p->ip.a[13] = (uint8_t)(h >> 16); p->ip.a[14] = (uint8_t)(h >> 8); p->ip.a[15] = (uint8_t)h;
	} else {
		*p = P("10.0.0.0/32");
		p->ip.a[1] = (uint8_t)(h >> 16); p->ip.a[2] = (uint8_t)(h >> 8); p->ip.a[3] = (uint8_t)h;
	}
}

static void test_million_grants(void **state)
{
	struct wg_pol_resource *r = calloc(BIG + 2, sizeof(*r));
	struct wg_pol_filter *f = calloc(BIG + 2, sizeof(*f));
	struct wg_pol_grant *g = calloc(BIG + 2, sizeof(*g));
	struct timespec t0, t1, t2;
	struct wg_pol_table *t;
	size_t checked = 0;

	(void)state;
	assert_non_null(r);
	assert_non_null(f);
	assert_non_null(g);
	for (uint32_t i = 0; i < BIG; i++) {
		uint16_t lo = (uint16_t)((i * 7u) % 60000u);

		f[i] = (struct wg_pol_filter){ WG_POL_TCP, lo, (uint16_t)(lo + 9) };
		r[i] = (struct wg_pol_resource){ .id = i, .kind = WG_POL_RES_CIDR, .filters = &f[i],
						 .n_filters = 1 };
		big_host(i, &r[i].prefix);
		g[i] = (struct wg_pol_grant){ &r[i], i % 3 ? 1000u + i : 0 };
	}
	/* Covering networks: UDP 53 everywhere in them, never expiring. */
	f[BIG] = (struct wg_pol_filter){ WG_POL_UDP, 53, 53 };
	r[BIG] = (struct wg_pol_resource){ .id = BIG, .kind = WG_POL_RES_CIDR,
					   .prefix = P("10.0.0.0/8"), .filters = &f[BIG], .n_filters = 1 };
	r[BIG + 1] = r[BIG];
	r[BIG + 1].prefix = P("2001:db8::/96");
	g[BIG] = (struct wg_pol_grant){ &r[BIG], 0 };
	g[BIG + 1] = (struct wg_pol_grant){ &r[BIG + 1], 0 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	t = wg_pol_table_build(g, BIG + 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(t);
	assert_int_equal(wg_pol_table_grants(t), BIG + 2);
	/* The grants array and resources are not needed once built. */
	memset(g, 0, (BIG + 2) * sizeof(*g));
	for (uint32_t i = 0; i < BIG + 1000; i += 1 + (uint32_t)(i % 7)) {
		struct wg_prefix p;
		uint16_t lo = (uint16_t)((i * 7u) % 60000u);
		uint64_t exp = i % 3 ? 1000u + i : 0, now = (i / 3) % 2 ? exp - 1 : exp;

		big_host(i, &p);
		struct wg_pol_pkt pkt = { .resource = p.ip, .proto = TCP, .port = (uint16_t)(lo + i % 12) };
		bool present = i >= BIG ? false : !exp || now < exp;
		bool in_range = i % 12 <= 9;
		enum wg_pol_verdict want = present && in_range ? WG_POL_ALLOW : WG_POL_DENY_FILTER;
		enum wg_pol_verdict got = wg_pol_decide(t, &pkt, now);

		if (got != want)
			fail_msg("host %u port %u now %llu: %s, want %s", i, pkt.port,
				 (unsigned long long)now, verdict_str(got), verdict_str(want));
		pkt.proto = UDP;
		pkt.port = 53;
		assert_int_equal(wg_pol_decide(t, &pkt, now), WG_POL_ALLOW);
		checked++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("test_policy: %u grants built in %.2f s; %zu hosts checked in %.2f s\n", BIG + 2,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, checked,
	       (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
	wg_pol_table_free(t);
	free(g);
	free(f);
	free(r);
}

/* Many grants on one prefix, with staggered expiries and port ranges: the
 * per-prefix merge has to keep, for every port, the latest expiry. */
static void test_one_prefix_many_grants(void **state)
{
	enum { N = 20000 };
	struct wg_pol_resource *r = calloc(N, sizeof(*r));
	struct wg_pol_filter *f = calloc(N, sizeof(*f));
	struct wg_pol_grant *g = calloc(N, sizeof(*g));
	struct wg_pol_table *t;

	(void)state;
	assert_true(r && f && g);
	for (uint32_t i = 0; i < N; i++) {
		/* Grant i: TCP i..i+100, expires at 10 * i + 10. */
		f[i] = (struct wg_pol_filter){ WG_POL_TCP, (uint16_t)i, (uint16_t)(i + 100) };
		r[i] = (struct wg_pol_resource){ .id = i, .kind = WG_POL_RES_CIDR,
						 .prefix = P("192.0.2.0/24"), .filters = &f[i],
						 .n_filters = 1 };
		g[i] = (struct wg_pol_grant){ &r[i], 10u * i + 10 };
	}
	t = wg_pol_table_build(g, N);
	assert_non_null(t);
	for (uint32_t port = 0; port <= 65535; port++) {
		/* The latest-expiring grant covering port is the highest i in
		 * [port - 100, port]; the prefix holds a grant until the last
		 * one, i = N - 1, lapses. */
		int64_t best = port < N ? (int64_t)port : (int64_t)N - 1;
		bool covered = best >= 0 && best + 100 >= (int64_t)port;
		uint64_t until = covered ? 10u * (uint64_t)best + 10 : 0, last = 10u * (N - 1) + 10;
		uint64_t nows[5] = { 0, until - 1, until, until + 1, rng() % (last + 20) };

		for (int k = 0; k < 5; k++) {
			struct wg_pol_pkt pkt = { .resource = A("192.0.2.1"), .proto = TCP,
						  .port = (uint16_t)port };
			uint64_t now = nows[k];
			enum wg_pol_verdict want = covered && now < until ? WG_POL_ALLOW
						 : now < last ? WG_POL_DENY_FILTER
						 : WG_POL_DENY_NO_GRANT;

			if (wg_pol_decide(t, &pkt, now) != want)
				fail_msg("port %u now %llu: want %s", port, (unsigned long long)now,
					 verdict_str(want));
			/* The model agrees on a sample (it scans all N grants). */
			if (port % 997 == 0)
				assert_int_equal(model_decide(g, N, &pkt, now), want);
		}
	}
	wg_pol_table_free(t);
	free(g);
	free(f);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_union),
		cmocka_unit_test(test_icmp_and_empty_filters),
		cmocka_unit_test(test_longest_and_permitting),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_tunnel_range),
		cmocka_unit_test(test_internet),
		cmocka_unit_test(test_dns_null_empty),
		cmocka_unit_test(test_odd_grants),
		cmocka_unit_test(test_filter_allows),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_from_config),
		cmocka_unit_test(test_one_prefix_many_grants),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_million_grants),
	};

	m_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
