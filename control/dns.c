/* Name resolution with c-ares on the control core (dns.h).
 *
 * Each cache entry (lib/dns/cache.h) carries a struct slot: the callbacks
 * waiting for its answer, the query out for it, and its place in the
 * in-flight list (deadline order: the timeout is one constant, so
 * appending keeps the list sorted) or in the FIFO of lookups waiting for a
 * free in-flight place.
 *
 * A query that passes its deadline is abandoned: its waiters get
 * -ETIMEDOUT, the entry is free for the next lookup, and the struct query
 * c-ares still holds is marked dead; it is freed when c-ares finally calls
 * back (its own retries are sized to end about then). Until that moment it
 * still counts as in flight: the bound is on what c-ares really has out.
 *
 * Never blocks: sockets are polled with a zero timeout, c-ares is driven
 * with ares_process_fd, and nothing here waits. */
#include "control/dns.h"
#include "control/dns_ares.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>

#include "lib/dns/cache.h"
#include "lib/util/log.h"

struct waiter {
	ctl_dns_cb cb;		/* NULL: cancelled while being delivered */
	void *arg;
	struct waiter *next;
};

struct query {
	struct wg_dns_entry *e;	/* NULL: abandoned (timed out or entry gone) */
	uint64_t sent_ns;	/* for the lookup-duration observer */
};

/* Who hears of each finished lookup (control/metrics.c's histogram). */
static ctl_dns_observer_fn observer;

void ctl_dns_set_observer(ctl_dns_observer_fn fn)
{
	observer = fn;
}

/* Whether answers keep their TTL (the dns-ttl-resolution flag); NULL: yes. */
static ctl_dns_ttl_fn honour_ttl;

void ctl_dns_set_ttl_policy(ctl_dns_ttl_fn fn)
{
	honour_ttl = fn;
}

static void observe(const struct wg_dns_entry *e, int rcode, uint64_t sent_ns, uint64_t now)
{
	if (observer)
		observer(e->af == WG_AF_INET4 ? T_A : T_AAAA, rcode,
			 (double)(now - sent_ns) / 1e9);
}

struct slot {
	struct waiter *waiters;
	struct query *q;	/* out with c-ares */
	uint64_t deadline_ns;
	int fail;		/* -ETIMEDOUT / -EIO of the last failure */
	bool out;		/* in the in-flight list (q valid) */
	bool queued;
	struct wg_dns_entry *e;
	struct slot *prev, *next;	/* in-flight list or queue */
};

struct list {
	struct slot *head, *tail;
	unsigned int n;
};

static struct {
	bool up;
	ares_channel ch;
	struct wg_dns_cache *cache;
	struct list inflight_list, queue;
	unsigned int inflight;	/* queries c-ares holds, dead ones included */
	unsigned int max_inflight;
	uint64_t timeout_ns;
	uint64_t next_scan_ns;
	struct waiter *delivering;	/* list being called back (see cancel) */
	ctl_dns_change_fn on_change;
	struct ctl_dns_stats st;
	uint64_t *full_counter;		/* opts->full_counter */
	size_t max_entries;
} D;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WG_DNS_NS + (uint64_t)ts.tv_nsec;
}

static void list_add(struct list *l, struct slot *s)
{
	s->next = NULL;
	s->prev = l->tail;
	if (l->tail)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
	l->n++;
}

static void list_del(struct list *l, struct slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = s->next = NULL;
	l->n--;
}

static int af_of(int family)
{
	return family == AF_INET ? WG_AF_INET4 : family == AF_INET6 ? WG_AF_INET6 : 0;
}

static void answer_of(const struct wg_dns_entry *e, int fail, uint64_t now,
		      struct ctl_dns_answer *a)
{
	*a = (struct ctl_dns_answer){
		.name = e->name,
		.family = e->af == WG_AF_INET4 ? AF_INET : AF_INET6,
		.addrs = e->addrs,
		.n = e->n,
	};
	if (e->n) {
		uint64_t left = e->expires_ns > now ? e->expires_ns - now : 0;
		a->ttl = (uint32_t)((left + WG_DNS_NS - 1) / WG_DNS_NS);
		if (!a->ttl)
			a->ttl = 1;
	} else {
		a->status = e->status == WG_DNS_EMPTY ? -ENOENT : fail ? fail : -EIO;
	}
}

