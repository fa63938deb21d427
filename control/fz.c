/* Firezone in-tunnel control packets on the control core (fz.h).
 *
 * Assignments live in one array (order does not matter; removal swaps the
 * last in), scanned linearly: at most CTL_FZ_MAX_NAMES, and every change
 * rebuilds the policy tables and the proxy map anyway. While an assignment
 * exists its name is pinned in the resolver (both families), so the
 * workers' map follows the name's addresses (proxy.c's on_change).
 *
 * An Active answer waits for the name's lookups of both families (from
 * the cache at once when fresh), so that the client's first packet finds
 * the proxy map filled; a lookup that fails still answers Active, and
 * traffic then gets "unreachable", as with the stub. */
#include "control/fz.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_mbuf.h>

#include "control/dns.h"
#include "control/handshake.h"
#include "control/peers.h"
#include "control/policy.h"
#include "control/proxy.h"
#include "dataplane/publish.h"
#include "lib/config/config.h"
#include "lib/dns/msg.h"
#include "lib/util/log.h"

static struct {
	struct ctl_fz_entry *e;
	size_t n, cap;
} F;

/* An answer waiting for the name's lookups. */
struct pending {
	uint32_t slot;
	uint8_t key[32];
	char resource[WG_FZ_ID_LEN];
	char domain[WG_DNS_NAME_LEN];
	char domain_raw[WG_DNS_NAME_LEN];
	int outstanding;		/* lookups not answered yet */
	bool silent;			/* the client said Goodbye: no answer */
	struct pending *prev, *next;
};

static struct pending *waiting;
static size_t n_waiting;

static void count(enum wg_counter c)
{
	dp.control_cnt->v[c]++;
}

size_t ctl_fz_count(void)
{
	return F.n;
}

const struct ctl_fz_entry *ctl_fz_at(size_t i)
{
	return i < F.n ? &F.e[i] : NULL;
}

bool ctl_fz_uses(const char *domain)
{
	for (size_t i = 0; i < F.n; i++)
		if (!strcmp(F.e[i].domain, domain))
			return true;
	return false;
}

size_t ctl_fz_proxies(const uint8_t key[32], const char *resource, struct wg_ipaddr *out,
		      size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < F.n; i++) {
		const struct ctl_fz_entry *e = &F.e[i];
		if (memcmp(e->key, key, 32) || strcmp(e->resource, resource))
			continue;
		for (unsigned int j = 0; j < e->n_proxy; j++, k++)
			if (k < max)
				out[k] = e->proxy[j];
	}
	return k;
}

static void entry_remove(size_t i)
{
	ctl_dns_unpin(F.e[i].domain, AF_INET);
	ctl_dns_unpin(F.e[i].domain, AF_INET6);
	F.e[i] = F.e[--F.n];
	count(WG_CNT_FZ_MAPS_REMOVED);
}

static struct ctl_fz_entry *entry_find(const uint8_t key[32], const char *resource,
				       const char *domain)
{
	for (size_t i = 0; i < F.n; i++)
		if (!memcmp(F.e[i].key, key, 32) && !strcmp(F.e[i].resource, resource) &&
		    !strcmp(F.e[i].domain, domain))
			return &F.e[i];
	return NULL;
}

/* Whether cfg lets the client with key use domain through resource. */
static bool allowed(const struct wg_config *cfg, const uint8_t key[32], const char *resource,
		    const char *domain)
{
	int peer = wg_config_peer_find(cfg, key), r = wg_config_resource_find(cfg, resource);

	return peer >= 0 && r >= 0 && cfg->resources[r].kind == WG_CFG_RES_DNS &&
	       wg_dns_pattern_match(cfg->resources[r].dns_pattern, domain) &&
	       ctl_policy_granted(cfg, peer, (size_t)r, (int64_t)time(NULL));
}

/* The tables and the map after assignments changed. */
static void republish(void)
{
	if (ctl_policy_apply(ctl.effective))
		WG_LOG(WARN, "fz", "out of memory: client proxy addresses not published");
	ctl_proxy_publish();
}

