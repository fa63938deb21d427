/* libFuzzer: the worker's whole receive path on the real worker loop
 * (dp_worker_poll over ring ports, tests/dataplane/harness.c): outer frame
 * classification (Ethernet, ARP, IPv4/IPv6, UDP, WireGuard message types),
 * the transport decrypt path with anti-replay, the inner packet checks, the
 * policy decision and the ICMP errors, and frames from the resource side
 * (encrypt path). Byte 0 picks what the rest is:
 *   0  a frame received on the wan port, as it is; byte 1's bits fix up
 *      what the fuzzer cannot guess (bit 0: our MAC; bit 1: IPv4/UDP to our
 *      address and port with right lengths and checksum)
 *   1  an inner packet sealed by client (byte 1 & 1) with its next counter
 *   2  the same with a counter from bytes 2..9 (replays, old, far ahead)
 *   3  a frame received on the lan port (byte 1 bit 0: our MAC)
 * Everything the worker sends or punts is freed; the frame pool not
 * running dry over millions of inputs shows no mbuf leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/dp.h"
#include "dataplane/worker.h"
#include "tests/dataplane/harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hx hx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	hx_init(&hx, (*argv)[0], 1, 2, 2, 0);
	return 0;
}

static void fix_outer(uint8_t *f, size_t len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	size_t l3 = len - sizeof(struct rte_ether_hdr);

	if (len < sizeof(struct rte_ether_hdr) + sizeof(*ip) + sizeof(*udp))
		return;
	((struct rte_ether_hdr *)f)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->fragment_offset = 0;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)l3);
	ip->dst_addr = rte_cpu_to_be_32(0xc0000201);	/* 192.0.2.1 */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dst_port = rte_cpu_to_be_16(HX_LISTEN_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l3 - sizeof(*ip)));
	udp->dgram_cksum = 0;
}

static void run(void)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	for (int idle = 0, i = 0; idle < 3 && i < 16; i++)
		idle = dp_worker_poll(dp.workers[0]) ? 0 : idle + 1;
	hx_drain(&hx, 0);
	hx_drain(&hx, 1);
	while ((n = rte_ring_sc_dequeue_burst(dp.punt_ring, (void **)m, RTE_DIM(m), NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	struct dp_event ev[64];
	while (rte_ring_sc_dequeue_burst_elem(dp.event_ring, ev, sizeof(ev[0]), RTE_DIM(ev),
					      NULL) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t f[2048];
	struct rte_mbuf *m;
	int port = 0;

	if (size < 2 || size - 2 > sizeof(f))
		return 0;
	size_t len = size - 2;
	memcpy(f, data + 2, len);
	struct hx_client *c = &hx.clients[data[1] & 1];

	switch (data[0] % 4) {
	case 0:
	case 3:
		port = data[0] % 4 == 3;
		if ((data[1] & 1) && len >= sizeof(struct rte_ether_hdr))
			memcpy(f, &dp.ports[port].mac, RTE_ETHER_ADDR_LEN);
		if (!port && (data[1] & 2))
			fix_outer(f, len);
		m = hx_raw_frame(&hx, f, len);
		break;
	case 1:
		if (len > HX_MTU)
			return 0;
		m = hx_sealed_frame(&hx, c, f, len, c->counter++);
		break;
	default: {
		uint64_t ctr;

		if (len < 8 || len - 8 > HX_MTU)
			return 0;
		memcpy(&ctr, f, 8);
		m = hx_sealed_frame(&hx, c, f + 8, len - 8, ctr % (c->counter + 10000));
		break;
	}
	}
	if (rte_ring_enqueue(hx.rx[port][0], m))
		rte_pktmbuf_free(m);
	run();
	return 0;
}
