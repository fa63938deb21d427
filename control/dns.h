/* Name resolution on the control core with c-ares, never blocking: A and
 * AAAA looked up separately, answers cached with each record's TTL, or
 * CTL_DNS_FIXED_TTL while the TTL policy says so (lib/dns/cache.h has the rules: clamping, negative answers, stale on
 * failure, refresh while in use), at most CTL_DNS_MAX_INFLIGHT lookups
 * out (the rest wait in a FIFO), each given up after CTL_DNS_TIMEOUT_MS.
 * Upstream servers: WGATE_DNS_SERVERS, else /etc/resolv.conf.
 *
 * General purpose: DNS resources use it, and anything else on the control
 * core that needs an address for a name (e.g. HTTP hosts) may.
 *
 * Control core only (single-threaded; callbacks run on it, from
 * ctl_dns_lookup itself for a cached answer or from ctl_dns_poll). */
#ifndef WGATE_CONTROL_DNS_H
#define WGATE_CONTROL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define CTL_DNS_MAX_INFLIGHT	1000
#define CTL_DNS_TIMEOUT_MS	10000
#define CTL_DNS_MAX_ENTRIES	65536
/* s: how long every positive answer is kept while TTL-honouring resolution
 * (the dns-ttl-resolution flag) is off, whatever the records say. */
#define CTL_DNS_FIXED_TTL	30

struct wg_dns_entry;

struct ctl_dns_answer {
	const char *name;		/* normalised: lower case, no trailing dot */
	int family;			/* AF_INET (A) or AF_INET6 (AAAA) */
	/* 0: addresses (n >= 1; after a failed refresh, the previous ones);
	 * -ENOENT: NXDOMAIN or no record of the family; -ETIMEDOUT: no answer
	 * within the timeout; -EIO: no usable answer (SERVFAIL, refused). */
	int status;
	const struct wg_ipaddr *addrs;	/* valid during the callback only */
	unsigned int n;
	uint32_t ttl;			/* s the answer has left (>= 1 when status 0) */
};

typedef void (*ctl_dns_cb)(void *arg, const struct ctl_dns_answer *a);
/* Called whenever an entry's address set changes (a record changed at a
 * refresh, a name became resolvable or stopped being so). */
typedef void (*ctl_dns_change_fn)(const struct wg_dns_entry *e);

struct ctl_dns_opts {
	unsigned int timeout_ms;	/* 0: CTL_DNS_TIMEOUT_MS */
	unsigned int max_inflight;	/* 0: CTL_DNS_MAX_INFLIGHT */
	size_t max_entries;		/* 0: CTL_DNS_MAX_ENTRIES ([Dataplane] DnsCacheEntries) */
	/* Bumped at each lookup or pin refused because the cache is full
	 * (the gateway's bound_refused_dns_cache counter); NULL: none. */
	uint64_t *full_counter;
};

struct ctl_dns_stats {
	uint64_t lookups;	/* queries sent upstream */
	uint64_t cache_hits;	/* ctl_dns_lookup answered at once */
	uint64_t answers, empty, timeouts, failures;
	uint64_t cache_full;	/* lookups refused: every entry taken (max_entries) */
	unsigned int inflight, queued, max_inflight_seen;
	size_t entries, max_entries;	/* in the cache, its bound */
};

/* servers: WGATE_DNS_SERVERS' value (NULL or "" = /etc/resolv.conf).
 * 0, -EINVAL (bad server list, logged), -ENOMEM or -EIO (c-ares). */
int ctl_dns_init(const char *servers, const struct ctl_dns_opts *opts);
/* Cancels everything (callbacks are not called) and frees. */
void ctl_dns_free(void);

/* Looks name up for family. Returns 1 when answered from the cache (cb
 * already called), 0 when cb will be called from ctl_dns_poll, or -EINVAL
 * (bad name or family), -ENOSPC (cache full), -ENOMEM, -ENODEV (not
 * initialised); cb is then never called. */
int ctl_dns_lookup(const char *name, int family, ctl_dns_cb cb, void *arg);
/* Forgets every pending callback with this cb and arg (its owner goes). */
void ctl_dns_cancel(ctl_dns_cb cb, void *arg);
/* Keeps (name, family) refreshed at each expiry until unpinned, whether or
 * not anyone reads it (e.g. a name with live traffic). Pin starts a lookup
 * when there is no fresh answer. 0 or -errno as ctl_dns_lookup. */
int ctl_dns_pin(const char *name, int family);
void ctl_dns_unpin(const char *name, int family);
/* The cached entry, or NULL (read-only; marks it in use). */
const struct wg_dns_entry *ctl_dns_peek(const char *name, int family);
/* The same without marking it in use (publishing what is known). */
const struct wg_dns_entry *ctl_dns_entry(const char *name, int family);
void ctl_dns_on_change(ctl_dns_change_fn fn);
/* Called for each lookup that ends (answered or timed out): question type
 * (1 A, 28 AAAA), response code or -1 without a response, seconds taken.
 * The gateway hands it to the OTLP dns.lookup.duration histogram. */
typedef void (*ctl_dns_observer_fn)(int qtype, int rcode, double seconds);
void ctl_dns_set_observer(ctl_dns_observer_fn fn);

/* Asked each time an answer is stored (a lookup or a refresh ends): true,
 * keep it for its records' TTL; false, for CTL_DNS_FIXED_TTL. The gateway
 * hands it the dns-ttl-resolution flag; none set (tests): the TTL. */
typedef bool (*ctl_dns_ttl_fn)(void);
void ctl_dns_set_ttl_policy(ctl_dns_ttl_fn honour_ttl);

/* Forwards a raw DNS query (the DNS stub's, for names that are not
 * resources) to the upstream servers; cb gets 0 and the raw answer (its
 * id is c-ares', not the query's), -EIO when no server gave a usable one,
 * or -ECANCELED at shutdown (arg must still be freed). 0, -EBUSY (as many
 * lookups out as allowed), -ENODEV. */
typedef void (*ctl_dns_raw_cb)(void *arg, int status, const uint8_t *abuf, size_t alen);
int ctl_dns_send_raw(const uint8_t *q, size_t len, ctl_dns_raw_cb cb, void *arg);

/* One non-blocking step: c-ares sockets (zero-timeout poll), deadlines,
 * the queue, and once a second the refresh/expiry scan. Returns how much
 * work it did (0 = idle). */
unsigned int ctl_dns_poll(void);
void ctl_dns_get_stats(struct ctl_dns_stats *s);

#endif
