/* Proxy address assignment (proxy.h): names in an array (index = proxy
 * number - 1), found through an open-addressing hash of indexes that
 * doubles at half full. */
#include "control/proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/dns.h"
#include "control/fz.h"
#include "control/peers.h"
#include "dataplane/nat.h"
#include "lib/dns/cache.h"
#include "lib/dns/msg.h"
#include "lib/util/log.h"

#define PROXY_MAX ((1u << 21) - 2)	/* .0 and the last address of the /11 skipped */

static struct {
	char (*names)[WG_DNS_NAME_LEN];
	uint32_t n, cap;
	uint32_t *slots;	/* index + 1; 0 = empty */
	uint32_t n_slots;
} P;

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static uint32_t *slot_of(const char *name)
{
	uint32_t i = hash(name) & (P.n_slots - 1);

	while (P.slots[i] && strcmp(P.names[P.slots[i] - 1], name))
		i = (i + 1) & (P.n_slots - 1);
	return &P.slots[i];
}

static int grow(void)
{
	uint32_t ncap = P.cap ? P.cap * 2 : 64, nslots = ncap * 2;
	char (*names)[WG_DNS_NAME_LEN] = realloc(P.names, (size_t)ncap * WG_DNS_NAME_LEN);
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!names || !slots) {
		if (names)
			P.names = names;
		free(slots);
		return -ENOMEM;
	}
	P.names = names;
	P.cap = ncap;
	free(P.slots);
	P.slots = slots;
	P.n_slots = nslots;
	for (uint32_t i = 0; i < P.n; i++)
		*slot_of(P.names[i]) = i + 1;
	return 0;
}

static void addrs_of(uint32_t idx, struct wg_ipaddr *v4, struct wg_ipaddr *v6)
{
	uint32_t k = idx + 1;	/* 100.96.0.1 is the first */

	*v4 = (struct wg_ipaddr){ .af = WG_AF_INET4, .a = { 100, (uint8_t)(96 | (k >> 16)),
							      (uint8_t)(k >> 8), (uint8_t)k } };
	*v6 = (struct wg_ipaddr){ .af = WG_AF_INET6,
				  .a = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00, 0, 0, 0, 0,
					 0, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k } };
}

int ctl_proxy_get(const char *name, struct wg_ipaddr *v4, struct wg_ipaddr *v6, bool *created)
{
	uint32_t *s;

	*created = false;
	if (P.n_slots) {
		s = slot_of(name);
		if (*s) {
			addrs_of(*s - 1, v4, v6);
			return 0;
		}
	}
	if (P.n >= PROXY_MAX)
		return -ENOSPC;
	if (P.n == P.cap && grow())
		return -ENOMEM;
	snprintf(P.names[P.n], WG_DNS_NAME_LEN, "%s", name);
	*slot_of(name) = P.n + 1;
	addrs_of(P.n, v4, v6);
	P.n++;
	*created = true;
	/* Kept fresh while assigned; a failure here only means it is looked
	 * up on demand instead. */
	ctl_dns_pin(name, AF_INET);
	ctl_dns_pin(name, AF_INET6);
	return 0;
}

size_t ctl_proxy_matching(const char *pattern, struct wg_ipaddr *out, size_t max)
{
	size_t k = 0;

	for (uint32_t i = 0; i < P.n; i++) {
		if (!wg_dns_pattern_match(pattern, P.names[i]))
			continue;
		if (k + 2 <= max)
			addrs_of(i, &out[k], &out[k + 1]);
		k += 2;
	}
	return k;
}

static void fill(struct dp_proxy_target *t, const char *name, int family)
{
	const struct wg_dns_entry *e = ctl_dns_entry(name, family);

	t->n = 0;
	if (!e)
		return;
	t->n = e->n;
	memcpy(t->real, e->addrs, e->n * sizeof(e->addrs[0]));
}

/* The addresses Firezone clients chose themselves (control/fz.h): each
 * assignment's proxies of each family lead to its name's addresses of that
 * family (two targets per assignment). Entries of clients that are not
 * live peers are left out. *nc: how many entries. */
static int client_parts(struct dp_proxy_client **cl, struct dp_proxy_target **tg, uint32_t *nc)
{
	size_t n = ctl_fz_count();

	*nc = 0;
	*cl = calloc(n * WG_FZ_MAX_PROXY + 1, sizeof(**cl));
	*tg = calloc(2 * n + 1, sizeof(**tg));
	if (!*cl || !*tg)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ctl_fz_entry *e = ctl_fz_at(i);
		const struct ctl_peer *cp = ctl_peer_by_key(e->key);

		fill(&(*tg)[2 * i], e->domain, AF_INET);
		fill(&(*tg)[2 * i + 1], e->domain, AF_INET6);
		for (unsigned int k = 0; cp && k < e->n_proxy; k++)
			(*cl)[(*nc)++] = (struct dp_proxy_client){
				.slot = cp->slot, .proxy = e->proxy[k],
				.target = (uint32_t)(2 * i + (e->proxy[k].af == WG_AF_INET6)),
			};
	}
	return 0;
}

void ctl_proxy_publish(void)
{
	struct wg_ipaddr *px = calloc(P.n ? 2 * P.n : 1, sizeof(*px));
	struct dp_proxy_target *tg = calloc(P.n ? 2 * P.n : 1, sizeof(*tg)), *ctg;
	struct dp_proxy_client *cl;
	uint32_t nc;
	int rc = client_parts(&cl, &ctg, &nc);

	if (px && tg && !rc) {
		for (uint32_t i = 0; i < P.n; i++) {
			addrs_of(i, &px[2 * i], &px[2 * i + 1]);
			fill(&tg[2 * i], P.names[i], AF_INET);
			fill(&tg[2 * i + 1], P.names[i], AF_INET6);
		}
		rc = dp_proxies_publish(px, tg, 2 * P.n, cl, nc, ctg,
					(uint32_t)(2 * ctl_fz_count()));
	}
	if (!px || !tg || rc)
		WG_LOG(WARN, "proxy", "out of memory: proxy map not updated");
	free(px);
	free(tg);
	free(cl);
	free(ctg);
}

static void on_change(const struct wg_dns_entry *e)
{
	if ((P.n_slots && *slot_of(e->name)) || ctl_fz_uses(e->name))
		ctl_proxy_publish();
}

void ctl_proxy_init(void)
{
	ctl_dns_on_change(on_change);
}

void ctl_proxy_free(void)
{
	dp_proxies_free();
	free(P.names);
	free(P.slots);
	memset(&P, 0, sizeof(P));
}
