/* DNS messages for the stub on the gateway's tunnel addresses (RFC 1035):
 * reading a client's query (header and its one question) and building the
 * answers the stub gives itself (A/AAAA with proxy addresses, empty,
 * REFUSED, SERVFAIL). Forwarded queries travel as bytes; only their id is
 * read. And the DNS-resource pattern rule. Pure: bytes in, bytes out. */
#ifndef WGATE_LIB_DNS_MSG_H
#define WGATE_LIB_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dns/cache.h"
#include "lib/net/addr.h"

#define WG_DNS_HDR_LEN	12
#define WG_DNS_UDP_MAX	512	/* a reply larger than this sets TC */

enum {
	WG_DNS_T_A = 1,
	WG_DNS_T_AAAA = 28,
	WG_DNS_C_IN = 1,
	WG_DNS_RC_NOERROR = 0,
	WG_DNS_RC_SERVFAIL = 2,
	WG_DNS_RC_NXDOMAIN = 3,
	WG_DNS_RC_REFUSED = 5,
};

struct wg_dns_query {
	uint16_t id;
	uint16_t flags;		/* as sent (RD is copied into the answer) */
	uint16_t qtype, qclass;
	/* The name as dotted text, lower case, no trailing dot ("" = root);
	 * letters outside a-z0-9-_ kept as they are (then it matches no
	 * resource and is forwarded). */
	char name[WG_DNS_NAME_LEN];
	size_t qend;		/* where the question ends in the message */
};

/* 0; -EINVAL: malformed (short, a label past the end, a compression
 * pointer in the question, a name over 255 bytes); -ENOTSUP: not a
 * standard query with one question (a response, another opcode, QDCOUNT
 * != 1). */
int wg_dns_query_parse(const uint8_t *msg, size_t len, struct wg_dns_query *q);

/* Builds into out (cap bytes) the answer to the query msg parsed as q:
 * header (id, QR, AA, RD copied, RA, rcode), the question copied, then one
 * record per address (type from q, class IN, ttl) pointing back at the
 * question's name. Returns the length, or 0 when cap is too small. */
size_t wg_dns_answer_build(uint8_t *out, size_t cap, const uint8_t *msg,
			   const struct wg_dns_query *q, uint8_t rcode,
			   const struct wg_ipaddr *addrs, size_t n, uint32_t ttl);

/* Does the DNS resource pattern match name (both lower case)? Exact;
 * "*.d" = d and every name below it, any depth; "?.d" = d and the names
 * one label below it. */
bool wg_dns_pattern_match(const char *pattern, const char *name);

#endif
