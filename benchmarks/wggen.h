/* wggen: a WireGuard load generator for the e2e benchmark (benchmarks/e2e_bench).
 *
 * One DPDK port, one IPv4 address and MAC, N simulated clients that differ in
 * their keys, their tunnel address and their outer UDP source port. Stages,
 * one file each:
 *   wggen_net.c  the port, ARP (answer for our address, resolve the gateway),
 *                outer Ethernet/IPv4/UDP framing (its IPv4/UDP part also
 *                heads the inner packets)
 *   wggen_wg.c   Noise IKpsk2 initiator handshakes for every client (lib/wg)
 *                and the pool of pre-encrypted data messages (lib/crypto)
 *   wggen.c      arguments, rounds, the send loop
 *
 * Everything runs on the main lcore: the struct gen below has one writer and
 * one reader, that lcore. Two exceptions: helper threads seal parts of the
 * pool between rounds (each writes only its own range of pool messages; the
 * lcore waits for them), and the signal handlers write only the two
 * sig_atomic_t flags in wggen.c. */
#ifndef WGATE_BENCHMARKS_WGGEN_H
#define WGATE_BENCHMARKS_WGGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "lib/wg/noise.h"

struct rte_mbuf;
struct rte_mempool;

#define GEN_BURST	32
#define GEN_MAX_FILL_THREADS	8
#define GEN_IP_UDP_LEN	(20 + 8)	/* IPv4 (no options) + UDP */
#define GEN_HDR_LEN	(RTE_ETHER_HDR_LEN + GEN_IP_UDP_LEN)	/* outer Ethernet + IPv4 + UDP */

/* One simulated client. */
struct gen_client {
	struct wg_noise_local local;	/* its static key pair */
	struct wg_noise_peer gw;	/* the gateway, as this client sees it */
	struct wg_noise_keys keys;	/* transport keys once the handshake is done */
	uint32_t tun_ip;		/* network order: its tunnel (inner source) address */
	uint16_t udp_port;		/* host order: its outer source port */
	uint64_t send_counter;		/* next data counter; never reused */
	/* Handshake progress. */
	bool done;
	bool in_flight;
	bool resend;			/* a cookie arrived: initiate again at once */
	uint64_t sent_ns;		/* last initiation */
	/* Outer Ethernet/IPv4/UDP header of this client's data frames for the
	 * current size (wggen_net.c: gen_frame_templates). */
	uint8_t hdr[GEN_HDR_LEN];
};

struct gen {
	uint16_t port_id;
	struct rte_mempool *mp;
	struct rte_ether_addr mac;	/* ours (the port's) */
	struct rte_ether_addr gw_mac;
	uint32_t ip, gw_ip;		/* network order */
	uint16_t gw_port;		/* host order */
	uint32_t dst_ip;		/* network order: the resource (inner destination) */
	uint16_t dst_port;		/* host order: inner UDP destination port */
	unsigned int mtu;		/* inner MTU: padding never goes past it */
	uint8_t gw_pub[WG_KEY_LEN];

	struct gen_client *c;
	unsigned int n;

	/* Counters for the final report. */
	uint64_t initiations, cookies, responses, bad_responses, arp_answered;

	/* Pool of pre-encrypted data messages (UDP payloads), packet j of
	 * client j % n. */
	uint8_t *pool;
	size_t pool_bytes;
	size_t pool_n;			/* messages filled for this round */
	size_t stride;			/* bytes per message at the current size */
	unsigned int fill_threads;	/* threads that seal the pool */
	unsigned int inner_len;		/* inner IPv4 packet length */
};

/* wggen_net.c */
int gen_port_init(struct gen *g, uint16_t port_id);
/* IPv4 (DF, TTL 64, no options) and UDP headers, GEN_IP_UDP_LEN bytes at
 * buf, for a UDP payload of payload_len bytes; addresses in network order,
 * ports in host order. The UDP checksum is 0, which IPv4 allows. */
void gen_ipv4_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		  size_t payload_len);
/* Receives one burst: answers ARP requests for g->ip, learns the gateway's
 * MAC from its ARP replies, and hands WireGuard messages from the gateway
 * to on_wg (NULL: dropped). Returns the number of frames received. */
unsigned int gen_rx_poll(struct gen *g,
			 void (*on_wg)(struct gen *g, uint16_t dst_port, const uint8_t *msg,
				       size_t len));
/* Asks for the gateway's MAC until it answers; 0 or -ETIMEDOUT. */
int gen_resolve_gateway(struct gen *g, double timeout_s);
/* Sends len bytes as one UDP datagram from (g->ip, src_port) to the gateway. */
int gen_send_udp(struct gen *g, uint16_t src_port, const void *payload, size_t len);
/* Fills every client's hdr[] for data messages of msg_len bytes. */
void gen_frame_templates(struct gen *g, size_t msg_len);

/* wggen_wg.c */
/* Handshakes every client, at most `window` at a time. Returns how many
 * completed within timeout_s. */
unsigned int gen_handshake_all(struct gen *g, unsigned int window, double timeout_s);
/* Sizes the pool for inner packets of inner_len bytes (sets stride and
 * inner_len) and encrypts count messages into it, clients round-robin,
 * each with the client's next counter, on g->fill_threads threads. Returns
 * how many (at most what pool_bytes holds at this size). */
size_t gen_pool_fill(struct gen *g, unsigned int inner_len, size_t count);
/* Bytes of one data message carrying an inner packet of inner_len bytes. */
size_t gen_msg_len(const struct gen *g, unsigned int inner_len);

#endif
