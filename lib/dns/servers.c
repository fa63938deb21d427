/* WGATE_DNS_SERVERS parsing (servers.h). */
#include "lib/dns/servers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int wg_dns_servers_parse(const char *s, struct wg_dns_server out[WG_DNS_MAX_SERVERS], size_t *n,
			 char *why, size_t why_len)
{
	*n = 0;
	while (*s) {
		char item[64];
		size_t len = strcspn(s, ", \t");

		if (!len) {
			s++;
			continue;
		}
		if (len >= sizeof(item)) {
			snprintf(why, why_len, "'%.*s...' is too long for an address", 20, s);
			return -EINVAL;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		s += len;
		if (*n == WG_DNS_MAX_SERVERS) {
			snprintf(why, why_len, "more than %d servers", WG_DNS_MAX_SERVERS);
			return -EINVAL;
		}
		struct wg_dns_server *sv = &out[*n];
		sv->port = 53;
		if (wg_ipaddr_parse(item, &sv->ip) && wg_endpoint_parse(item, &sv->ip, &sv->port)) {
			snprintf(why, why_len,
				 "'%s' is not an IP address, IP:port or [IPv6]:port", item);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}
