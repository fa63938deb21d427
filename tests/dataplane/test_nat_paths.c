/* Proxy-address NAT on the real worker loop (dataplane/nat.c) of one
 * worker over ring ports:
 *   a client's UDP, TCP and ping to a proxy address leave the lan port for
 *     the resolved address, round robin over two, every checksum valid;
 *   the answers come back through the tunnel from the proxy address
 *     (opened here with the gateway's key), every checksum valid;
 *   an ICMP error from the resource quoting a translated packet reaches
 *     the client translated (outer source and quote), checksums valid;
 *   a proxy address with nothing resolved is answered with unreachable
 *     (3/0) from that address; one outside the client's grants with
 *     prohibited (3/13), nothing leaves;
 *   a TCP RST ends the flow at once;
 *   each step moves exactly its counter;
 *   (plain mode) a client's own proxy address (Firezone AssignedIps) wins
 *     over the global map for it; its in-tunnel control packet from :: is
 *     punted with its slot, one with hop limit 1 refused as a spoof;
 * with "masq", the same through a masquerading lan port (translated twice),
 * ping to a CIDR resource with its echo id remapped, and an answer to the
 * port address matching no flow still "not for us"; "two" / "twomasq": both
 * on two workers, the answers arriving at the worker that does not hold
 * the flows and handed to the one that does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"
#include "dataplane/nat.h"
#include "dataplane/worker.h"
#include "lib/fz/ctlmsg.h"
#include "lib/nat/table.h"
#include "lib/policy/policy.h"
#include "tests/common/ip_build.h"
#include "tests/dataplane/harness.h"

static struct hx hx;
static int failures;
static uint64_t counter;

static void check(const char *what, bool ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

/* Answers from the resource arrive on this queue: 0, or with two workers
 * 1, the worker that does not hold the client's flows. */
static unsigned int answer_q;

static void poll_idle(void)
{
	for (int idle = 0; idle < 4;) {
		unsigned int work = 0;
		for (unsigned int i = 0; i < dp.n_workers; i++)
			work += dp_worker_poll(dp.workers[i]);
		idle = work ? 0 : idle + 1;
	}
}

/* What the lan port sent: the first IP packet copied to out (its length),
 * the rest freed. 0 when nothing. */
static size_t lan_out(uint8_t *out, size_t cap)
{
	struct rte_mbuf *m;
	size_t len = 0;

	for (unsigned int q = 0; q < dp.n_workers; q++)
	while (rte_ring_sc_dequeue(hx.tx[1][q], (void **)&m) == 0) {
		if (!len && m->data_len > RTE_ETHER_HDR_LEN &&
		    (size_t)(m->data_len - RTE_ETHER_HDR_LEN) <= cap) {
			len = m->data_len - RTE_ETHER_HDR_LEN;
			memcpy(out, rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN), len);
		}
		rte_pktmbuf_free(m);
	}
	return len;
}

/* The first packet the gateway sealed for client 0, opened (inner IP
 * packet length from its header), the rest freed. */
static size_t tunnel_out(uint8_t *out, size_t cap)
{
	struct rte_mbuf *m;
	size_t len = 0;

	for (unsigned int q = 0; q < dp.n_workers; q++)
	while (rte_ring_sc_dequeue(hx.tx[0][q], (void **)&m) == 0) {
		uint8_t *in;
		size_t n = hx_open(&hx, &hx.clients[0], m, &in);
		if (!len && n >= 20) {
			size_t tot = (in[0] >> 4) == 4 ? wg_rd16(in + 2) : 40u + wg_rd16(in + 4);
			if (tot <= n && tot <= cap) {
				memcpy(out, in, tot);
				len = tot;
			}
		}
		rte_pktmbuf_free(m);
	}
	return len;
}

static void from_client(const uint8_t *ip, size_t len)
{
	struct rte_mbuf *m = hx_data_frame_ip(&hx, &hx.clients[0], ip, len, counter++);
	if (rte_ring_enqueue(hx.rx[0][0], m))
		abort();
	poll_idle();
}

