/* The DNS stub (stub.h). For a query from client C for name N:
 *   - N matches a DNS resource (exact, "*." any depth, "?." one label) that
 *     C holds a present grant for: A and AAAA are answered with N's proxy
 *     address of that family (control/proxy.h), TTL CTL_STUB_TTL, once the
 *     gateway has looked N up (so the first packet finds the proxy map
 *     filled; a name that does not resolve still gets its proxy address,
 *     and traffic to it the "unreachable" error); other types: empty
 *     NOERROR;
 *   - N matches a DNS resource but none C holds: REFUSED;
 *   - otherwise the query is forwarded as it is to the upstream servers
 *     (control/dns.c) and the answer relayed with C's id; no answer within
 *     CTL_STUB_FORWARD_MS: SERVFAIL.
 * Answers leave from the tunnel address C asked, sealed by the control
 * core itself (ctl_send_inner). UDP only: a query over TCP is not punted
 * (the worker drops it as not for a resource). */
#include "control/stub.h"

#include <errno.h>
#include <netinet/in.h>
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
#include "dataplane/dp.h"
#include "lib/config/config.h"
#include "lib/dns/msg.h"
#include "lib/net/cksum.h"
#include "lib/net/prefix_map.h"
#include "lib/util/log.h"

#define MAX_QUERY 512

/* A query being worked on: who asked, from where to where, and the query
 * itself (its question is copied into the answer). */
struct pending {
	uint32_t slot;			/* the client's peer slot */
	struct wg_ipaddr client, us;	/* client address; the tunnel address asked */
	uint16_t client_port;
	uint16_t len;
	uint8_t query[MAX_QUERY];
	struct wg_dns_query q;
	uint64_t deadline_ns;		/* forwarded: SERVFAIL then */
	bool done;			/* answered (or given up): only to be freed */
	struct pending *prev, *next;	/* every live one */
};

static struct pending *live;

static void count(enum wg_counter c)
{
	dp.control_cnt->v[c]++;
}

static void unlink_pending(struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		live = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

/* Wraps the DNS message in UDP/IP from us:53 to the client and seals it. */
static void reply(struct pending *p, const uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t pkt[1500];
	bool v4 = p->us.af == WG_AF_INET4;
	size_t hl = v4 ? 20 : 40, tot = hl + 8 + len;
	struct ctl_peer *cp = ctl_peer_by_slot(p->slot);
	bool cut = false;

	if (!cp)
		return;	/* the client left meanwhile */
	if (tot > cp->dp->mtu || tot > sizeof(pkt)) {
		/* Too big for the tunnel: header and question only, counts
		 * cleared and TC set, so the client asks again over TCP. */
		len = p->q.qend;
		tot = hl + 8 + len;
		cut = true;
	}
	memset(pkt, 0, hl + 8);
	memcpy(pkt + hl + 8, msg, len);
	if (cut) {
		pkt[hl + 8 + 2] |= 0x02;
		memset(pkt + hl + 8 + 6, 0, 6);	/* answer, authority, additional */
	}
	if (v4) {
		pkt[0] = 0x45;
		wg_wr16(pkt + 2, (uint16_t)tot);
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 12, p->us.a, 4);
		memcpy(pkt + 16, p->client.a, 4);
		wg_wr16(pkt + 10, wg_cksum_fold(wg_sum16(pkt, 20, 0)));
	} else {
		pkt[0] = 0x60;
		wg_wr16(pkt + 4, (uint16_t)(tot - 40));
		pkt[6] = IPPROTO_UDP;
		pkt[7] = 64;
		memcpy(pkt + 8, p->us.a, 16);
		memcpy(pkt + 24, p->client.a, 16);
	}
	uint8_t *udp = pkt + hl;
	wg_wr16(udp, 53);
	wg_wr16(udp + 2, p->client_port);
	wg_wr16(udp + 4, (uint16_t)(tot - hl));
	uint64_t acc = wg_sum16(pkt + (v4 ? 12 : 8), v4 ? 8 : 32, 0) + (tot - hl) + IPPROTO_UDP;
	uint16_t ck = wg_cksum_fold(wg_sum16(udp, tot - hl, acc));
	wg_wr16(udp + 6, ck ? ck : 0xffff);
	ctl_send_inner(cp, pkt, tot, now);
}

