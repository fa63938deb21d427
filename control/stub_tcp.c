/* The DNS stub's TCP responder (stub_tcp.h): just enough TCP for DNS
 * clients (dig +tcp, resolvers retrying after TC), RFC 9293 reduced to one
 * passive port and RFC 7766's framing.
 *
 * States of a connection (one table entry):
 *   SYN_RCVD  a SYN came; our SYN-ACK is out (retransmitted on the RTO)
 *   ESTAB     the handshake is done; queries are read, answers sent
 *   CLOSING   our FIN is queued or out; the client's may have come
 * An entry is freed when both FINs are acknowledged, on a client RST, when
 * a retransmission runs out of tries (RST sent), on a framing error or an
 * answer backlog past CTL_STUB_TCP_OUT_MAX (RST sent), and when a
 * connection whose FIN was acknowledged stays quiet for the idle time.
 * Timers (checked every CTL_STUB_TCP_TICK_NS from ctl_stub_tcp_poll):
 *   RTO       CTL_STUB_TCP_RTO_MS, doubled per try, CTL_STUB_TCP_TRIES tries;
 *             what is unacknowledged is sent again from snd_una (go-back-N)
 *   idle      CTL_STUB_TCP_IDLE_MS without a segment from the client and
 *             nothing owed either way: we close (FIN); three times that
 *             with queries still unanswered: RST.
 * The receive window is the free space of the framing buffer (no window
 * scaling offered, so the client's window is taken unscaled); data that
 * arrives out of order is not kept (the client sends it again after our
 * duplicate ACK). Answers go out in segments of at most the MSS: the
 * tunnel MTU less the headers, or the client's MSS option if smaller.
 *
 * Writer and reader of everything here: the control lcore. */
#include "control/stub_tcp.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_random.h>

#include "control/handshake.h"
#include "control/peers.h"
#include "control/stub.h"
#include "dataplane/dp.h"
#include "lib/dns/stream.h"
#include "lib/net/tcp_seg.h"

#define MS			1000000ULL
#define CTL_STUB_TCP_TICK_NS	(10 * MS)

enum state { C_FREE, C_SYN_RCVD, C_ESTAB, C_CLOSING };

struct conn {
	enum state state;
	bool fin_rcvd;		/* the client sends no more (rcv_nxt counts its FIN) */
	bool fin_queued;	/* ours goes out once every answer has */
	bool fin_sent;		/* ours is out (snd_nxt counts it) */
	uint32_t gen;		/* moves when the entry is freed */
	uint32_t slot;		/* the client's peer */
	struct wg_ipaddr client, us;
	uint16_t cport;
	uint16_t mss;		/* most payload per segment we send */
	uint32_t iss, snd_una, snd_nxt, rcv_nxt;
	uint32_t snd_wnd;	/* the client's last window */
	unsigned int pending;	/* queries with the stub, unanswered */
	unsigned int tries;	/* retransmissions since the last progress */
	uint64_t rto_ns, rto_at;	/* rto_at 0: nothing outstanding */
	uint64_t last_rx;
	uint8_t *out;		/* answer bytes from snd_una on */
	size_t out_len, out_cap;
	struct wg_dns_stream in;
};

static struct {
	struct conn c[CTL_STUB_TCP_CONNS];
	unsigned int live;
	uint64_t next_tick;
} T;

static void count(enum wg_counter c)
{
	dp.control_cnt->v[c]++;
}

/* Sends one segment of connection c (or, c NULL, the RST answering seg). */
static bool emit(const struct conn *c, uint8_t flags, uint32_t seq, const uint8_t *data,
		 size_t len, uint16_t mss_opt, uint64_t now)
{
	static uint8_t pkt[60 + 65536];	/* a segment is at most the tunnel MTU */
	struct wg_tcp_seg s = {
		.src = c->us, .dst = c->client, .sport = 53, .dport = c->cport,
		.seq = seq, .ack = flags & WG_TCP_ACK ? c->rcv_nxt : 0, .flags = flags,
		.win = (uint16_t)wg_dns_stream_room(&c->in), .mss = mss_opt,
		.data = data, .len = len,
	};
	struct ctl_peer *cp = ctl_peer_by_slot(c->slot);
	size_t n = wg_tcp_build(pkt, sizeof(pkt), &s);

	return cp && n && !ctl_send_inner(cp, pkt, n, now);
}