static void from_resource(const uint8_t *ip, size_t len)
{
	if (rte_ring_enqueue(hx.rx[1][answer_q], hx_lan_frame_ip(&hx, ip, len)))
		abort();
	poll_idle();
}

static bool addr_is(const uint8_t *p, int off, const char *want)
{
	struct wg_ipaddr a, b;
	wg_ipaddr_from_v4(&a, p + off);
	wg_ipaddr_parse(want, &b);
	return wg_ipaddr_equal(&a, &b);
}

/* Client 0 may reach the resource's network and the proxy range, nothing
 * else; proxy 100.96.0.1 leads to two addresses, 100.96.0.2 to none. */
static void global_proxies(struct wg_ipaddr proxy[2], struct dp_proxy_target tg[2])
{
	memset(tg, 0, 2 * sizeof(*tg));
	tg[0].n = 2;
	wg_ipaddr_parse("100.96.0.1", &proxy[0]);
	wg_ipaddr_parse("100.96.0.2", &proxy[1]);
	wg_ipaddr_parse("198.51.100.2", &tg[0].real[0]);
	wg_ipaddr_parse("198.51.100.3", &tg[0].real[1]);
}

static void setup(void)
{
	struct wg_ipaddr proxy[2];
	struct dp_proxy_target tg[2];

	hx_grant_proxy_range(&hx);
	global_proxies(proxy, tg);
	if (dp_proxies_publish(proxy, tg, 2, NULL, 0, NULL, 0))
		abort();
}

