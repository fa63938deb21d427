/* Firezone clients' in-tunnel control packets (lib/fz/ctlmsg.h; reference:
 * shared/reference/firezone-gateway.md, "DNS resources"). A Firezone client
 * resolves DNS resource names itself, picks 4 IPv4 + 4 IPv6 proxy addresses
 * per name from the same ranges as wgate's stub, and tells the gateway
 * (AssignedIps); the gateway answers DomainStatus Active or Inactive.
 *
 *   AssignedIps (resource R, domain D, proxies P) from client C:
 *     Inactive unless R is a DNS resource whose pattern matches D and C
 *     holds a present grant of R, or when C already has CTL_FZ_MAX_PER_CLIENT
 *     names or all clients together CTL_FZ_MAX_NAMES (counted
 *     fz_domain_inactive_limit too). Otherwise (C, R, D) -> P is recorded
 *     (replacing what C said before for D; any other name of C that held
 *     one of P loses it: the client re-used the address), P joins C's
 *     policy table with R's filters, the workers translate P for C alone
 *     to D's addresses of each family (round robin, as the stub's), and
 *     once D has been looked up, Active. A repeat gives the same answer.
 *   Goodbye: C's sessions are dropped (keys wiped: its next packet needs a
 *     handshake) and its names forgotten; its peer and grants stay.
 *   DomainStatus from a client, or an unknown event: counted, dropped.
 *
 * A grant revoked, a resource removed or changed, or a peer removed: the
 * names no longer valid are forgotten at the next policy apply
 * (ctl_fz_prune). Control core only. */
#ifndef WGATE_CONTROL_FZ_H
#define WGATE_CONTROL_FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/fz/ctlmsg.h"

struct rte_mbuf;
struct wg_config;

#define CTL_FZ_MAX_PER_CLIENT	256	/* names one client may have assigned */
#define CTL_FZ_MAX_NAMES	8192	/* all clients together */
#define CTL_FZ_MAX_WAITING	4096	/* Active answers waiting for lookups */

/* One client's assignment for one name. Writer and reader: control core. */
struct ctl_fz_entry {
	uint8_t key[32];			/* the client's public key */
	char resource[WG_FZ_ID_LEN];
	char domain[WG_DNS_NAME_LEN];		/* normalised */
	struct wg_ipaddr proxy[WG_FZ_MAX_PROXY];
	uint8_t n_proxy;
};

/* A punted control packet (DP_PUNT_FZ_CONTROL): consumed. */
void ctl_fz_input(struct rte_mbuf *m, uint64_t now_ns);
/* Every proxy address the client with key assigned to names of resource
 * (its [Resource] name) into out[0..max) (NULL/0 to count). Returns how
 * many there are. For the policy tables. */
size_t ctl_fz_proxies(const uint8_t key[32], const char *resource, struct wg_ipaddr *out,
		      size_t max);
/* The assignments, for the proxy map (ctl_proxy_publish). */
size_t ctl_fz_count(void);
const struct ctl_fz_entry *ctl_fz_at(size_t i);
/* Whether some assignment names domain (normalised). */
bool ctl_fz_uses(const char *domain);
/* Forgets assignments cfg no longer allows (no peer, no such DNS resource,
 * pattern no longer matches, no present grant). Returns how many went. */
size_t ctl_fz_prune(const struct wg_config *cfg);
/* Shutdown, before ctl_dns_free. */
void ctl_fz_free(void);

#endif