/* RFC 9293 3.10.7.1: the reset for a segment that belongs to nothing. */
static void reset_for(const struct wg_tcp_seg *seg, uint32_t slot, enum wg_counter why,
		      uint64_t now)
{
	static struct conn tmp;	/* large (its buffer): not on the stack */

	count(why);
	if (seg->flags & WG_TCP_RST)
		return;
	memset(&tmp, 0, sizeof(tmp));
	tmp.slot = slot;
	tmp.us = seg->dst;
	tmp.client = seg->src;
	tmp.cport = seg->sport;
	tmp.in.used = WG_DNS_STREAM_BUF;	/* window 0 */
	if (seg->flags & WG_TCP_ACK) {
		emit(&tmp, WG_TCP_RST, seg->ack, NULL, 0, 0, now);
	} else {
		tmp.rcv_nxt = seg->seq + (uint32_t)seg->len + (seg->flags & WG_TCP_SYN ? 1 : 0) +
			      (seg->flags & WG_TCP_FIN ? 1 : 0);
		emit(&tmp, WG_TCP_RST | WG_TCP_ACK, 0, NULL, 0, 0, now);
	}
}

static void conn_free(struct conn *c)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_cap = 0;
	c->state = C_FREE;
	c->gen++;
	T.live--;
}

static void conn_reset(struct conn *c, enum wg_counter why, uint64_t now)
{
	emit(c, WG_TCP_RST | WG_TCP_ACK, c->snd_nxt, NULL, 0, 0, now);
	count(why);
	conn_free(c);
}

static struct conn *find(const struct wg_tcp_seg *s)
{
	if (!T.live)
		return NULL;
	for (unsigned int i = 0; i < CTL_STUB_TCP_CONNS; i++) {
		struct conn *c = &T.c[i];
		if (c->state != C_FREE && c->cport == s->sport &&
		    wg_ipaddr_equal(&c->client, &s->src) && wg_ipaddr_equal(&c->us, &s->dst))
			return c;
	}
	return NULL;
}

static void arm(struct conn *c, uint64_t now)
{
	c->rto_at = c->snd_nxt != c->snd_una ? now + c->rto_ns : 0;
}

/* Sends what the window allows of the answers not yet sent, then our FIN
 * when it is due. Returns how many segments went. */
static unsigned int push(struct conn *c, uint64_t now)
{
	unsigned int sent = 0;

	if (c->state == C_SYN_RCVD)
		return 0;
	for (size_t off = c->snd_nxt - c->snd_una; !c->fin_sent && off < c->out_len;) {
		size_t flight = c->snd_nxt - c->snd_una, n = RTE_MIN(c->mss, c->out_len - off);
		if (flight >= c->snd_wnd && flight)
			break;	/* window full (an empty flight probes a zero window) */
		if (c->snd_wnd > flight)
			n = RTE_MIN(n, c->snd_wnd - flight);
		emit(c, WG_TCP_ACK | WG_TCP_PSH, c->snd_nxt, c->out + off, n, 0, now);
		c->snd_nxt += (uint32_t)n;
		off += n;
		sent++;
	}
	if (c->fin_queued && !c->fin_sent && c->snd_nxt - c->snd_una == c->out_len) {
		emit(c, WG_TCP_FIN | WG_TCP_ACK, c->snd_nxt, NULL, 0, 0, now);
		c->snd_nxt++;
		c->fin_sent = true;
		c->state = C_CLOSING;
		sent++;
	}
	if (sent && !c->rto_at)
		arm(c, now);
	return sent;
}

