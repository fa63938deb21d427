/* WGATE_DNS_SERVERS: the upstream resolvers the gateway asks (interface.md,
 * Environment). A list separated by commas and/or spaces of "IP",
 * "IP:port" or "[IPv6]:port"; port 53 when absent. Unset or empty: the
 * servers of /etc/resolv.conf (read by c-ares). */
#ifndef WGATE_LIB_DNS_SERVERS_H
#define WGATE_LIB_DNS_SERVERS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define WG_DNS_MAX_SERVERS 8

struct wg_dns_server {
	struct wg_ipaddr ip;
	uint16_t port;		/* host order */
};

/* Parses s into out[0..*n). 0 (with *n = 0 for an empty list), or -EINVAL
 * with the reason in why ("'x' is not ..."). */
int wg_dns_servers_parse(const char *s, struct wg_dns_server out[WG_DNS_MAX_SERVERS], size_t *n,
			 char *why, size_t why_len);

#endif
