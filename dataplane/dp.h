/* The data plane's shared objects and who writes them.
 *
 * The control lcore (DPDK main lcore) is the only writer of everything that
 * is published here: peers, keypairs, the index table, the allowed-IPs map,
 * the neighbour map. Workers read them lock-free under RCU (rte_rcu_qsbr):
 * a worker reports a quiescent state between bursts, and the control core
 * frees an unpublished object only after every worker has done so (rcu.c).
 *
 * The few fields workers do write are called out where they are declared.
 */
#ifndef WGATE_DATAPLANE_DP_H
#define WGATE_DATAPLANE_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "dataplane/counters.h"
#include "dataplane/flags.h"
#include "lib/config/config.h"
#include "lib/crypto/aead_burst.h"
#include "lib/net/addr.h"
#include "lib/util/tbucket.h"
#include "lib/wg/replay.h"

struct rte_hash;
struct rte_mbuf;
struct rte_mempool;
struct rte_rcu_qsbr;
struct rte_ring;
struct wg_nat_table;
struct wg_pol_table;
struct wg_prefix_map;
struct dp_proxy_map;

#define DP_MAX_WORKERS		32
#define DP_MAX_PORTS		8
#define DP_MAX_PORT_ADDRS	8
#define DP_BURST		32
/* Ring sizes when [Dataplane] does not set them (PuntRing, EventRing,
 * TxRing, HandoffRing); the running sizes are in dp (dp_setup). */
#define DP_PUNT_RING_SIZE	WG_CFG_PUNT_RING_DEFAULT	/* worker -> control */
#define DP_EVENT_RING_SIZE	WG_CFG_EVENT_RING_DEFAULT	/* worker -> control */
#define DP_TX_RING_SIZE		WG_CFG_TX_RING_DEFAULT		/* control -> one worker */
#define DP_HANDOFF_RING_SIZE	WG_CFG_HANDOFF_RING_DEFAULT	/* any worker -> owner */
/* Partly filled TX staging waits at most this long for more packets. */
#define DP_TX_DRAIN_US		50
/* In-tunnel control packets a client may send the control core: per
 * second, and at once (a client announces every DNS name it resolves). */
#define DP_FZ_CONTROL_RATE	100
#define DP_FZ_CONTROL_BURST	256
/* Handshake punts above this fill level mean "under load": cookies first.
 * An eighth of the punt ring (dp.punt_ring_size, or the default before
 * dp_setup has run, as in benchmarks that set dp up by hand). */
#define DP_UNDER_LOAD_FILL	((dp.punt_ring_size ? dp.punt_ring_size : DP_PUNT_RING_SIZE) / 8)

/* An outer endpoint: where a peer was last heard from.
 * Writer: control lcore. Readers: workers. Immutable once published; a roam
 * publishes a new one and retires the old after a grace period. */
struct dp_endpoint {
	struct wg_ipaddr ip;
	uint16_t udp_port;	/* host order */
	uint8_t port_idx;	/* index into dp.ports */
};

/* One session's keys. Immutable once published except where noted.
 * Writer: control lcore creates, publishes (index table + peer slot) and
 * retires it. Readers: workers under RCU. */
struct dp_keypair {
	struct wg_aead_key send_key;
	struct wg_aead_key recv_key;
	uint32_t local_index;	/* our index: the receiver index of data sent to us */
	uint32_t remote_index;	/* theirs: we put it in what we send */
	uint64_t birth_tsc;
	uint64_t reject_tsc;	/* birth + REJECT_AFTER_TIME, precomputed */
	struct dp_peer *peer;
	bool initiator;
	/* The worker that decrypts for this keypair and alone owns its replay
	 * window: the one that received the handshake, i.e. where the port's
	 * RSS / fanout puts this client's flow. Packets that land elsewhere
	 * (a roam to a new flow, fanout rollover) are handed off to it. */
	uint16_t owner;
	int32_t hash_pos;	/* control only: slot in dp.index_table */

	/* Writer: any worker, one atomic add per burst per keypair (a range
	 * of counters reserved at once). Reader: the control core, for rekey
	 * decisions. */
	_Atomic uint64_t send_counter __rte_cache_aligned;

	/* Writer: the owner worker only (see owner). Read only by it. */
	struct wg_replay replay __rte_cache_aligned;
	/* Set once by that worker when it reports the keypair confirmed. */
	_Atomic bool confirm_sent;
};

/* A peer as the workers see it.
 * Writer: control lcore (pointer fields are swapped with release stores).
 * Readers: workers (acquire loads) under RCU. */
