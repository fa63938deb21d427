/* The resolver's cache (cache.h): a chained hash table over (name, family)
 * plus a list of every entry for the periodic scan. Sized once: at most
 * max_entries entries, the bucket array the next power of two above. */
#include "lib/dns/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wg_dns_cache {
	struct wg_dns_entry **buckets;
	uint32_t mask;
	size_t n, max;
	struct wg_dns_entry *all;	/* newest first */
};

static uint32_t name_hash(const char *name, uint8_t af)
{
	uint32_t h = 2166136261u ^ af;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

struct wg_dns_cache *wg_dns_cache_create(size_t max_entries)
{
	struct wg_dns_cache *c = calloc(1, sizeof(*c));
	size_t nb = 16;

	if (!c || !max_entries) {
		free(c);
		return NULL;
	}
	while (nb < max_entries && nb < (1u << 24))
		nb <<= 1;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->mask = (uint32_t)nb - 1;
	c->max = max_entries;
	return c;
}

void wg_dns_cache_free(struct wg_dns_cache *c)
{
	if (!c)
		return;
	while (c->all)
		wg_dns_cache_remove(c, c->all);
	free(c->buckets);
	free(c);
}

size_t wg_dns_cache_count(const struct wg_dns_cache *c)
{
	return c->n;
}

int wg_dns_name_norm(const char *name, char out[WG_DNS_NAME_LEN])
{
	size_t len = strlen(name), label = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			if (!label)
				return -EINVAL;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			   ch == '_') {
			label++;
		} else if (ch >= 'A' && ch <= 'Z') {
			ch = (char)(ch - 'A' + 'a');
			label++;
		} else {
			return -EINVAL;
		}
		if (label > 63)
			return -EINVAL;
		out[i] = ch;
	}
	if (!label)
		return -EINVAL;	/* "a.." : the last label is empty */
	out[len] = '\0';
	return 0;
}

struct wg_dns_entry *wg_dns_cache_find(struct wg_dns_cache *c, const char *name, uint8_t af)
{
	uint32_t h = name_hash(name, af);

	for (struct wg_dns_entry *e = c->buckets[h & c->mask]; e; e = e->next)
		if (e->hash == h && e->af == af && !strcmp(e->name, name))
			return e;
	return NULL;
}

struct wg_dns_entry *wg_dns_cache_get(struct wg_dns_cache *c, const char *name, uint8_t af,
				      int *err)
{
	struct wg_dns_entry *e;
	char norm[WG_DNS_NAME_LEN];
	int dummy;

	if (!err)
		err = &dummy;
	if ((af != WG_AF_INET4 && af != WG_AF_INET6) || wg_dns_name_norm(name, norm)) {
		*err = -EINVAL;
		return NULL;
	}
	e = wg_dns_cache_find(c, norm, af);
	if (e)
		return e;
	if (c->n >= c->max) {
		*err = -ENOSPC;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(e->name, norm, sizeof(norm));
	e->af = af;
	e->hash = name_hash(norm, af);
	e->next = c->buckets[e->hash & c->mask];
	c->buckets[e->hash & c->mask] = e;
	e->all_next = c->all;
	if (c->all)
		c->all->all_prev = e;
	c->all = e;
	c->n++;
	return e;
}

void wg_dns_cache_remove(struct wg_dns_cache *c, struct wg_dns_entry *e)
{
	struct wg_dns_entry **pp = &c->buckets[e->hash & c->mask];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	if (e->all_prev)
		e->all_prev->all_next = e->all_next;
	else
		c->all = e->all_next;
	if (e->all_next)
		e->all_next->all_prev = e->all_prev;
	c->n--;
	free(e);
}

struct wg_dns_entry *wg_dns_cache_first(struct wg_dns_cache *c)
{
	return c->all;
}

static bool holds(const struct wg_ipaddr *v, size_t n, const struct wg_ipaddr *a)
{
	for (size_t i = 0; i < n; i++)
		if (wg_ipaddr_equal(&v[i], a))
			return true;
	return false;
}

bool wg_dns_entry_answer(struct wg_dns_entry *e, enum wg_dns_status st,
			 const struct wg_ipaddr *addrs, size_t n, uint32_t ttl, uint64_t now)
{
	struct wg_ipaddr kept[WG_DNS_MAX_ADDRS];
	size_t k = 0;
	bool changed;

	e->pending = false;
	if (st == WG_DNS_FAILED) {
		/* Keep what we had (stale beats nothing), ask again soon. */
		if (e->status == WG_DNS_NONE)
			e->status = WG_DNS_FAILED;
		e->expires_ns = now + WG_DNS_RETRY * WG_DNS_NS;
		e->answered_ns = now;
		return false;
	}
	if (st == WG_DNS_OK)
		for (size_t i = 0; i < n && k < WG_DNS_MAX_ADDRS; i++)
			if (addrs[i].af == e->af && !holds(kept, k, &addrs[i]))
				kept[k++] = addrs[i];
	if (!k) {
		st = WG_DNS_EMPTY;
		ttl = WG_DNS_NEG_TTL;
	}
	ttl = ttl < WG_DNS_TTL_MIN ? WG_DNS_TTL_MIN : ttl > WG_DNS_TTL_MAX ? WG_DNS_TTL_MAX : ttl;
	changed = k != e->n;
	for (size_t i = 0; i < k && !changed; i++)
		changed = !holds(e->addrs, e->n, &kept[i]);
	memcpy(e->addrs, kept, k * sizeof(kept[0]));
	e->n = (uint8_t)k;
	e->status = (uint8_t)st;
	e->ttl = ttl;
	e->answered_ns = now;
	e->expires_ns = now + (uint64_t)ttl * WG_DNS_NS;
	if (changed)
		e->changes++;
	return changed;
}

enum wg_dns_due wg_dns_entry_due(const struct wg_dns_entry *e, uint64_t now)
{
	if (e->pending)
		return WG_DNS_KEEP;
	if (e->status != WG_DNS_NONE && now < e->expires_ns)
		return WG_DNS_KEEP;
	if (e->pins || (e->used_ns && e->used_ns >= e->answered_ns))
		return WG_DNS_REFRESH;
	return WG_DNS_DROP;
}
