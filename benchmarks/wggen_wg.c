/* wggen's WireGuard side: every client's initiator handshake (Noise IKpsk2,
 * lib/wg) and the pool of pre-encrypted transport data messages.
 *
 * Handshakes go out at most `window` at a time so that the gateway's
 * handshake queue stays short: both wgate and wireguard-go answer with cookie
 * replies once that queue fills ("under load"). A cookie reply is honoured
 * (the next initiation carries mac2) and an initiation unanswered after
 * HS_RETRY_NS is sent again, with a fresh timestamp.
 *
 * Data messages are sealed here, before a round starts, never in the send
 * loop: the loop only copies. Each client's counter only grows, across
 * rounds and sizes, because the gateway drops a replayed counter. */
#include "benchmarks/wggen.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "benchmarks/bench_util.h"
#include "lib/crypto/aead.h"
#include "lib/wg/cookie.h"
#include "lib/wg/tai64n.h"

#define HS_RETRY_NS	(1000ULL * 1000 * 1000)
#define HS_INDEX_BASE	0x5a000000u	/* our sender index = base + client number */

static struct gen_client *by_index(struct gen *g, uint32_t idx)
{
	if (idx < HS_INDEX_BASE || idx - HS_INDEX_BASE >= g->n)
		return NULL;
	return &g->c[idx - HS_INDEX_BASE];
}

static void hs_input(struct gen *g, uint16_t dst_port, const uint8_t *msg, size_t len)
{
	struct gen_client *c;

	if (len == sizeof(struct wg_msg_response) && msg[0] == WG_MSG_RESPONSE) {
		struct wg_msg_response r;

		memcpy(&r, msg, sizeof(r));
		c = by_index(g, wg_le32(r.receiver_index));
		if (!c || c->done || !c->in_flight || c->udp_port != dst_port)
			return;
		if (wg_noise_consume_response(&c->local, &c->gw, &r, &c->keys)) {
			g->bad_responses++;
			return;
		}
		c->done = true;
		c->in_flight = false;
		g->responses++;
	} else if (len == sizeof(struct wg_msg_cookie) && msg[0] == WG_MSG_COOKIE) {
		struct wg_msg_cookie ck;

		memcpy(&ck, msg, sizeof(ck));
		c = by_index(g, wg_le32(ck.receiver_index));
		if (!c || c->done || c->udp_port != dst_port)
			return;
		if (!wg_cookie_consume_reply(&c->gw, &ck, bench_now_ns())) {
			g->cookies++;
			c->resend = true;
		}
	}
}

static void initiate(struct gen *g, struct gen_client *c, uint32_t idx, uint64_t now)
{
	struct wg_msg_initiation m;
	uint8_t ts[WG_TIMESTAMP_LEN];

	wg_tai64n_now(ts);
	if (wg_noise_create_initiation(&c->local, &c->gw, idx, ts, &m))
		return;
	wg_cookie_add_macs(&c->gw, &m, sizeof(m), now);
	c->in_flight = true;
	c->resend = false;
	c->sent_ns = now;
	if (!gen_send_udp(g, c->udp_port, &m, sizeof(m)))
		g->initiations++;
}

unsigned int gen_handshake_all(struct gen *g, unsigned int window, double timeout_s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);
	unsigned int done = 0;

	for (;;) {
		uint64_t now = bench_now_ns();
		unsigned int in_flight = 0;

		done = 0;
		for (unsigned int i = 0; i < g->n; i++) {
			done += g->c[i].done;
			in_flight += g->c[i].in_flight;
		}
		if (done == g->n || now >= deadline)
			break;
		for (unsigned int i = 0; i < g->n; i++) {
			struct gen_client *c = &g->c[i];

			if (c->done)
				continue;
			if (c->in_flight) {
				if (c->resend || now - c->sent_ns >= HS_RETRY_NS)
					initiate(g, c, HS_INDEX_BASE + i, now);
			} else if (in_flight < window) {
				initiate(g, c, HS_INDEX_BASE + i, now);
				in_flight++;
			}
		}
		if (!gen_rx_poll(g, hs_input))
			rte_delay_us_sleep(100);
	}
	return done;
}

size_t gen_msg_len(const struct gen *g, unsigned int inner_len)
{
	/* As the kernel pads: up to a multiple of 16, never past the MTU. */
	size_t padded = RTE_ALIGN_CEIL(inner_len, WG_DATA_PAD);

	if (padded > g->mtu)
		padded = g->mtu > inner_len ? g->mtu : inner_len;
	return sizeof(struct wg_msg_data) + padded + WG_AEAD_TAG_LEN;
}

