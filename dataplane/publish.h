/* How the control core changes what the workers see: every change builds a
 * new object, publishes it with a release store (or an insert into the
 * lock-free index table) and retires the old one through dataplane/rcu.c.
 * Workers never block and never see a half-written object.
 * All functions: control lcore only. */
#ifndef WGATE_DATAPLANE_PUBLISH_H
#define WGATE_DATAPLANE_PUBLISH_H

#include <stdint.h>

#include "dataplane/dp.h"

struct wg_noise_keys;
struct wg_prefix_map;

struct dp_peer *dp_peer_alloc(uint32_t slot, uint32_t mtu);
/* Unpublish the peer's keypairs and endpoint and free all after a grace
 * period. The caller must already have removed it from the allowed-IPs map. */
void dp_peer_retire(struct dp_peer *peer);

/* A responder's new keypair becomes "next" until the peer's first data
 * message confirms it; an initiator's becomes "current" at once. NULL on
 * ENOMEM or an index collision (the caller retries with another index).
 * owner: the worker that decrypts for it (see struct dp_keypair). */
struct dp_keypair *dp_keypair_install(struct dp_peer *peer, const struct wg_noise_keys *k,
				     unsigned int owner);
/* next -> current -> previous; the old previous is retired. */
void dp_keypair_confirm(struct dp_peer *peer);
/* Retires current and previous (session expired) but keeps an unconfirmed
 * next keypair: it may answer a rekey that raced the expiry. */
void dp_keypairs_expire(struct dp_peer *peer);
/* Retires every keypair of the peer (keys zeroed, shutdown). */
void dp_keypairs_clear(struct dp_peer *peer);
/* Whether a local index is in use (the control core picks fresh ones). */
int dp_index_in_use(uint32_t local_index);

void dp_endpoint_publish(struct dp_peer *peer, const struct dp_endpoint *ep);
void dp_allowed_ips_publish(struct wg_prefix_map *m);
void dp_neighbours_publish(struct wg_prefix_map *m);

/* A new TSC -> wall clock anchor for the workers (see struct dp_clock). */
int dp_clock_publish(uint64_t tsc, uint64_t ns, uint64_t mult);

/* Hands a finished frame (mbuf priv out_port_idx set) to a worker's TX
 * ring; frees and counts it when the ring is full. */
void dp_control_tx(struct rte_mbuf *m);

#endif
