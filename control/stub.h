/* The DNS stub on the gateway's tunnel addresses (port 53, UDP and TCP),
 * for plain WireGuard clients (shared/reference/firezone-gateway.md, "DNS
 * resources"). Workers punt a client's query or TCP segment here
 * (DP_PUNT_DNS); see stub.c for what is answered and how, stub_tcp.c for
 * the TCP side. Control core only. */
#ifndef WGATE_CONTROL_STUB_H
#define WGATE_CONTROL_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "control/stub_tcp.h"
#include "lib/net/addr.h"

struct rte_mbuf;

#define CTL_STUB_TTL		10	/* s: TTL of the proxy addresses the stub answers */
#define CTL_STUB_FORWARD_MS	5000	/* a forwarded query unanswered by then: SERVFAIL */

/* A punted query or TCP segment: consumed. */
void ctl_stub_input(struct rte_mbuf *m, uint64_t now_ns);
/* For stub_tcp.c: a query (msg, len) read from connection ref of the
 * client at client (peer slot) to our address us. 0: its answer will come
 * through ctl_stub_tcp_answer (maybe before this returns); -EINVAL (not a
 * well-formed query) or -ENOENT (the peer left): counted, no answer. */
int ctl_stub_query_tcp(uint32_t slot, const struct wg_ipaddr *client,
		       const struct wg_ipaddr *us, struct ctl_stub_tcp_ref ref,
		       const uint8_t *msg, size_t len, uint64_t now_ns);
/* Deadlines of forwarded queries, TCP timers; returns how much it did. */
unsigned int ctl_stub_poll(uint64_t now_ns);
/* Forgets pending queries (shutdown, before ctl_dns_free). */
void ctl_stub_free(void);

#endif
