/* Proxy addresses of DNS resource names (shared/reference/firezone-gateway.md,
 * "Address plan", "DNS resources"). The DNS stub hands a client, for a name
 * its DNS resources match, one IPv4 and one IPv6 proxy address; the data
 * plane translates traffic to them (dataplane/nat.c) to the name's
 * resolved addresses.
 *
 * A name gets its pair the first time any client asks for it and keeps it
 * until wgate stops: stable per name, hence per client and name, and the
 * same for every client (whether a client may use it is the policy's
 * business: its table holds the proxy addresses of the names its DNS
 * grants match). Addresses are handed out in order from 100.96.0.1 and
 * fd00:2021:1111:8000::1 (2^21 - 2 names). While assigned, a name is
 * pinned in the resolver (kept refreshed at each TTL).
 *
 * Control core only. */
#ifndef WGATE_CONTROL_PROXY_H
#define WGATE_CONTROL_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/net/addr.h"

/* The pair of name (normalised), assigning it when new (*created; the
 * caller then republishes the policy). 0, -ENOSPC (ranges exhausted),
 * -ENOMEM. */
int ctl_proxy_get(const char *name, struct wg_ipaddr *v4, struct wg_ipaddr *v6, bool *created);
/* Both proxy addresses of every assigned name the pattern matches, into
 * out[0..max) (NULL/0 to count). Returns how many there are. */
size_t ctl_proxy_matching(const char *pattern, struct wg_ipaddr *out, size_t max);
/* Publishes the proxy -> resolved addresses map to the workers (called on
 * every assignment and whenever a name's addresses change). */
void ctl_proxy_publish(void);
/* At start: republish whenever the resolver sees an address change. */
void ctl_proxy_init(void);
void ctl_proxy_free(void);

#endif
