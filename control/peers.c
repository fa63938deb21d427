/* Peers from the configuration: their Noise identities, their data-plane
 * objects, and the allowed-IPs map the workers use for the inner-source
 * check and for picking the peer of a packet bound for a client. */
#include "control/peers.h"

#include "control/peer_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "dataplane/publish.h"
#include "dataplane/rcu.h"
#include "lib/config/config.h"
#include "lib/net/prefix_map.h"
#include "lib/util/idset.h"
#include "lib/util/log.h"
#include "lib/wg/messages.h"

struct ctl_state ctl;
pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t ctl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int publish_allowed_ips(void)
{
	struct wg_prefix_map_builder *b = wg_prefix_map_builder_create();
	struct wg_prefix_map *m;

	if (!b)
		return -ENOMEM;
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		struct ctl_peer *p = ctl.peers[s];
		for (size_t i = 0; p && i < p->n_allowed; i++) {
			int rc = wg_prefix_map_builder_add(b, &p->allowed[i], (uintptr_t)p->dp);
			if (rc) {
				wg_prefix_map_free(wg_prefix_map_build(b));
				return rc;
			}
		}
	}
	m = wg_prefix_map_build(b);
	if (!m)
		return -ENOMEM;
	dp_allowed_ips_publish(m);
	return 0;
}

/* Settings of a [Peer] that can change without touching its sessions. */
static int peer_update(struct ctl_peer *p, const struct wg_cfg_peer *cp)
{
	struct wg_prefix *allowed = malloc(cp->n_allowed * sizeof(*allowed));

	if (!allowed)
		return -ENOMEM;
	memcpy(allowed, cp->allowed, cp->n_allowed * sizeof(*allowed));
	free(p->allowed);
	p->allowed = allowed;
	p->n_allowed = cp->n_allowed;
	/* A new preshared key applies from the next handshake on. */
	if (cp->has_psk)
		memcpy(p->noise.psk, cp->psk, sizeof(p->noise.psk));
	else
		sodium_memzero(p->noise.psk, sizeof(p->noise.psk));
	p->persistent_keepalive = cp->persistent_keepalive;
	p->ts.persistent_keepalive_ns = (uint64_t)cp->persistent_keepalive * WG_NSEC_PER_SEC;
	if (cp->endpoint_port && !p->endpoint.ip.af) {
		p->endpoint = (struct dp_endpoint){ .ip = cp->endpoint_ip,
						    .udp_port = cp->endpoint_port };
		dp_endpoint_publish(p->dp, &p->endpoint);
	}
	return 0;
}

/* A slot is free when no peer holds it and no retired peer's stats may
 * still be written there by a worker. */
static bool *slot_busy;

static int peer_add(const struct wg_config *cfg, const struct wg_cfg_peer *cp)
{
	struct ctl_peer *p;
	uint32_t slot;
	int rc;

	if (ctl.n_peers >= dp.max_peers)
		return -ENOSPC;
	for (slot = 0; slot < ctl.n_slots && (ctl.peers[slot] || slot_busy[slot]); slot++)
		;
	if (slot == ctl.n_slots)	/* more removals than the slack in one grace period */
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->slot = slot;
	rc = wg_noise_peer_init(&p->noise, &ctl.local, cp->public_key,
				cp->has_psk ? cp->psk : NULL);
	if (rc) {
		WG_LOG(ERR, "control", "%s:%d: [Peer] PublicKey is not a usable key",
		       cfg->path, cp->line);
		free(p);
		return rc;
	}
	p->dp = dp_peer_alloc(p->slot, cfg->iface.mtu);
	if (!p->dp || peer_update(p, cp)) {
		sodium_memzero(&p->noise, sizeof(p->noise));
		free(p->allowed);
		free(p);
		return -ENOMEM;
	}
	ctl.peers[slot] = p;
	ctl_peer_index_add(p);
	slot_busy[slot] = true;
	ctl.n_peers++;
	if (slot >= ctl.slot_hw)
		ctl.slot_hw = slot + 1;
	return 0;
}

/* Runs after the grace period that follows a peer's removal: no worker can
 * still be writing the slot's stats, so they start from zero for the next
 * peer that gets the slot. */
static void slot_release(void *token)
{
	uint32_t slot = (uint32_t)((uintptr_t)token - 1);

	if (!slot_busy)
		return;	/* shutting down */
	for (unsigned int w = 0; w < dp.n_workers; w++)
		memset(&dp.workers[w]->peer_stats[slot], 0, sizeof(dp.workers[w]->peer_stats[slot]));
	slot_busy[slot] = false;
}

/* The peer is already out of ctl.peers and out of the published map. */
static void peer_retire(struct ctl_peer *p)
{
	dp_peer_retire(p->dp);	/* keys, endpoint and policy go after a grace period */
	dp_rcu_defer((void *)(uintptr_t)(p->slot + 1), slot_release);
	sodium_memzero(&p->noise, sizeof(p->noise));
	free(p->allowed);
	free(p);
}

/* The peers the last change refused at MaxPeers (ids of their keys): one
 * still refused at the next change is not counted or logged again. */
static struct wg_idset refused_last;

struct refusals {
	uint64_t *ids;	/* this change's, n of cfg->n_peers at most */
	size_t n;
};

/* peer_add, with a full table (MaxPeers) a counted refusal rather than an
 * error: the peers already in keep working, the rest of the change
 * applies, and the refused one is tried again at the next change. */