/* Proxy addresses on a port without masquerading. */
static void proxy_paths(const char *client)
{
	uint8_t p[600], out[1500];
	size_t len, n;
	struct wg_nat_stats st;

	/* UDP out: to 198.51.100.2, the client's source and ports kept. */
	len = tst_ip_build(p, false, 17, client, "100.96.0.1", 40000, 53, 0, 31);
	from_client(p, len);
	n = lan_out(out, sizeof(out));
	check("udp to a proxy address leaves for the resolved address",
	      n == len && addr_is(out, 16, "198.51.100.2") && addr_is(out, 12, client) &&
	      wg_rd16(out + 20) == 40000 && wg_rd16(out + 22) == 53);
	check("... every checksum valid", n && tst_ip_cksums_ok(out, n));
	check("... counted nat_translated_out", hx_counter(WG_CNT_NAT_OUT) == 1);

	/* Its answer: back from the proxy address through the tunnel. */
	len = tst_ip_build(p, false, 17, "198.51.100.2", client, 53, 40000, 0, 45);
	from_resource(p, len);
	n = tunnel_out(out, sizeof(out));
	check("the answer reaches the client from the proxy address",
	      n == len && addr_is(out, 12, "100.96.0.1") && addr_is(out, 16, client) &&
	      wg_rd16(out + 20) == 53 && wg_rd16(out + 22) == 40000);
	check("... every checksum valid", n && tst_ip_cksums_ok(out, n));
	check("... counted nat_translated_in", hx_counter(WG_CNT_NAT_IN) == 1);

	/* A second flow goes to the second address (round robin). */
	len = tst_ip_build(p, false, 17, client, "100.96.0.1", 40001, 53, 0, 10);
	from_client(p, len);
	check("a second flow takes the next address (held for ARP)",
	      hx_counter(WG_CNT_NAT_OUT) == 2 && hx_counter(WG_CNT_NEIGH_HELD) +
	      hx_counter(WG_CNT_DROP_NO_NEIGHBOR) >= 1);
	lan_out(out, sizeof(out));

	/* Port unreachable from the resource, quoting what it received. */
	len = tst_ip_build(p, false, 17, client, "198.51.100.2", 40000, 53, 0, 31);
	uint8_t err[200];
	size_t el = tst_ip_build(err, false, 1, "198.51.100.2", client, 0, 0, 3, 28);
	err[21] = 3;
	memcpy(err + 28, p, 28);
	tst_l4_resum(err, el);
	from_resource(err, el);
	n = tunnel_out(out, sizeof(out));
	check("an ICMP error quoting a translated packet reaches the client translated",
	      n == el && out[20] == 3 && out[21] == 3 && addr_is(out, 12, "100.96.0.1") &&
	      addr_is(out + 28, 16, "100.96.0.1") && addr_is(out + 28, 12, client));
	check("... every checksum valid (outer, quoted header)",
	      n && tst_ip_cksums_ok(out, n) &&
	      wg_cksum_fold(wg_sum16(out + 28, 20, 0)) == 0);
	check("... counted nat_icmp_error_translated", hx_counter(WG_CNT_NAT_ICMP_ERROR_IN) == 1);

	/* TCP and ping through the same proxy. */
	len = tst_ip_build(p, false, 6, client, "100.96.0.1", 41002, 80, 0, 20);
	from_client(p, len);
	n = lan_out(out, sizeof(out));
	bool tcp_ok = n == len && tst_ip_cksums_ok(out, n);
	len = tst_ip_build(p, false, 1, client, "100.96.0.1", 7, 7, 8, 56);
	from_client(p, len);
	lan_out(out, sizeof(out));	/* round robin: may be held for ARP */
	len = tst_ip_build(p, false, 1, client, "100.96.0.1", 9, 9, 8, 56);
	from_client(p, len);
	n = lan_out(out, sizeof(out));
	check("tcp and ping to the proxy leave translated, checksums valid",
	      tcp_ok && (n == 0 || tst_ip_cksums_ok(out, n)) &&
	      hx_counter(WG_CNT_NAT_OUT) == 5);

	/* RST from the resource: the flow is gone at once. */
	wg_nat_get_stats(dp.workers[0]->nat, &st);
	size_t before = st.active;
	len = tst_ip_build(p, false, 6, "198.51.100.2", client, 80, 41002, 0, 0);
	p[33] = 0x14;	/* RST ACK */
	tst_l4_resum(p, len);
	from_resource(p, len);
	tunnel_out(out, sizeof(out));
	wg_nat_get_stats(dp.workers[0]->nat, &st);
	check("a TCP RST from the resource ends the flow at once",
	      hx_counter(WG_CNT_NAT_IN) == 2 && st.active == before - 1);

	/* Nothing resolved: unreachable from the proxy address. */
	len = tst_ip_build(p, false, 17, client, "100.96.0.2", 40000, 53, 0, 10);
	from_client(p, len);
	n = tunnel_out(out, sizeof(out));
	check("a proxy address with nothing resolved: ICMP unreachable 3/0 from it",
	      n >= 28 && out[20] == 3 && out[21] == 0 && addr_is(out, 12, "100.96.0.2") &&
	      tst_ip_cksums_ok(out, n));
	check("... counted refused_proxy_unresolved, nothing left the lan port",
	      hx_counter(WG_CNT_REFUSED_PROXY_UNRESOLVED) == 1 && lan_out(out, sizeof(out)) == 0);

	/* Outside the client's grants: prohibited, as any refusal. */
	len = tst_ip_build(p, false, 17, client, "100.96.1.1", 40000, 53, 0, 10);
	from_client(p, len);
	n = tunnel_out(out, sizeof(out));
	check("a proxy address not granted: prohibited 3/13, not translated",
	      n >= 28 && out[20] == 3 && out[21] == 13 && hx_counter(WG_CNT_NAT_OUT) == 5);
}

/* A client's own proxy addresses (Firezone AssignedIps) win over the
 * global map for that client alone; and the worker punts a client's
 * in-tunnel control packet (source ::) with its slot, before the source
 * check, while one a byte off that shape is an ordinary spoof. */
