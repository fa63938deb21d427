/* Feature flags as the worker sees them, on the real loop body
 * (dp_worker_poll) of one worker over ring ports, flipping the atomics
 * between bursts and asserting exact counters:
 *   icmp-errors-on-deny: a burst of refused packets is answered (one ICMP
 *     error each, sealed to the client) while on; the next burst, after the
 *     flip, is dropped silently under icmp_error_flag_off while authorized
 *     packets in the same burst are forwarded, every one; on again: answered;
 *   enobufs-as-would-block: with the LAN TX queue full, off drops the frames
 *     at once (drop_tx_full); on keeps them staged and sends them all, in
 *     order, once the queue has room; more than the staging holds: the rest
 *     dropped under drop_tx_full, and sent + dropped = offered. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/dp.h"
#include "dataplane/flags.h"
#include "dataplane/worker.h"
#include "tests/dataplane/harness.h"

static struct hx hx;
static int failures;

static void check(const char *what, bool ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static void poll_idle(void)
{
	for (int idle = 0; idle < 4;)
		idle = dp_worker_poll(dp.workers[0]) ? 0 : idle + 1;
}

/* A client's packet to the resource (size bytes of inner IPv4/UDP), or,
 * refused, to 10.200.0.1, which no grant covers. */
static struct rte_mbuf *client_frame(size_t size, bool refused)
{
	struct hx_client *c = &hx.clients[0];
	struct wg_aead_op op;
	struct rte_mbuf *m = hx_data_frame(&hx, c, size, c->counter++, &op);

	if (refused) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)op.data;

		memcpy(&ip->dst_addr, (uint8_t[4]){ 10, 200, 0, 1 }, 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	wg_aead_seal_burst(hx.engine, &op, 1);
	return m;
}

/* Enqueues a burst of n refused then n authorized frames (sizes 100 + i
 * for the authorized ones: the order is checked on the way out). */
static void offer(unsigned int n_refused, unsigned int n_ok)
{
	for (unsigned int i = 0; i < n_refused; i++)
		if (rte_ring_enqueue(hx.rx[0][0], client_frame(60, true)))
			abort();
	for (unsigned int i = 0; i < n_ok; i++)
		if (rte_ring_enqueue(hx.rx[0][0], client_frame(100 + i, false)))
			abort();
}

/* Frames the port sent since the last call; with sizes, checks that the
 * i-th one carries an inner packet of 100 + first + i bytes (order kept). */
static unsigned int sent(int port, bool in_order, unsigned int first)
{
	struct rte_mbuf *m;
	unsigned int n = 0;
	bool order_ok = true;

	while (rte_ring_sc_dequeue(hx.tx[port][0], (void **)&m) == 0) {
		if (in_order) {
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				m, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
			order_ok &= rte_be_to_cpu_16(ip->total_length) == 100 + first + n;
		}
		rte_pktmbuf_free(m);
		n++;
	}
	if (in_order && !order_ok)
		return UINT32_MAX;
	return n;
}

struct snap { uint64_t v[WG_CNT__MAX]; };
static void snap(struct snap *s)
{
	for (unsigned int c = 0; c < WG_CNT__MAX; c++)
		s->v[c] = hx_counter(c);
}
static uint64_t grew(const struct snap *s, enum wg_counter c)
{
	return hx_counter(c) - s->v[c];
}

/* Fills the LAN TX ring with placeholders, so the port takes nothing. */
static unsigned int fill_lan(void)
{
	unsigned int n = 0;

	while (rte_ring_enqueue(hx.tx[1][0], (void *)(uintptr_t)0x1) == 0)
		n++;
	return n;
}

static void unfill_lan(unsigned int n)
{
	void *p;

	for (unsigned int i = 0; i < n; i++)
		if (rte_ring_sc_dequeue(hx.tx[1][0], &p) || p != (void *)(uintptr_t)0x1)
			abort();
}

