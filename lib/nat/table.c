/* The NAT table (table.h): entries in one array, a free list, and two
 * chained hash indexes over it (by orig, by reply) whose bucket arrays are
 * the next power of two above the capacity. Everything is allocated in
 * wg_nat_create; the per-packet calls only move indexes. */
#include "lib/nat/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TCP_FIN 0x01
#define TCP_RST 0x04

struct wg_nat_table {
	struct wg_nat_entry *e;
	uint32_t *bo, *br;	/* bucket heads, index + 1 */
	uint32_t mask;
	uint32_t cap;
	uint32_t free_head;	/* index + 1, chained through next_o */
	uint32_t sweep_pos;
	struct wg_nat_stats st;
	void (*on_remove)(void *ctx, const struct wg_nat_entry *e);
	void *on_remove_ctx;
};

_Static_assert(sizeof(struct wg_nat_key) == 40, "key hashed and compared as bytes");

static uint32_t key_hash(const struct wg_nat_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(*k); i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static bool key_eq(const struct wg_nat_key *a, const struct wg_nat_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

struct wg_nat_table *wg_nat_create(size_t capacity)
{
	struct wg_nat_table *t;
	size_t nb = 16;

	if (!capacity || capacity > (1u << 26))
		return NULL;
	while (nb < capacity)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->e = calloc(capacity, sizeof(*t->e));
	t->bo = calloc(nb, sizeof(*t->bo));
	t->br = calloc(nb, sizeof(*t->br));
	if (!t->e || !t->bo || !t->br) {
		wg_nat_free(t);
		return NULL;
	}
	t->mask = (uint32_t)nb - 1;
	t->cap = (uint32_t)capacity;
	for (uint32_t i = 0; i < t->cap; i++)
		t->e[i].next_o = i + 1 < t->cap ? i + 2 : 0;
	t->free_head = 1;
	return t;
}

void wg_nat_free(struct wg_nat_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->bo);
	free(t->br);
	free(t);
}

void wg_nat_set_remove_hook(struct wg_nat_table *t, void (*fn)(void *ctx, const struct wg_nat_entry *e),
			    void *ctx)
{
	t->on_remove = fn;
	t->on_remove_ctx = ctx;
}

bool wg_nat_empty(const struct wg_nat_table *t)
{
	return !t->st.active;
}

void wg_nat_get_stats(const struct wg_nat_table *t, struct wg_nat_stats *s)
{
	*s = t->st;
}

uint64_t wg_nat_expiry(const struct wg_nat_entry *e)
{
	uint64_t s;

	if (e->flags & WG_NAT_RST)
		return e->last_ns;
	if (!(e->flags & WG_NAT_ANSWERED))
		s = WG_NAT_UNANSWERED_S;
	else if (e->orig.proto == 6)
		s = (e->flags & (WG_NAT_FIN_OUT | WG_NAT_FIN_IN)) ==
		    (WG_NAT_FIN_OUT | WG_NAT_FIN_IN) ? WG_NAT_FIN_S : WG_NAT_TCP_S;
	else if (e->orig.proto == 17)
		s = WG_NAT_UDP_S;
	else
		s = WG_NAT_ICMP_S;
	return e->last_ns + s * WG_NAT_NS;
}

static void unlink_chain(uint32_t *head, struct wg_nat_entry *base, uint32_t idx1, bool by_orig)
{
	uint32_t *pp = head;

	while (*pp && *pp != idx1)
		pp = by_orig ? &base[*pp - 1].next_o : &base[*pp - 1].next_r;
	if (*pp)
		*pp = by_orig ? base[idx1 - 1].next_o : base[idx1 - 1].next_r;
}

void wg_nat_remove(struct wg_nat_table *t, struct wg_nat_entry *e)
{
	uint32_t idx1 = (uint32_t)(e - t->e) + 1;

	if (!e->used)
		return;
	if (t->on_remove)
		t->on_remove(t->on_remove_ctx, e);
	unlink_chain(&t->bo[key_hash(&e->orig) & t->mask], t->e, idx1, true);
	unlink_chain(&t->br[key_hash(&e->reply) & t->mask], t->e, idx1, false);
	memset(e, 0, sizeof(*e));
	e->next_o = t->free_head;
	t->free_head = idx1;
	t->st.active--;
}

static bool expired(const struct wg_nat_entry *e, uint64_t now)
{
	return now >= wg_nat_expiry(e);
}

static struct wg_nat_entry *find(struct wg_nat_table *t, const struct wg_nat_key *k, bool by_orig,
				 uint64_t now, bool reap)
{
	uint32_t i = by_orig ? t->bo[key_hash(k) & t->mask] : t->br[key_hash(k) & t->mask];

	while (i) {
		struct wg_nat_entry *e = &t->e[i - 1];
		uint32_t next = by_orig ? e->next_o : e->next_r;

		if (key_eq(by_orig ? &e->orig : &e->reply, k)) {
			if (!reap || !expired(e, now))
				return e;
			t->st.expired++;
			wg_nat_remove(t, e);
			return NULL;
		}
		i = next;
	}
	return NULL;
}

struct wg_nat_entry *wg_nat_lookup_out(struct wg_nat_table *t, const struct wg_nat_key *k,
				       uint64_t now)
{
	return find(t, k, true, now, true);
}

struct wg_nat_entry *wg_nat_lookup_in(struct wg_nat_table *t, const struct wg_nat_key *k,
				      uint64_t now)
{
	return find(t, k, false, now, true);
}

static bool icmp_echo(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/* The reply key of orig translated to (src, dst, sport): answers come from
 * the translated destination to the translated source. */
static void reply_key(struct wg_nat_key *r, const struct wg_nat_key *orig,
		      const struct wg_ipaddr *src, const struct wg_ipaddr *dst, uint16_t sport)
{
	uint16_t dport = icmp_echo(orig->proto) ? sport : orig->dport;

	wg_nat_key_make(r, dst, src, dport, sport, orig->proto);
}

struct wg_nat_entry *wg_nat_add(struct wg_nat_table *t, const struct wg_nat_key *orig,
				const struct wg_ipaddr *new_src, const struct wg_ipaddr *new_dst,
				uint16_t port_lo, uint16_t port_hi, uint64_t now, int *err)
{
	struct wg_nat_key r;
	uint16_t sport = orig->sport;

	if (find(t, orig, true, now, true)) {
		*err = -EEXIST;
		return NULL;
	}
	if (!t->free_head) {
		t->st.refused_full++;
		*err = -ENOSPC;
		return NULL;
	}
	reply_key(&r, orig, new_src, new_dst, sport);
	if (port_lo <= port_hi && (sport < port_lo || sport > port_hi ||
				   find(t, &r, false, now, true))) {
		/* Source NAT: a free port, starting from a point that spreads
		 * clients over the range; bounded tries keep it cheap. */
		uint32_t span = (uint32_t)port_hi - port_lo + 1;
		uint32_t start = key_hash(orig) % span;
		unsigned int tries = span < 64 ? span : 64;
		bool found = false;

		for (unsigned int i = 0; i < tries && !found; i++) {
			sport = (uint16_t)(port_lo + (start + i * 7919u) % span);
			reply_key(&r, orig, new_src, new_dst, sport);
			found = !find(t, &r, false, now, true);
		}
		if (!found) {
			t->st.refused_no_port++;
			*err = -EADDRINUSE;
			return NULL;
		}
	} else if (port_lo > port_hi && find(t, &r, false, now, true)) {
		t->st.refused_no_port++;
		*err = -EADDRINUSE;
		return NULL;
	}
	uint32_t idx1 = t->free_head;
	struct wg_nat_entry *e = &t->e[idx1 - 1];

	t->free_head = e->next_o;
	*e = (struct wg_nat_entry){ .orig = *orig, .reply = r, .last_ns = now, .used = true,
				    .user = WG_NAT_NO_USER };
	uint32_t ho = key_hash(&e->orig) & t->mask, hr = key_hash(&e->reply) & t->mask;
	e->next_o = t->bo[ho];
	t->bo[ho] = idx1;
	e->next_r = t->br[hr];
	t->br[hr] = idx1;
	t->st.created++;
	t->st.active++;
	return e;
}

bool wg_nat_seen(struct wg_nat_table *t, struct wg_nat_entry *e, bool outbound,
		 uint8_t tcp_flags, uint64_t now)
{
	e->last_ns = now;
	if (!outbound)
		e->flags |= WG_NAT_ANSWERED;
	if (e->orig.proto == 6) {
		if (tcp_flags & TCP_RST) {
			wg_nat_remove(t, e);
			return false;
		}
		if (tcp_flags & TCP_FIN)
			e->flags |= outbound ? WG_NAT_FIN_OUT : WG_NAT_FIN_IN;
	}
	return true;
}

unsigned int wg_nat_sweep(struct wg_nat_table *t, uint64_t now, unsigned int budget)
{
	unsigned int freed = 0;

	for (unsigned int i = 0; i < budget && i < t->cap; i++) {
		struct wg_nat_entry *e = &t->e[t->sweep_pos];

		t->sweep_pos = t->sweep_pos + 1 < t->cap ? t->sweep_pos + 1 : 0;
		if (e->used && expired(e, now)) {
			t->st.expired++;
			wg_nat_remove(t, e);
			freed++;
		}
	}
	return freed;
}