/* Everything answered and the client done: our FIN goes next. */
static void maybe_close(struct conn *c)
{
	if (c->fin_rcvd && !c->pending && !c->fin_queued)
		c->fin_queued = true;
}

static void on_syn(const struct wg_tcp_seg *s, uint32_t slot, uint64_t now)
{
	struct conn *c = NULL;
	struct ctl_peer *cp = ctl_peer_by_slot(slot);

	for (unsigned int i = 0; i < CTL_STUB_TCP_CONNS && !c; i++)
		if (T.c[i].state == C_FREE)
			c = &T.c[i];
	if (!cp)
		return;		/* the peer left (ctl_stub_input checked it just now) */
	if (!c) {
		reset_for(s, slot, WG_CNT_DNS_TCP_RST_TABLE_FULL, now);
		return;
	}
	uint32_t gen = c->gen;
	size_t hl = s->src.af == WG_AF_INET4 ? 20 : 40;
	uint16_t ours = (uint16_t)(cp->dp->mtu - hl - WG_TCP_HDR_LEN);
	uint16_t theirs = s->mss ? s->mss : s->src.af == WG_AF_INET4 ? WG_TCP_DEFAULT_MSS4 :
									 WG_TCP_DEFAULT_MSS6;

	memset(c, 0, offsetof(struct conn, in));
	c->in.used = c->in.taken = 0;
	c->gen = gen;
	c->state = C_SYN_RCVD;
	c->slot = slot;
	c->client = s->src;
	c->us = s->dst;
	c->cport = s->sport;
	c->mss = RTE_MIN(ours, theirs);
	c->iss = (uint32_t)rte_rand();
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->rcv_nxt = s->seq + 1;
	c->snd_wnd = s->win;
	c->rto_ns = CTL_STUB_TCP_RTO_MS * MS;
	c->last_rx = now;
	T.live++;
	count(WG_CNT_DNS_TCP_ACCEPTED);
	emit(c, WG_TCP_SYN | WG_TCP_ACK, c->iss, NULL, 0, ours, now);
	arm(c, now);
}

/* The client's ack moved forward: drop what it covers. */
static void acked(struct conn *c, uint32_t ack, uint64_t now)
{
	size_t n = ack - c->snd_una, data = RTE_MIN(n, c->out_len);

	if (data) {	/* (only our FIN acked: out may still be NULL) */
		memmove(c->out, c->out + data, c->out_len - data);
		c->out_len -= data;
	}
	c->snd_una = ack;
	c->tries = 0;
	c->rto_ns = CTL_STUB_TCP_RTO_MS * MS;
	arm(c, now);
}

/* Reads the in-order payload s carries; false: the connection was reset. */
static bool take(struct conn *c, const struct wg_tcp_seg *s, uint64_t now)
{
	const uint8_t *data = s->data, *msg;
	size_t len = s->len, skip = 0, mlen;
	int rc;

	if (wg_seq_lt(s->seq, c->rcv_nxt))
		skip = c->rcv_nxt - s->seq;	/* sent again: the new part only */
	if (c->fin_rcvd || skip > len || (skip == len && !(s->flags & WG_TCP_FIN)))
		return true;			/* nothing new: the ACK says so */
	if (s->seq + (uint32_t)skip != c->rcv_nxt) {
		count(WG_CNT_DNS_TCP_DROP_OUT_OF_ORDER);
		return true;
	}
	data += skip;
	len -= skip;
	size_t got = wg_dns_stream_feed(&c->in, data, len);
	c->rcv_nxt += (uint32_t)got;
	if ((s->flags & WG_TCP_FIN) && got == len) {
		c->rcv_nxt++;
		c->fin_rcvd = true;
	}
	while ((rc = wg_dns_stream_next(&c->in, &msg, &mlen)) == 1) {
		struct ctl_stub_tcp_ref ref = { (uint32_t)(c - T.c), c->gen };
		count(WG_CNT_DNS_TCP_QUERIES);
		c->pending++;	/* before: the stub may answer at once */
		if (ctl_stub_query_tcp(c->slot, &c->client, &c->us, ref, msg, mlen, now))
			c->pending--;
		if (c->state == C_FREE || c->gen != ref.gen)
			return false;	/* reset while answering */
	}
	if (rc < 0) {
		conn_reset(c, WG_CNT_DNS_TCP_RST_OVERSIZE, now);
		return false;
	}
	maybe_close(c);
	return true;
}