static void icmp_errors_on_deny(void)
{
	struct snap s;
	char what[160];

	check("icmp-errors-on-deny starts on (wgate's default)",
	      dp_flag(WG_FLAG_ICMP_ERRORS_ON_DENY));
	snap(&s);
	offer(5, 0);
	poll_idle();
	check("on: 5 refused -> refused_no_grant +5", grew(&s, WG_CNT_REFUSED_NO_GRANT) == 5);
	check("on: ... icmp_error_sent +5", grew(&s, WG_CNT_ICMP_ERROR_SENT) == 5);
	check("on: ... 5 frames back to the client", sent(0, false, 0) == 5);

	/* A burst already taken is handled with the value read at its start;
	 * the flip shows from the next burst on. */
	offer(5, 0);
	snap(&s);
	dp_worker_poll(dp.workers[0]);
	dp_flag_set(WG_FLAG_ICMP_ERRORS_ON_DENY, false);
	poll_idle();
	check("flipped between bursts: the burst read before still answered (+5)",
	      grew(&s, WG_CNT_ICMP_ERROR_SENT) == 5 && sent(0, false, 0) == 5);

	snap(&s);
	offer(7, 5);
	poll_idle();
	check("off: refused_no_grant +7", grew(&s, WG_CNT_REFUSED_NO_GRANT) == 7);
	check("off: icmp_error_flag_off +7 exactly", grew(&s, WG_CNT_ICMP_ERROR_FLAG_OFF) == 7);
	check("off: icmp_error_sent +0", grew(&s, WG_CNT_ICMP_ERROR_SENT) == 0);
	check("off: nothing back to the client", sent(0, false, 0) == 0);
	snprintf(what, sizeof(what), "off: the 5 authorized packets of the same burst forwarded,"
		 " in order");
	check(what, sent(1, true, 0) == 5);

	dp_flag_set(WG_FLAG_ICMP_ERRORS_ON_DENY, true);
	snap(&s);
	offer(3, 2);
	poll_idle();
	check("on again: icmp_error_sent +3, flag_off +0",
	      grew(&s, WG_CNT_ICMP_ERROR_SENT) == 3 && grew(&s, WG_CNT_ICMP_ERROR_FLAG_OFF) == 0);
	check("on again: 3 errors out, 2 forwarded", sent(0, false, 0) == 3 &&
	      sent(1, true, 0) == 2);
}

static void enobufs_as_would_block(void)
{
	struct snap s;
	unsigned int filler;

	check("enobufs-as-would-block starts off", !dp_flag(WG_FLAG_ENOBUFS_AS_WOULD_BLOCK));
	filler = fill_lan();
	snap(&s);
	offer(0, 4);
	poll_idle();
	check("off, TX queue full: 4 dropped as drop_tx_full",
	      grew(&s, WG_CNT_DROP_TX_FULL) == 4 && grew(&s, WG_CNT_TX_FULL_RETRIED) == 0);

	dp_flag_set(WG_FLAG_ENOBUFS_AS_WOULD_BLOCK, true);
	snap(&s);
	offer(0, 6);
	poll_idle();
	check("on, TX queue full: nothing dropped", grew(&s, WG_CNT_DROP_TX_FULL) == 0);
	check("on, TX queue full: retried (tx_full_retried >= 6)",
	      grew(&s, WG_CNT_TX_FULL_RETRIED) >= 6);
	unfill_lan(filler);
	poll_idle();
	check("on, queue has room: all 6 sent, in order", sent(1, true, 0) == 6);
	check("... tx_packets +6", grew(&s, WG_CNT_TX_PACKETS) == 6);

	/* More than staging holds (2 bursts' worth) while the queue is full. */
	filler = fill_lan();
	snap(&s);
	for (int b = 0; b < 4; b++) {
		offer(0, DP_BURST);
		dp_worker_poll(dp.workers[0]);
	}
	poll_idle();
	unfill_lan(filler);
	poll_idle();
	unsigned int out = sent(1, false, 0);
	uint64_t dropped = grew(&s, WG_CNT_DROP_TX_FULL);
	char what[160];

	snprintf(what, sizeof(what), "on, %u offered to a full queue: %u sent later + %" PRIu64
		 " dropped as drop_tx_full, none lost", 4 * DP_BURST, out, dropped);
	check(what, out + dropped == 4 * DP_BURST && dropped > 0 && out <= 2 * DP_BURST);
	dp_flag_set(WG_FLAG_ENOBUFS_AS_WOULD_BLOCK, false);
}

int main(int argc, char **argv)
{
	(void)argc;
	hx_init(&hx, argv[0], 1, 1, 1, 0);
	icmp_errors_on_deny();
	enobufs_as_would_block();
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
