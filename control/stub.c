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
 * core itself (ctl_send_inner): over UDP cut to the tunnel MTU with TC set
 * when larger, over TCP (stub_tcp.c, which reads the queries of a
 * connection and hands them here) whole, up to 64 KiB. A forwarded query
 * whose upstream UDP answer has TC set is asked again over TCP by c-ares
 * itself (it does so unless ARES_FLAG_IGNTC), so what is relayed is
 * complete. */
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
#include "control/stub_tcp.h"
#include "dataplane/dp.h"
#include "lib/config/config.h"
#include "lib/dns/msg.h"
#include "lib/dns/stream.h"
#include "lib/net/cksum.h"
#include "lib/net/prefix_map.h"
#include "lib/net/tcp_seg.h"
#include "lib/util/log.h"

#define MAX_QUERY WG_DNS_STREAM_MSG

/* A query being worked on: who asked, from where to where, and the query
 * itself (its question is copied into the answer). */
struct pending {
	uint32_t slot;			/* the client's peer slot */
	struct wg_ipaddr client, us;	/* client address; the tunnel address asked */
	uint16_t client_port;		/* UDP */
	bool tcp;			/* asked over TCP: answered through tcp_ref */
	struct ctl_stub_tcp_ref tcp_ref;
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

/* Sends the DNS message (its id made the client's) back the way the query
 * came: over TCP whole; over UDP from us:53 to the client, sealed. */
static void reply(struct pending *p, const uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t pkt[1500];
	size_t hl = p->us.af == WG_AF_INET4 ? 20 : 40, tot = hl + 8 + len;
	struct ctl_peer *cp;
	bool cut = false;

	if (p->tcp) {
		ctl_stub_tcp_answer(p->tcp_ref, p->q.id, msg, len, now);
		return;
	}
	cp = ctl_peer_by_slot(p->slot);
	if (!cp)
		return;	/* the client left meanwhile */
	if (tot > cp->dp->mtu || tot > sizeof(pkt)) {
		/* Too big for the tunnel: header and question only, counts
		 * cleared and TC set, so the client asks again over TCP. */
		len = p->q.qend;
		tot = hl + 8 + len;
		cut = true;
	}
	wg_ip_hdr_write(pkt, &p->us, &p->client, IPPROTO_UDP, tot - hl, 0);
	uint8_t *udp = pkt + hl;
	memcpy(udp + 8, msg, len);
	wg_wr16(udp + 8, p->q.id);	/* c-ares used its own id */
	if (cut) {
		udp[8 + 2] |= 0x02;
		memset(udp + 8 + 6, 0, 6);	/* answer, authority, additional */
	}
	wg_wr16(udp, 53);
	wg_wr16(udp + 2, p->client_port);
	wg_wr16(udp + 4, (uint16_t)(tot - hl));
	wg_wr16(udp + 6, 0);
	uint16_t ck = wg_cksum_fold(wg_sum16(udp, tot - hl,
					     wg_ip_pseudo_sum(pkt, IPPROTO_UDP, tot - hl)));
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

/* The name resolved (or failed): answer with the proxy address. The proxy
 * map was republished before this runs if the addresses changed. */
static void on_resolved(void *arg, const struct ctl_dns_answer *a)
{
	struct pending *p = arg;
	struct wg_ipaddr v4, v6;
	bool created;

	(void)a;
	if (!ctl_proxy_get(p->q.name, &v4, &v6, &created))
		answer(p, WG_DNS_RC_NOERROR, p->q.qtype == WG_DNS_T_A ? &v4 : &v6, 1, ctl_now_ns());
	else
		answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, ctl_now_ns());
	unlink_pending(p);
	free(p);
}

static void on_forwarded(void *arg, int status, const uint8_t *abuf, size_t alen)
{
	struct pending *p = arg;

	if (!p->done && status != -ECANCELED) {
		if (!status && alen >= p->q.qend && alen <= 65535) {
			/* Over UDP larger than the tunnel takes: reply() cuts it. */
			reply(p, abuf, alen, ctl_now_ns());
		} else {
			answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, ctl_now_ns());
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

/* The peer slot of the client at address a; false: no peer has it. */
static bool peer_of(const struct wg_ipaddr *a, uint32_t *slot)
{
	const struct wg_prefix_map *allowed = atomic_load(&dp.allowed_ips);
	uintptr_t v;

	if (!wg_prefix_map_lookup(allowed, a, &v) ||
	    !ctl_peer_by_slot(((struct dp_peer *)v)->slot)) {
		count(WG_CNT_DNS_DROP_NO_PEER);
		return false;
	}
	*slot = ((struct dp_peer *)v)->slot;
	return true;
}

/* Answers the parsed query p (slot, addresses, transport set): now, or
 * later from a callback. Owns p. */
static void dispatch(struct pending *p, uint64_t now)
{
	struct ctl_peer *cp = ctl_peer_by_slot(p->slot);

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
		p->deadline_ns = ctl_now_ns() + CTL_STUB_FORWARD_MS * 1000000ULL;
		if (!ctl_dns_send_raw(p->query, p->len, on_forwarded, p)) {
			count(WG_CNT_DNS_FORWARDED);
			return;	/* relayed in on_forwarded */
		}
		answer(p, WG_DNS_RC_SERVFAIL, NULL, 0, now);
	}
	unlink_pending(p);
	free(p);
}

void ctl_stub_input(struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pending *p;

	if ((ip[0] >> 4 == 4 ? ip[9] : ip[6]) == IPPROTO_TCP) {
		struct wg_ipaddr client;
		uint32_t slot;
		if (ip[0] >> 4 == 4)
			wg_ipaddr_from_v4(&client, ip + 12);
		else
			wg_ipaddr_from_v6(&client, ip + 8);
		if (peer_of(&client, &slot))
			ctl_stub_tcp_input(ip, m->data_len, slot, now);
		rte_pktmbuf_free(m);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !read_query(m, p)) {
		count(WG_CNT_DNS_DROP_BAD_QUERY);
		free(p);
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_free(m);
	if (!peer_of(&p->client, &p->slot)) {
		free(p);
		return;
	}
	dispatch(p, now);
}

int ctl_stub_query_tcp(uint32_t slot, const struct wg_ipaddr *client,
		       const struct wg_ipaddr *us, struct ctl_stub_tcp_ref ref,
		       const uint8_t *msg, size_t len, uint64_t now)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!ctl_peer_by_slot(slot)) {
		count(WG_CNT_DNS_DROP_NO_PEER);
		free(p);
		return -ENOENT;
	}
	if (!p || len > MAX_QUERY || (memcpy(p->query, msg, len),
				      wg_dns_query_parse(p->query, len, &p->q))) {
		count(WG_CNT_DNS_DROP_BAD_QUERY);
		free(p);
		return -EINVAL;
	}
	p->len = (uint16_t)len;
	p->slot = slot;
	p->client = *client;
	p->us = *us;
	p->tcp = true;
	p->tcp_ref = ref;
	dispatch(p, now);
	return 0;
}

unsigned int ctl_stub_poll(uint64_t now)
{
	unsigned int n = 0;

	n += ctl_stub_tcp_poll(now);
	for (struct pending *p = live, *next; p; p = next) {
		next = p->next;
		if (!p->deadline_ns || p->done || now < p->deadline_ns)
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
	ctl_stub_tcp_free();
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
