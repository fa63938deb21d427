/* The c-ares specifics of control/dns.c that need none of its state:
 * reading an A/AAAA answer, and setting the upstream servers. */
#ifndef WGATE_CONTROL_DNS_ARES_H
#define WGATE_CONTROL_DNS_ARES_H

#include <stddef.h>
#include <stdint.h>

#include <ares.h>

#include "lib/dns/cache.h"

/* What a lookup of af (WG_AF_INET4: A, else AAAA) that ended with c-ares'
 * status and answer abuf says: OK with the addresses (at most
 * WG_DNS_MAX_ADDRS into v, *n) and the smallest record TTL, EMPTY
 * (NXDOMAIN, no record of the type) or FAILED. */
enum wg_dns_status ctl_dns_ares_reply(uint8_t af, int status, const unsigned char *abuf, int alen,
				      struct wg_ipaddr *v, size_t *n, uint32_t *ttl);
/* WGATE_DNS_SERVERS onto the channel ("" keeps /etc/resolv.conf's). 0,
 * -EINVAL (logged with the reason), -ENOMEM. */
int ctl_dns_ares_servers(ares_channel ch, const char *servers);

#endif
