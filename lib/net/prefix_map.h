/* Longest-prefix-match map from IPv4/IPv6 prefixes to a uintptr_t value
 * (a peer pointer, an index, ...): allowed IPs to peer, resource addresses
 * to policy.
 *
 * Built once, then immutable. Writer: the control core, which fills a
 * builder, turns it into a map and publishes the map by pointer swap; it
 * frees the old map only after an RCU grace period (rte_rcu_qsbr), because
 * workers may still be reading it. Readers: any worker, without locks: a
 * published map is never written again. A NULL map is a valid empty map.
 *
 * Layout: one open-addressing hash table per prefix length present, keyed by
 * the masked address; a lookup tries the lengths present from longest to
 * shortest, so its cost is one hash probe per distinct length. Tuned for what
 * a gateway holds: up to ~1M host routes (/32, /128) plus a few shorter
 * prefixes. Lookups never allocate. Each table records its longest probe
 * sequence, so a lookup of any address - including one an attacker chose -
 * is bounded by the build, not by luck. */
#ifndef WGATE_LIB_NET_PREFIX_MAP_H
#define WGATE_LIB_NET_PREFIX_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_ipaddr;
struct wg_prefix;
struct wg_prefix_map;
struct wg_prefix_map_builder;

/* NULL on ENOMEM. */
struct wg_prefix_map_builder *wg_prefix_map_builder_create(void);
/* Host bits of p below its length are ignored. 0; -EEXIST when the same
 * prefix (address family, masked address and length) is already there, the
 * first value kept; -EINVAL for a bad family or length; -ENOMEM, the builder
 * left as it was. */
int wg_prefix_map_builder_add(struct wg_prefix_map_builder *b, const struct wg_prefix *p,
			      uintptr_t value);
/* Discards a builder that will not be built (e.g. after an add failed). */
void wg_prefix_map_builder_free(struct wg_prefix_map_builder *b);

/* Consumes the builder (freed whatever the outcome). NULL on ENOMEM; an empty
 * builder gives an empty map, not NULL. */
struct wg_prefix_map *wg_prefix_map_build(struct wg_prefix_map_builder *b);
void wg_prefix_map_free(struct wg_prefix_map *m);

size_t wg_prefix_map_count(const struct wg_prefix_map *m);

/* Longest match for ip. True and *value set when a prefix covers it. */
bool wg_prefix_map_lookup(const struct wg_prefix_map *m, const struct wg_ipaddr *ip,
			  uintptr_t *value);
/* The same straight from a packet header: be4/be16 in network order, no
 * struct wg_ipaddr to fill. */
bool wg_prefix_map_lookup_v4(const struct wg_prefix_map *m, const uint8_t be4[4], uintptr_t *value);
bool wg_prefix_map_lookup_v6(const struct wg_prefix_map *m, const uint8_t be16[16],
			     uintptr_t *value);

/* Most prefixes one address can match: one per length, /0 to /128. */
#define WG_PREFIX_MAP_MAX_MATCHES 129

/* Every entry whose prefix contains ip, longest prefix first, at most max of
 * them written to values; returns how many were written. For callers that
 * must weigh all covering prefixes, not just the longest (policy: a shorter
 * resource may permit what a longer one filters out). A values array of
 * WG_PREFIX_MAP_MAX_MATCHES never truncates. No allocation; same cost as
 * wg_prefix_map_lookup when it misses everywhere. */
size_t wg_prefix_map_lookup_all(const struct wg_prefix_map *m, const struct wg_ipaddr *ip,
				uintptr_t *values, size_t max);

#endif
