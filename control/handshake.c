/* Handshakes (Noise IKpsk2) on the control core.
 *
 * Order of checks for an initiation, cheapest first, so that a flood costs
 * as little as possible and allocates nothing before mac1 is proven:
 * size (checked by the worker) -> mac1 -> under load, mac2 or a cookie
 * reply -> decrypt the static key -> known peer -> timestamp newer and not
 * flooding -> response + "next" keypair. A failed initiation is counted
 * and never touches an existing session.
 *
 * A response to our initiation that does not decrypt means both sides
 * disagree on a key (or a PSK): retrying with the same keys cannot help, so
 * the attempt ends at once, counted and logged, instead of retrying until
 * Rekey-Attempt-Time. */
#include "control/handshake.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sodium.h>

#include "control/peers.h"
#include "dataplane/arp_nd.h"
#include "dataplane/pipeline.h"
#include "dataplane/publish.h"
#include "dataplane/rcu.h"
#include "lib/crypto/aead.h"
#include "lib/util/log.h"
#include "lib/wg/cookie.h"
#include "lib/wg/messages.h"
#include "lib/wg/ratelimiter.h"
#include "lib/wg/tai64n.h"

/* Once the punt ring passes DP_UNDER_LOAD_FILL the gateway stays under load
 * for this long after it last did (the kernel's rule): a flood that comes in
 * waves does not get DH work between them. */
#define UNDER_LOAD_HOLD_NS	(1000ULL * 1000 * 1000)
/* Sources remembered by the per-source limit; 64 KiB-odd of table. */
#define RATELIMIT_SLOTS		4096

static struct wg_cookie_checker checker;
/* Writer and reader: the control core. */
static struct wg_ratelimiter *limiter;
static uint64_t under_load_until;
static uint64_t worker_cookies_seen;	/* the workers' cookie replies, last tick */

static void count(enum wg_counter c)
{
	dp.control_cnt->v[c]++;
}

static void secret_free(void *obj)
{
	sodium_memzero(obj, sizeof(struct dp_cookie_secret));
	rte_free(obj);
}

/* Renews the cookie secret when due and gives the workers the new one
 * (dataplane/hs_guard.c): every mac2 check and cookie on every core uses
 * the same secret. Runs before each use here and on every tick. */
static int secret_fresh(uint64_t now)
{
	struct dp_cookie_secret *cs, *old;

	if (!wg_cookie_checker_refresh(&checker, now) && atomic_load(&dp.cookie_secret))
		return 0;
	cs = rte_malloc("cookie_secret", sizeof(*cs), 0);	/* control-side, every 2 min */
	if (!cs)
		return -ENOMEM;
	memcpy(cs->secret, checker.secret, sizeof(cs->secret));
	old = atomic_exchange_explicit(&dp.cookie_secret, cs, memory_order_release);
	if (old && dp_rcu_defer(old, secret_free))
		WG_LOG(WARN, "handshake", "retiring the old cookie secret failed; kept");
	return 0;
}

int ctl_handshake_init(void)
{
	wg_cookie_checker_init(&checker, &ctl.local);
	memcpy(dp.mac1_key, ctl.local.mac1_key, sizeof(dp.mac1_key));
	memcpy(dp.cookie_key, ctl.local.cookie_key, sizeof(dp.cookie_key));
	limiter = wg_ratelimiter_create(RATELIMIT_SLOTS);
	if (!limiter || secret_fresh(ctl_now_ns()))
		return -ENOMEM;
	return 0;
}

void ctl_handshake_free(void)
{
	struct dp_cookie_secret *cs = atomic_exchange(&dp.cookie_secret, NULL);

	if (cs) {
		sodium_memzero(cs, sizeof(*cs));
		rte_free(cs);	/* the workers have stopped */
	}
	wg_ratelimiter_free(limiter);
	limiter = NULL;
}

static void load_on(uint64_t now)
{
	if (now >= under_load_until) {
		count(WG_CNT_HS_UNDER_LOAD);
		atomic_store_explicit(&dp.hs_under_load, true, memory_order_relaxed);
	}
	under_load_until = now + UNDER_LOAD_HOLD_NS;
}

/* Under load: the punt ring past its mark, then for a second after. While
 * the workers answer a flood themselves the ring stays empty, so their
 * cookie replies count too (ctl_handshake_tick). */
static bool is_under_load(uint64_t now)
{
	if (rte_ring_count(dp.punt_ring) > DP_UNDER_LOAD_FILL) {
		load_on(now);
		return true;
	}
	return now < under_load_until;
}

