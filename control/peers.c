/* Peers from the configuration: their Noise identities, their data-plane
 * objects, and the allowed-IPs map the workers use for the inner-source
 * check and for picking the peer of a packet bound for a client. */
#include "control/peers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "dataplane/publish.h"
#include "lib/config/config.h"
#include "lib/net/prefix_map.h"
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

int ctl_peers_init(const struct wg_config *cfg)
{
	int rc = wg_noise_local_init(&ctl.local, cfg->iface.private_key);

	if (rc) {
		WG_LOG(ERR, "control", "[Interface] PrivateKey is not a usable X25519 key");
		return rc;
	}
	ctl.n_slots = dp.max_peers;
	ctl.peers = calloc(ctl.n_slots, sizeof(*ctl.peers));
	if (!ctl.peers)
		return -ENOMEM;
	if (cfg->n_peers > ctl.n_slots)
		return -E2BIG;
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct wg_cfg_peer *cp = &cfg->peers[i];
		struct ctl_peer *p = calloc(1, sizeof(*p));

		if (!p)
			return -ENOMEM;
		p->slot = (uint32_t)i;
		rc = wg_noise_peer_init(&p->noise, &ctl.local, cp->public_key,
					cp->has_psk ? cp->psk : NULL);
		if (rc) {
			WG_LOG(ERR, "control", "%s:%d: [Peer] PublicKey is not a usable key",
			       cfg->path, cp->line);
			free(p);
			return rc;
		}
		p->allowed = malloc(cp->n_allowed * sizeof(*p->allowed));
		p->dp = dp_peer_alloc(p->slot, cfg->iface.mtu);
		if (!p->allowed || !p->dp)
			return -ENOMEM;
		memcpy(p->allowed, cp->allowed, cp->n_allowed * sizeof(*p->allowed));
		p->n_allowed = cp->n_allowed;
		p->persistent_keepalive = cp->persistent_keepalive;
		p->ts.persistent_keepalive_ns = (uint64_t)cp->persistent_keepalive * WG_NSEC_PER_SEC;
		if (cp->endpoint_port) {
			p->endpoint = (struct dp_endpoint){ .ip = cp->endpoint_ip,
							    .udp_port = cp->endpoint_port };
			dp_endpoint_publish(p->dp, &p->endpoint);
		}
		ctl.peers[i] = p;
		ctl.n_peers++;
		ctl.slot_hw = p->slot + 1;
	}
	return publish_allowed_ips();
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
	sodium_memzero(&ctl.local, sizeof(ctl.local));
}

struct ctl_peer *ctl_peer_by_key(const uint8_t key[32])
{
	/* Linear for now: handshakes are rare next to packets, and peers come
	 * from a static file. A hash arrives with dynamic peers (signaling). */
	for (uint32_t s = 0; s < ctl.slot_hw; s++) {
		struct ctl_peer *p = ctl.peers[s];
		if (p && sodium_memcmp(p->noise.public_key, key, 32) == 0)
			return p;
	}
	return NULL;
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
