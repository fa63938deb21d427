/* The control core's view of each peer: Noise state, timers, endpoint,
 * and the data-plane object it publishes for the workers.
 * Writer: control lcore (under ctl_lock). Readers: control lcore, and the
 * telemetry thread under ctl_lock. */
#ifndef WGATE_CONTROL_PEERS_H
#define WGATE_CONTROL_PEERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "lib/net/addr.h"
#include "lib/wg/noise.h"
#include "lib/wg/timers.h"

struct wg_config;

struct ctl_peer {
	uint32_t slot;
	struct wg_noise_peer noise;
	struct dp_peer *dp;
	struct wg_prefix *allowed;
	size_t n_allowed;
	uint16_t persistent_keepalive;	/* seconds, 0 = off */

	struct dp_endpoint endpoint;	/* ip.af == 0: not known yet */

	/* WireGuard timers, fed from the workers' per-peer stamps (folded
	 * every tick) and from what the control core itself sends/receives. */
	struct wg_timer_state ts;
	uint64_t jitter_ns;		/* drawn per initiation */
	uint64_t next_birth_ns;		/* when the unconfirmed keypair was derived */
	uint64_t last_handshake_unix;	/* wall clock, for `peers` */
	/* Newest worker stamps already folded into ts (TSC). */
	uint64_t seen_data_rx_tsc, seen_any_rx_tsc, seen_data_tx_tsc;
};

struct ctl_state {
	struct wg_noise_local local;
	struct ctl_peer **peers;	/* by slot; NULL = free */
	uint32_t n_slots;
	uint32_t slot_hw;		/* slots at and above are all free */
	uint32_t n_peers;
	uint64_t started_unix;
	bool ready;
	/* [Dataplane] MaxGrants (0: no bound) and the grants now published
	 * (control/policy.c). Writer: control lcore; telemetry reads
	 * n_grants under ctl_lock. */
	uint32_t max_grants;
	size_t n_grants;
	/* The configuration the gateway started with: main's, freed by main. */
	const struct wg_config *running;
	/* The peers, resources and grants now applied: the file's, merged
	 * with the signaling store's. Replaced (never modified) by ctl_apply
	 * under ctl_lock, which frees the one it replaces unless that is
	 * running; the telemetry thread reads it under ctl_lock. */
	struct wg_config *effective;
};

extern struct ctl_state ctl;
/* Serialises the telemetry thread against the control loop. Never taken by
 * a worker. */
extern pthread_mutex_t ctl_lock;

int ctl_peers_init(const struct wg_config *cfg);
/* SIGHUP: peers missing from cfg are removed, present ones take their new
 * settings without losing their sessions, new ones are added; the
 * allowed-IPs map is republished. A new peer that finds every slot taken
 * ([Dataplane] MaxPeers) is refused: counted (bound_refused_max_peers), a
 * rate-limited warning, the others applied as usual. 0 or -errno (the state may then be
 * partly updated, never inconsistent). */
int ctl_peers_sync(const struct wg_config *cfg);
void ctl_peers_free(void);
struct ctl_peer *ctl_peer_by_key(const uint8_t key[32]);
struct ctl_peer *ctl_peer_by_slot(uint32_t slot);
/* The peer whose initiation carries this sender index (awaiting a response). */
struct ctl_peer *ctl_peer_by_pending_index(uint32_t local_index);
/* A fresh local index: unused by keypairs and by pending handshakes. */
uint32_t ctl_new_index(void);
uint64_t ctl_now_ns(void);

#endif