void ctl_handshake_tick(uint64_t now)
{
	uint64_t answered = 0;

	secret_fresh(now);
	for (unsigned int i = 0; i < dp.n_workers; i++)
		answered += dp.workers[i]->cnt->v[WG_CNT_HS_COOKIE_TX];
	/* More requests answered since the last tick than would have filled
	 * the ring to its mark: the flood goes on. */
	if (answered - worker_cookies_seen > DP_UNDER_LOAD_FILL)
		load_on(now);
	worker_cookies_seen = answered;
	if (!is_under_load(now))
		atomic_store_explicit(&dp.hs_under_load, false, memory_order_relaxed);
}

static void peer_name(const struct ctl_peer *p, char *buf, size_t len)
{
	/* Public keys are not secret; the first 8 base64 characters name a
	 * peer in logs the way `wg show` abbreviates them. */
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), p->noise.public_key, 32,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(buf, len, "%.8s…", b64);
}

/* Wraps a WireGuard message in UDP/IP/Ethernet to ep and sends it through a
 * worker, or holds it while the next hop is resolved. Consumes m. */
static void send_to(struct rte_mbuf *m, const struct dp_endpoint *ep)
{
	const struct dp_route *rt;
	enum wg_counter why = dp_encap_udp(m, &ep->ip, ep->udp_port, 0, &rt);

	if (!why)
		why = dp_eth_fill(m, rt, &ep->ip);
	if (why == WG_CNT_DROP_NO_NEIGHBOR) {
		dp_neigh_hold(m);
		return;
	}
	if (why) {
		count(why);
		rte_pktmbuf_free(m);
		return;
	}
	dp_control_tx(m);
}

static struct rte_mbuf *msg_alloc(size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);

	if (m && !rte_pktmbuf_append(m, (uint16_t)len)) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

static void set_endpoint(struct ctl_peer *p, const struct dp_mbuf_priv *pv)
{
	struct dp_endpoint ep = { .ip = pv->src, .udp_port = pv->src_udp_port,
				  .port_idx = pv->in_port_idx };

	if (p->endpoint.udp_port == ep.udp_port && p->endpoint.port_idx == ep.port_idx &&
	    wg_ipaddr_equal(&p->endpoint.ip, &ep.ip))
		return;
	p->endpoint = ep;
	dp_endpoint_publish(p->dp, &ep);
}

static size_t ip_len(const struct wg_ipaddr *ip)
{
	return ip->af == WG_AF_INET4 ? 4 : 16;
}

/* mac1 first: no DH, no state, nothing allocated before it holds. Under load
 * (the punt ring filling up, and for a second after) mac2 must hold too,
 * proving the source address, and that source must be within its own rate
 * (lib/wg/ratelimiter.h). Returns true when the message may go on;
 * otherwise *need_cookie says whether only mac2 was missing (the sender
 * should get a cookie). */
static bool macs_ok(const void *msg, size_t len, const struct dp_mbuf_priv *pv, uint64_t now,
		    bool *need_cookie)
{
	bool under_load = is_under_load(now);
	enum wg_mac_result mac;

	if (under_load)
		secret_fresh(now);	/* renewed here, shared with the workers */
	mac = wg_cookie_validate(&checker, msg, len, pv->src.a, ip_len(&pv->src),
				 pv->src_udp_port, now, under_load);

	*need_cookie = false;
	if (mac == WG_MAC_INVALID) {
		count(WG_CNT_HS_DROP_BAD_MAC1);
		return false;
	}
	if (under_load && mac != WG_MAC_VALID_MAC2) {
		*need_cookie = true;
		return false;
	}
	if (under_load && !wg_ratelimiter_allow(limiter, pv->src.a, ip_len(&pv->src), now)) {
		count(WG_CNT_HS_DROP_RATELIMITED);
		return false;
	}
	return true;
}

