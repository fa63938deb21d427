/* The worker's ECN, MTU and fragment handling on real frames, through the real loop
 * body (dp_worker_poll) of one worker over ring ports:
 *   ECN decapsulation (RFC 6040): outer CE onto an ECT inner packet (its
 *     IPv4 checksum still valid), inner CE kept, inner Not-ECT dropped and
 *     counted, outer not-CE leaves the inner field alone;
 *   ECN encapsulation: the inner field copied to the outer header, CE as
 *     ECT(0);
 *   a packet from a resource larger than the client's MTU: with DF, an ICMP
 *     "fragmentation needed" carrying the MTU goes back to the resource;
 *     without DF it is fragmented and each fragment sealed; both counted;
 *   a fragment from a resource is dropped and counted. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/dp.h"
#include "dataplane/ecn.h"
#include "dataplane/worker.h"
#include "lib/wg/messages.h"
#include "tests/dataplane/harness.h"

static struct hx hx;
static int failures;

static void check(const char *what, bool ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

/* Polls until idle; returns the first frame the port sent (NULL if none)
 * and frees the rest. */
static struct rte_mbuf *run(int out_port)
{
	struct rte_mbuf *first = NULL, *m;

	for (int idle = 0; idle < 4;)
		idle = dp_worker_poll(dp.workers[0]) ? 0 : idle + 1;
	while (rte_ring_sc_dequeue(hx.tx[out_port][0], (void **)&m) == 0) {
		if (!first)
			first = m;
		else
			rte_pktmbuf_free(m);
	}
	hx_drain(&hx, !out_port);
	return first;
}

static bool cksum_ok(const struct rte_ipv4_hdr *ip)
{
	struct rte_ipv4_hdr copy = *ip;

	copy.hdr_checksum = 0;
	return rte_ipv4_cksum(&copy) == ip->hdr_checksum;
}

static void set_tos(struct rte_ipv4_hdr *ip, uint8_t ecn)
{
	ip->type_of_service = (uint8_t)((ip->type_of_service & ~DP_ECN_MASK) | ecn);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* A client's data frame with the given outer and inner ECN bits; returns
 * the inner ECN of what reached the resource, or -1 if nothing did. */
static int decap(uint8_t outer, uint8_t inner)
{
	struct hx_client *c = &hx.clients[0];
	struct wg_aead_op op;
	struct rte_mbuf *m = hx_data_frame(&hx, c, 100, c->counter++, &op);
	struct rte_ipv4_hdr *oip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							   sizeof(struct rte_ether_hdr));

	set_tos(oip, outer);
	set_tos((struct rte_ipv4_hdr *)op.data, inner);
	wg_aead_seal_burst(hx.engine, &op, 1);
	if (rte_ring_enqueue(hx.rx[0][0], m))
		abort();
	struct rte_mbuf *out = run(1);
	if (!out)
		return -1;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out, const struct rte_ipv4_hdr *,
								sizeof(struct rte_ether_hdr));
	int ecn = cksum_ok(ip) ? ip->type_of_service & DP_ECN_MASK : -2;
	rte_pktmbuf_free(out);
	return ecn;
}

/* A resource's packet with the given ECN bits; returns the outer ECN of
 * the sealed message sent to the client. */
static int encap(uint8_t inner)
{
	struct rte_mbuf *m = hx_inner_frame(&hx, &hx.clients[0], 100);

	set_tos(rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr)),
		inner);
	if (rte_ring_enqueue(hx.rx[1][0], m))
		abort();
	struct rte_mbuf *out = run(0);
	if (!out)
		return -1;
	int ecn = rte_pktmbuf_mtod_offset(out, const struct rte_ipv4_hdr *,
					  sizeof(struct rte_ether_hdr))->type_of_service & DP_ECN_MASK;
	rte_pktmbuf_free(out);
	return ecn;
}