struct dp_peer {
	uint32_t slot;		/* index into each worker's peer_stats[] */
	uint32_t mtu;		/* inner MTU for packets to this peer */
	_Atomic(struct dp_keypair *) kp_current;
	_Atomic(struct dp_keypair *) kp_previous;
	_Atomic(struct dp_keypair *) kp_next;	/* responder's, until confirmed */
	_Atomic(struct dp_endpoint *) endpoint;
	/* What this client may reach (NULL: nothing). Immutable table,
	 * replaced whole by the control core on every grant change. */
	_Atomic(struct wg_pol_table *) policy;
	/* Writers: workers set it when they report a roam or a wanted
	 * handshake; the control core clears it once it has acted, so a
	 * flood of packets raises one event, not millions. Written only on
	 * transitions, never per packet. */
	_Atomic bool roam_reported;
	_Atomic bool handshake_wanted;
};

/* Per-peer traffic figures, one array per worker.
 * Writer: that worker. Reader: control core (timers, telemetry). */
struct dp_peer_stats {
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t last_data_rx_tsc;	/* non-keepalive data received */
	uint64_t last_data_tx_tsc;	/* data sent */
	uint64_t last_any_rx_tsc;	/* any authenticated packet received */
	uint64_t last_any_tx_tsc;
	struct wg_tbucket icmp_errors;	/* rate limit of errors sent to this client */
	/* Rate limit of this client's in-tunnel control packets punted to the
	 * control core (DP_FZ_CONTROL_RATE): an authenticated client must not
	 * fill the punt ring that handshakes share. */
	struct wg_tbucket fz_control;
	/* Proxy-address NAT flows of this client in this worker's table.
	 * Writer: this worker, per flow created or gone. Readers: other
	 * workers, relaxed, as a hint: an answer for the client landing
	 * there is handed to this worker (dataplane/nat.c). */
	_Atomic uint32_t nat_flows;
	/* The last flow the policy allowed for this client (resource side:
	 * address, protocol, port), valid for the table of that generation
	 * until no grant of it can have lapsed (table.h: stable_until).
	 * Both directions of a flow share it. A bulk flow then pays the
	 * policy's lookup once, not per packet; refusals are never cached. */
	struct {
		uint64_t gen;		/* the table's gen; 0 = empty */
		uint64_t until_ns;
		struct wg_ipaddr resource;
		uint8_t proto;
		uint16_t port;
	} pol_cache;
} __rte_aligned(64);

/* Wall clock for the workers, for grant expiry. The TSC is cheap but its
 * nominal rate (dp.tsc_hz) can be off by a fraction of a percent, which over
 * a day adds minutes; so the control core re-anchors TSC to the wall clock
 * every second and measures the real rate, and expiry error stays within
 * milliseconds however far ahead a grant ends.
 * Writer: control lcore (new object each second, old one retired by RCU).
 * Readers: workers, once per burst. Immutable once published. */
struct dp_clock {
	uint64_t tsc;		/* TSC at the anchor */
	uint64_t ns;		/* unix time in ns at the anchor */
	uint64_t mult;		/* ns per TSC tick, fixed point << 32 */
};

static inline uint64_t dp_clock_ns(const struct dp_clock *c, uint64_t tsc)
{
	if (tsc <= c->tsc)
		return c->ns;
	return c->ns + (uint64_t)(((unsigned __int128)(tsc - c->tsc) * c->mult) >> 32);
}

/* A route's target; the route map values point at these.
 * Immutable after start (built from the config). */
struct dp_route {
	uint8_t port_idx;
	bool connected;		/* next hop = the destination itself */
	struct wg_ipaddr via;
};

struct dp_port {
	uint16_t port_id;	/* DPDK port */
	char name[32];		/* first [Port NAME] that uses the device */
	/* The kernel interface under a net_af_packet / net_af_xdp / net_tap
	 * vdev ("iface=" argument), "" otherwise: those PMDs report their link
	 * always up, so the control core reads the interface's state. */
	char kernel_if[16];
	struct rte_ether_addr mac;
	struct wg_ipaddr addrs[DP_MAX_PORT_ADDRS];
	uint8_t addr_len[DP_MAX_PORT_ADDRS];
	unsigned int n_addrs;
	/* First address of each family: the source of what we send. */
	struct wg_ipaddr addr4, addr6;
	/* TX checksum offloads the device has and we turned on: the outer
	 * IPv4 header checksum, the outer UDP checksum (IPv6 needs one).
	 * Without them the worker computes the checksums itself. */
	bool tx_ip4_cksum;
	bool tx_udp_cksum;
	/* [Port] Masquerade: client sources leaving here become addr4/addr6
	 * (dataplane/nat.c). */
	bool masquerade;
};