static void initiation_input(struct rte_mbuf *m, const struct dp_mbuf_priv *pv, uint64_t now)
{
	struct wg_msg_initiation *msg = rte_pktmbuf_mtod(m, struct wg_msg_initiation *);
	struct wg_noise_initiation_ctx hs;
	struct ctl_peer *p;
	bool need_cookie;
	int rc;

	count(WG_CNT_HS_INITIATION_RX);
	if (!macs_ok(msg, sizeof(*msg), pv, now, &need_cookie)) {
		if (!need_cookie)
			return;
		/* Make the sender prove its address before we spend a DH. */
		struct rte_mbuf *r = msg_alloc(sizeof(struct wg_msg_cookie));
		if (r && !wg_cookie_create_reply(&checker, rte_pktmbuf_mtod(r, struct wg_msg_cookie *),
						 msg, sizeof(*msg), wg_le32(msg->sender_index),
						 pv->src.a, ip_len(&pv->src), pv->src_udp_port, now)) {
			struct dp_endpoint ep = { .ip = pv->src, .udp_port = pv->src_udp_port,
						  .port_idx = pv->in_port_idx };
			count(WG_CNT_HS_COOKIE_TX);
			send_to(r, &ep);
		} else if (r) {
			rte_pktmbuf_free(r);
		}
		return;
	}
	if (wg_noise_initiation_open(&ctl.local, msg, &hs)) {
		count(WG_CNT_HS_DROP_DECRYPT);
		return;
	}
	p = ctl_peer_by_key(hs.remote_static);
	if (!p) {
		sodium_memzero(&hs, sizeof(hs));
		count(WG_CNT_HS_DROP_UNKNOWN_PEER);
		return;
	}
	rc = wg_noise_initiation_finish(&hs, &p->noise, msg, now);
	sodium_memzero(&hs, sizeof(hs));
	if (rc) {
		count(rc == -ESTALE ? WG_CNT_HS_DROP_REPLAYED :
		      rc == -EBUSY  ? WG_CNT_HS_DROP_FLOOD : WG_CNT_HS_DROP_DECRYPT);
		return;
	}
	/* Authenticated: the peer is where this came from (roaming). */
	set_endpoint(p, pv);

	struct rte_mbuf *r = msg_alloc(sizeof(struct wg_msg_response));
	struct wg_noise_keys keys;
	if (!r) {
		wg_noise_peer_clear_handshake(&p->noise);
		return;
	}
	struct wg_msg_response *resp = rte_pktmbuf_mtod(r, struct wg_msg_response *);
	uint32_t idx = ctl_new_index();
	if (wg_noise_create_response(&p->noise, idx, resp, &keys) ||
	    !dp_keypair_install(p->dp, &keys, pv->rx_worker)) {
		sodium_memzero(&keys, sizeof(keys));
		rte_pktmbuf_free(r);
		count(WG_CNT_HS_DROP_DECRYPT);
		return;
	}
	sodium_memzero(&keys, sizeof(keys));
	wg_cookie_add_macs(&p->noise, resp, sizeof(*resp), now);
	count(WG_CNT_HS_RESPONSE_TX);
	count(WG_CNT_HS_COMPLETED);
	/* The responder's keypair becomes current when the peer's first data
	 * confirms it; its age counts from now. */
	wg_timers_on_received(&p->ts, now, WG_TIMER_PKT_HANDSHAKE);
	wg_timers_on_session_derived(&p->ts, now);
	wg_timers_on_sent(&p->ts, now, WG_TIMER_PKT_HANDSHAKE);
	p->next_birth_ns = now;
	p->last_handshake_unix = (uint64_t)time(NULL);
	send_to(r, &p->endpoint);

	char name[24];
	peer_name(p, name, sizeof(name));
	WG_LOG(DEBUG, "handshake", "peer %s: handshake completed (responder)", name);
}

static void response_input(struct rte_mbuf *m, const struct dp_mbuf_priv *pv, uint64_t now)
{
	struct wg_msg_response *msg = rte_pktmbuf_mtod(m, struct wg_msg_response *);
	struct wg_noise_keys keys;
	struct ctl_peer *p;
	bool need_cookie;

	count(WG_CNT_HS_RESPONSE_RX);
	if (!macs_ok(msg, sizeof(*msg), pv, now, &need_cookie)) {
		if (need_cookie)
			count(WG_CNT_HS_DROP_BAD_MAC2);
		return;
	}
	p = ctl_peer_by_pending_index(wg_le32(msg->receiver_index));
	if (!p) {
		count(WG_CNT_HS_DROP_UNKNOWN_INDEX);
		return;
	}
	if (wg_noise_consume_response(&ctl.local, &p->noise, msg, &keys)) {
		char name[24];
		/* The keys disagree: give up this attempt now (see top). */
		wg_noise_peer_clear_handshake(&p->noise);
		wg_timers_on_give_up(&p->ts);
		atomic_store_explicit(&p->dp->handshake_wanted, false, memory_order_relaxed);
		count(WG_CNT_HS_RESPONSE_FAILED);
		peer_name(p, name, sizeof(name));
		WG_LOG(WARN, "handshake", "peer %s: response to our initiation does not decrypt"
		       " (mismatched keys or preshared key); handshake abandoned", name);
		return;
	}
	struct dp_keypair *kp = dp_keypair_install(p->dp, &keys, pv->rx_worker);
	sodium_memzero(&keys, sizeof(keys));
	if (!kp)
		return;
	set_endpoint(p, pv);
	count(WG_CNT_HS_COMPLETED);
	wg_timers_on_received(&p->ts, now, WG_TIMER_PKT_HANDSHAKE);
	wg_timers_on_session_derived(&p->ts, now);
	wg_timers_on_keypair_current(&p->ts, now, true);
	p->last_handshake_unix = (uint64_t)time(NULL);
	atomic_store_explicit(&p->dp->handshake_wanted, false, memory_order_relaxed);
	/* Confirm the session to the responder at once. */
	ctl_send_keepalive(p, now);
}