static void client_proxies(const char *client)
{
	uint8_t p[600], out[1500];
	size_t len, n;
	uint64_t out0 = hx_counter(WG_CNT_NAT_OUT);
	uint64_t unres0 = hx_counter(WG_CNT_REFUSED_PROXY_UNRESOLVED);

	/* Global: 100.96.0.1 -> .2/.3, 100.96.0.2 -> nothing. Client 0 (and
	 * a slot no client has) chose 100.96.0.2 for a name at .2. */
	struct wg_ipaddr proxy[2];
	struct dp_proxy_target tg[2], ctg[1] = { { .n = 1 } };
	struct dp_proxy_client cl[2] = { { .slot = hx.clients[0].peer->slot + 1, .target = 0 },
					 { .slot = hx.clients[0].peer->slot, .target = 0 } };
	global_proxies(proxy, tg);
	wg_ipaddr_parse("198.51.100.2", &ctg[0].real[0]);
	cl[0].proxy = cl[1].proxy = proxy[1];
	if (dp_proxies_publish(proxy, tg, 2, cl, 2, ctg, 1))
		abort();
	len = tst_ip_build(p, false, 17, client, "100.96.0.2", 42000, 53, 0, 10);
	from_client(p, len);
	n = lan_out(out, sizeof(out));
	check("the client's own proxy address leads where it chose, not the global one",
	      n == len && addr_is(out, 16, "198.51.100.2") &&
	      hx_counter(WG_CNT_NAT_OUT) == out0 + 1 &&
	      hx_counter(WG_CNT_REFUSED_PROXY_UNRESOLVED) == unres0);

	uint8_t c[200];
	len = wg_fz_build_status(c, sizeof(c), "r", "a.b", true);
	uint64_t punted0 = hx_counter(WG_CNT_FZ_CONTROL_PUNTED);
	from_client(c, len);
	/* Earlier frames held for ARP wait in the same ring: skip them. */
	struct rte_mbuf *m = NULL, *x = NULL;
	while (rte_ring_dequeue(dp.punt_ring, (void **)&x) == 0) {
		if (!m && dp_priv(x)->punt_reason == DP_PUNT_FZ_CONTROL)
			m = x;
		else
			rte_pktmbuf_free(x);
	}
	check("a control packet from :: is punted with the client's slot",
	      m && dp_priv(m)->peer_slot == hx.clients[0].peer->slot && m->data_len == len &&
	      !memcmp(rte_pktmbuf_mtod(m, uint8_t *), c, len) &&
	      hx_counter(WG_CNT_FZ_CONTROL_PUNTED) == punted0 + 1);
	if (m)
		rte_pktmbuf_free(m);
	uint64_t spoof0 = hx_counter(WG_CNT_DROP_BAD_INNER_SOURCE);
	c[7] = 1;	/* hop limit 1: not the control shape */
	from_client(c, len);
	check("... with hop limit 1 it is not: refused as a spoofed source, not punted",
	      hx_counter(WG_CNT_DROP_BAD_INNER_SOURCE) == spoof0 + 1 &&
	      hx_counter(WG_CNT_FZ_CONTROL_PUNTED) == punted0 + 1 &&
	      rte_ring_count(dp.punt_ring) == 0);
	tunnel_out(out, sizeof(out));
}

/* The same through a masquerading lan port: destination, then source
 * translated, and both back. */