void ctl_stub_tcp_input(const uint8_t *ip, size_t len, uint32_t slot, uint64_t now)
{
	struct wg_tcp_seg s;
	struct conn *c;

	if (wg_tcp_parse(ip, len, &s) || s.dport != 53) {
		count(WG_CNT_DNS_TCP_DROP_BAD_SEGMENT);
		return;
	}
	c = find(&s);
	if (!c) {
		if ((s.flags & (WG_TCP_SYN | WG_TCP_ACK | WG_TCP_RST)) == WG_TCP_SYN)
			on_syn(&s, slot, now);
		else
			reset_for(&s, slot, WG_CNT_DNS_TCP_RST_UNKNOWN, now);
		return;
	}
	if (s.flags & WG_TCP_RST) {
		/* RFC 5961 3.2, loosely: only a reset inside the window counts. */
		if (s.seq - c->rcv_nxt <= WG_DNS_STREAM_BUF) {
			count(WG_CNT_DNS_TCP_RESET_BY_CLIENT);
			conn_free(c);
		}
		return;
	}
	c->last_rx = now;
	if (s.flags & WG_TCP_SYN) {
		if (c->state == C_SYN_RCVD && s.seq + 1 == c->rcv_nxt)	/* our SYN-ACK was lost */
			emit(c, WG_TCP_SYN | WG_TCP_ACK, c->iss, NULL, 0, c->mss, now);
		else	/* RFC 5961 4.2: a challenge ACK */
			emit(c, WG_TCP_ACK, c->snd_nxt, NULL, 0, 0, now);
		return;
	}
	if (!(s.flags & WG_TCP_ACK))
		return;		/* RFC 9293 3.10.7.4: no ACK, no business */
	if (c->state == C_SYN_RCVD) {
		if (s.ack != c->iss + 1) {
			reset_for(&s, slot, WG_CNT_DNS_TCP_RST_UNKNOWN, now);
			return;
		}
		c->state = C_ESTAB;
		c->snd_una = c->iss + 1;
		c->tries = 0;
		c->rto_ns = CTL_STUB_TCP_RTO_MS * MS;
		arm(c, now);
	} else if (wg_seq_lt(c->snd_una, s.ack) && wg_seq_le(s.ack, c->snd_nxt)) {
		acked(c, s.ack, now);
	} else if (wg_seq_lt(c->snd_nxt, s.ack)) {
		emit(c, WG_TCP_ACK, c->snd_nxt, NULL, 0, 0, now);	/* acks what we never sent */
		return;
	}
	c->snd_wnd = s.win;
	bool carries = s.len || (s.flags & WG_TCP_FIN);
	if (carries && !take(c, &s, now))
		return;
	if (c->state == C_CLOSING && c->fin_sent && c->fin_rcvd && c->snd_una == c->snd_nxt) {
		if (carries)	/* the client's FIN after ours: acknowledge it */
			emit(c, WG_TCP_ACK, c->snd_nxt, NULL, 0, 0, now);
		count(WG_CNT_DNS_TCP_CLOSED);
		conn_free(c);
		return;
	}
	if (!push(c, now) && carries)
		emit(c, WG_TCP_ACK, c->snd_nxt, NULL, 0, 0, now);
}