/* Events a worker raises for the control core (event ring elements). */
enum dp_event_type {
	DP_EV_KEYPAIR_CONFIRMED = 1,	/* first data on a responder keypair */
	DP_EV_ROAMED,			/* authenticated data from a new endpoint */
	DP_EV_WANT_HANDSHAKE,		/* data for a peer with no usable session */
};

struct dp_event {
	uint8_t type;
	uint8_t port_idx;
	uint16_t udp_port;
	uint32_t peer_slot;
	uint32_t local_index;
	uint32_t pad;
	struct wg_ipaddr ip;
	uint8_t pad2[15];
};
_Static_assert(sizeof(struct dp_event) == 48, "event ring element");

/* Why a frame sits in the punt ring; stored in the mbuf's private area. */
enum dp_punt_reason {
	DP_PUNT_HANDSHAKE = 1,	/* WireGuard message type 1, 2 or 3 */
	DP_PUNT_ARP,
	DP_PUNT_ND,
	DP_PUNT_NEIGH_MISS,	/* a ready inner or outer packet awaiting ARP/ND */
	DP_PUNT_DNS,		/* a client's UDP or TCP to port 53 of a tunnel address (inner IP) */
	DP_PUNT_FZ_CONTROL,	/* a Firezone in-tunnel control packet (inner IPv6, lib/fz);
				 * its source is ::, so the sender is in peer_slot */
};

/* Why a frame sits in another worker's hand-off ring (stored in
 * punt_reason, which a handed-off frame does not otherwise use). */
enum dp_handoff_kind {
	DP_HANDOFF_DECRYPT = 0,	/* a data message for a keypair the target owns */
	DP_HANDOFF_TO_CLIENT,	/* an inner packet for a client whose NAT flows it holds */
	DP_HANDOFF_MASQ,	/* an answer to a port address in its masquerade slice */
};

/* Written by the worker that received the frame, read by whoever handles it
 * next (a later stage, or the control core for punted frames). */
struct dp_mbuf_priv {
	uint8_t punt_reason;
	uint8_t in_port_idx;	/* port the frame arrived on */
	uint8_t rx_worker;	/* worker that received it */
	uint8_t outer_ecn;	/* ECN bits of the outer IP header (RFC 6040) */
	uint8_t out_port_idx;	/* NEIGH_MISS: port to send on */
	uint32_t peer_slot;	/* FZ_CONTROL: the client that sent it */
	uint16_t src_udp_port;	/* outer source port of a WireGuard message */
	struct wg_ipaddr src;	/* outer source address of a WireGuard message */
	struct wg_ipaddr nexthop;	/* NEIGH_MISS: address to resolve */
};
#define DP_MBUF_PRIV_SIZE RTE_ALIGN(sizeof(struct dp_mbuf_priv), RTE_MBUF_PRIV_ALIGN)

enum dp_idle_poll { DP_IDLE_BUSY, DP_IDLE_ADAPTIVE };

/* Per-worker state, one cache-aligned struct per lcore, passed first.
 * Writer: that worker, except tx_ring (control enqueues). */
struct dp_worker {
	unsigned int lcore_id;
	unsigned int idx;		/* worker index = queue id on every port */
	struct rte_ring *tx_ring;	/* control -> this worker: ready frames */
	/* Other workers -> this one: data messages for keypairs it owns
	 * (MP/SC; NULL with a single worker). */
	struct rte_ring *handoff_ring;
	struct wg_aead_engine *aead;	/* this worker's crypto scratch */
	struct wg_counters *cnt;
	struct dp_peer_stats *peer_stats;	/* [dp.max_peers] */
	uint64_t now_tsc;		/* read once per burst */
	uint64_t now_ns;		/* the same moment, unix ns (dp.clock) */
	struct dp_burst_flags flags;	/* dp_flags, read once per burst */
	/* Per-port TX staging, flushed after every burst. */
	struct rte_mbuf *tx[DP_MAX_PORTS][DP_BURST * 2];
	uint16_t n_tx[DP_MAX_PORTS];
	uint64_t tx_deadline_tsc;	/* flush partial staging by then */
	/* Hand-off staging per owner worker, enqueued once per burst. */
	struct rte_mbuf *handoff[DP_MAX_WORKERS][DP_BURST];
	uint16_t n_handoff[DP_MAX_WORKERS];
	unsigned int idle_polls;
	/* Nonces of the cookie replies this worker sends under load: 16
	 * random bytes drawn at setup, then a counter, so none repeats under
	 * the gateway's cookie key, across workers or restarts. */
	uint8_t cookie_nonce[24];
	/* Proxy-address NAT (nat.c): this worker's flows, read and written by
	 * it alone; round-robin position over a name's addresses. */
	struct wg_nat_table *nat;
	uint32_t nat_rr;
	/* Source ports (and ICMP echo ids) this worker gives masqueraded
	 * flows: its own slice, so an answer's port names its owner. */
	uint16_t masq_lo, masq_hi;
	/* Scratch for an ICMP error being built (RFC 4443: at most 1280). */
	uint8_t icmp_scratch[1280];
} __rte_cache_aligned;

