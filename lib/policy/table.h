/* Internal to lib/policy: the compiled layout of a client's table, shared
 * by table.c (which builds it on the control core) and policy.c (which
 * reads it on the workers). Not for callers: they see struct wg_pol_table
 * only as an opaque pointer (policy.h). */
#ifndef WGATE_LIB_POLICY_TABLE_H
#define WGATE_LIB_POLICY_TABLE_H

#include <stdint.h>

#include "lib/policy/policy.h"

struct wg_prefix_map;

/* How a table answers "does some present grant of this prefix permit this
 * packet?" without looking at the grants one by one.
 *
 * Grants that share a prefix form a group. Each grant is present up to and
 * including the tick `until` (expires - 1, or UINT64_MAX for never). For each
 * protocol the group keeps, per port, the latest `until` of any grant
 * permitting that port: the upper envelope of the grants' port ranges,
 * stored as sorted disjoint spans. A packet is permitted by the group iff
 * the span holding its port has until >= now: one binary search, however
 * many grants, filters and expiries the group has. ICMP and "any other
 * protocol" need no ports, so they are single values.
 *
 * The verdict only asks whether some containing group permits, and whether
 * some containing group has a present grant at all, so the groups can be
 * weighed in any order; lookup_all yields them longest first and the first
 * permitting one ends the search. */

/* One run of ports with the same latest until. */
struct pol_span {
	uint16_t lo, hi;
	uint64_t until;
};

#define POL_HAS_ICMP	0x1	/* some grant permits ICMP: icmp is valid */
#define POL_HAS_ANY		0x2	/* some grant has no filters: any is valid */

struct pol_group {
	uint64_t alive;		/* latest until of any grant: the group contains
				 * the address only while now <= alive */
	uint64_t icmp;		/* latest until of a grant permitting ICMP */
	uint64_t any;		/* latest until of a grant with no filters (other protocols) */
	uint32_t span_off;	/* TCP spans, then UDP spans, in table->spans */
	uint32_t n_tcp, n_udp;
	uint8_t flags;
};

/* Writer: the control core, in wg_pol_table_build only. Readers: workers,
 * lock-free. Never written after build returns. */
struct wg_pol_table {
	size_t n_grants;
	/* For caches keyed by table (the data plane's flow cache): a number
	 * no other table built by this process has (never 0), since a freed
	 * table's address may come back; and a time up to which every
	 * decision of the table stays the same (no grant lapses before),
	 * UINT64_MAX when no grant expires. */
	uint64_t gen;
	uint64_t stable_until;
	struct wg_prefix_map *map;	/* CIDR prefix -> index into groups */
	struct pol_group *groups;
	struct pol_span *spans;
	struct pol_group inet[2];		/* internet grants: [0] IPv4, [1] IPv6 */
	uint8_t has_inet[2];
};

#define POL_UNTIL_NEVER UINT64_MAX

static inline uint8_t pol_norm_proto(uint8_t proto)
{
	return proto == WG_POL_ICMPV6 ? WG_POL_ICMP : proto;
}

static inline uint64_t pol_grant_until(uint64_t expires)
{
	return expires ? expires - 1 : POL_UNTIL_NEVER;
}

#endif