/* Client i's inner packet: IPv4/UDP from its tunnel address to the
 * resource, zero payload, zero padding up to plain_len. inner_len is at
 * least GEN_IP_UDP_LEN (wggen.c takes no smaller size). */
static void build_inner(const struct gen *g, const struct gen_client *c, unsigned int i,
			uint8_t *buf, unsigned int inner_len, size_t plain_len)
{
	memset(buf, 0, plain_len);
	gen_ipv4_udp(buf, c->tun_ip, g->dst_ip, (uint16_t)(10000 + i), g->dst_port,
		     inner_len - GEN_IP_UDP_LEN);
}

struct fill_job {
	struct gen *g;
	const uint8_t *plain;	/* client i's padded inner packet at i * plain_len */
	const uint64_t *base;	/* client i's first counter in this fill */
	size_t plain_len, msg_len, from, to;
};

/* Seals messages [from, to): message j is client j % n's, counter
 * base + j / n. Jobs share nothing they write, so they run in parallel. */
static void *fill_range(void *arg)
{
	const struct fill_job *f = arg;
	const struct gen *g = f->g;

	for (size_t j = f->from; j < f->to; j++) {
		unsigned int i = (unsigned int)(j % g->n);
		const struct gen_client *c = &g->c[i];
		uint64_t counter = f->base[i] + j / g->n;
		uint8_t *msg = g->pool + j * f->msg_len;
		struct wg_msg_data h = {
			.header.type = WG_MSG_DATA,
			.receiver_index = wg_le32(c->keys.remote_index),
			.counter = wg_le64(counter),
		};

		memcpy(msg, &h, sizeof(h));
		wg_aead_encrypt(msg + sizeof(h), f->plain + (size_t)i * f->plain_len, f->plain_len,
				NULL, 0, counter, c->keys.send);
	}
	return NULL;
}

size_t gen_pool_fill(struct gen *g, unsigned int inner_len, size_t count)
{
	size_t msg_len = gen_msg_len(g, inner_len);
	size_t plain_len = msg_len - sizeof(struct wg_msg_data) - WG_AEAD_TAG_LEN;
	uint8_t *plain = malloc((size_t)g->n * plain_len);
	uint64_t *base = malloc(g->n * sizeof(*base));
	struct fill_job jobs[GEN_MAX_FILL_THREADS];
	pthread_t tid[GEN_MAX_FILL_THREADS];
	bool started[GEN_MAX_FILL_THREADS] = { false };
	unsigned int nt = g->fill_threads ? g->fill_threads : 1;

	if (!plain || !base) {
		free(plain);
		free(base);
		return 0;
	}
	if (nt > GEN_MAX_FILL_THREADS)
		nt = GEN_MAX_FILL_THREADS;
	for (unsigned int i = 0; i < g->n; i++) {
		build_inner(g, &g->c[i], i, plain + (size_t)i * plain_len, inner_len, plain_len);
		base[i] = g->c[i].send_counter;
	}
	g->stride = msg_len;
	g->inner_len = inner_len;
	if (count > g->pool_bytes / msg_len)
		count = g->pool_bytes / msg_len;
	for (unsigned int t = 0; t < nt; t++)
		jobs[t] = (struct fill_job){ .g = g, .plain = plain, .base = base,
					     .plain_len = plain_len, .msg_len = msg_len,
					     .from = count * t / nt, .to = count * (t + 1) / nt };
	/* Helpers may run on any CPU: the gateway is idle between rounds. The
	 * EAL pinned this thread to its lcore, and a new thread would inherit
	 * that, so give them the whole machine explicitly. */
	for (unsigned int t = 1; t < nt; t++) {
		pthread_attr_t attr;
		cpu_set_t all;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		CPU_ZERO(&all);
		for (long cpu = 0; cpu < ncpu && cpu < CPU_SETSIZE; cpu++)
			CPU_SET(cpu, &all);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
		started[t] = !pthread_create(&tid[t], &attr, fill_range, &jobs[t]);
		pthread_attr_destroy(&attr);
	}
	fill_range(&jobs[0]);
	for (unsigned int t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fill_range(&jobs[t]);
	}
	for (unsigned int i = 0; i < g->n; i++)
		g->c[i].send_counter += count / g->n + (i < count % g->n);
	free(plain);
	free(base);
	g->pool_n = count;
	return count;
}