static void answer(struct ctl_peer *cp, const char *resource, const char *domain_raw, bool active,
		   uint64_t now)
{
	uint8_t pkt[WG_FZ_IP6_HDR_LEN + WG_FZ_HDR_LEN + 2 * WG_DNS_NAME_LEN];
	size_t len = wg_fz_build_status(pkt, sizeof(pkt), resource, domain_raw, active);

	count(active ? WG_CNT_FZ_DOMAIN_ACTIVE : WG_CNT_FZ_DOMAIN_INACTIVE);
	if (len)
		(void)ctl_send_inner(cp, pkt, len, now);
}

static void on_resolved(void *arg, const struct ctl_dns_answer *a)
{
	struct pending *p = arg;
	struct ctl_peer *cp;

	(void)a;
	if (--p->outstanding > 0)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		waiting = p->next;
	if (p->next)
		p->next->prev = p->prev;
	n_waiting--;
	cp = ctl_peer_by_slot(p->slot);
	/* Still assigned (no Goodbye, revoke or reassignment meanwhile)? */
	if (!p->silent && cp && !memcmp(cp->noise.public_key, p->key, 32))
		answer(cp, p->resource, p->domain_raw,
		       entry_find(p->key, p->resource, p->domain) != NULL,
		       ctl_now_ns());
	free(p);
}

/* Looks the name up (both families) and answers once both are in. With
 * CTL_FZ_MAX_WAITING answers waiting already (clients retransmit while a
 * slow lookup runs), or out of memory, it answers at once. */
static void answer_when_resolved(struct ctl_peer *cp, const struct wg_fz_msg *m, uint64_t now)
{
	struct pending *p = n_waiting < CTL_FZ_MAX_WAITING ? calloc(1, sizeof(*p)) : NULL;

	if (!p) {
		answer(cp, m->resource, m->domain_raw, true, now);
		return;
	}
	p->slot = cp->slot;
	memcpy(p->key, cp->noise.public_key, 32);
	memcpy(p->resource, m->resource, sizeof(p->resource));
	memcpy(p->domain, m->domain, sizeof(p->domain));
	memcpy(p->domain_raw, m->domain_raw, sizeof(p->domain_raw));
	p->next = waiting;
	if (waiting)
		waiting->prev = p;
	waiting = p;
	n_waiting++;
	/* Held by one extra count while the lookups start, so that a cached
	 * answer (callback from inside ctl_dns_lookup) cannot finish it early. */
	p->outstanding = 1;
	static const int fam[2] = { AF_INET, AF_INET6 };
	for (int i = 0; i < 2; i++) {
		p->outstanding++;
		if (ctl_dns_lookup(m->domain, fam[i], on_resolved, p) < 0)
			p->outstanding--;	/* never called back */
	}
	on_resolved(p, NULL);
}

static size_t client_names(const uint8_t key[32])
{
	size_t k = 0;

	for (size_t i = 0; i < F.n; i++)
		k += !memcmp(F.e[i].key, key, 32);
	return k;
}

/* Records (client, resource, domain) -> proxies. 1 changed, 0 the same as
 * before, -ENOSPC over a bound, -ENOMEM. */
static int assign(const uint8_t key[32], const struct wg_fz_msg *m)
{
	struct ctl_fz_entry *e = entry_find(key, m->resource, m->domain);
	bool changed = false;

	if (e && e->n_proxy == m->n_proxy &&
	    !memcmp(e->proxy, m->proxy, m->n_proxy * sizeof(m->proxy[0])))
		return 0;
	/* The client moved one of these addresses from another name: that
	 * name's assignment is stale. */
	for (size_t i = 0; i < F.n; i++) {
		if (&F.e[i] == e || memcmp(F.e[i].key, key, 32))
			continue;
		for (unsigned int a = 0; a < F.e[i].n_proxy; a++)
			for (unsigned int b = 0; b < m->n_proxy; b++)
				if (wg_ipaddr_equal(&F.e[i].proxy[a], &m->proxy[b]))
					goto stale;
		continue;
stale:
		if (e == &F.e[F.n - 1])
			e = &F.e[i];	/* the swap below moves it */
		entry_remove(i--);
		changed = true;
	}
	if (!e) {
		if (client_names(key) >= CTL_FZ_MAX_PER_CLIENT || F.n >= CTL_FZ_MAX_NAMES)
			return changed ? 1 : -ENOSPC;
		if (F.n == F.cap) {
			size_t ncap = F.cap ? F.cap * 2 : 16;
			struct ctl_fz_entry *ne = realloc(F.e, ncap * sizeof(*ne));
			if (!ne)
				return changed ? 1 : -ENOMEM;
			F.e = ne;
			F.cap = ncap;
		}
		e = &F.e[F.n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->key, key, 32);
		memcpy(e->resource, m->resource, sizeof(e->resource));
		memcpy(e->domain, m->domain, sizeof(e->domain));
		/* Kept fresh while assigned; failing only means on demand. */
		ctl_dns_pin(e->domain, AF_INET);
		ctl_dns_pin(e->domain, AF_INET6);
	}
	memcpy(e->proxy, m->proxy, sizeof(e->proxy));
	e->n_proxy = m->n_proxy;
	return 1;
}

