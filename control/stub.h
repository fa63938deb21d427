/* The DNS stub on the gateway's tunnel addresses (UDP port 53), for plain
 * WireGuard clients (shared/reference/firezone-gateway.md, "DNS
 * resources"). Workers punt a client's query here (DP_PUNT_DNS); see
 * stub.c for what is answered and how. Control core only. */
#ifndef WGATE_CONTROL_STUB_H
#define WGATE_CONTROL_STUB_H

#include <stdint.h>

struct rte_mbuf;

#define CTL_STUB_TTL		10	/* s: TTL of the proxy addresses the stub answers */
#define CTL_STUB_FORWARD_MS	5000	/* a forwarded query unanswered by then: SERVFAIL */

/* A punted query: consumed. */
void ctl_stub_input(struct rte_mbuf *m, uint64_t now_ns);
/* Deadlines of forwarded queries; returns how many it ended. */
unsigned int ctl_stub_poll(uint64_t now_ns);
/* Forgets pending queries (shutdown, before ctl_dns_free). */
void ctl_stub_free(void);

#endif
