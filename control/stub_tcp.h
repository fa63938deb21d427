/* The DNS stub over TCP (RFC 7766) on port 53 of the tunnel addresses: a
 * small TCP responder on the control core. Segments are punted by the
 * workers like UDP queries (DP_PUNT_DNS) and reach it through
 * ctl_stub_input (stub.c), which finds the client's peer; every query read
 * from a connection is answered by the stub's usual logic (stub.c) and the
 * answer comes back through ctl_stub_tcp_answer. Control core only. */
#ifndef WGATE_CONTROL_STUB_TCP_H
#define WGATE_CONTROL_STUB_TCP_H

#include <stddef.h>
#include <stdint.h>

#define CTL_STUB_TCP_CONNS	1024	/* connections at once; a SYN past it: RST */
#define CTL_STUB_TCP_IDLE_MS	10000	/* RFC 7766 6.2.3: closed after this quiet */
#define CTL_STUB_TCP_RTO_MS	500	/* first retransmission; doubled each try */
#define CTL_STUB_TCP_TRIES	5	/* retransmissions before giving up (RST) */
/* Unacknowledged answer bytes one connection may hold: two of the
 * largest messages. More (a client that reads nothing): RST. */
#define CTL_STUB_TCP_OUT_MAX	(2 * (2 + 65535))

/* A connection as a pending query names it: the generation tells a reused
 * table entry from the connection that asked. */
struct ctl_stub_tcp_ref {
	uint32_t idx, gen;
};

/* A segment from the client of peer slot (ip: the inner IP packet). */
void ctl_stub_tcp_input(const uint8_t *ip, size_t len, uint32_t slot, uint64_t now_ns);
/* The answer to a query of connection ref (the id written as id); dropped
 * when the connection has gone meanwhile. */
void ctl_stub_tcp_answer(struct ctl_stub_tcp_ref ref, uint16_t id, const uint8_t *msg,
			 size_t len, uint64_t now_ns);
/* Retransmissions and idle timeouts; returns how many connections it acted on. */
unsigned int ctl_stub_tcp_poll(uint64_t now_ns);
/* Forgets every connection (shutdown). */
void ctl_stub_tcp_free(void);

#endif