static int peer_add_bounded(const struct wg_config *cfg, const struct wg_cfg_peer *cp,
			    struct refusals *r)
{
	int rc = peer_add(cfg, cp);
	char key[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	uint64_t id;

	if (rc != -ENOSPC)
		return rc;
	id = wg_idset_hash(WG_IDSET_SEED, cp->public_key, sizeof(cp->public_key));
	r->ids[r->n++] = id;
	if (wg_idset_has(&refused_last, id))
		return 0;
	dp.control_cnt->v[WG_CNT_PEER_REFUSED_MAX]++;
	sodium_bin2base64(key, sizeof(key), cp->public_key, 32, sodium_base64_VARIANT_ORIGINAL);
	WG_LOG(WARN, "control", "peer %s refused: [Dataplane] MaxPeers = %u peers are in"
	       " (bound_refused_max_peers)", key, dp.max_peers);
	return 0;
}

static int refusals_begin(struct refusals *r, const struct wg_config *cfg)
{
	r->n = 0;
	r->ids = malloc((cfg->n_peers ? cfg->n_peers : 1) * sizeof(*r->ids));
	return r->ids ? 0 : -ENOMEM;
}

/* The change is done: its refusals are the ones the next compares with. */
static void refusals_end(struct refusals *r)
{
	wg_idset_take(&refused_last, r->ids, r->n);
	r->ids = NULL;
}

int ctl_peers_init(const struct wg_config *cfg)
{
	int rc = wg_noise_local_init(&ctl.local, cfg->iface.private_key);
	struct refusals r;

	if (rc) {
		WG_LOG(ERR, "control", "[Interface] PrivateKey is not a usable X25519 key");
		return rc;
	}
	ctl.n_slots = dp.peer_slots ? dp.peer_slots : dp.max_peers;
	ctl.peers = calloc(ctl.n_slots, sizeof(*ctl.peers));
	slot_busy = calloc(ctl.n_slots, sizeof(*slot_busy));
	if (!ctl.peers || !slot_busy || ctl_peer_index_init(ctl.n_slots))
		return -ENOMEM;
	if (refusals_begin(&r, cfg))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_peers && !rc; i++)
		rc = peer_add_bounded(cfg, &cfg->peers[i], &r);
	refusals_end(&r);
	return rc ? rc : publish_allowed_ips();
}

int ctl_peers_sync(const struct wg_config *cfg)
{
	struct ctl_peer **gone = calloc(ctl.slot_hw ? ctl.slot_hw : 1, sizeof(*gone));
	size_t n_gone = 0;
	struct refusals r;
	int rc = 0;

	if (!gone || refusals_begin(&r, cfg)) {
		free(gone);
		return -ENOMEM;
	}
	/* Peers that left the file go, with their sessions... */
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		struct ctl_peer *p = ctl.peers[s];
		if (p && wg_config_peer_find(cfg, p->noise.public_key) < 0) {
			ctl_peer_index_del(p);
			ctl.peers[s] = NULL;
			ctl.n_peers--;
			gone[n_gone++] = p;
		}
	}
	/* ...the others keep their sessions and take the new settings, and
	 * new ones arrive. */
	for (size_t i = 0; i < cfg->n_peers && !rc; i++) {
		struct ctl_peer *p = ctl_peer_by_key(cfg->peers[i].public_key);
		rc = p ? peer_update(p, &cfg->peers[i]) : peer_add_bounded(cfg, &cfg->peers[i], &r);
	}
	refusals_end(&r);
	/* The map must stop naming a peer before its grace period starts. */
	int prc = publish_allowed_ips();
	if (!prc) {
		for (size_t i = 0; i < n_gone; i++)
			peer_retire(gone[i]);
	} else {
		for (size_t i = 0; i < n_gone; i++) {	/* keep them rather than free a named peer */
			ctl.peers[gone[i]->slot] = gone[i];
			ctl_peer_index_add(gone[i]);
			ctl.n_peers++;
		}
	}
	free(gone);
	return rc ? rc : prc;
}

void ctl_peers_free(void)
{
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		struct ctl_peer *p = ctl.peers[s];
		if (!p)
			continue;
		if (p->dp)
			dp_peer_retire(p->dp);	/* keys are wiped when freed */
		sodium_memzero(&p->noise, sizeof(p->noise));
		free(p->allowed);
		free(p);
	}
	free(ctl.peers);
	ctl.peers = NULL;
	ctl_peer_index_free();
	free(slot_busy);
	slot_busy = NULL;
	wg_idset_free(&refused_last);
	sodium_memzero(&ctl.local, sizeof(ctl.local));
}

struct ctl_peer *ctl_peer_by_key(const uint8_t key[32])
{
	return ctl_peer_index_find(key);
}

struct ctl_peer *ctl_peer_by_slot(uint32_t slot)
{
	return slot < ctl.n_slots ? ctl.peers[slot] : NULL;
}

struct ctl_peer *ctl_peer_by_pending_index(uint32_t local_index)
{
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		struct ctl_peer *p = ctl.peers[s];
		if (p && p->noise.state == WG_NOISE_CREATED_INITIATION &&
		    p->noise.local_index == local_index)
			return p;
	}
	return NULL;
}

uint32_t ctl_new_index(void)
{
	for (;;) {
		uint32_t idx = randombytes_random();
		if (idx && !dp_index_in_use(idx) && !ctl_peer_by_pending_index(idx))
			return idx;
	}
}
