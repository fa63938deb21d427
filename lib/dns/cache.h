/* The resolver's cache: one entry per (name, family), A and AAAA apart,
 * each holding the addresses of its last answer and when that answer
 * expires (the smallest TTL of its records). Pure bookkeeping: no I/O, no
 * clock of its own (every call takes `now`, in ns, so tests compress time);
 * control/dns.c does the lookups with c-ares and feeds the answers in.
 *
 * Rules (shared/reference/firezone-gateway.md, "DNS resources"):
 *   - a positive answer lives for its TTL, clamped to WG_DNS_TTL_MIN ..
 *     WG_DNS_TTL_MAX; NXDOMAIN and "no records" are an empty answer that
 *     lives WG_DNS_NEG_TTL (the message's SOA is not read);
 *   - a failed lookup (timeout, SERVFAIL, refused) keeps the previous
 *     addresses, if any, and is retried after WG_DNS_RETRY: an upstream
 *     hiccup does not black-hole a resource that resolved a moment ago;
 *   - an entry is "in use" while it is pinned, or when it was read since
 *     its last answer arrived; in-use entries are refreshed when they
 *     expire (not before: a changed record takes effect once its TTL has
 *     passed, never earlier), the others are dropped at expiry.
 *
 * Writer and reader: the control core only (single-threaded). */
#ifndef WGATE_LIB_DNS_CACHE_H
#define WGATE_LIB_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define WG_DNS_NAME_LEN		256	/* 253 characters + NUL, rounded */
#define WG_DNS_MAX_ADDRS	16	/* addresses kept per answer */
#define WG_DNS_TTL_MIN		1	/* s: a TTL of 0 would re-ask on every packet */
#define WG_DNS_TTL_MAX		86400	/* s */
#define WG_DNS_NEG_TTL		5	/* s: NXDOMAIN / no data */
#define WG_DNS_RETRY		5	/* s: after a failed lookup */

#define WG_DNS_NS		1000000000ULL

/* What the last lookup said. */
enum wg_dns_status {
	WG_DNS_NONE = 0,	/* never answered yet */
	WG_DNS_OK,		/* addresses (n >= 1) */
	WG_DNS_EMPTY,		/* NXDOMAIN or no records of this family */
	WG_DNS_FAILED,		/* no usable answer (timeout, SERVFAIL, ...) */
};

struct wg_dns_entry {
	char name[WG_DNS_NAME_LEN];	/* lower case, no trailing dot */
	uint8_t af;			/* WG_AF_INET4 (A) or WG_AF_INET6 (AAAA) */
	uint8_t status;			/* enum wg_dns_status */
	bool pending;			/* a lookup is out (or queued) */
	uint8_t n;			/* addresses valid in addrs */
	struct wg_ipaddr addrs[WG_DNS_MAX_ADDRS];
	uint32_t ttl;			/* s, of the answer held (after clamping) */
	uint64_t answered_ns;		/* when the answer held arrived; 0 = never */
	uint64_t expires_ns;		/* refresh (in use) or drop (idle) from then on */
	uint64_t used_ns;		/* last read by a consumer */
	uint32_t pins;			/* holders that keep it refreshed */
	uint64_t changes;		/* bumped whenever the address set changes */
	void *user;			/* the caller's (control/dns.c: waiters) */
	/* Internal. */
	uint32_t hash;
	struct wg_dns_entry *next;	/* hash chain */
	struct wg_dns_entry *all_prev, *all_next;
};

struct wg_dns_cache;

/* max_entries >= 1. NULL on ENOMEM. */
struct wg_dns_cache *wg_dns_cache_create(size_t max_entries);
/* Frees every entry; e->user must have been released by the caller. */
void wg_dns_cache_free(struct wg_dns_cache *c);
size_t wg_dns_cache_count(const struct wg_dns_cache *c);

/* Lower-cases name into out (WG_DNS_NAME_LEN), dropping one trailing dot.
 * 0, or -EINVAL for an empty name, one longer than 253 characters, a label
 * longer than 63 or empty, or a character outside letters, digits, '-',
 * '_' (all a resolver may be asked for). */
int wg_dns_name_norm(const char *name, char out[WG_DNS_NAME_LEN]);

/* The entry for (name, af), or NULL. name must be normalised. */
struct wg_dns_entry *wg_dns_cache_find(struct wg_dns_cache *c, const char *name, uint8_t af);
/* The entry for (name, af), created (status NONE, expired) when missing.
 * NULL when name is not valid or the cache is full (-ENOSPC in *err) or
 * memory ran out (-ENOMEM). */
struct wg_dns_entry *wg_dns_cache_get(struct wg_dns_cache *c, const char *name, uint8_t af,
				      int *err);
/* Removes and frees e (not pending, user released). */
void wg_dns_cache_remove(struct wg_dns_cache *c, struct wg_dns_entry *e);

/* Whether e holds an answer that has not expired. */
static inline bool wg_dns_entry_fresh(const struct wg_dns_entry *e, uint64_t now)
{
	return e->status != WG_DNS_NONE && now < e->expires_ns;
}

/* A consumer read e (marks it in use until its next answer). */
static inline void wg_dns_entry_touch(struct wg_dns_entry *e, uint64_t now)
{
	e->used_ns = now;
}

/* Files an answer: status OK with n >= 1 addresses of e's family (others
 * are skipped; more than WG_DNS_MAX_ADDRS are cut) and the smallest TTL of
 * the records, EMPTY, or FAILED (then addrs/ttl are ignored). Clears
 * pending. Returns true when the address set changed (order ignored). */
bool wg_dns_entry_answer(struct wg_dns_entry *e, enum wg_dns_status st,
			 const struct wg_ipaddr *addrs, size_t n, uint32_t ttl, uint64_t now);

/* What the periodic scan decided for one entry. */
enum wg_dns_due {
	WG_DNS_KEEP = 0,	/* fresh, pending, or never asked */
	WG_DNS_REFRESH,		/* expired and in use: look it up again */
	WG_DNS_DROP,		/* expired and idle: remove it */
};
enum wg_dns_due wg_dns_entry_due(const struct wg_dns_entry *e, uint64_t now);

/* Iteration over every entry (e.g. the scan); removing the entry just
 * returned is allowed when the next was taken first. */
struct wg_dns_entry *wg_dns_cache_first(struct wg_dns_cache *c);
static inline struct wg_dns_entry *wg_dns_cache_next(struct wg_dns_entry *e)
{
	return e->all_next;
}

#endif
