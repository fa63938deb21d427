/* A data plane in a test tube, shared by tests/dataplane/test_handoff.c and
 * benchmarks/pipeline_perf.c: EAL without hugepages or devices, dp_setup()
 * from a real config whose two ports are ring ports (rte_eth_from_rings),
 * clients with installed keypairs, endpoints, grants and resolved
 * neighbours, and builders for the frames each side sends.
 *
 * The worker contexts dp_setup() makes are driven from the calling thread
 * with dp_worker_poll(); the EAL's worker threads only wait.
 *
 * Addresses: gateway WAN 192.0.2.1/24, LAN 198.51.100.1/24; client i's
 * endpoint 192.0.2.(2 + i % 250):(40000 + i), tunnel 100.64.(i / 250).(2 +
 * i % 250); the resource 198.51.100.2. */
#ifndef WGATE_TESTS_DATAPLANE_HARNESS_H
#define WGATE_TESTS_DATAPLANE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"
#include "lib/crypto/aead_burst.h"

#define HX_LISTEN_PORT	51820
#define HX_MTU		1420
#define HX_RING_SIZE	16384

struct hx_client {
	struct dp_peer *peer;
	uint8_t tun[4];
	uint8_t ep[4];
	uint16_t ep_port;
	uint32_t gw_index;	/* the gateway's index: receiver index of what it sends */
	struct wg_aead_key key;	/* client -> gateway */
	uint64_t counter;	/* next counter the client sends */
};

struct hx {
	struct hx_client *clients;
	unsigned int n_clients;
	/* [port][queue]: port 0 wan, 1 lan; one queue per worker. */
	struct rte_ring *rx[2][DP_MAX_WORKERS], *tx[2][DP_MAX_WORKERS];
	struct rte_mempool *pool;	/* frames the harness builds */
	bool lan_null;			/* HX_LAN_NULL: lan is a net_null sink */
	uint64_t lan_drained;		/* its opackets already reported by hx_drain */
	struct wg_aead_engine *engine;	/* the clients' crypto */
};

/* hx_init flags. */
#define HX_SPREAD	1u	/* lcore i on CPU i % ncpus: workers that really run */
#define HX_LAN_MASQ	4u	/* [Port lan] Masquerade = true */
#define HX_LAN_NULL	2u	/* lan is net_null: each worker frees what it sends,
				 * as a NIC's TX completion does on the worker's
				 * own core; no ring for one thread to empty */

/* EAL with n_workers worker lcores (all on CPU 0, driven from this thread;
 * or with HX_SPREAD, spread over the CPUs), ring ports (or the lan sink of
 * HX_LAN_NULL) with one queue per worker, dp_setup(), and
 * n_clients clients, each with n_grants grants of which the last covers the
 * resource's network (the others never match). Keypair owners: client i is
 * owned by worker i % n_workers. Exits on failure. */
void hx_init(struct hx *h, const char *prog, unsigned int n_workers,
	     unsigned int n_clients, unsigned int n_grants, unsigned int flags);

/* A client's transport message carrying an inner IPv4/UDP packet of size
 * bytes to the resource, sealed with the given counter (the client's
 * counter is not touched). Not sealed yet when op is non-NULL: *op is filled
 * for the caller to seal in a burst. */
struct rte_mbuf *hx_data_frame(struct hx *h, const struct hx_client *c, size_t size,
			       uint64_t counter, struct wg_aead_op *op);
/* The same around any inner packet of size bytes (at most HX_MTU + 64),
 * sealed. */
struct rte_mbuf *hx_sealed_frame(struct hx *h, const struct hx_client *c, const void *inner,
				 size_t size, uint64_t counter);
/* A frame of exactly these bytes, Ethernet header included (to enqueue on
 * either port's rx ring); len at most 2048. */
struct rte_mbuf *hx_raw_frame(struct hx *h, const void *bytes, size_t len);
/* An inner IPv4/UDP packet of size bytes from the resource to the client. */
struct rte_mbuf *hx_inner_frame(struct hx *h, const struct hx_client *c, size_t size);

/* The same carrying the given inner IP packet (len bytes), sealed. */
struct rte_mbuf *hx_data_frame_ip(struct hx *h, const struct hx_client *c, const uint8_t *ip,
				  size_t len, uint64_t counter);
/* A frame on the lan port carrying the given IP packet. */
struct rte_mbuf *hx_lan_frame_ip(struct hx *h, const uint8_t *ip, size_t len);
/* Opens a frame the gateway sent to c with its current keypair; returns
 * the plaintext length (inner packet plus padding) with *inner pointing
 * into the frame, or 0 when it does not authenticate. */
size_t hx_open(struct hx *h, const struct hx_client *c, struct rte_mbuf *out, uint8_t **inner);
/* Replaces every client's grants with two: the resource's network and the
 * DNS proxy range 100.96.0.0/24 (proxy-address NAT tests and benchmark). */
void hx_grant_proxy_range(struct hx *h);
/* A counter summed over the workers. */
uint64_t hx_counter(enum wg_counter c);
/* Frees what a port sent on every queue; returns how many (for the
 * HX_LAN_NULL sink: how many it took since the last call). */
unsigned int hx_drain(struct hx *h, int port);

#endif