/* Calls back everyone waiting on e. A callback may look up or cancel: the
 * list is detached first and cancel knows where to look. */
static void deliver(struct wg_dns_entry *e, int fail, uint64_t now)
{
	struct slot *s = e->user;
	struct ctl_dns_answer a;
	struct waiter *w = s->waiters, *outer = D.delivering;

	s->waiters = NULL;
	answer_of(e, fail, now, &a);
	D.delivering = w;
	while (w) {
		struct waiter *next = w->next;
		if (w->cb)
			w->cb(w->arg, &a);
		free(w);
		w = next;
		D.delivering = w;
	}
	D.delivering = outer;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

/* What a failed lookup leaves in use, for its (rate-limited) warning: the
 * cache keeps the previous answer past its TTL (lib/dns/cache.h). */
static const char *stale_note(const struct wg_dns_entry *e)
{
	static char buf[96];

	if (e->status == WG_DNS_OK && e->n)
		snprintf(buf, sizeof(buf), "serving the %u previous address(es) until it answers",
			 e->n);
	else
		snprintf(buf, sizeof(buf), "no previous answer to serve; asking again in %u s",
			 WG_DNS_RETRY);
	return buf;
}

static void send_query(struct slot *s, uint64_t now)
{
	struct wg_dns_entry *e = s->e;
	struct query *q = malloc(sizeof(*q));

	if (!q) {
		s->fail = -EIO;
		wg_dns_entry_answer(e, WG_DNS_FAILED, NULL, 0, 0, now);
		deliver(e, -EIO, now);
		return;
	}
	q->e = e;
	q->sent_ns = now;
	s->q = q;
	s->out = true;
	s->deadline_ns = now + D.timeout_ns;
	list_add(&D.inflight_list, s);
	D.inflight++;
	if (D.inflight > D.st.max_inflight_seen)
		D.st.max_inflight_seen = D.inflight;
	D.st.lookups++;
	/* May call on_answer before it returns (e.g. ENOMEM). */
	ares_query(D.ch, e->name, C_IN, e->af == WG_AF_INET4 ? T_A : T_AAAA, on_answer, q);
}

/* Starts a lookup for e now or when an in-flight place frees. */
static void request(struct wg_dns_entry *e, uint64_t now)
{
	struct slot *s = e->user;

	if (e->pending)
		return;
	e->pending = true;
	if (D.inflight >= D.max_inflight) {
		s->queued = true;
		list_add(&D.queue, s);
		return;
	}
	send_query(s, now);
}

static void pump(uint64_t now)
{
	while (D.queue.head && D.inflight < D.max_inflight) {
		struct slot *s = D.queue.head;
		list_del(&D.queue, s);
		s->queued = false;
		send_query(s, now);
	}
}

static void complete(struct wg_dns_entry *e, enum wg_dns_status st, const struct wg_ipaddr *v,
		     size_t n, uint32_t ttl, int fail, uint64_t now)
{
	struct slot *s = e->user;

	if (s->out) {
		list_del(&D.inflight_list, s);
		s->out = false;
		s->q = NULL;
	}
	s->fail = fail;
	if (st == WG_DNS_OK && honour_ttl && !honour_ttl())
		ttl = CTL_DNS_FIXED_TTL;	/* the flag is read at each store */
	if (wg_dns_entry_answer(e, st, v, n, ttl, now) && D.on_change)
		D.on_change(e);
	deliver(e, fail, now);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct wg_dns_entry *e = q->e;
	struct wg_ipaddr v[WG_DNS_MAX_ADDRS];
	size_t n = 0;
	uint32_t ttl_s = 0;
	enum wg_dns_status st;
	uint64_t now = now_ns();

	uint64_t sent_ns = q->sent_ns;

	(void)timeouts;
	D.inflight--;
	free(q);
	if (!e || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
		return;
	/* The response code, or -1 when no response came. */
	observe(e, abuf && alen >= 4 ? abuf[3] & 0x0f : -1, sent_ns, now);
	st = ctl_dns_ares_reply(e->af, status, abuf, alen, v, &n, &ttl_s);
	if (st == WG_DNS_OK)
		D.st.answers++;
	else if (st == WG_DNS_EMPTY)
		D.st.empty++;
	else
		D.st.failures++;
	if (st == WG_DNS_FAILED)
		WG_LOG(WARN, "dns", "%s %s: upstream failed (%s); %s", e->name,
		       e->af == WG_AF_INET4 ? "A" : "AAAA", ares_strerror(status),
		       stale_note(e));
	else
		WG_LOG(DEBUG, "dns", "%s %s: %s, %zu address(es), ttl %u", e->name,
		       e->af == WG_AF_INET4 ? "A" : "AAAA", ares_strerror(status), n, ttl_s);
	complete(e, st, v, n, ttl_s, st == WG_DNS_FAILED ? -EIO : 0, now);
	pump(now);
}

static struct wg_dns_entry *entry(const char *name, int family, int *err)
{
	struct wg_dns_entry *e;
	uint8_t af = (uint8_t)af_of(family);

	if (!D.up) {
		*err = -ENODEV;
		return NULL;
	}
	e = wg_dns_cache_get(D.cache, name, af, err);
	if (!e && *err == -ENOSPC) {
		/* Refused, not evicted: every entry is a name someone uses
		 * (idle ones are dropped at expiry), and losing one would
		 * black-hole its flows. */
		D.st.cache_full++;
		if (D.full_counter)
			(*D.full_counter)++;
		WG_LOG(WARN, "dns", "%s: not looked up: the cache holds its bound of %zu"
		       " entries ([Dataplane] DnsCacheEntries; bound_refused_dns_cache)", name,
		       D.max_entries);
	}
	if (!e || e->user)
		return e;
	struct slot *s = calloc(1, sizeof(*s));
	if (!s) {
		wg_dns_cache_remove(D.cache, e);
		*err = -ENOMEM;
		return NULL;
	}
	s->e = e;
	e->user = s;
	return e;
}

int ctl_dns_lookup(const char *name, int family, ctl_dns_cb cb, void *arg)
{
	uint64_t now = now_ns();
	int err = 0;
	struct wg_dns_entry *e = entry(name, family, &err);

	if (!e)
		return err;
	wg_dns_entry_touch(e, now);
	if (wg_dns_entry_fresh(e, now) && !e->pending) {
		struct ctl_dns_answer a;
		answer_of(e, ((struct slot *)e->user)->fail, now, &a);
		D.st.cache_hits++;
		cb(arg, &a);
		return 1;
	}
	struct waiter *w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	struct slot *s = e->user;
	*w = (struct waiter){ .cb = cb, .arg = arg, .next = s->waiters };
	s->waiters = w;
	request(e, now);
	return 0;
}

void ctl_dns_cancel(ctl_dns_cb cb, void *arg)
{
	if (!D.up)
		return;
	for (struct waiter *w = D.delivering; w; w = w->next)
		if (w->cb == cb && w->arg == arg)
			w->cb = NULL;
	for (struct wg_dns_entry *e = wg_dns_cache_first(D.cache); e; e = wg_dns_cache_next(e)) {
		struct slot *s = e->user;
		for (struct waiter **pp = &s->waiters; *pp;) {
			struct waiter *w = *pp;
			if (w->cb == cb && w->arg == arg) {
				*pp = w->next;
				free(w);
			} else {
				pp = &w->next;
			}
		}
	}
}

int ctl_dns_pin(const char *name, int family)
{
	uint64_t now = now_ns();
	int err = 0;
	struct wg_dns_entry *e = entry(name, family, &err);

	if (!e)
		return err;
	e->pins++;
	if (!wg_dns_entry_fresh(e, now))
		request(e, now);
	return 0;
}

void ctl_dns_unpin(const char *name, int family)
{
	char norm[WG_DNS_NAME_LEN];
	struct wg_dns_entry *e;

	if (!D.up || wg_dns_name_norm(name, norm))
		return;
	e = wg_dns_cache_find(D.cache, norm, (uint8_t)af_of(family));
	if (e && e->pins)
		e->pins--;
}

const struct wg_dns_entry *ctl_dns_entry(const char *name, int family)
{
	char norm[WG_DNS_NAME_LEN];

	if (!D.up || wg_dns_name_norm(name, norm))
		return NULL;
	return wg_dns_cache_find(D.cache, norm, (uint8_t)af_of(family));
}

const struct wg_dns_entry *ctl_dns_peek(const char *name, int family)
{
	struct wg_dns_entry *e = (struct wg_dns_entry *)ctl_dns_entry(name, family);

	if (e)
		wg_dns_entry_touch(e, now_ns());
	return e;
}

void ctl_dns_on_change(ctl_dns_change_fn fn)
{
	D.on_change = fn;
}

static void drop(struct wg_dns_entry *e)
{
	free(e->user);
	e->user = NULL;
	wg_dns_cache_remove(D.cache, e);
}

static unsigned int deadlines(uint64_t now)
{
	unsigned int n = 0;

	while (D.inflight_list.head && D.inflight_list.head->deadline_ns <= now) {
		struct slot *s = D.inflight_list.head;
		observe(s->e, -1, s->q->sent_ns, now);
		s->q->e = NULL;		/* c-ares' late answer is ignored */
		D.st.timeouts++;
		WG_LOG(WARN, "dns", "%s %s: no answer from the servers in %llu ms; %s",
		       s->e->name, s->e->af == WG_AF_INET4 ? "A" : "AAAA",
		       (unsigned long long)(D.timeout_ns / 1000000), stale_note(s->e));
		complete(s->e, WG_DNS_FAILED, NULL, 0, 0, -ETIMEDOUT, now);
		n++;
	}
	return n;
}

static unsigned int scan(uint64_t now)
{
	unsigned int n = 0;
	struct wg_dns_entry *e = wg_dns_cache_first(D.cache), *next;

	for (; e; e = next) {
		next = wg_dns_cache_next(e);
		switch (wg_dns_entry_due(e, now)) {
		case WG_DNS_REFRESH:
			request(e, now);
			n++;
			break;
		case WG_DNS_DROP:
			if (!((struct slot *)e->user)->waiters)
				drop(e);
			break;
		case WG_DNS_KEEP:
			break;
		}
	}
	return n;
}

unsigned int ctl_dns_poll(void)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	unsigned int work = 0, nfd = 0;
	uint64_t now;

	if (!D.up)
		return 0;
	if (D.inflight) {
		/* c-ares' ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31:
		 * undefined behaviour (UBSan says so); the same bits, unsigned. */
		unsigned int mask = (unsigned int)ares_getsock(D.ch, socks, ARES_GETSOCK_MAXNUM);
		for (unsigned int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (short)((mask & (1u << i) ? POLLIN : 0) |
					   (mask & (1u << (i + ARES_GETSOCK_MAXNUM)) ? POLLOUT : 0));
			if (ev)
				pfd[nfd++] = (struct pollfd){ .fd = socks[i], .events = ev };
		}
		if (nfd && poll(pfd, nfd, 0) > 0) {
			for (unsigned int i = 0; i < nfd; i++) {
				if (!pfd[i].revents)
					continue;
				ares_process_fd(D.ch,
						pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ?
							pfd[i].fd : ARES_SOCKET_BAD,
						pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
				work++;
			}
		}
		/* c-ares' own retry timers. */
		ares_process_fd(D.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	now = now_ns();
	work += deadlines(now);
	if (now >= D.next_scan_ns) {
		work += scan(now);
		D.next_scan_ns = now + WG_DNS_NS / 10;
	}
	pump(now);
	return work;
}

struct raw {
	ctl_dns_raw_cb cb;
	void *arg;
};

static void on_raw(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct raw *r = arg;

	(void)timeouts;
	D.inflight--;
	if (status == ARES_EDESTRUCTION)
		r->cb(r->arg, -ECANCELED, NULL, 0);
	else if (status == ARES_SUCCESS && abuf && alen > 0)
		r->cb(r->arg, 0, abuf, (size_t)alen);
	else
		r->cb(r->arg, -EIO, NULL, 0);
	free(r);
	pump(now_ns());
}

int ctl_dns_send_raw(const uint8_t *q, size_t len, ctl_dns_raw_cb cb, void *arg)
{
	struct raw *r;

	if (!D.up)
		return -ENODEV;
	if (D.inflight >= D.max_inflight)
		return -EBUSY;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct raw){ .cb = cb, .arg = arg };
	D.inflight++;
	if (D.inflight > D.st.max_inflight_seen)
		D.st.max_inflight_seen = D.inflight;
	D.st.lookups++;
	ares_send(D.ch, q, (int)len, on_raw, r);
	return 0;
}

void ctl_dns_get_stats(struct ctl_dns_stats *s)
{
	*s = D.st;
	s->inflight = D.inflight;
	s->queued = D.queue.n;
	s->entries = D.cache ? wg_dns_cache_count(D.cache) : 0;
	s->max_entries = D.max_entries;
}

int ctl_dns_init(const char *servers, const struct ctl_dns_opts *opts)
{
	struct ares_options ao = { 0 };
	unsigned int timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : CTL_DNS_TIMEOUT_MS;
	size_t max_entries = opts && opts->max_entries ? opts->max_entries : CTL_DNS_MAX_ENTRIES;
	int rc;

	memset(&D, 0, sizeof(D));
	D.max_inflight = opts && opts->max_inflight ? opts->max_inflight : CTL_DNS_MAX_INFLIGHT;
	D.full_counter = opts ? opts->full_counter : NULL;
	D.max_entries = max_entries;
	D.timeout_ns = (uint64_t)timeout_ms * 1000000ULL;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return -EIO;
	/* c-ares tries each server, doubling the wait per round: with 3
	 * tries its own retries end at about 7 x timeout, ~ our deadline. */
	ao.timeout = (int)(timeout_ms / 7 > 100 ? timeout_ms / 7 : 100);
	ao.tries = 3;
	rc = ares_init_options(&D.ch, &ao, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		WG_LOG(ERR, "dns", "c-ares: %s", ares_strerror(rc));
		ares_library_cleanup();
		return -EIO;
	}
	D.cache = wg_dns_cache_create(max_entries);
	if (!D.cache || (servers && ctl_dns_ares_servers(D.ch, servers))) {
		rc = D.cache ? -EINVAL : -ENOMEM;
		ares_destroy(D.ch);
		wg_dns_cache_free(D.cache);
		ares_library_cleanup();
		memset(&D, 0, sizeof(D));
		return rc;
	}
	D.up = true;
	WG_LOG(INFO, "dns", "resolver up: servers %s, timeout %u ms, at most %u lookups out",
	       servers && *servers ? servers : "of /etc/resolv.conf", timeout_ms, D.max_inflight);
	return 0;
}

void ctl_dns_free(void)
{
	if (!D.up)
		return;
	D.up = false;
	/* Abandon what c-ares holds: ares_destroy calls each back with
	 * ARES_EDESTRUCTION, which frees the struct query. */
	for (struct slot *s = D.inflight_list.head; s; s = s->next)
		s->q->e = NULL;
	D.inflight_list = (struct list){ 0 };
	ares_destroy(D.ch);
	while (wg_dns_cache_first(D.cache)) {
		struct wg_dns_entry *e = wg_dns_cache_first(D.cache);
		struct slot *s = e->user;
		while (s->waiters) {
			struct waiter *w = s->waiters;
			s->waiters = w->next;
			free(w);
		}
		drop(e);
	}
	wg_dns_cache_free(D.cache);
	ares_library_cleanup();
	memset(&D, 0, sizeof(D));
}