static void answer(struct pending *p, uint8_t rcode, const struct wg_ipaddr *a, size_t n,
		   uint64_t now)
{
	uint8_t out[MAX_QUERY + 64];
	size_t len = wg_dns_answer_build(out, sizeof(out), p->query, &p->q, rcode, a, n,
					 CTL_STUB_TTL);

	if (len)
		reply(p, out, len, now);
	count(rcode == WG_DNS_RC_REFUSED ? WG_CNT_DNS_REFUSED :
	      rcode == WG_DNS_RC_SERVFAIL ? WG_CNT_DNS_SERVFAIL : WG_CNT_DNS_ANSWERED);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The name resolved (or failed): answer with the proxy address. The proxy
 * map was republished before this runs if the addresses changed. */
static void on_resolved(void *arg, const struct ctl_dns_answer *a)
{
	struct pending *p = arg;
	struct wg_ipaddr v4, v6;
	bool created;

	(void)a;
	if (!ctl_proxy_get(p->q.name, &v4, &v6, &created))
		answer(p, WG_DNS_RC_NOERROR, p->q.qtype == WG_DNS_T_A ? &v4 : &v6, 1, mono_ns());
	else
		answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, mono_ns());
	unlink_pending(p);
	free(p);
}

static void on_forwarded(void *arg, int status, const uint8_t *abuf, size_t alen)
{
	struct pending *p = arg;

	if (!p->done && status != -ECANCELED) {
		if (!status && alen >= p->q.qend && alen <= 4096) {
			/* Larger than the tunnel takes: reply() cuts it. */
			uint8_t out[4096];
			memcpy(out, abuf, alen);
			wg_wr16(out, p->q.id);	/* c-ares used its own id */
			reply(p, out, alen, mono_ns());
		} else {
			answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, mono_ns());
		}
		unlink_pending(p);
	}
	free(p);
}

/* Which of the client's DNS resources match name: 1 a present grant of
 * one does, 0 some resource matches but the client holds none, -1 no
 * resource matches. */
static int authorized(const struct wg_config *cfg, const uint8_t key[32], const char *name)
{
	int peer = wg_config_peer_find(cfg, key), verdict = -1;
	int64_t now = (int64_t)time(NULL);
	char norm[WG_DNS_NAME_LEN];

	if (wg_dns_name_norm(name, norm))
		return -1;
	for (size_t r = 0; r < cfg->n_resources; r++) {
		const struct wg_cfg_resource *res = &cfg->resources[r];
		if (res->kind != WG_CFG_RES_DNS || !wg_dns_pattern_match(res->dns_pattern, norm))
			continue;
		verdict = 0;
		if (ctl_policy_granted(cfg, peer, r, now))
			return 1;
	}
	return verdict;
}

/* Reads the punted packet into p. false: not a well-formed query. */
static bool read_query(struct rte_mbuf *m, struct pending *p)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = m->data_len, hl;

	if ((ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		wg_ipaddr_from_v4(&p->client, ip + 12);
		wg_ipaddr_from_v4(&p->us, ip + 16);
		len = RTE_MIN(len, (size_t)wg_rd16(ip + 2));
	} else {
		hl = 40;
		wg_ipaddr_from_v6(&p->client, ip + 8);
		wg_ipaddr_from_v6(&p->us, ip + 24);
		len = RTE_MIN(len, 40 + (size_t)wg_rd16(ip + 4));
	}
	if (len < hl + 8 || wg_rd16(ip + hl + 4) < 8 || hl + wg_rd16(ip + hl + 4) > len)
		return false;
	len = wg_rd16(ip + hl + 4) - 8;
	if (len > MAX_QUERY)
		return false;
	p->client_port = wg_rd16(ip + hl);
	p->len = (uint16_t)len;
	memcpy(p->query, ip + hl + 8, len);
	return !wg_dns_query_parse(p->query, len, &p->q);
}

