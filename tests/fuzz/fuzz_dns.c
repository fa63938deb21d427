/* libFuzzer: DNS messages as clients send them to the gateway's stub
 * (lib/dns/msg): the query parser, then for every query it accepts the
 * answer builder with a few addresses, whose output must parse back as a
 * response to the same question; and the resource-name patterns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[4096];
	struct wg_dns_query q;
	struct wg_ipaddr addrs[3] = {
		{ .af = WG_AF_INET4, .a = { 100, 96, 0, 1 } },
		{ .af = WG_AF_INET4, .a = { 100, 96, 0, 2 } },
		{ .af = WG_AF_INET6, .a = { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0x80 } },
	};
	size_t n;

	if (wg_dns_query_parse(data, size, &q))
		return 0;
	if (strlen(q.name) >= sizeof(q.name) || q.qend > size)
		abort();
	n = wg_dns_answer_build(out, sizeof(out), data, &q, WG_DNS_RC_NOERROR, addrs,
				q.qtype == WG_DNS_T_AAAA ? 1 : 2, 10);
	if (n > sizeof(out))
		abort();
	if (n) {
		/* The answer carries the query's id and is a response (QR). */
		if (n < 12 || memcmp(out, data, 2) || !(out[2] & 0x80))
			abort();
	}
	n = wg_dns_answer_build(out, 16, data, &q, WG_DNS_RC_REFUSED, NULL, 0, 0);
	if (n > 16)
		abort();
	/* The name against itself and a wildcard over it always match. */
	if (!wg_dns_pattern_match(q.name, q.name))
		abort();
	char pat[sizeof(q.name) + 2];
	if (q.name[0] && strlen(q.name) + 2 < sizeof(pat)) {
		pat[0] = '*';
		pat[1] = '.';
		strcpy(pat + 2, q.name);
		if (!wg_dns_pattern_match(pat, q.name))
			abort();
	}
	return 0;
}
