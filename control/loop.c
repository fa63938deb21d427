/* The control core's loop: punted frames (handshakes, ARP/ND, frames held
 * for a neighbour), worker events (confirmations, roams, wanted
 * handshakes), timers every CTL_TICK_NS, and RCU reclamation. It sleeps
 * when there is nothing to do: it is never on the packet path. */
#include "control/loop.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/flags.h"
#include "control/fz.h"
#include "control/dns.h"
#include "control/handshake.h"
#include "control/http.h"
#include "control/otlp.h"
#include "control/peers.h"
#include "control/reload.h"
#include "control/sdnotify.h"
#include "control/signaling.h"
#include "control/stub.h"
#include "control/timers.h"
#include "dataplane/arp_nd.h"
#include "dataplane/publish.h"
#include "dataplane/rcu.h"
#include "dataplane/setup.h"
#include "lib/util/log.h"

#define CTL_TICK_NS	(100ULL * 1000 * 1000)
#define CTL_IDLE_US	200

volatile sig_atomic_t ctl_stop;
volatile sig_atomic_t ctl_reload_requested;

static unsigned int punted(uint64_t now)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(dp.punt_ring, (void **)m, DP_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		switch (dp_priv(m[i])->punt_reason) {
		case DP_PUNT_HANDSHAKE:
			ctl_handshake_input(m[i], now);
			break;
		case DP_PUNT_ARP:
		case DP_PUNT_ND:
			dp_neigh_input(m[i]);
			break;
		case DP_PUNT_NEIGH_MISS:
			dp_neigh_hold(m[i]);
			break;
		case DP_PUNT_DNS:
			ctl_stub_input(m[i], now);
			break;
		case DP_PUNT_FZ_CONTROL:
			ctl_fz_input(m[i], now);
			break;
		default:
			rte_pktmbuf_free(m[i]);
		}
	}
	return n;
}

static void event(const struct dp_event *ev, uint64_t now)
{
	struct ctl_peer *p = ctl_peer_by_slot(ev->peer_slot);

	if (!p)
		return;	/* the peer left while the event was queued */
	switch (ev->type) {
	case DP_EV_KEYPAIR_CONFIRMED: {
		struct dp_keypair *next = atomic_load(&p->dp->kp_next);
		if (!next || next->local_index != ev->local_index)
			return;
		dp_keypair_confirm(p->dp);
		wg_timers_on_keypair_current(&p->ts, p->next_birth_ns, false);
		atomic_store(&p->dp->handshake_wanted, false);
		return;
	}
	case DP_EV_ROAMED: {
		struct dp_endpoint ep = { .ip = ev->ip, .udp_port = ev->udp_port,
					  .port_idx = ev->port_idx };
		if (p->endpoint.udp_port != ep.udp_port || p->endpoint.port_idx != ep.port_idx ||
		    !wg_ipaddr_equal(&p->endpoint.ip, &ep.ip)) {
			p->endpoint = ep;
			dp_endpoint_publish(p->dp, &ep);
			dp.control_cnt->v[WG_CNT_ROAMED]++;
		}
		/* Published before the flag clears: a worker that sees the
		 * flag clear also sees the new endpoint. */
		atomic_store(&p->dp->roam_reported, false);
		return;
	}
	case DP_EV_WANT_HANDSHAKE:
		p->ts.want_handshake = true;
		(void)now;
		return;
	}
}

static unsigned int events(uint64_t now)
{
	struct dp_event ev[DP_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst_elem(dp.event_ring, ev, sizeof(ev[0]),
							DP_BURST, NULL);

	for (unsigned int i = 0; i < n; i++)
		event(&ev[i], now);
	return n;
}

void ctl_loop(const char *path, const struct wg_config *running)
{
	uint64_t next_tick = 0, next_clock = 0;

	while (!ctl_stop) {
		uint64_t now = ctl_now_ns();
		unsigned int work;

		pthread_mutex_lock(&ctl_lock);
		if (ctl_reload_requested) {
			ctl_reload_requested = 0;
			ctl_reload(path, running);
		}
		work = punted(now) + events(now) + ctl_sig_poll(now) + ctl_http_poll() +
		       ctl_dns_poll() + ctl_stub_poll(now);
		if (now >= next_tick) {
			ctl_timers_tick(now);
			ctl_flags_tick(now);
			ctl_otlp_tick(now);
			dp_neigh_tick(now);
			next_tick = now + CTL_TICK_NS;
		}
		if (now >= next_clock) {
			ctl_clock_tick();
			dp_ports_watch();
			next_clock = now + 1000ULL * 1000 * 1000;
		}
		dp_rcu_reclaim();
		pthread_mutex_unlock(&ctl_lock);
		ctl_sdnotify_watchdog(now);
		if (!work)
			rte_delay_us_sleep(CTL_IDLE_US);
	}
}
