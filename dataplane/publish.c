/* Control lcore only (see publish.h): the allocations here happen once per
 * peer, handshake, roam or clock anchor (once a second), never per packet.
 * The per-packet files are listed and checked by tests/lint_hotpath.sh. */
#include "dataplane/publish.h"

#include <errno.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sodium.h>

#include "dataplane/rcu.h"
#include "lib/net/prefix_map.h"
#include "lib/policy/policy.h"
#include "lib/wg/messages.h"
#include "lib/wg/noise.h"

static void keypair_free(void *obj)
{
	struct dp_keypair *kp = obj;

	rte_hash_free_key_with_position(dp.index_table, kp->hash_pos);
	sodium_memzero(&kp->send_key, sizeof(kp->send_key));
	sodium_memzero(&kp->recv_key, sizeof(kp->recv_key));
	rte_free(kp);
}

static void keypair_retire(struct dp_keypair *kp)
{
	if (!kp)
		return;
	/* Unpublished from the index now; freed (and its index slot reused)
	 * only after every worker has passed a quiescent state. */
	rte_hash_del_key(dp.index_table, &kp->local_index);
	if (dp_rcu_defer(kp, keypair_free))
		sodium_memzero(kp, sizeof(*kp));	/* leak it, but keyless */
}

static void retire_slot(_Atomic(struct dp_keypair *) *slot)
{
	keypair_retire(atomic_exchange_explicit(slot, NULL, memory_order_acq_rel));
}

struct dp_peer *dp_peer_alloc(uint32_t slot, uint32_t mtu)
{
	struct dp_peer *p = rte_zmalloc("peer", sizeof(*p), RTE_CACHE_LINE_SIZE);

	if (!p)
		return NULL;
	p->slot = slot;
	p->mtu = mtu;
	return p;
}

static void policy_free(void *t)
{
	wg_pol_table_free(t);
}

void dp_peer_retire(struct dp_peer *peer)
{
	dp_keypairs_clear(peer);
	struct wg_pol_table *t = atomic_exchange(&peer->policy, NULL);
	if (t)
		dp_rcu_defer(t, policy_free);
	struct dp_endpoint *ep = atomic_exchange(&peer->endpoint, NULL);
	if (ep)
		dp_rcu_defer(ep, rte_free);
	dp_rcu_defer(peer, rte_free);
}

int dp_index_in_use(uint32_t local_index)
{
	return rte_hash_lookup(dp.index_table, &local_index) >= 0;
}

struct dp_keypair *dp_keypair_install(struct dp_peer *peer, const struct wg_noise_keys *k,
				     unsigned int owner)
{
	struct dp_keypair *kp = rte_zmalloc("keypair", sizeof(*kp), RTE_CACHE_LINE_SIZE);
	int32_t pos;

	if (!kp)
		return NULL;
	memcpy(kp->send_key.k, k->send, sizeof(kp->send_key.k));
	memcpy(kp->recv_key.k, k->recv, sizeof(kp->recv_key.k));
	kp->owner = (uint16_t)(owner < dp.n_workers ? owner : 0);
	kp->local_index = k->local_index;
	kp->remote_index = k->remote_index;
	kp->initiator = k->initiator;
	kp->birth_tsc = rte_get_tsc_cycles();
	kp->reject_tsc = kp->birth_tsc +
			 (uint64_t)((double)REJECT_AFTER_TIME * (double)dp.tsc_hz / 1e9);
	kp->peer = peer;
	wg_replay_init(&kp->replay);
	if (dp_index_in_use(kp->local_index) ||
	    rte_hash_add_key_data(dp.index_table, &kp->local_index, kp) != 0 ||
	    (pos = rte_hash_lookup(dp.index_table, &kp->local_index)) < 0) {
		sodium_memzero(kp, sizeof(*kp));
		rte_free(kp);
		return NULL;
	}
	kp->hash_pos = pos;

	if (k->initiator) {
		/* The initiator may use it at once: it has seen the response. */
		retire_slot(&peer->kp_next);
		struct dp_keypair *old = atomic_exchange_explicit(&peer->kp_current, kp,
								  memory_order_acq_rel);
		keypair_retire(atomic_exchange_explicit(&peer->kp_previous, old,
							memory_order_acq_rel));
	} else {
		keypair_retire(atomic_exchange_explicit(&peer->kp_next, kp, memory_order_acq_rel));
	}
	return kp;
}

void dp_keypair_confirm(struct dp_peer *peer)
{
	struct dp_keypair *next = atomic_exchange_explicit(&peer->kp_next, NULL,
							   memory_order_acq_rel);
	if (!next)
		return;
	struct dp_keypair *old = atomic_exchange_explicit(&peer->kp_current, next,
							  memory_order_acq_rel);
	keypair_retire(atomic_exchange_explicit(&peer->kp_previous, old, memory_order_acq_rel));
}

void dp_keypairs_expire(struct dp_peer *peer)
{
	retire_slot(&peer->kp_current);
	retire_slot(&peer->kp_previous);
}

void dp_keypairs_clear(struct dp_peer *peer)
{
	retire_slot(&peer->kp_next);
	retire_slot(&peer->kp_current);
	retire_slot(&peer->kp_previous);
}

void dp_endpoint_publish(struct dp_peer *peer, const struct dp_endpoint *ep)
{
	struct dp_endpoint *n = rte_malloc("endpoint", sizeof(*n), 0);

	if (!n)
		return;	/* keep the old endpoint; the next packet reports again */
	*n = *ep;
	struct dp_endpoint *old = atomic_exchange_explicit(&peer->endpoint, n,
							   memory_order_acq_rel);
	if (old)
		dp_rcu_defer(old, rte_free);
}

static void map_free(void *m)
{
	wg_prefix_map_free(m);
}

void dp_allowed_ips_publish(struct wg_prefix_map *m)
{
	struct wg_prefix_map *old = atomic_exchange_explicit(&dp.allowed_ips, m,
							     memory_order_acq_rel);
	if (old)
		dp_rcu_defer(old, map_free);
}

void dp_neighbours_publish(struct wg_prefix_map *m)
{
	struct wg_prefix_map *old = atomic_exchange_explicit(&dp.neighbours, m,
							     memory_order_acq_rel);
	if (old)
		dp_rcu_defer(old, map_free);
}

int dp_clock_publish(uint64_t tsc, uint64_t ns, uint64_t mult)
{
	struct dp_clock *c = rte_malloc("clock", sizeof(*c), RTE_CACHE_LINE_SIZE);

	if (!c)
		return -ENOMEM;	/* the old anchor keeps working, a bit less exact */
	*c = (struct dp_clock){ .tsc = tsc, .ns = ns, .mult = mult };
	struct dp_clock *old = atomic_exchange_explicit(&dp.clock, c, memory_order_acq_rel);
	if (old)
		dp_rcu_defer(old, rte_free);
	return 0;
}

void dp_control_tx(struct rte_mbuf *m)
{
	static unsigned int rr;
	struct dp_worker *w = dp.workers[rr++ % dp.n_workers];

	if (rte_ring_sp_enqueue(w->tx_ring, m) != 0) {
		dp.control_cnt->v[WG_CNT_DROP_CONTROL_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}
