/* The per-packet side of the policy (workers: no allocation, no writes),
 * the address-range predicates, and config conversion. Tables are built in
 * table.c. */
#include "lib/policy/policy.h"

#include <errno.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/net/prefix_map.h"
#include "lib/policy/table.h"

/* ---- the per-packet side: no allocation, no writes ---- */

static bool spans_permit(const struct pol_span *s, uint32_t n, uint16_t port, uint64_t now)
{
	uint32_t lo = 0, hi = n;

	/* The last span starting at or before port. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && port <= s[lo - 1].hi && now <= s[lo - 1].until;
}

static bool group_permits(const struct wg_pol_table *t, const struct pol_group *g, uint8_t proto,
			  uint16_t port, uint64_t now)
{
	switch (proto) {
	/* A table without spans has spans == NULL, and NULL + 0 is undefined
	 * behaviour in C (UBSan says so): test the count first. */
	case WG_POL_TCP:
		return g->n_tcp && spans_permit(t->spans + g->span_off, g->n_tcp, port, now);
	case WG_POL_UDP:
		return g->n_udp &&
		       spans_permit(t->spans + g->span_off + g->n_tcp, g->n_udp, port, now);
	case WG_POL_ICMP:
		return (g->flags & POL_HAS_ICMP) && now <= g->icmp;
	default:
		return (g->flags & POL_HAS_ANY) && now <= g->any;
	}
}

enum wg_pol_verdict wg_pol_decide(const struct wg_pol_table *t, const struct wg_pol_pkt *pkt,
				  uint64_t now)
{
	uintptr_t idx[WG_PREFIX_MAP_MAX_MATCHES];
	uint8_t proto = pol_norm_proto(pkt->proto);
	bool contained = false;
	size_t n;
	int fam;

	if (pkt->resource.af == WG_AF_INET4)
		fam = 0;
	else if (pkt->resource.af == WG_AF_INET6)
		fam = 1;
	else
		return WG_POL_DENY_NO_GRANT;
	/* Before any grant: even a grant of 0.0.0.0/0 does not open the
	 * tunnel range (no client-to-client hairpin). */
	if (wg_pol_in_tunnel_range(&pkt->resource))
		return WG_POL_DENY_TUNNEL_RANGE;
	if (!t)
		return WG_POL_DENY_NO_GRANT;

	n = wg_prefix_map_lookup_all(t->map, &pkt->resource, idx, WG_PREFIX_MAP_MAX_MATCHES);
	for (size_t i = 0; i < n; i++) {
		const struct pol_group *g = &t->groups[idx[i]];

		if (now > g->alive)
			continue;	/* every grant of this prefix has lapsed */
		contained = true;
		if (group_permits(t, g, proto, pkt->port, now))
			return WG_POL_ALLOW;
	}
	if (contained)
		return WG_POL_DENY_FILTER;

	/* The internet resource is the lowest priority: it only applies where
	 * no present CIDR grant contains the address. */
	if (t->has_inet[fam] && now <= t->inet[fam].alive) {
		if (wg_pol_internet_rejected(&pkt->resource))
			return WG_POL_DENY_INTERNET_REJECTED;
		return group_permits(t, &t->inet[fam], proto, pkt->port, now) ? WG_POL_ALLOW
									      : WG_POL_DENY_FILTER;
	}
	return WG_POL_DENY_NO_GRANT;
}

size_t wg_pol_table_grants(const struct wg_pol_table *t)
{
	return t ? t->n_grants : 0;
}

/* ---- address ranges ---- */

struct range {
	uint8_t af, len;
	uint8_t a[16];
};

