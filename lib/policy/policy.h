/* Zero-trust policy: which resources one client may reach, and the per-packet
 * decision (shared/reference/firezone-gateway.md, "Resources and filters",
 * "Authorizations", "Refused packets").
 *
 * Objects and who owns them:
 *   - struct wg_pol_resource: a resource as the data plane sees it (prefix,
 *     kind, allow-set). Owned by the control core's resource generation.
 *   - struct wg_pol_grant: (resource, expiry) for one client; only an input
 *     to wg_pol_table_build().
 *   - struct wg_pol_table: one client's grants, compiled for lookups.
 *
 * Writer: the control core builds a table from a client's grants and
 * publishes it by pointer swap into the client's slot; the table it replaced
 * is freed only after an RCU grace period (rte_rcu_qsbr), since workers may
 * still be deciding with it. Readers: any worker, lock-free. A table is
 * immutable once built, so readers need no ordering beyond the acquire load
 * of the pointer. The table copies everything it needs at build time: it
 * keeps no pointer into the grants array nor into the resources, so neither
 * has to outlive it (callers may still retire them together).
 *
 * Time: an expiry is a point on whatever clock the caller passes as `now`
 * (the data plane uses the TSC); grants are checked on every packet, so a
 * grant that lapses stops the very next packet (Firezone only checks on a
 * 1 s tick). */
#ifndef WGATE_LIB_POLICY_POLICY_H
#define WGATE_LIB_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

struct wg_cfg_resource;

/* IP protocol numbers. ICMPv6 (58) counts as ICMP wherever a protocol is
 * compared, in packets and in filters alike. */
enum {
	WG_POL_ICMP = 1,
	WG_POL_TCP = 6,
	WG_POL_UDP = 17,
	WG_POL_ICMPV6 = 58,
};

/* One element of a resource's allow-set. For TCP and UDP the port lies in
 * lo..hi (inclusive; lo > hi permits nothing); for ICMP lo and hi are unused
 * and every type is allowed. Any other proto permits nothing. */
struct wg_pol_filter {
	uint8_t proto;
	uint16_t lo, hi;
};

enum wg_pol_res_kind {
	WG_POL_RES_CIDR = 0,	/* prefix: a network, or a host as /32 or /128 */
	WG_POL_RES_INTERNET,	/* every address not in a granted CIDR resource, minus the
				 * rejected ranges; prefix.ip.af 0 = both families (what
				 * config gives), 4 or 6 = that family only */
	WG_POL_RES_DNS,		/* matches nothing until DNS resolution lands */
};

/* A resource as the data plane sees it. Immutable once built; filters point
 * into storage owned by whoever built it (wg_pol_resource_from_config: the
 * caller's filters_storage). */
struct wg_pol_resource {
	uint32_t id;
	uint8_t kind;			/* enum wg_pol_res_kind */
	struct wg_prefix prefix;	/* CIDR: the network, host bits ignored */
	const struct wg_pol_filter *filters;
	uint16_t n_filters;		/* 0 = every protocol and port allowed */
};

struct wg_pol_grant {
	const struct wg_pol_resource *res;	/* NULL: the grant is ignored */
	uint64_t expires;	/* 0 = never; else absent once now >= expires */
};

struct wg_pol_table;

/* Compiles a client's grants. Several grants may name the same resource or
 * resources sharing a prefix; a CIDR resource whose prefix has a bad family
 * or length matches nothing. n = 0 (grants may then be NULL) gives a valid
 * empty table. NULL on ENOMEM. Cost O(g log g) in the number of grants and
 * filters; memory about 100 (IPv4) to 200 (IPv6) bytes per distinct
 * prefix with a filter or two. */
struct wg_pol_table *wg_pol_table_build(const struct wg_pol_grant *grants, size_t n);
/* NULL is fine. Only after no reader can still hold the table (see above). */
void wg_pol_table_free(struct wg_pol_table *t);
/* The n the table was built from (every grant, whatever its kind). */
size_t wg_pol_table_grants(const struct wg_pol_table *t);

/* What one packet is about, from the resource's side. The caller fills it
 * for the direction: client -> resource uses the destination address and
 * port, resource -> client the source address and port. */
struct wg_pol_pkt {
	struct wg_ipaddr resource;
	uint8_t proto;		/* IP protocol number; 58 for ICMPv6 */
	uint16_t port;		/* resource-side port; ICMP echo: the identifier */
};

/* Why a packet was refused; each maps to its own counter and ICMP answer. */
enum wg_pol_verdict {
	WG_POL_ALLOW = 0,
	WG_POL_DENY_NO_GRANT,		/* no present grant contains the address */
	WG_POL_DENY_FILTER,		/* granted, but no present grant's filter permits it */
	WG_POL_DENY_TUNNEL_RANGE,	/* a client tunnel address: never a resource */
	WG_POL_DENY_INTERNET_REJECTED,	/* only the internet resource applies, and the
					 * address is one it excludes */
};

/* The decision, same rule in both directions:
 *   1. address in the client tunnel ranges -> DENY_TUNNEL_RANGE;
 *   2. among the present (not expired) CIDR grants containing the address:
 *      one permits -> ALLOW (Firezone prefers a permitting resource, then the
 *      longest prefix; the verdict only needs "some permits"); some contain
 *      but none permits -> DENY_FILTER;
 *   3. otherwise, present internet grants of the address's family: address
 *      rejected -> DENY_INTERNET_REJECTED; one permits -> ALLOW; else
 *      DENY_FILTER;
 *   4. otherwise DENY_NO_GRANT (also for a NULL table or an unset family).
 * Lock-free, no allocation, no writes: cost one hash probe per distinct
 * prefix length in the table plus a binary search per containing prefix. */
enum wg_pol_verdict wg_pol_decide(const struct wg_pol_table *t, const struct wg_pol_pkt *pkt,
				  uint64_t now);

/* 100.64.0.0/11 or fd00:2021:1111::/107: client tunnel addresses. */
bool wg_pol_in_tunnel_range(const struct wg_ipaddr *ip);
/* The addresses the internet resource never reaches: IPv4 0/8, 10/8,
 * 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, 224/4, 240/4 (which
 * holds 255.255.255.255); IPv6 ::, ::1, ::ffff:0:0/96 (v4-mapped),
 * fc00::/7, fe80::/10, ff00::/8. False for an unset family. */
bool wg_pol_internet_rejected(const struct wg_ipaddr *ip);
/* Does the allow-set f[0..n) permit proto/port? n = 0 permits everything. */
bool wg_pol_filter_allows(const struct wg_pol_filter *f, uint16_t n, uint8_t proto, uint16_t port);

/* Converts a config resource. Its filters are copied into filters_storage,
 * which must hold in->n_filters entries (may be NULL when there are none);
 * out->filters points there. 0, or -EINVAL for a CIDR prefix with a bad
 * family or length, an unknown kind or protocol, a port range with lo > hi,
 * or more than 65535 filters (out is then unspecified). Host bits of a CIDR
 * prefix are cleared. */
int wg_pol_resource_from_config(struct wg_pol_resource *out, struct wg_pol_filter *filters_storage,
				const struct wg_cfg_resource *in, uint32_t id);

#endif