static void cookie_input(struct rte_mbuf *m, uint64_t now)
{
	struct wg_msg_cookie *msg = rte_pktmbuf_mtod(m, struct wg_msg_cookie *);
	struct ctl_peer *p = ctl_peer_by_pending_index(wg_le32(msg->receiver_index));

	count(WG_CNT_HS_COOKIE_RX);
	if (!p) {
		count(WG_CNT_HS_DROP_UNKNOWN_INDEX);
		return;
	}
	if (wg_cookie_consume_reply(&p->noise, msg, now))
		count(WG_CNT_HS_DROP_DECRYPT);
	/* The next retransmission carries mac2. */
}

void ctl_handshake_input(struct rte_mbuf *m, uint64_t now)
{
	const struct dp_mbuf_priv *pv = dp_priv(m);

	switch (rte_pktmbuf_mtod(m, const struct wg_msg_header *)->type) {
	case WG_MSG_INITIATION:
		initiation_input(m, pv, now);
		break;
	case WG_MSG_RESPONSE:
		response_input(m, pv, now);
		break;
	case WG_MSG_COOKIE:
		cookie_input(m, now);
		break;
	}
	rte_pktmbuf_free(m);
}

void ctl_handshake_initiate(struct ctl_peer *p, uint64_t now)
{
	struct rte_mbuf *m;
	uint8_t ts[WG_TIMESTAMP_LEN];

	if (!p->endpoint.ip.af)
		return;	/* nowhere to send it: wait for the peer to call */
	m = msg_alloc(sizeof(struct wg_msg_initiation));
	if (!m)
		return;
	struct wg_msg_initiation *msg = rte_pktmbuf_mtod(m, struct wg_msg_initiation *);
	wg_tai64n_now(ts);
	if (wg_noise_create_initiation(&ctl.local, &p->noise, ctl_new_index(), ts, msg)) {
		rte_pktmbuf_free(m);
		return;
	}
	wg_cookie_add_macs(&p->noise, msg, sizeof(*msg), now);
	wg_timers_on_initiation_sent(&p->ts, now);
	p->jitter_ns = randombytes_uniform((uint32_t)REKEY_TIMEOUT_JITTER_MAX);
	count(WG_CNT_HS_INITIATION_TX);
	send_to(m, &p->endpoint);
}

/* Seals len bytes of inner packet (0: a keepalive) for p with its current
 * keypair, padded as the workers pad, and sends it. */
static int send_sealed(struct ctl_peer *p, const uint8_t *inner, size_t len)
{
	struct dp_keypair *kp = atomic_load(&p->dp->kp_current);
	size_t padded = RTE_MIN(RTE_ALIGN_CEIL(len, WG_DATA_PAD), RTE_MAX((size_t)p->dp->mtu, len));
	struct rte_mbuf *m;

	if (!kp || !p->endpoint.ip.af)
		return -ENOTCONN;
	m = msg_alloc(sizeof(struct wg_msg_data) + padded + WG_AEAD_TAG_LEN);
	if (!m)
		return -ENOMEM;
	struct wg_msg_data *h = rte_pktmbuf_mtod(m, struct wg_msg_data *);
	uint64_t counter = atomic_fetch_add(&kp->send_counter, 1);
	*h = (struct wg_msg_data){
		.header.type = WG_MSG_DATA,
		.receiver_index = wg_le32(kp->remote_index),
		.counter = wg_le64(counter),
	};
	uint8_t *pt = (uint8_t *)(h + 1);
	if (len)
		memcpy(pt, inner, len);
	memset(pt + len, 0, padded - len);
	wg_aead_encrypt(pt, pt, padded, NULL, 0, counter, kp->send_key.k);
	send_to(m, &p->endpoint);
	return 0;
}

void ctl_send_keepalive(struct ctl_peer *p, uint64_t now)
{
	if (send_sealed(p, NULL, 0))
		return;
	wg_timers_on_sent(&p->ts, now, WG_TIMER_PKT_KEEPALIVE);
	count(WG_CNT_KEEPALIVE_TX);
}

int ctl_send_inner(struct ctl_peer *p, const uint8_t *ip, size_t len, uint64_t now)
{
	int rc;

	if (!len || len > p->dp->mtu)
		return -EMSGSIZE;
	rc = send_sealed(p, ip, len);
	if (!rc) {
		wg_timers_on_sent(&p->ts, now, WG_TIMER_PKT_DATA);
		count(WG_CNT_CONTROL_DATA_TX);
	}
	return rc;
}