int main(int argc, char **argv)
{
	(void)argc;
	hx_init(&hx, argv[0], 1, 1, 1, false);

	check("ECN: outer CE, inner ECT(0) -> inner CE, checksum valid",
	      decap(DP_ECN_CE, DP_ECN_ECT0) == DP_ECN_CE);
	check("ECN: outer CE, inner ECT(1) -> inner CE", decap(DP_ECN_CE, DP_ECN_ECT1) == DP_ECN_CE);
	check("ECN: outer CE, inner CE -> CE", decap(DP_ECN_CE, DP_ECN_CE) == DP_ECN_CE);
	check("ECN: outer ECT(0), inner ECT(1) -> unchanged",
	      decap(DP_ECN_ECT0, DP_ECN_ECT1) == DP_ECN_ECT1);
	check("ECN: counted ecn_ce_copied twice", hx_counter(WG_CNT_ECN_CE_COPIED) == 2);
	check("ECN: outer CE, inner Not-ECT -> dropped", decap(DP_ECN_CE, DP_ECN_NOT_ECT) == -1);
	check("ECN: ... counted drop_ecn_ce_not_ect", hx_counter(WG_CNT_DROP_ECN) == 1);
	check("ECN encap: inner ECT(1) -> outer ECT(1)", encap(DP_ECN_ECT1) == DP_ECN_ECT1);
	check("ECN encap: inner CE -> outer ECT(0)", encap(DP_ECN_CE) == DP_ECN_ECT0);
	check("ECN encap: inner Not-ECT -> outer Not-ECT", encap(DP_ECN_NOT_ECT) == DP_ECN_NOT_ECT);

	/* Too big for the client's tunnel, with DF. */
	struct rte_mbuf *m = hx_inner_frame(&hx, &hx.clients[0], HX_MTU + 80);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  sizeof(struct rte_ether_hdr));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uint32_t res_addr = ip->src_addr;
	if (rte_ring_enqueue(hx.rx[1][0], m))
		abort();
	struct rte_mbuf *out = run(1);
	check("too big with DF: an answer goes back towards the resource", out != NULL);
	if (out) {
		const struct rte_ipv4_hdr *eip = rte_pktmbuf_mtod_offset(
			out, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		const uint8_t *icmp = (const uint8_t *)eip + (eip->version_ihl & 0xf) * 4;
		check("... ICMP type 3 code 4 to the resource, valid IP checksum",
		      eip->next_proto_id == IPPROTO_ICMP && icmp[0] == 3 && icmp[1] == 4 &&
		      eip->dst_addr == res_addr && cksum_ok(eip));
		check("... next-hop MTU = the client's MTU", ((icmp[6] << 8) | icmp[7]) == HX_MTU);
		rte_pktmbuf_free(out);
	}
	check("... counted icmp_too_big_sent", hx_counter(WG_CNT_ICMP_TOO_BIG_SENT) == 1);
	/* Without DF: fragmented as a router would; each fragment sealed on
	 * its own. Opened here with the gateway's send key, the fragments
	 * give back the original packet. */
	m = hx_inner_frame(&hx, &hx.clients[0], HX_MTU + 80);
	uint8_t orig[HX_MTU + 80];
	memcpy(orig, rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof(struct rte_ether_hdr)),
	       sizeof(orig));
	if (rte_ring_enqueue(hx.rx[1][0], m))
		abort();
	for (int idle = 0; idle < 4;)
		idle = dp_worker_poll(dp.workers[0]) ? 0 : idle + 1;
	const struct dp_keypair *kp = atomic_load(&hx.clients[0].peer->kp_current);
	uint8_t back[sizeof(orig)] = { 0 };
	size_t covered = 0, n_frags = 0, max_len = 0;
	bool sealed_ok = true, mf_ok = true;
	while (rte_ring_sc_dequeue(hx.tx[0][0], (void **)&out) == 0) {
		const size_t outer = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
				     sizeof(struct rte_udp_hdr);
		uint8_t *msg = rte_pktmbuf_mtod_offset(out, uint8_t *, outer);
		size_t ct = out->data_len - outer - 16 - WG_AEAD_TAG_LEN;
		struct wg_aead_op op = { .data = msg + 16, .len = (uint32_t)ct, .tag = msg + 16 + ct,
					 .nonce = *(uint64_t *)(msg + 8), .key = &kp->send_key };
		if (wg_aead_open_burst(hx.engine, &op, 1) != 1) {
			sealed_ok = false;
		} else {
			const uint8_t *f = msg + 16;
			size_t hl = (f[0] & 0xf) * 4, tot = (size_t)(f[2] << 8 | f[3]);
			size_t off = (size_t)((f[6] & 0x1f) << 8 | f[7]) * 8;
			if (n_frags == 0)
				memcpy(back, f, hl);
			if (20 + off + tot - hl <= sizeof(back))
				memcpy(back + 20 + off, f + hl, tot - hl);
			covered += tot - hl;
			max_len = tot > max_len ? tot : max_len;
			mf_ok &= !!(f[6] & 0x20) == (n_frags == 0);
		}
		n_frags++;
		rte_pktmbuf_free(out);
	}
	check("too big without DF: two sealed fragments to the client", n_frags == 2 && sealed_ok);
	check("... each within the MTU, MF on the first only", max_len <= HX_MTU && mf_ok);
	check("... together the original payload",
	      covered == sizeof(orig) - 20 && !memcmp(back + 20, orig + 20, sizeof(orig) - 20));
	check("... counted fragmented, fragments_made",
	      hx_counter(WG_CNT_FRAGMENTED) == 1 && hx_counter(WG_CNT_FRAGMENTS_MADE) == 2);
	check("... and not as drop_too_big", hx_counter(WG_CNT_DROP_TOO_BIG) == 1);

	/* A fragment from a resource: no ports to judge a later one by, and
	 * the data plane reassembles nothing: dropped, counted. */
	uint64_t frags = hx_counter(WG_CNT_DROP_FRAGMENT);
	m = hx_inner_frame(&hx, &hx.clients[0], 200);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (rte_ring_enqueue(hx.rx[1][0], m))
		abort();
	out = run(0);
	check("fragment from a resource: nothing sent to the client", out == NULL);
	check("... counted drop_fragment", hx_counter(WG_CNT_DROP_FRAGMENT) == frags + 1);

	printf("%s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