/* The data plane: set up once by the control core, then only the published
 * pointers below change.
 * Writer: control lcore. Readers: workers. */
struct dp {
	struct dp_port ports[DP_MAX_PORTS];
	unsigned int n_ports;
	uint16_t listen_port;		/* WireGuard UDP port, host order */
	uint32_t mtu;			/* inner MTU */
	struct wg_ipaddr tunnel_addrs[4];	/* the gateway's own tunnel addresses */
	bool masquerade_any;		/* some port masquerades */
	unsigned int n_tunnel_addrs;
	enum dp_idle_poll idle_poll;
	uint64_t tsc_hz;
	uint64_t tx_drain_tsc;		/* DP_TX_DRAIN_US in TSC ticks */

	struct rte_mempool *pool;
	struct rte_ring *punt_ring;	/* MP/SC */
	struct rte_ring *event_ring;	/* MP/SC, struct dp_event elements */
	struct rte_rcu_qsbr *rcu;
	struct rte_hash *index_table;	/* local index -> keypair (lock-free readers) */

	struct dp_worker *workers[DP_MAX_WORKERS];
	unsigned int n_workers;
	struct wg_counters *control_cnt;
	/* Resource bounds from [Dataplane] (dp_setup); fixed after start. */
	uint32_t max_peers;		/* live peers at most (MaxPeers) */
	/* Peer slots (per-peer stats): MaxPeers plus room for peers just
	 * removed, whose slot waits out a grace period before reuse, so a
	 * client leaving lets another in at once. 0: max_peers. */
	uint32_t peer_slots;
	uint32_t nat_entries;		/* NAT flows per worker (NatEntries) */
	uint32_t punt_ring_size;	/* PuntRing */
	uint32_t event_ring_size;	/* EventRing */
	uint32_t tx_ring_size;		/* TxRing */
	uint32_t handoff_ring_size;	/* HandoffRing */

	/* Immutable after start: destination -> struct dp_route *. */
	struct wg_prefix_map *routes;
	/* RCU-published snapshots (control builds, swaps, retires the old). */
	_Atomic(struct wg_prefix_map *) allowed_ips;	/* inner addr -> dp_peer * */
	_Atomic(struct wg_prefix_map *) neighbours;	/* ip -> dp_neigh_value */
	_Atomic(struct dp_clock *) clock;		/* never NULL once workers run */
	_Atomic(struct dp_proxy_map *) proxies;		/* DNS proxy addresses (nat.h); NULL = none */

	/* Handshake floods (dataplane/hs_guard.c). Writer: control lcore.
	 * mac1_key and cookie_key are set before the workers start; the
	 * secret is replaced whenever the control core renews it (RCU) and
	 * hs_under_load follows its under-load state (relaxed loads: a
	 * worker that acts one burst late only punts or answers one more). */
	uint8_t mac1_key[32];
	uint8_t cookie_key[32];
	_Atomic(struct dp_cookie_secret *) cookie_secret;
	_Atomic bool hs_under_load;

	volatile bool stop;
};

/* The control core's cookie secret as the workers see it. Immutable once
 * published. */
struct dp_cookie_secret {
	uint8_t secret[32];
};

extern struct dp dp;

/* A neighbour map value: the MAC in the low 48 bits, the port index above. */
static inline uintptr_t dp_neigh_pack(const struct rte_ether_addr *mac, uint8_t port_idx)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return (uintptr_t)(v | (uint64_t)port_idx << 48);
}

static inline void dp_neigh_unpack(uintptr_t v, struct rte_ether_addr *mac, uint8_t *port_idx)
{
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
	*port_idx = (uint8_t)(v >> 48);
}

static inline struct dp_mbuf_priv *dp_priv(struct rte_mbuf *m)
{
	return (struct dp_mbuf_priv *)((char *)m + sizeof(*m));
}

static inline void dp_count(struct dp_worker *w, enum wg_counter c)
{
	w->cnt->v[c]++;
}

#endif