void ctl_stub_input(struct rte_mbuf *m, uint64_t now)
{
	struct pending *p = calloc(1, sizeof(*p));
	const struct wg_prefix_map *allowed = atomic_load(&dp.allowed_ips);
	uintptr_t v;

	if (!p || !read_query(m, p)) {
		count(WG_CNT_DNS_DROP_BAD_QUERY);
		goto drop;
	}
	rte_pktmbuf_free(m);
	m = NULL;
	if (!wg_prefix_map_lookup(allowed, &p->client, &v)) {
		count(WG_CNT_DNS_DROP_NO_PEER);
		goto drop;
	}
	p->slot = ((struct dp_peer *)v)->slot;
	struct ctl_peer *cp = ctl_peer_by_slot(p->slot);
	if (!cp) {
		count(WG_CNT_DNS_DROP_NO_PEER);
		goto drop;
	}
	p->next = live;
	if (live)
		live->prev = p;
	live = p;
	switch (p->q.qclass == WG_DNS_C_IN ?
		authorized(ctl.effective, cp->noise.public_key, p->q.name) : -1) {
	case 1:
		if (p->q.qtype == WG_DNS_T_A || p->q.qtype == WG_DNS_T_AAAA) {
			struct wg_ipaddr v4, v6;
			bool created;
			if (ctl_proxy_get(p->q.name, &v4, &v6, &created)) {
				answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, now);
				break;
			}
			if (created) {	/* its proxies join the grants' tables */
				ctl_policy_apply(ctl.effective);
				ctl_proxy_publish();
			}
			int rc = ctl_dns_lookup(p->q.name,
						p->q.qtype == WG_DNS_T_A ? AF_INET : AF_INET6,
						on_resolved, p);
			if (rc >= 0)
				return;	/* answered in on_resolved (p freed there) */
			answer(p, WG_DNS_RC_NOERROR,
			       p->q.qtype == WG_DNS_T_A ? &v4 : &v6, 1, now);
		} else {
			answer(p, WG_DNS_RC_NOERROR, NULL, 0, now);
		}
		break;
	case 0:
		answer(p, WG_DNS_RC_REFUSED, NULL, 0, now);
		break;
	default:
		p->deadline_ns = mono_ns() + CTL_STUB_FORWARD_MS * 1000000ULL;
		if (!ctl_dns_send_raw(p->query, p->len, on_forwarded, p)) {
			count(WG_CNT_DNS_FORWARDED);
			return;	/* relayed in on_forwarded */
		}
		answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, now);
	}
	unlink_pending(p);
	free(p);
	return;
drop:
	free(p);
	if (m)
		rte_pktmbuf_free(m);
}

unsigned int ctl_stub_poll(uint64_t now)
{
	unsigned int n = 0;
	uint64_t mono = mono_ns();

	(void)now;
	for (struct pending *p = live, *next; p; p = next) {
		next = p->next;
		if (!p->deadline_ns || p->done || mono < p->deadline_ns)
			continue;
		/* Forwarded and unanswered: SERVFAIL now; c-ares' late
		 * callback only frees it. */
		answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, now);
		p->done = true;
		unlink_pending(p);
		n++;
	}
	return n;
}

void ctl_stub_free(void)
{
	/* Lookups' waiters are cancelled; forwarded ones are freed by
	 * c-ares' ECANCELED callback from ctl_dns_free. */
	for (struct pending *p = live, *next; p; p = next) {
		next = p->next;
		if (p->deadline_ns) {
			p->done = true;
			continue;
		}
		ctl_dns_cancel(on_resolved, p);
		free(p);
	}
	live = NULL;
}
