/* Carries out WireGuard's timer rules (lib/wg/timers.c decides them).
 *
 * Workers never arm timers: they stamp per-peer times into their own
 * arrays. Every tick the control core takes the newest stamp of each kind
 * across workers, feeds what is new into the peer's wg_timer_state, asks
 * wg_timers_decide() what to do, and does it: keepalives, initiations,
 * giving up, expiring sessions and wiping keys. */
#include "control/timers.h"

#include <rte_cycles.h>
#include <sodium.h>

#include "control/handshake.h"
#include "control/peers.h"
#include "dataplane/publish.h"
#include "lib/util/log.h"
#include "lib/wg/messages.h"

static uint64_t base_tsc, base_ns;
/* The previous wall-clock anchor, to measure the TSC's real rate. */
static uint64_t anchor_tsc, anchor_mono;

static void clock_anchor(uint64_t *tsc, uint64_t *mono, uint64_t *wall)
{
	struct timespec m, w;

	/* Read the TSC between the two clocks so that it sits in the middle. */
	clock_gettime(CLOCK_MONOTONIC_RAW, &m);
	*tsc = rte_get_tsc_cycles();
	clock_gettime(CLOCK_REALTIME, &w);
	*mono = (uint64_t)m.tv_sec * 1000000000ULL + (uint64_t)m.tv_nsec;
	*wall = (uint64_t)w.tv_sec * 1000000000ULL + (uint64_t)w.tv_nsec;
}

void ctl_clock_tick(void)
{
	uint64_t tsc, mono, wall, mult;

	clock_anchor(&tsc, &mono, &wall);
	if (anchor_tsc && tsc > anchor_tsc + dp.tsc_hz / 10)
		mult = (uint64_t)(((unsigned __int128)(mono - anchor_mono) << 32) /
				  (tsc - anchor_tsc));
	else	/* first anchor: trust the nominal rate until we have measured */
		mult = (uint64_t)(((unsigned __int128)1000000000ULL << 32) / dp.tsc_hz);
	anchor_tsc = tsc;
	anchor_mono = mono;
	dp_clock_publish(tsc, wall, mult);
}

void ctl_timers_init(void)
{
	base_tsc = rte_get_tsc_cycles();
	base_ns = ctl_now_ns();
	ctl_clock_tick();
}

uint64_t ctl_tsc_to_ns(uint64_t tsc)
{
	if (!tsc)
		return 0;
	if (tsc < base_tsc)
		return base_ns;
	return base_ns + (uint64_t)((double)(tsc - base_tsc) * 1e9 / (double)dp.tsc_hz);
}

static void fold(struct ctl_peer *p)
{
	uint64_t data_rx = 0, any_rx = 0, data_tx = 0;

	for (unsigned int w = 0; w < dp.n_workers; w++) {
		const struct dp_peer_stats *st = &dp.workers[w]->peer_stats[p->slot];
		data_rx = RTE_MAX(data_rx, st->last_data_rx_tsc);
		any_rx = RTE_MAX(any_rx, st->last_any_rx_tsc);
		data_tx = RTE_MAX(data_tx, st->last_data_tx_tsc);
	}
	if (any_rx > p->seen_any_rx_tsc) {
		p->seen_any_rx_tsc = any_rx;
		/* A keepalive if no data came with it. */
		wg_timers_on_received(&p->ts, ctl_tsc_to_ns(any_rx),
				      data_rx == any_rx ? WG_TIMER_PKT_DATA : WG_TIMER_PKT_KEEPALIVE);
	}
	if (data_rx > p->seen_data_rx_tsc) {
		p->seen_data_rx_tsc = data_rx;
		wg_timers_on_received(&p->ts, ctl_tsc_to_ns(data_rx), WG_TIMER_PKT_DATA);
	}
	if (data_tx > p->seen_data_tx_tsc) {
		p->seen_data_tx_tsc = data_tx;
		wg_timers_on_sent(&p->ts, ctl_tsc_to_ns(data_tx), WG_TIMER_PKT_DATA);
	}
	struct dp_keypair *kp = atomic_load(&p->dp->kp_current);
	p->ts.current_send_counter = kp ? atomic_load_explicit(&kp->send_counter,
							       memory_order_relaxed) : 0;
	p->ts.want_handshake = p->ts.want_handshake ||
			       atomic_load_explicit(&p->dp->handshake_wanted, memory_order_relaxed);
}

static void act(struct ctl_peer *p, unsigned int what, uint64_t now)
{
	if (what & WG_TIMER_ZERO_KEYS) {
		dp_keypairs_clear(p->dp);
		wg_noise_peer_clear_handshake(&p->noise);
		p->ts.has_key_material = false;
		p->ts.current_keypair_birth_ns = 0;
		dp.control_cnt->v[WG_CNT_KEYS_ZEROED]++;
	}
	if (what & WG_TIMER_EXPIRE_SESSION) {
		/* Workers already refuse it by its reject time; unpublish it so
		 * that the keys leave memory after the grace period. */
		dp_keypairs_expire(p->dp);
		p->ts.current_keypair_birth_ns = 0;
		dp.control_cnt->v[WG_CNT_SESSIONS_EXPIRED]++;
	}
	if (what & WG_TIMER_GIVE_UP) {
		wg_noise_peer_clear_handshake(&p->noise);
		wg_timers_on_give_up(&p->ts);
		atomic_store_explicit(&p->dp->handshake_wanted, false, memory_order_relaxed);
		dp.control_cnt->v[WG_CNT_HS_GAVE_UP]++;
	}
	if (what & WG_TIMER_SEND_INITIATION)
		ctl_handshake_initiate(p, now);
	if (what & WG_TIMER_SEND_KEEPALIVE)
		ctl_send_keepalive(p, now);
}

void ctl_timers_tick(uint64_t now)
{
	ctl_handshake_tick(now);
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		struct ctl_peer *p = ctl.peers[s];
		if (!p)
			continue;
		fold(p);
		unsigned int what = wg_timers_decide(&p->ts, now, p->jitter_ns);
		if (what)
			act(p, what, now);
	}
}