void ctl_stub_tcp_answer(struct ctl_stub_tcp_ref ref, uint16_t id, const uint8_t *msg,
			 size_t len, uint64_t now)
{
	struct conn *c = ref.idx < CTL_STUB_TCP_CONNS ? &T.c[ref.idx] : NULL;

	if (!c || c->state == C_FREE || c->gen != ref.gen || c->fin_sent || len < 2 ||
	    len > 65535)
		return;	/* the connection has gone (or is closing) */
	c->pending--;
	if (c->out_len + 2 + len > CTL_STUB_TCP_OUT_MAX) {
		conn_reset(c, WG_CNT_DNS_TCP_RST_OVERSIZE, now);
		return;
	}
	if (c->out_len + 2 + len > c->out_cap) {
		size_t cap = RTE_MAX(c->out_len + 2 + len, 2 * c->out_cap);
		uint8_t *p = realloc(c->out, RTE_MIN(cap, (size_t)CTL_STUB_TCP_OUT_MAX));
		if (!p) {
			conn_reset(c, WG_CNT_DNS_TCP_RST_OVERSIZE, now);
			return;
		}
		c->out = p;
		c->out_cap = RTE_MIN(cap, (size_t)CTL_STUB_TCP_OUT_MAX);
	}
	uint8_t *w = c->out + c->out_len;
	wg_dns_stream_prefix(w, len);
	memcpy(w + 2, msg, len);
	w[2] = (uint8_t)(id >> 8);	/* the client's id (c-ares used its own) */
	w[3] = (uint8_t)id;
	c->out_len += 2 + len;
	maybe_close(c);
	push(c, now);
}

/* The RTO of c fired. */
static void retransmit(struct conn *c, uint64_t now)
{
	if (++c->tries > CTL_STUB_TCP_TRIES) {
		conn_reset(c, WG_CNT_DNS_TCP_RST_GAVE_UP, now);
		return;
	}
	count(WG_CNT_DNS_TCP_RETRANSMITS);
	c->rto_ns *= 2;
	if (c->state == C_SYN_RCVD) {
		emit(c, WG_TCP_SYN | WG_TCP_ACK, c->iss, NULL, 0, c->mss, now);
		c->rto_at = now + c->rto_ns;
		return;
	}
	c->snd_nxt = c->snd_una;	/* go back: all that is unacknowledged */
	c->fin_sent = false;
	c->rto_at = 0;
	push(c, now);
	c->rto_at = now + c->rto_ns;
}

unsigned int ctl_stub_tcp_poll(uint64_t now)
{
	unsigned int n = 0;
	const uint64_t idle = CTL_STUB_TCP_IDLE_MS * MS;

	if (!T.live || now < T.next_tick)
		return 0;
	T.next_tick = now + CTL_STUB_TCP_TICK_NS;
	for (unsigned int i = 0; i < CTL_STUB_TCP_CONNS; i++) {
		struct conn *c = &T.c[i];
		if (c->state == C_FREE)
			continue;
		if (c->rto_at && now >= c->rto_at) {
			retransmit(c, now);
			n++;
			continue;
		}
		if (now - c->last_rx < idle || c->state == C_SYN_RCVD)
			continue;
		if (c->pending && now - c->last_rx >= 3 * idle) {
			conn_reset(c, WG_CNT_DNS_TCP_RST_GAVE_UP, now);
			n++;
		} else if (c->fin_sent && c->snd_una == c->snd_nxt) {
			conn_free(c);	/* our FIN acknowledged, theirs never came */
			n++;
		} else if (!c->pending && !c->out_len && !c->fin_queued) {
			count(WG_CNT_DNS_TCP_IDLE_CLOSED);
			c->fin_queued = true;
			push(c, now);
			n++;
		}
	}
	return n;
}

void ctl_stub_tcp_free(void)
{
	for (unsigned int i = 0; i < CTL_STUB_TCP_CONNS; i++)
		if (T.c[i].state != C_FREE)
			conn_free(&T.c[i]);
}