static bool in_range(const struct wg_ipaddr *ip, const struct range *r)
{
	unsigned int full = r->len / 8, rest = r->len % 8;

	if (ip->af != r->af || memcmp(ip->a, r->a, full))
		return false;
	return !rest || ((ip->a[full] ^ r->a[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

static bool in_any(const struct wg_ipaddr *ip, const struct range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in_range(ip, &r[i]))
			return true;
	return false;
}

static const struct range tunnel_ranges[] = {
	{ WG_AF_INET4, 11, { 100, 64 } },
	{ WG_AF_INET6, 107, { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 } },
};

/* Firezone's internet-resource exclusions (reference "Resources and filters"),
 * plus what can never be a unicast destination on the internet (0/8,
 * 255.255.255.255 inside 240/4, ::). */
static const struct range rejected_ranges[] = {
	{ WG_AF_INET4, 8, { 0 } },
	{ WG_AF_INET4, 8, { 10 } },
	{ WG_AF_INET4, 10, { 100, 64 } },
	{ WG_AF_INET4, 8, { 127 } },
	{ WG_AF_INET4, 16, { 169, 254 } },
	{ WG_AF_INET4, 12, { 172, 16 } },
	{ WG_AF_INET4, 16, { 192, 168 } },
	{ WG_AF_INET4, 4, { 224 } },
	{ WG_AF_INET4, 4, { 240 } },
	{ WG_AF_INET6, 128, { 0 } },
	{ WG_AF_INET6, 128, { [15] = 1 } },
	{ WG_AF_INET6, 96, { [10] = 0xff, [11] = 0xff } },
	{ WG_AF_INET6, 7, { 0xfc } },
	{ WG_AF_INET6, 10, { 0xfe, 0x80 } },
	{ WG_AF_INET6, 8, { 0xff } },
};

bool wg_pol_in_tunnel_range(const struct wg_ipaddr *ip)
{
	return in_any(ip, tunnel_ranges, sizeof(tunnel_ranges) / sizeof(tunnel_ranges[0]));
}

bool wg_pol_internet_rejected(const struct wg_ipaddr *ip)
{
	return in_any(ip, rejected_ranges, sizeof(rejected_ranges) / sizeof(rejected_ranges[0]));
}

bool wg_pol_filter_allows(const struct wg_pol_filter *f, uint16_t n, uint8_t proto, uint16_t port)
{
	proto = pol_norm_proto(proto);
	if (!n)
		return true;
	for (uint16_t i = 0; i < n; i++) {
		if (pol_norm_proto(f[i].proto) != proto)
			continue;
		if (proto == WG_POL_ICMP)
			return true;
		if ((proto == WG_POL_TCP || proto == WG_POL_UDP) && f[i].lo <= port && port <= f[i].hi)
			return true;
	}
	return false;
}

/* ---- config ---- */

int wg_pol_resource_from_config(struct wg_pol_resource *out, struct wg_pol_filter *filters_storage,
				const struct wg_cfg_resource *in, uint32_t id)
{
	*out = (struct wg_pol_resource){ .id = id };
	switch (in->kind) {
	case WG_CFG_RES_CIDR:
		if ((in->prefix.ip.af != WG_AF_INET4 && in->prefix.ip.af != WG_AF_INET6) ||
		    in->prefix.len > wg_af_bits(in->prefix.ip.af))
			return -EINVAL;
		out->kind = WG_POL_RES_CIDR;
		out->prefix = in->prefix;
		wg_ipaddr_mask(&out->prefix.ip, out->prefix.len);
		break;
	case WG_CFG_RES_DNS:
		out->kind = WG_POL_RES_DNS;
		break;
	case WG_CFG_RES_INTERNET:
		out->kind = WG_POL_RES_INTERNET;	/* prefix af 0: both families */
		break;
	default:
		return -EINVAL;
	}
	if (in->n_filters > UINT16_MAX || (in->n_filters && !filters_storage))
		return -EINVAL;
	for (size_t i = 0; i < in->n_filters; i++) {
		const struct wg_cfg_filter *f = &in->filters[i];
		uint8_t proto;

		switch (f->proto) {
		case WG_CFG_PROTO_TCP: proto = WG_POL_TCP; break;
		case WG_CFG_PROTO_UDP: proto = WG_POL_UDP; break;
		case WG_CFG_PROTO_ICMP: proto = WG_POL_ICMP; break;
		default: return -EINVAL;
		}
		if (f->lo > f->hi)
			return -EINVAL;
		filters_storage[i] = (struct wg_pol_filter){ .proto = proto, .lo = f->lo, .hi = f->hi };
	}
	out->filters = in->n_filters ? filters_storage : NULL;
	out->n_filters = (uint16_t)in->n_filters;
	return 0;
}