static void masq_paths(const char *client)
{
	uint8_t p[600], out[1500], err[200];
	size_t len, n, el;
	uint16_t sport;

	len = tst_ip_build(p, false, 17, client, "100.96.0.1", 40000, 53, 0, 31);
	from_client(p, len);
	n = lan_out(out, sizeof(out));
	sport = n ? wg_rd16(out + 20) : 0;
	check("masquerade: a proxy flow leaves from the port's address",
	      n == len && addr_is(out, 12, "198.51.100.1") && addr_is(out, 16, "198.51.100.2") &&
	      sport >= dp.workers[0]->masq_lo && sport <= dp.workers[0]->masq_hi &&
	      sport != HX_LISTEN_PORT && wg_rd16(out + 22) == 53);
	check("... every checksum valid", n && tst_ip_cksums_ok(out, n));
	check("... counted nat_translated_out and nat_masqueraded",
	      hx_counter(WG_CNT_NAT_OUT) == 1 && hx_counter(WG_CNT_NAT_MASQUERADED) == 1);

	len = tst_ip_build(p, false, 17, "198.51.100.2", "198.51.100.1", 53, sport, 0, 45);
	from_resource(p, len);
	n = tunnel_out(out, sizeof(out));
	check("the answer to the port's address reaches the client from the proxy address",
	      n == len && addr_is(out, 12, "100.96.0.1") && addr_is(out, 16, client) &&
	      wg_rd16(out + 20) == 53 && wg_rd16(out + 22) == 40000 && tst_ip_cksums_ok(out, n));
	check("... translated twice (masquerade, then proxy)", hx_counter(WG_CNT_NAT_IN) == 2);

	/* Port unreachable quoting what left the port. */
	len = tst_ip_build(p, false, 17, "198.51.100.1", "198.51.100.2", sport, 53, 0, 31);
	el = tst_ip_build(err, false, 1, "198.51.100.2", "198.51.100.1", 0, 0, 3, 28);
	err[21] = 3;
	memcpy(err + 28, p, 28);
	tst_l4_resum(err, el);
	from_resource(err, el);
	n = tunnel_out(out, sizeof(out));
	check("an ICMP error to the port's address reaches the client, quote as it sent it",
	      n == el && addr_is(out, 12, "100.96.0.1") && addr_is(out, 16, client) &&
	      addr_is(out + 28, 12, client) && addr_is(out + 28, 16, "100.96.0.1") &&
	      wg_rd16(out + 48) == 40000 && tst_ip_cksums_ok(out, n));

	/* A CIDR resource: ping with its id remapped, and the reply. */
	len = tst_ip_build(p, false, 1, client, "198.51.100.2", 4242, 4242, 8, 56);
	from_client(p, len);
	n = lan_out(out, sizeof(out));
	uint16_t id = n ? wg_rd16(out + 24) : 0;
	check("masquerade: ping to a CIDR resource from the port's address, id in the slice",
	      n == len && addr_is(out, 12, "198.51.100.1") && id >= dp.workers[0]->masq_lo &&
	      id <= dp.workers[0]->masq_hi && tst_ip_cksums_ok(out, n));
	len = tst_ip_build(p, false, 1, "198.51.100.2", "198.51.100.1", id, id, 0, 56);
	from_resource(p, len);
	n = tunnel_out(out, sizeof(out));
	check("... the echo reply reaches the client with its own id",
	      n == len && addr_is(out, 12, "198.51.100.2") && addr_is(out, 16, client) &&
	      wg_rd16(out + 24) == 4242 && tst_ip_cksums_ok(out, n));

	/* Nothing of ours: still not for us. */
	uint64_t before = hx_counter(WG_CNT_DROP_NOT_FOR_US);
	len = tst_ip_build(p, false, 17, "198.51.100.2", "198.51.100.1", 53, 9999, 0, 4);
	from_resource(p, len);
	check("a packet to the port's address matching no flow: drop_not_for_us",
	      hx_counter(WG_CNT_DROP_NOT_FOR_US) == before + 1 && tunnel_out(out, sizeof(out)) == 0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "proxy";
	bool masq = strstr(mode, "masq"), two = !strncmp(mode, "two", 3);
	char client[16];

	/* Client 0's keypair is owned by worker 0, which holds its flows. */
	hx_init(&hx, argv[0], two ? 2 : 1, 1, 1, masq ? HX_LAN_MASQ : 0);
	answer_q = two;
	/* The harness' neighbour map knows 198.51.100.2 only: .3 takes
	 * round robin's second turn and waits for ARP, which is fine. */
	setup();
	snprintf(client, sizeof(client), "%u.%u.%u.%u", hx.clients[0].tun[0],
		 hx.clients[0].tun[1], hx.clients[0].tun[2], hx.clients[0].tun[3]);
	counter = 0;
	if (masq)
		masq_paths(client);
	else
		proxy_paths(client);
	if (!strcmp(mode, "proxy"))
		client_proxies(client);
	if (two)
		/* The three answers of each mode (an answer, an ICMP error,
		 * and a RST or an echo reply); the rest needs no hand-off. */
		check("two workers: the answers were handed to the flows' worker",
		      hx_counter(WG_CNT_HANDOFF_TX) == 3 && hx_counter(WG_CNT_HANDOFF_RX) == 3);
	printf("%s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
