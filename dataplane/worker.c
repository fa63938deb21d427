/* The worker lcore's poll loop: for every port, receive a burst on this
 * worker's queue, sort it, decrypt and encrypt what it holds, send what the
 * control core queued for this worker, flush, and report a quiescent state
 * so that retired objects can be freed.
 *
 * Idle behaviour: with IdlePoll = busy the loop never sleeps (an appliance's
 * dedicated core). With adaptive, after DP_IDLE_SPINS empty rounds the
 * worker goes RCU-offline and sleeps, doubling the nap up to DP_IDLE_MAX_US;
 * the first packet after a nap waits at most that long. This is what lets
 * the demo and the tests share 2 cores with their peers. */
#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/nat.h"
#include "dataplane/pipeline.h"
#include "dataplane/rx.h"

#define DP_IDLE_SPINS	256
#define DP_IDLE_MIN_US	20
#define DP_IDLE_MAX_US	500

static void idle(struct dp_worker *w)
{
	if (++w->idle_polls < DP_IDLE_SPINS)
		return;
	unsigned int shift = (w->idle_polls - DP_IDLE_SPINS) / 64;
	unsigned int us = DP_IDLE_MIN_US << (shift > 5 ? 5 : shift);

	if (us > DP_IDLE_MAX_US)
		us = DP_IDLE_MAX_US;
	rte_rcu_qsbr_thread_offline(dp.rcu, w->idx);
	rte_delay_us_sleep(us);
	rte_rcu_qsbr_thread_online(dp.rcu, w->idx);
}

static unsigned int drain_tx_ring(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(w->tx_ring, (void **)pkts, DP_BURST, NULL);

	for (unsigned int i = 0; i < n; i++)
		dp_tx_stage(w, pkts[i], dp_priv(pkts[i])->out_port_idx);
	w->cnt->v[WG_CNT_CONTROL_TX] += n;
	return n;
}

/* What other workers handed this one: data messages for keypairs it owns,
 * and packets for the NAT flows it holds (dataplane/nat.c). */
static unsigned int drain_handoff(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST], *dec[DP_BURST], *enc[DP_BURST];
	uint16_t n_dec = 0, n_enc = 0;
	unsigned int n;

	if (!w->handoff_ring)
		return 0;
	n = rte_ring_sc_dequeue_burst(w->handoff_ring, (void **)pkts, DP_BURST, NULL);
	if (!n)
		return 0;
	w->cnt->v[WG_CNT_HANDOFF_RX] += n;
	for (unsigned int i = 0; i < n; i++) {
		switch (dp_priv(pkts[i])->punt_reason) {
		case DP_HANDOFF_TO_CLIENT:
			enc[n_enc++] = pkts[i];
			break;
		case DP_HANDOFF_MASQ:
			if (dp_nat_from_resource(w, pkts[i]))
				enc[n_enc++] = pkts[i];
			else
				dp_drop(w, pkts[i], WG_CNT_DROP_NOT_FOR_US);
			break;
		default:
			dec[n_dec++] = pkts[i];
		}
	}
	dp_decrypt_burst(w, dec, n_dec);
	dp_encrypt_burst(w, enc, n_enc);
	return n;
}

unsigned int dp_worker_poll(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_rx_sort sort;
	unsigned int work = 0;
	w->now_tsc = rte_rdtsc();
	w->now_ns = dp_clock_ns(atomic_load_explicit(&dp.clock, memory_order_acquire),
				w->now_tsc);
	dp_burst_flags_load(&w->flags);
	for (unsigned int p = 0; p < dp.n_ports; p++) {
		uint16_t n = rte_eth_rx_burst(dp.ports[p].port_id, (uint16_t)w->idx,
					      pkts, DP_BURST);
		if (!n)
			continue;
		work += n;
		dp_rx_sort_burst(w, (uint8_t)p, pkts, n, &sort);
		dp_decrypt_burst(w, sort.data, sort.n_data);
		dp_encrypt_burst(w, sort.enc, sort.n_enc);
	}
	work += drain_handoff(w);
	dp_nat_sweep(w);
	work += drain_tx_ring(w);
	dp_tx_flush(w, !work || w->now_tsc >= w->tx_deadline_tsc);
	return work;
}

int dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;

	rte_rcu_qsbr_thread_register(dp.rcu, w->idx);
	rte_rcu_qsbr_thread_online(dp.rcu, w->idx);
	while (!dp.stop) {
		unsigned int work = dp_worker_poll(w);

		/* Busy time, for the busy-ratio gauge (control/metrics.c)
		 * and wgatectl top: one TSC read per poll that found work,
		 * never per packet. */
		if (work)
			w->cnt->v[WG_CNT_BUSY_CYCLES] += rte_rdtsc() - w->now_tsc;
		rte_rcu_qsbr_quiescent(dp.rcu, w->idx);
		if (work)
			w->idle_polls = 0;
		else if (dp.idle_poll == DP_IDLE_ADAPTIVE)
			idle(w);
	}
	w->flags.tx_retry = false;	/* nothing may stay staged */
	dp_tx_flush(w, true);
	rte_rcu_qsbr_thread_offline(dp.rcu, w->idx);
	rte_rcu_qsbr_thread_unregister(dp.rcu, w->idx);
	return 0;
}
