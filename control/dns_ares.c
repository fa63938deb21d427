/* c-ares helpers for control/dns.c (dns_ares.h). */
#include "control/dns_ares.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/dns/servers.h"
#include "lib/util/log.h"

enum wg_dns_status ctl_dns_ares_reply(uint8_t af, int status, const unsigned char *abuf, int alen,
				      struct wg_ipaddr *v, size_t *n, uint32_t *ttl)
{
	int64_t min = INT64_MAX;
	int cnt = WG_DNS_MAX_ADDRS, rc;

	*n = 0;
	*ttl = 0;
	if (status == ARES_ENOTFOUND || status == ARES_ENODATA)
		return WG_DNS_EMPTY;	/* NXDOMAIN, or no record of this type */
	if (status != ARES_SUCCESS)
		return WG_DNS_FAILED;
	if (af == WG_AF_INET4) {
		struct ares_addrttl t[WG_DNS_MAX_ADDRS];
		rc = ares_parse_a_reply(abuf, alen, NULL, t, &cnt);
		for (int i = 0; rc == ARES_SUCCESS && i < cnt; i++) {
			wg_ipaddr_from_v4(&v[(*n)++], &t[i].ipaddr);
			min = t[i].ttl < min ? t[i].ttl : min;
		}
	} else {
		struct ares_addr6ttl t[WG_DNS_MAX_ADDRS];
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, t, &cnt);
		for (int i = 0; rc == ARES_SUCCESS && i < cnt; i++) {
			wg_ipaddr_from_v6(&v[(*n)++], &t[i].ip6addr);
			min = t[i].ttl < min ? t[i].ttl : min;
		}
	}
	if (rc == ARES_SUCCESS && *n) {
		*ttl = (uint32_t)(min < 0 ? 0 : min > UINT32_MAX ? UINT32_MAX : min);
		return WG_DNS_OK;
	}
	return rc == ARES_SUCCESS || rc == ARES_ENODATA ? WG_DNS_EMPTY : WG_DNS_FAILED;
}

int ctl_dns_ares_servers(ares_channel ch, const char *servers)
{
	struct wg_dns_server sv[WG_DNS_MAX_SERVERS];
	struct ares_addr_port_node nodes[WG_DNS_MAX_SERVERS];
	char why[160];
	size_t n;

	if (wg_dns_servers_parse(servers, sv, &n, why, sizeof(why))) {
		WG_LOG(ERR, "dns", "WGATE_DNS_SERVERS: %s", why);
		return -EINVAL;
	}
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		nodes[i] = (struct ares_addr_port_node){
			.next = i + 1 < n ? &nodes[i + 1] : NULL,
			.family = sv[i].ip.af == WG_AF_INET4 ? AF_INET : AF_INET6,
			.udp_port = sv[i].port,
			.tcp_port = sv[i].port,
		};
		memcpy(&nodes[i].addr, sv[i].ip.a, sv[i].ip.af == WG_AF_INET4 ? 4 : 16);
	}
	return ares_set_servers_ports(ch, nodes) == ARES_SUCCESS ? 0 : -ENOMEM;
}
