/* A symmetric NAT table (shared/reference/firezone-gateway.md, "DNS
 * resources" and "Masquerading"): one entry per flow, found from either
 * side. `orig` is the flow as the client sent it; `reply` is how answers
 * arrive (source = the real destination, destination = the translated
 * source). Keyed by protocol and ports; for ICMP echo both ports are the
 * identifier.
 *
 * Lifetimes, from the last packet either way:
 *   TCP 2 h 4 min, UDP 2 min, ICMP 2 min; never answered 60 s;
 *   TCP after FIN both ways 5 s; TCP RST: gone at once.
 * Expired entries are freed lazily when met by a lookup, and by
 * wg_nat_sweep, a bounded step the owner calls regularly.
 *
 * Bounded: created with a fixed capacity, all memory allocated then; a
 * new flow when full is refused (-ENOSPC) and counted in refused_full.
 *
 * Writer and reader: one thread (a data-plane worker owns its table;
 * nothing else touches it), so no locks. No allocation after create. */
#ifndef WGATE_LIB_NAT_TABLE_H
#define WGATE_LIB_NAT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define WG_NAT_NS		1000000000ULL
#define WG_NAT_TCP_S		(2 * 3600 + 4 * 60)
#define WG_NAT_UDP_S		120
#define WG_NAT_ICMP_S		120
#define WG_NAT_UNANSWERED_S	60
#define WG_NAT_FIN_S		5

/* One direction of a flow. Compared and hashed as bytes: build it with
 * wg_nat_key_make (padding zero). */
struct wg_nat_key {
	struct wg_ipaddr src, dst;
	uint16_t sport, dport;	/* host order; ICMP echo: both = identifier */
	uint8_t proto;		/* 6, 17, 1 or 58 */
	uint8_t pad;
};

static inline void wg_nat_key_make(struct wg_nat_key *k, const struct wg_ipaddr *src,
				   const struct wg_ipaddr *dst, uint16_t sport, uint16_t dport,
				   uint8_t proto)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->src = *src;
	k->dst = *dst;
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
}

/* Flags of an entry. */
#define WG_NAT_ANSWERED	0x1	/* a packet came back */
#define WG_NAT_FIN_OUT	0x2	/* TCP FIN from the client side */
#define WG_NAT_FIN_IN	0x4	/* TCP FIN from the far side */
#define WG_NAT_RST	0x8	/* TCP RST seen: gone */

#define WG_NAT_NO_USER UINT32_MAX	/* user of a new entry */

struct wg_nat_entry {
	struct wg_nat_key orig;		/* client -> far side, as sent */
	struct wg_nat_key reply;	/* far side -> us, as it arrives */
	uint64_t last_ns;
	uint32_t user;			/* the caller's (e.g. the client's peer slot) */
	uint8_t flags;
	/* Internal: chains (index + 1; 0 = end) and liveness. */
	uint32_t next_o, next_r;
	bool used;
};

struct wg_nat_stats {
	uint64_t created, expired, refused_full, refused_no_port;
	size_t active;
};

struct wg_nat_table;

/* capacity >= 1 entries. NULL on ENOMEM. */
struct wg_nat_table *wg_nat_create(size_t capacity);
void wg_nat_free(struct wg_nat_table *t);
/* No flow at all (a cheap test before parsing a packet). */
bool wg_nat_empty(const struct wg_nat_table *t);
void wg_nat_get_stats(const struct wg_nat_table *t, struct wg_nat_stats *s);

/* When e stops being valid if nothing more passes. */
uint64_t wg_nat_expiry(const struct wg_nat_entry *e);

/* The live entry whose orig (lookup_out) or reply (lookup_in) is k; an
 * expired one met on the way is freed. NULL when none. */
struct wg_nat_entry *wg_nat_lookup_out(struct wg_nat_table *t, const struct wg_nat_key *k,
				       uint64_t now);
struct wg_nat_entry *wg_nat_lookup_in(struct wg_nat_table *t, const struct wg_nat_key *k,
				      uint64_t now);

/* A new flow: orig as the client sent it, translated to source new_src
 * and destination new_dst (ports kept). With port_lo <= port_hi, the
 * translated source port (ICMP: the echo identifier) is chosen in
 * port_lo..port_hi so that the reply key is unique (masquerading: a
 * worker's slice; proxy addresses: 0..65535, for two proxies of one real
 * address); the client's own port is kept when it is in the range and
 * free. NULL with *err = -ENOSPC (table full: counted),
 * -EADDRINUSE (no free port in the range, or the reply key is taken:
 * counted) or -EEXIST (orig already present). */
struct wg_nat_entry *wg_nat_add(struct wg_nat_table *t, const struct wg_nat_key *orig,
				const struct wg_ipaddr *new_src, const struct wg_ipaddr *new_dst,
				uint16_t port_lo, uint16_t port_hi, uint64_t now, int *err);

/* A packet of e's flow passed: outbound (from the client) or not, with the
 * TCP flags byte (0 for other protocols). Updates the time and the state;
 * a RST removes the entry (it must not be used after this returns false). */
bool wg_nat_seen(struct wg_nat_table *t, struct wg_nat_entry *e, bool outbound,
		 uint8_t tcp_flags, uint64_t now);

void wg_nat_remove(struct wg_nat_table *t, struct wg_nat_entry *e);
/* fn(ctx, e) is called for every entry that goes (expired, RST, removed),
 * just before it does: the owner keeps its own counts. */
void wg_nat_set_remove_hook(struct wg_nat_table *t, void (*fn)(void *ctx, const struct wg_nat_entry *e),
			    void *ctx);
/* Checks up to budget entries (round robin) and frees the expired; returns
 * how many it freed. */
unsigned int wg_nat_sweep(struct wg_nat_table *t, uint64_t now, unsigned int budget);

#endif