static void assigned_ips(struct ctl_peer *cp, const struct wg_fz_msg *m, uint64_t now)
{
	const uint8_t *key = cp->noise.public_key;
	int rc;

	count(WG_CNT_FZ_ASSIGNED_IPS);
	if (!allowed(ctl.effective, key, m->resource, m->domain)) {
		struct ctl_fz_entry *e = entry_find(key, m->resource, m->domain);
		if (e) {
			entry_remove((size_t)(e - F.e));
			republish();
		}
		answer(cp, m->resource, m->domain_raw, false, now);
		return;
	}
	rc = assign(key, m);
	if (rc > 0)
		republish();
	if (rc == -ENOSPC || rc == -ENOMEM || !entry_find(key, m->resource, m->domain)) {
		count(WG_CNT_FZ_INACTIVE_LIMIT);
		answer(cp, m->resource, m->domain_raw, false, now);
		return;
	}
	answer_when_resolved(cp, m, now);
}

/* The client leaves: sessions and its names go, its grants stay. */
static void goodbye(struct ctl_peer *cp)
{
	bool changed = false;
	uint64_t keepalive = cp->ts.persistent_keepalive_ns;

	count(WG_CNT_FZ_GOODBYE);
	dp_keypairs_clear(cp->dp);
	wg_noise_peer_clear_handshake(&cp->noise);
	/* Timers start over: nothing to rekey, keep alive or retry. */
	memset(&cp->ts, 0, sizeof(cp->ts));
	cp->ts.persistent_keepalive_ns = keepalive;
	atomic_store(&cp->dp->handshake_wanted, false);
	for (size_t i = 0; i < F.n; i++) {
		if (!memcmp(F.e[i].key, cp->noise.public_key, 32)) {
			entry_remove(i--);
			changed = true;
		}
	}
	for (struct pending *p = waiting; p; p = p->next)
		if (p->slot == cp->slot)
			p->silent = true;
	if (changed)
		republish();
}

void ctl_fz_input(struct rte_mbuf *m, uint64_t now)
{
	struct ctl_peer *cp = ctl_peer_by_slot(dp_priv(m)->peer_slot);
	struct wg_fz_msg msg;
	enum wg_fz_err err;

	if (!cp) {	/* the peer left while the packet was queued */
		count(WG_CNT_FZ_CONTROL_NO_PEER);
		rte_pktmbuf_free(m);
		return;
	}
	err = wg_fz_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &msg);
	rte_pktmbuf_free(m);
	if (err == WG_FZ_ERR_EVENT || (!err && msg.event == WG_FZ_DOMAIN_STATUS)) {
		count(WG_CNT_FZ_CONTROL_UNKNOWN_EVENT);	/* ours to send, not to take */
		return;
	}
	if (err) {
		count(WG_CNT_FZ_CONTROL_MALFORMED);
		WG_LOG(DEBUG, "fz", "peer slot %u: control packet refused: %s", cp->slot,
		       wg_fz_err_str(err));
		return;
	}
	if (msg.event == WG_FZ_GOODBYE)
		goodbye(cp);
	else
		assigned_ips(cp, &msg, now);
}

size_t ctl_fz_prune(const struct wg_config *cfg)
{
	size_t gone = 0;

	for (size_t i = 0; i < F.n; i++) {
		if (allowed(cfg, F.e[i].key, F.e[i].resource, F.e[i].domain))
			continue;
		entry_remove(i--);
		gone++;
	}
	return gone;
}

void ctl_fz_free(void)
{
	for (struct pending *p = waiting, *next; p; p = next) {
		next = p->next;
		ctl_dns_cancel(on_resolved, p);
		free(p);
	}
	waiting = NULL;
	n_waiting = 0;
	free(F.e);
	memset(&F, 0, sizeof(F));
}
